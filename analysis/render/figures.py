"""Figures drawn with matplotlib (Agg): PNG bytes for DOCX, SVG text for the screen."""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")
from matplotlib import pyplot as plt  # noqa: E402  (after choosing the backend)

from analysis.render.text import cell_text  # noqa: E402


def _vas_axes(figure: dict, language: str):
    fig, ax = plt.subplots(figsize=(6.4, 3.6), dpi=100)
    labels = [cell_text(v["label"], language) for v in figure["visits"]]
    for i, series in enumerate(figure["series"]):
        xs = [j + (i - 0.5) * 0.06 for j in range(len(labels))]
        means = [p["mean"] if p["mean"] is not None else float("nan") for p in series["points"]]
        low = [m - (p["low"] if p["low"] is not None else m) for m, p in
               zip(means, series["points"], strict=True)]  # fmt: skip
        high = [(p["high"] if p["high"] is not None else m) - m for m, p in
                zip(means, series["points"], strict=True)]  # fmt: skip
        ax.errorbar(xs, means, yerr=[low, high], marker="o", capsize=4,
                    label=cell_text(series["label"], language))  # fmt: skip
    ax.set_xticks(range(len(labels)), labels)
    ax.set_ylabel("VAS (0–10)")
    ax.set_ylim(bottom=0)
    ax.legend()
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


def figure_png(figure: dict, language: str = "en") -> bytes:
    """Return the VAS-over-time figure as PNG bytes."""
    fig = _vas_axes(figure, language)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()


def figure_svg(figure: dict, language: str = "en") -> str:
    """Return the VAS-over-time figure as inline SVG text."""
    fig = _vas_axes(figure, language)
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg")
    plt.close(fig)
    text = buffer.getvalue()
    return text[text.find("<svg") :]


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
