"""The report as an XLSX workbook of data (openpyxl).

One sheet per table, with merged two-level (Table 3: three-level) headers; every number is
a number cell with a number format (counts integer, percentages and summaries to one
decimal, P values keeping all their digits), each group's "n (%)" or "mean ± SD" split into
its numbers; a methods sheet naming each test; the CONSORT counts; the inputs; the columns.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from analysis.render.text import (
    DISAGREE_NOTE,
    cell_text,
    consort_matrix,
    inputs_rows,
    note_lines,
)
from trial.spreadsheet import is_formula

BOLD = Font(bold=True)
RULE = Side(style="thin", color="000000")
INTEGER, ONE_DECIMAL, TWO_DECIMALS, P_FORMAT = "0", "0.0", "0.00", "0.0000"

STATISTICS: dict[str, list[tuple[str, dict[str, str], str]]] = {
    "n_pct": [("n", {"en": "n", "zh": "n"}, INTEGER),
              ("pct", {"en": "%", "zh": "%"}, ONE_DECIMAL)],
    "mean_sd": [("mean", {"en": "Mean", "zh": "均数"}, ONE_DECIMAL),
                ("sd", {"en": "SD", "zh": "标准差"}, ONE_DECIMAL)],
    "median_iqr": [("median", {"en": "Median", "zh": "中位数"}, ONE_DECIMAL),
                   ("q1", {"en": "Q1", "zh": "Q1"}, ONE_DECIMAL),
                   ("q3", {"en": "Q3", "zh": "Q3"}, ONE_DECIMAL)],
    "mean_iqr": [("mean", {"en": "Mean", "zh": "均数"}, ONE_DECIMAL),
                 ("q1", {"en": "Q1", "zh": "Q1"}, ONE_DECIMAL),
                 ("q3", {"en": "Q3", "zh": "Q3"}, ONE_DECIMAL)],
}  # fmt: skip
MARK = {"en": "Mark", "zh": "标记"}
EFFECT_PARTS = [("label", {"en": "Effect", "zh": "效应量"}, None),
                ("estimate", {"en": "Estimate", "zh": "估计值"}, TWO_DECIMALS),
                ("low", {"en": "95% CI lower", "zh": "95% CI 下限"}, TWO_DECIMALS),
                ("high", {"en": "95% CI upper", "zh": "95% CI 上限"}, TWO_DECIMALS)]  # fmt: skip
METHODS = {"en": "Methods", "zh": "统计方法"}
METHOD_HEADER = {
    "en": ["Table", "Row", "Test or method", "Code"],
    "zh": ["表格", "行", "检验或方法", "代码"],
}


def text_cell(sheet: Any, value: Any) -> Any:
    """Return a value for ``sheet.append``: text that looks like a formula stays text.

    openpyxl stores a string starting with ``=`` as a formula; this cell keeps the exact
    text and marks it as a string, so nothing runs and nothing is altered.
    """
    if not is_formula(value):
        return value
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    return cell


def safe_row(sheet: Any, row: Any) -> list[Any]:
    return [text_cell(sheet, value) for value in row]


def put(sheet: Any, row: int, column: int, value: Any) -> Any:
    """Set one cell; text that looks like a formula is stored as that text (never run)."""
    cell = sheet.cell(row=row, column=column)
    cell.value = value
    if is_formula(value):
        cell.data_type = "s"
    return cell


@dataclass(frozen=True, slots=True)
class Column:
    """One worksheet column: its header path, where its value comes from, its format."""

    path: tuple[str, ...]
    source: str  # "label", "stat", "mark", "p", "p_other", "text", "effect"
    key: str
    field: str = ""
    number_format: str | None = None


def _marks(text: str) -> str:
    return " ".join(re.findall(r"[*#]+", text))


def sheet_columns(table: dict, language: str) -> list[Column]:
    """Return the worksheet columns of a result table, with their header paths."""
    cols: list[Column] = []
    for c in table["columns"]:
        key, label = c["key"], cell_text(c["label"], language)
        if key == "label":
            cols.append(Column((label,), "label", key))
        elif key in ("p", "p_other"):
            cols.append(Column((label,), key, key, number_format=P_FORMAT))
        elif key == "test":
            cols.append(Column((label,), "text", key))
        elif key in ("effect", "estimate"):
            cols += [Column((label, cell_text(name, language)), "effect", key, part, fmt)
                     for part, name, fmt in EFFECT_PARTS]  # fmt: skip
        else:
            top = (cell_text(c["group"], language), cell_text(c["sub"], language)) \
                if "group" in c else (label,)  # fmt: skip
            kinds = [r["values"][key]["kind"] for r in table["rows"]
                     if isinstance(r.get("values", {}).get(key), dict)]  # fmt: skip
            for kind in STATISTICS:
                if kind in kinds:
                    cols += [Column((*top, cell_text(name, language)), "stat", key, f, fmt)
                             for f, name, fmt in STATISTICS[kind]]  # fmt: skip
            texts = [cell_text(r["cells"].get(key, ""), language) for r in table["rows"]]
            if any(_marks(t) for t in texts):
                cols.append(Column((*top, cell_text(MARK, language)), "mark", key))
            if not kinds:
                cols.append(Column(top, "text", key))
    return cols


def _value(col: Column, row: dict, language: str) -> tuple[Any, str | None]:
    cell = cell_text(row["cells"].get(col.key, ""), language)
    if col.source == "label":
        return cell + (" †" if row.get("disagree") else ""), None
    if col.source == "text":
        return (cell if cell != "—" else None), None
    if col.source == "mark":
        return _marks(cell) or None, None
    if col.source == "p":
        return row.get("p_value"), _p_format(row.get("p_value"))
    if col.source == "p_other":
        return row.get("p_other_value"), _p_format(row.get("p_other_value"))
    if col.source == "effect":
        effect = row.get("effect_value") or {}
        return effect.get(col.field) or (0.0 if effect.get(col.field) == 0 else None), \
            col.number_format  # fmt: skip
    values = (row.get("values") or {}).get(col.key) or {}
    kinds = {f for f, _, _ in STATISTICS.get(values.get("kind", ""), [])}
    return (values.get(col.field) if col.field in kinds else None), col.number_format


def _p_format(p: float | None) -> str:
    return P_FORMAT if p is None or p >= 0.0001 else "0.00E+00"


def _write_header(ws: Any, cols: list[Column], first_row: int) -> int:
    """Write the header paths as merged cells; return the number of header rows."""
    depth = max(len(c.path) for c in cols)
    for level in range(depth):
        row = first_row + level
        j = 0
        while j < len(cols):
            path = cols[j].path
            if level >= len(path):
                j += 1
                continue
            k = j
            while (k + 1 < len(cols) and len(cols[k + 1].path) > level
                   and cols[k + 1].path[: level + 1] == path[: level + 1]):  # fmt: skip
                k += 1
            bottom = row if level < len(path) - 1 else first_row + depth - 1
            cell = put(ws, row, j + 1, path[level])
            cell.font = BOLD
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            if k > j or bottom > row:
                ws.merge_cells(start_row=row, start_column=j + 1, end_row=bottom,
                               end_column=k + 1)  # fmt: skip
            j = k + 1
    for j in range(1, len(cols) + 1):
        ws.cell(row=first_row, column=j).border = Border(top=RULE)
        ws.cell(row=first_row + depth - 1, column=j).border = Border(bottom=RULE)
    return depth


def _table_sheet(wb: Workbook, table: dict, language: str) -> None:
    ws = wb.create_sheet(table["key"][:31])
    put(ws, 1, 1, cell_text(table["title"], language)).font = BOLD
    cols = sheet_columns(table, language)
    depth = _write_header(ws, cols, 2)
    r = 2 + depth
    for row in table["rows"]:
        for j, col in enumerate(cols, start=1):
            value, fmt = _value(col, row, language)
            cell = put(ws, r, j, value)
            if fmt and isinstance(value, int | float):
                cell.number_format = fmt
            if j == 1 and row.get("level"):
                cell.alignment = Alignment(indent=int(row["level"]) * 2)
        r += 1
    for j in range(1, len(cols) + 1):
        ws.cell(row=r - 1, column=j).border = Border(bottom=RULE)
    for note in note_lines(table, language):
        r += 1
        put(ws, r, 1, note)
    ws.freeze_panes = ws.cell(row=2 + depth, column=2)
    ws.column_dimensions["A"].width = 44
    for j, col in enumerate(cols[1:], start=2):
        ws.column_dimensions[get_column_letter(j)].width = 28 if col.source == "text" else 11


def _methods_sheet(wb: Workbook, result: dict, language: str) -> None:
    ws = wb.create_sheet("methods")
    ws.append(METHOD_HEADER["zh" if language.startswith("zh") else "en"])
    for cell in ws[1]:
        cell.font = BOLD
    for table in result["tables"]:
        caption = cell_text(table["title"], language)
        for row in table["rows"]:
            test = cell_text(row["cells"].get("test", ""), language)
            if test:
                label = cell_text(row["cells"].get("label", ""), language)
                ws.append(safe_row(ws, [caption, label, test, row.get("test_code", "")]))
    ws.append([])
    seen: set[str] = set()
    for table in result["tables"]:
        for note in note_lines(table, language):
            if note not in seen and note != cell_text(DISAGREE_NOTE, language):
                seen.add(note)
                ws.append(safe_row(ws, [note]))
    ws.column_dimensions["A"].width = 40
    ws.column_dimensions["B"].width = 44
    ws.column_dimensions["C"].width = 34
    ws.column_dimensions["D"].width = 22


def _number(text: str) -> Any:
    return int(text) if text.isdigit() else text


def render_xlsx(result: dict, meta: dict) -> bytes:
    """Return the workbook bytes of a report result (``meta``: run id, inputs, language)."""
    language = meta.get("language", "en")
    language = "zh" if language.startswith("zh") else "en"
    wb = Workbook()
    ws = wb.active
    ws.title = "inputs"
    for name, value in inputs_rows(meta):
        ws.append(safe_row(ws, [name, _number(value)]))
    ws.column_dimensions["A"].width = 28
    ws.column_dimensions["B"].width = 70
    for table in result["tables"]:
        _table_sheet(wb, table, language)
    _methods_sheet(wb, result, language)
    consort = wb.create_sheet("consort")
    for row in consort_matrix(result["consort"], language):
        consort.append(safe_row(consort, [row[0].strip(), row[1], int(row[2])]))
    consort.column_dimensions["A"].width = 48
    consort.column_dimensions["B"].width = 20
    dictionary = wb.create_sheet("columns")
    dictionary.append(["frame", "name", "dtype", "description"])
    for col in result.get("dictionary", []):
        values = [col["frame"], col["name"], col["dtype"], col["description"]]
        dictionary.append(safe_row(dictionary, values))
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
