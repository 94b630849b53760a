"""Figures drawn with matplotlib (Agg): PNG for DOCX and PDF, SVG text for the screen.

Publication style: white background, black and grey series told apart by marker and line
style, no top or right frame, x labels wrapped so they never overlap, 300 dpi PNG.
"""

from __future__ import annotations

import base64
import io
import math
import textwrap
from functools import lru_cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
from matplotlib import font_manager  # noqa: E402
from matplotlib import pyplot as plt  # noqa: E402  (after choosing the backend)
from matplotlib.patches import FancyArrowPatch, Rectangle  # noqa: E402

from analysis.render.text import CONSORT_LABELS, cell_text  # noqa: E402

DPI = 300
# Latin first, then a CJK font for Chinese (matplotlib falls back glyph by glyph).
FONTS = ("DejaVu Sans", "Noto Sans CJK SC", "Droid Sans Fallback", "WenQuanYi Zen Hei")
STYLES = [
    {"color": "black", "marker": "o", "linestyle": "-", "markerfacecolor": "black"},
    {"color": "0.45", "marker": "s", "linestyle": "--", "markerfacecolor": "white"},
    {"color": "0.2", "marker": "^", "linestyle": ":", "markerfacecolor": "0.2"},
]


CJK_FONT_FILES = ("DroidSansFallbackFull.ttf", "NotoSansCJK-Regular.ttc", "wqy-zenhei.ttc")


@lru_cache(maxsize=1)
def font_families() -> list[str]:
    """Return the installed families of FONTS (a CJK font registered even when matplotlib's
    font cache predates it)."""
    for root in (Path("/usr/share/fonts/truetype"), Path("/usr/share/fonts/opentype")):
        if not root.is_dir():
            continue
        for name in CJK_FONT_FILES:
            for path in root.rglob(name):
                font_manager.fontManager.addfont(str(path))
    known = {f.name for f in font_manager.fontManager.ttflist}
    return [name for name in FONTS if name in known] or ["sans-serif"]


def _rc() -> dict:
    return {"font.family": font_families(), "font.size": 9,
            "axes.unicode_minus": False, "svg.fonttype": "path"}  # fmt: skip


def wrap_label(text: str, width: int = 14) -> str:
    """Wrap an axis label on spaces (Latin) or every ``width // 2`` characters (CJK)."""
    if " " in text:
        return "\n".join(textwrap.wrap(text, width)) or text
    step = max(width // 2, 1)
    return "\n".join(text[i : i + step] for i in range(0, len(text), step))


def _vas_axes(figure: dict, language: str):
    fig, ax = plt.subplots(figsize=(6.3, 3.6))
    labels = [wrap_label(cell_text(v["label"], language)) for v in figure["visits"]]
    count = len(figure["series"])
    for i, series in enumerate(figure["series"]):
        shift = (i - (count - 1) / 2) * 0.08
        xs = [j + shift for j in range(len(labels))]
        means = [p["mean"] if p["mean"] is not None else math.nan for p in series["points"]]
        low = [m - (p["low"] if p["low"] is not None else m)
               for m, p in zip(means, series["points"], strict=True)]  # fmt: skip
        high = [(p["high"] if p["high"] is not None else m) - m
                for m, p in zip(means, series["points"], strict=True)]  # fmt: skip
        style = STYLES[i % len(STYLES)]
        ax.errorbar(xs, means, yerr=[low, high], capsize=3, linewidth=1.2, markersize=5,
                    label=cell_text(series["label"], language), **style)  # fmt: skip
    ax.set_xticks(range(len(labels)), labels)
    ax.set_xlim(-0.4, len(labels) - 0.6)
    ax.set_ylabel(cell_text({"en": "VAS score (0–10)", "zh": "VAS 评分 (0–10)"}, language))
    ax.set_ylim(bottom=0)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(frameon=False)
    caption = {"en": "Points: mean; bars: 95% confidence interval.",
               "zh": "点：均数；误差线：95% 置信区间。"}  # fmt: skip
    fig.text(0.01, 0.01, cell_text(caption, language), fontsize=7, color="0.3")
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    return fig


def _save(fig, fmt: str) -> bytes | str:
    if fmt == "svg":
        text_buffer = io.StringIO()
        fig.savefig(text_buffer, format="svg")
        plt.close(fig)
        text = text_buffer.getvalue()
        return text[text.find("<svg") :]
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, facecolor="white", bbox_inches="tight",
                pad_inches=0.05)  # fmt: skip
    plt.close(fig)
    return buffer.getvalue()


def vas_figure(figure: dict, language: str = "en"):
    """Return the VAS-over-time matplotlib figure (the caller closes it)."""
    with plt.rc_context(_rc()):
        return _vas_axes(figure, language)


def figure_png(figure: dict, language: str = "en") -> bytes:
    """Return the VAS-over-time figure as 300 dpi PNG bytes."""
    with plt.rc_context(_rc()):
        return _save(_vas_axes(figure, language), "png")


def figure_svg(figure: dict, language: str = "en") -> str:
    """Return the VAS-over-time figure as inline SVG text."""
    with plt.rc_context(_rc()):
        return _save(_vas_axes(figure, language), "svg")


def _box(ax, x: float, y: float, w: float, lines: list[str], *, top: bool = True) -> tuple:
    """Draw a box whose top edge is at ``y`` (centre ``x``); return (x, top, bottom)."""
    h = 0.0185 * len(lines) + 0.016
    ax.add_patch(Rectangle((x - w / 2, y - h), w, h, fill=False, linewidth=0.9))
    ax.text(x - w / 2 + 0.012, y - 0.01, "\n".join(lines), va="top", ha="left",
            fontsize=7.5, linespacing=1.35)  # fmt: skip
    return x, y, y - h


