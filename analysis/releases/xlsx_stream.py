"""A streamed XLSX (Office Open XML spreadsheet) of plain typed cells, built column by column.

The release workbook is large (one cell per value of every frame) and needs no styling, so
its worksheets are written here as SpreadsheetML text: each column is turned into its cells'
XML at once (numbers ``<v>``, booleans ``t="b"``, text as inline strings ``t="inlineStr"``,
never a formula), the rows are joined from those, and everything is deflated straight into
the zip a few thousand rows at a time. A missing value or an empty text is no cell.

The package holds only the parts a spreadsheet needs (content types, relationships,
workbook, a minimal style sheet, the worksheets).
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

CHUNK_ROWS = 5000
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"
_OFFICE = "application/vnd.openxmlformats-officedocument"
_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_STYLES = (
    f'{_XML_HEAD}<styleSheet xmlns="{_MAIN}">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
# Characters XML 1.0 cannot hold are written as OOXML ``_xHHHH_`` escapes (as XlsxWriter does).
# A carriage return is kept as a character reference (a parser would make it a line feed).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_TO_ESCAPE = re.compile("[&<>\r]")
_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"}


def column_letters(index: int) -> str:
    """``0 -> A``, ``25 -> Z``, ``26 -> AA``."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _escape(text: str) -> str:
    if _TO_ESCAPE.search(text):
        text = _TO_ESCAPE.sub(lambda m: _ESCAPES[m.group()], text)
    if _NOT_XML.search(text):
        text = _NOT_XML.sub(lambda m: f"_x{ord(m.group()):04X}_", text)
    return text


def _text_cell(ref: str, text: str) -> str:
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    return f'<c r="{ref}" t="inlineStr"><is><t{space}>{_escape(text)}</t></is></c>'


def _cell(ref: str, value: Any) -> str:
    """One cell of any value (``""`` for none): the general case of :func:`_column_cells`."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    kind = value.__class__
    if kind is str:
        return _text_cell(ref, value) if value else ""
    if kind is float:
        return f'<c r="{ref}"><v>{value!r}</v></c>' if value == value and abs(value) != _INF else ""
    if kind is bool:
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if kind is int:
        return f'<c r="{ref}"><v>{value}</v></c>'
    if hasattr(value, "item"):  # a NumPy scalar
        return _cell(ref, value.item())
    if isinstance(value, bool):
        return _cell(ref, bool(value))
    if isinstance(value, int | float):
        return _cell(ref, float(value) if isinstance(value, float) else int(value))
    if isinstance(value, dt.date):
        return _text_cell(ref, value.isoformat())
    return _cell(ref, str(value))


_INF = float("inf")


def _column_cells(column: pd.Series, letter: str, rows: Sequence[int]) -> list[str]:
    """One column's cells as XML, worked out for the whole column (``""``: no cell)."""
    values = column.tolist()
    if (
        isinstance(column.dtype, np.dtype) and column.dtype.kind == "f"
    ):  # numbers: NaN (v != v) and infinities are no cell
        return [
            f'<c r="{letter}{r}"><v>{v!r}</v></c>' if v == v and abs(v) != _INF else ""
            for r, v in zip(rows, values, strict=True)
        ]
    numpy = isinstance(column.dtype, np.dtype)  # no missing value possible (not Int64 etc.)
    if numpy and column.dtype.kind in "iu":
        return [f'<c r="{letter}{r}"><v>{v}</v></c>' for r, v in zip(rows, values, strict=True)]
    if numpy and column.dtype.kind == "b":
        return [
            f'<c r="{letter}{r}" t="b"><v>{int(v)}</v></c>'
            for r, v in zip(rows, values, strict=True)
        ]
    return [_cell(f"{letter}{r}", v) for r, v in zip(rows, values, strict=True)]


def _frame_rows(frame: pd.DataFrame, first_row: int) -> Iterable[str]:
    """The frame's rows as ``<row>`` XML, ``CHUNK_ROWS`` rows per string."""
    letters = [column_letters(i) for i in range(len(frame.columns))]
    for start in range(0, len(frame), CHUNK_ROWS):
        part = frame.iloc[start : start + CHUNK_ROWS]
        rows = range(first_row + start, first_row + start + len(part))
        cells = [_column_cells(part.iloc[:, i], letters[i], rows) for i in range(len(part.columns))]
        yield "".join(
            f'<row r="{r}">{"".join(row)}</row>'
            for r, row in zip(rows, zip(*cells, strict=True), strict=True)
        )


def _list_rows(rows: Iterable[Sequence[Any]], first_row: int) -> Iterable[str]:
    for r, row in enumerate(rows, start=first_row):
        cells = "".join(_cell(f"{column_letters(c)}{r}", v) for c, v in enumerate(row))
        yield f'<row r="{r}">{cells}</row>'


Sheet = tuple[str, pd.DataFrame | Iterable[Sequence[Any]]]


def write_workbook(sheets: Sequence[Sheet], path: Path) -> None:
    """Write ``sheets`` (name, then a frame with its header row, or rows) as an XLSX file."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for i, (_name, content) in enumerate(sheets, start=1):
            with zf.open(f"xl/worksheets/sheet{i}.xml", "w", force_zip64=True) as raw:
                write = raw.write
                write(
                    f'{_XML_HEAD}<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}"><sheetData>'.encode()
                )
                if isinstance(content, pd.DataFrame):
                    write(next(_list_rows([[str(c) for c in content.columns]], 1)).encode())
                    chunks = _frame_rows(content, 2)
                else:
                    chunks = _list_rows(content, 1)
                for chunk in chunks:
                    write(chunk.encode())
                write(b"</sheetData></worksheet>")
        names = [name for name, _ in sheets]
        zf.writestr("[Content_Types].xml", _content_types(len(names)))
        zf.writestr("_rels/.rels", f'{_XML_HEAD}<Relationships xmlns="{_PKG_REL}">'
                    f'<Relationship Id="rId1" Type="{_REL}/officeDocument" '
                    'Target="xl/workbook.xml"/></Relationships>')  # fmt: skip
        zf.writestr("xl/workbook.xml", _workbook(names))
        zf.writestr("xl/_rels/workbook.xml.rels", _workbook_rels(len(names)))
        zf.writestr("xl/styles.xml", _STYLES)


def _attr(text: str) -> str:
    return _escape(text).replace('"', "&quot;")


def _workbook(names: Sequence[str]) -> str:
    sheets = "".join(
        f'<sheet name="{_attr(name)}" sheetId="{i}" r:id="rId{i}"/>'
        for i, name in enumerate(names, start=1)
    )
    head = f'{_XML_HEAD}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}">'
    return f"{head}<sheets>{sheets}</sheets></workbook>"


def _workbook_rels(n: int) -> str:
    sheets = "".join(
        f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, n + 1)
    )
    styles = f'<Relationship Id="rId{n + 1}" Type="{_REL}/styles" Target="styles.xml"/>'
    return f'{_XML_HEAD}<Relationships xmlns="{_PKG_REL}">{sheets}{styles}</Relationships>'


def _content_types(n: int) -> str:
    sheets = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
        f'ContentType="{_OFFICE}.spreadsheetml.worksheet+xml"/>'
        for i in range(1, n + 1)
    )
    return (
        f'{_XML_HEAD}<Types xmlns="{_TYPES}">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_OFFICE}.spreadsheetml.sheet.'
        f'main+xml"/>{sheets}<Override PartName="/xl/styles.xml" '
        f'ContentType="{_OFFICE}.spreadsheetml.styles+xml"/></Types>'
    )
