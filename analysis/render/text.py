"""Turn the result's bilingual cells into text in one language."""

from __future__ import annotations

import re
from typing import Any


def cell_text(value: Any, language: str) -> str:
    """Return a cell as text: a bilingual ``{"en", "zh"}`` dict picks ``language``."""
    if isinstance(value, dict):
        return str(value.get("zh" if language.startswith("zh") else "en", ""))
    return "" if value is None else str(value)


def table_matrix(table: dict, language: str) -> tuple[list[str], list[list[str]]]:
    """Return (header, rows of text) of a result table; category rows are indented."""
    header = [cell_text(c["label"], language) for c in table["columns"]]
    rows = []
    for row in table["rows"]:
        cells = [cell_text(row["cells"].get(c["key"], ""), language) for c in table["columns"]]
        if row.get("level"):
            cells[0] = "    " + cells[0]
        if row.get("disagree"):
            cells[0] += " †"
        rows.append(cells)
    return header, rows


CONSORT_LABELS = {
    "assessed": {"en": "Assessed for eligibility", "zh": "评估合格性"},
    "excluded": {"en": "Excluded", "zh": "排除"},
    "randomized": {"en": "Randomized", "zh": "随机分组"},
    "allocated": {"en": "Allocated", "zh": "分配"},
    "received": {"en": "Received allocated intervention", "zh": "接受分配的干预"},
    "not_received": {"en": "Did not receive allocated intervention", "zh": "未接受分配的干预"},
    "lost": {"en": "Lost to follow-up / withdrawn", "zh": "失访/退出"},
    "analysed_itt": {"en": "Analysed (intention-to-treat)", "zh": "分析（意向性分析）"},
    "analysed_pp": {"en": "Analysed (per-protocol)", "zh": "分析（符合方案集）"},
}


def consort_matrix(consort: dict, language: str) -> list[list[str]]:
    """Return the CONSORT flow as rows of [stage, group, n]."""
    t = lambda key: cell_text(CONSORT_LABELS[key], language)  # noqa: E731
    rows = [[t("assessed"), "", str(consort["assessed"])],
            [t("excluded"), "", str(consort["excluded"])]]  # fmt: skip
    rows += [["    " + cell_text(r["label"], language), "", str(r["n"])]
             for r in consort["excluded_reasons"]]  # fmt: skip
    rows.append([t("randomized"), "", str(consort["randomized"])])
    for group, flow in consort["arms"].items():
        name = cell_text(consort["arm_labels"][group], language)
        for key in ("allocated", "received", "not_received", "lost"):
            rows.append([t(key), name, str(flow[key])])
        rows += [["    " + cell_text(r["label"], language), name, str(r["n"])]
                 for r in flow["lost_reasons"]]  # fmt: skip
        rows += [[t(key), name, str(flow[key])] for key in ("analysed_itt", "analysed_pp")]
    return rows


def inputs_rows(meta: dict) -> list[tuple[str, str]]:
    """Return the recorded inputs as (name, value) pairs, software versions flattened."""
    rows = [("report", str(meta["run_id"]))]
    for key, value in meta["inputs"].items():
        if isinstance(value, dict):
            rows += [(f"{key}.{k}", ", ".join(v) if isinstance(v, list) else str(v))
                     for k, v in value.items()]  # fmt: skip
        else:
            rows.append((key, str(value)))
    return rows


NBSP = "\u00a0"


def keep_n(text: str) -> str:
    """Keep "(n = 38)" on one line: its spaces become no-break spaces."""
    return re.sub(r"\(n = (\d+)\)", lambda m: f"(n{NBSP}={NBSP}{m.group(1)})", text)


NUMBERED = {"en": re.compile(r"^Table \d+\."), "zh": re.compile(r"^表 ?\d+")}
NUMBER = {"en": "Table {n}. {title}", "zh": "表 {n} {title}"}


def caption_lines(table: dict, language: str, number: int | None = None) -> list[str]:
    """Return the table's numbered caption: one line, or Chinese then English (``zh_en``).

    A bilingual report (``zh_en``) has a Chinese body with each table titled in both
    languages. A title without its number (the plan's adjusted analyses) is given ``number``.
    """
    languages = (
        ["zh", "en"] if language == "zh_en" else ["zh" if language.startswith("zh") else "en"]
    )
    lines = []
    for lang in languages:
        title = cell_text(table["title"], lang)
        if number is not None and not NUMBERED[lang].match(title):
            title = NUMBER[lang].format(n=number, title=title)
        lines.append(title)
    return lines


def header_cells(table: dict, language: str) -> tuple[list[str], list[str] | None]:
    """Return the header as (top row, second row or None).

    Columns with a ``group`` (Table 3: arm, then visit) share a top cell spanning them; the
    second row holds their ``sub`` labels and is empty under the one-level columns.
    """
    columns = table["columns"]
    if not any("group" in c for c in columns):
        return [keep_n(cell_text(c["label"], language)) for c in columns], None
    top = [keep_n(cell_text(c.get("group", c["label"]), language)) for c in columns]
    sub = [cell_text(c["sub"], language) if "sub" in c else "" for c in columns]
    return top, sub


def header_spans(table: dict, language: str) -> list[tuple[int, int]]:
    """Return (first, last) column index of each grouped top header cell spanning columns."""
    top, sub = header_cells(table, language)
    if sub is None:
        return []
    spans, start = [], None
    for i, column in enumerate(table["columns"] + [{}]):
        grouped = "group" in column
        if start is not None and (not grouped or top[i] != top[start]):
            spans.append((start, i - 1))
            start = None
        if grouped and start is None:
            start = i
    return spans


def body_rows(table: dict, language: str) -> list[tuple[list[str], int]]:
    """Return each body row as (cell texts, indent level); "†" marks disagreeing modes."""
    rows = []
    for row in table["rows"]:
        cells = [cell_text(row["cells"].get(c["key"], ""), language) for c in table["columns"]]
        if row.get("disagree"):
            cells[0] += NBSP + "†"
        rows.append((cells, int(row.get("level") or 0)))
    return rows


DISAGREE_NOTE = {
    "en": "† The two modes disagree about significance at 0.05.",
    "zh": "† 两种模式在 0.05 水平上的结论不一致。",
}


def note_lines(table: dict, language: str) -> list[str]:
    """Return the table's footnotes, with the "†" note when a row carries the mark."""
    notes = [cell_text(n, language) for n in table.get("notes", [])]
    if any(r.get("disagree") for r in table["rows"]):
        notes.append(cell_text(DISAGREE_NOTE, language))
    return notes