def _arrow(ax, start: tuple[float, float], end: tuple[float, float]) -> None:
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=9,
                                 linewidth=0.9, color="black", shrinkA=0, shrinkB=0))  # fmt: skip


def _wrap(text: str, width: int, bullet: str = "") -> list[str]:
    lines = wrap_label(text, width - len(bullet)).split("\n")
    return [(bullet if i == 0 else " " * 2 * len(bullet)) + line for i, line in enumerate(lines)]


FLOW_SIZE = (7.0, 8.2)


def _consort_axes(consort: dict, language: str):
    t = lambda key: cell_text(CONSORT_LABELS[key], language)  # noqa: E731
    zh = language.startswith("zh")
    chars = 22 if zh else 44
    n = lambda v: f"(n = {v})"  # noqa: E731
    arms = list(consort["arms"].items())
    fig = plt.figure(figsize=FLOW_SIZE)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    lowest = 1.0
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    x0 = 0.5
    _, _, bottom = _box(ax, x0, 0.98, 0.42, [f"{t('assessed')} {n(consort['assessed'])}"])
    excluded = [f"{t('excluded')} {n(consort['excluded'])}"]
    for reason in consort["excluded_reasons"]:
        excluded += _wrap(f"{cell_text(reason['label'], language)} {n(reason['n'])}", chars,
                          "• ")  # fmt: skip
    ex_top = bottom - 0.02
    _, _, ex_bottom = _box(ax, 0.78, ex_top, 0.40, excluded)
    join_y = (ex_top + ex_bottom) / 2
    rand_top = ex_bottom - 0.03
    ax.plot([x0, x0], [bottom, rand_top], color="black", linewidth=0.9)
    _arrow(ax, (x0, join_y), (0.58, join_y))
    _arrow(ax, (x0, rand_top + 0.005), (x0, rand_top))
    randomized = [f"{t('randomized')} {n(consort['randomized'])}"]
    _, _, rand_bottom = _box(ax, x0, rand_top, 0.30, randomized)
    width = 0.92 / max(len(arms), 1)
    centres = [0.04 + width * (i + 0.5) for i in range(len(arms))]
    box_w = width - 0.04
    stage_top = rand_bottom - 0.05
    ax.plot([centres[0], centres[-1]], [stage_top + 0.025] * 2, color="black", linewidth=0.9)
    ax.plot([x0, x0], [rand_bottom, stage_top + 0.025], color="black", linewidth=0.9)
    per_chars = int(chars * box_w / 0.44)
    for (group, flow), cx in zip(arms, centres, strict=True):
        name = cell_text(consort["arm_labels"][group], language)
        _arrow(ax, (cx, stage_top + 0.025), (cx, stage_top))
        allocated = _wrap(f"{t('allocated')}: {name} {n(flow['allocated'])}", per_chars)
        allocated += _wrap(f"{t('received')} {n(flow['received'])}", per_chars, "• ")
        allocated += _wrap(f"{t('not_received')} {n(flow['not_received'])}", per_chars, "• ")
        _, _, b1 = _box(ax, cx, stage_top, box_w, allocated)
        lost = _wrap(f"{t('lost')} {n(flow['lost'])}", per_chars)
        for reason in flow["lost_reasons"]:
            lost += _wrap(f"{cell_text(reason['label'], language)} {n(reason['n'])}", per_chars,
                          "• ")  # fmt: skip
        _arrow(ax, (cx, b1), (cx, b1 - 0.04))
        _, _, b2 = _box(ax, cx, b1 - 0.04, box_w, lost)
        analysed = _wrap(f"{t('analysed_itt')} {n(flow['analysed_itt'])}", per_chars)
        analysed += _wrap(f"{t('analysed_pp')} {n(flow['analysed_pp'])}", per_chars)
        _arrow(ax, (cx, b2), (cx, b2 - 0.04))
        _, _, b3 = _box(ax, cx, b2 - 0.04, box_w, analysed)
        lowest = min(lowest, b3)
    # crop the empty bottom: same scale (inches per unit), shorter figure
    bottom = max(lowest - 0.01, 0.0)
    ax.set_ylim(bottom, 1)
    fig.set_size_inches(FLOW_SIZE[0], FLOW_SIZE[1] * (1 - bottom))
    return fig


def consort_png(consort: dict, language: str = "en") -> bytes:
    """Return the CONSORT 2010 flow diagram (boxes and arrows) as 300 dpi PNG bytes."""
    with plt.rc_context(_rc()):
        return _save(_consort_axes(consort, language), "png")


def svg_data_uri(svg: str) -> str:
    """Return SVG text as a ``data:`` URI for an ``<img>``.

    Matplotlib's SVG styles its shapes with ``style`` attributes and a ``<style>`` element,
    which the pages' Content-Security-Policy refuses inline; inside an image they are the
    image's own and are drawn.
    """
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def power_curve_svg(page: dict) -> str:
    """Return the exact power curve of the sample-size page as inline SVG text."""
    fig, ax = plt.subplots(figsize=(6.4, 3.2), dpi=100)
    ns = [p["n"] for p in page["curve"]]
    ax.plot(ns, [p["power"] for p in page["curve"]], marker=".", linewidth=1)
    ax.axhline(page["target_power"], color="grey", linestyle="--", linewidth=1)
    ax.axvline(page["results"][0]["n_per_group"], color="tab:red", linestyle=":", linewidth=1)
    ax.set_xlabel("n per group")
    ax.set_ylabel("power")
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg")
    plt.close(fig)
    text = buffer.getvalue()
    return text[text.find("<svg") :]
