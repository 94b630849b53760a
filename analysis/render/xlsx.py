"""The report as an XLSX workbook (openpyxl): inputs, one sheet per table, CONSORT, columns."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font

from analysis.render.text import cell_text, consort_matrix, inputs_rows, table_matrix
from trial.spreadsheet import is_formula

BOLD = Font(bold=True)


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


def _table_sheet(wb: Workbook, table: dict, language: str) -> None:
    ws = wb.create_sheet(table["key"][:31])
    ws.append(safe_row(ws, [cell_text(table["title"], language)]))
    ws["A1"].font = BOLD
    header, rows = table_matrix(table, language)
    ws.append(safe_row(ws, header))
    for cell in ws[2]:
        cell.font = BOLD
        cell.alignment = Alignment(wrap_text=True)
    for row in rows:
        ws.append(safe_row(ws, row))
    ws.append([])
    for note in table.get("notes", []):
        ws.append(safe_row(ws, [cell_text(note, language)]))
    ws.column_dimensions["A"].width = 48
    for letter in "BCDEFGHIJ":
        ws.column_dimensions[letter].width = 22


def render_xlsx(result: dict, meta: dict) -> bytes:
    """Return the workbook bytes of a report result (``meta``: run id, inputs, language)."""
    language = meta.get("language", "en")
    wb = Workbook()
    ws = wb.active
    ws.title = "inputs"
    for name, value in inputs_rows(meta):
        ws.append(safe_row(ws, [name, value]))
    ws.column_dimensions["A"].width = 28
    ws.column_dimensions["B"].width = 70
    for table in result["tables"]:
        _table_sheet(wb, table, language)
    consort = wb.create_sheet("consort")
    for row in consort_matrix(result["consort"], language):
        consort.append(safe_row(consort, row))
    consort.column_dimensions["A"].width = 48
    dictionary = wb.create_sheet("columns")
    dictionary.append(["frame", "name", "dtype", "description"])
    for col in result.get("dictionary", []):
        values = [col["frame"], col["name"], col["dtype"], col["description"]]
        dictionary.append(safe_row(dictionary, values))
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
