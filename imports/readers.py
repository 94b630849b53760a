"""Read an uploaded table (CSV, XLSX or SPSS .sav) from disk in chunks of rows.

No Django here. Every reader streams: a CSV line by line, an XLSX sheet through openpyxl's
read-only mode, a .sav through pyreadstat's chunked reader; the file is never held in
memory whole. Cells come out as text (dates ISO, whole numbers without ``.0``, missing
values empty); a .sav cell with a value label comes out as its label, for the mapping to
turn back into the protocol's code.
"""

import csv
import math
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

FORMATS = ("csv", "xlsx", "sav")
Chunk = list[list[str]]


class UnreadableFile(ValueError):
    """The file is not a readable table of its format (the message says why, in English)."""


def file_format(name: str) -> str | None:
    """Return the format of a file by its extension, or None when it is not one we read."""
    suffix = Path(name).suffix.lower().lstrip(".")
    return suffix if suffix in FORMATS else None


def cell_text(value: Any) -> str:
    """Return one cell as text: '' for missing, ISO dates, whole floats without '.0'."""
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return (
            value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _csv_rows(path: Path) -> Iterator[list[str]]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            for row in csv.reader(handle):
                if any(cell.strip() for cell in row):
                    yield [cell.strip() for cell in row]
    except (UnicodeDecodeError, csv.Error) as exc:
        raise UnreadableFile(f"not UTF-8 CSV: {exc}") from exc


def _xlsx_rows(path: Path) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zipfile, XML and openpyxl errors alike
        raise UnreadableFile(f"not an XLSX workbook: {exc}") from exc
    try:
        for values in book.worksheets[0].iter_rows(values_only=True):
            row = [cell_text(v) for v in values]
            if any(row):
                yield row
    finally:
        book.close()


def _sav_meta(path: Path) -> Any:
    import pyreadstat

    try:
        _frame, meta = pyreadstat.read_sav(str(path), metadataonly=True)
    except Exception as exc:  # pyreadstat.ReadstatError and friends
        raise UnreadableFile(f"not an SPSS .sav file: {exc}") from exc
    return meta


def _sav_cell(value: Any, labels: dict[Any, str] | None) -> str:
    if labels and value in labels:
        return str(labels[value])
    return cell_text(value)


def _sav_rows(path: Path, chunk_size: int) -> Iterator[list[str]]:
    import pyreadstat

    meta = _sav_meta(path)
    yield list(meta.column_names)
    labels = [meta.variable_value_labels.get(name) for name in meta.column_names]
    chunks = pyreadstat.read_file_in_chunks(pyreadstat.read_sav, str(path), chunksize=chunk_size)
    for frame, _meta in chunks:
        for values in frame.itertuples(index=False, name=None):
            yield [_sav_cell(v, labels[i]) for i, v in enumerate(values)]


def table_rows(path: Path, fmt: str, chunk_size: int = 1000) -> Iterator[list[str]]:
    """Yield the header, then each data row (blank rows skipped), cells as text."""
    if fmt == "csv":
        return _csv_rows(path)
    if fmt == "xlsx":
        return _xlsx_rows(path)
    if fmt == "sav":
        return _sav_rows(path, chunk_size)
    raise UnreadableFile(f"unknown format {fmt!r}")


def read_header(path: Path, fmt: str) -> list[str]:
    """Return the column names (the first row); raise ``UnreadableFile`` if there is none."""
    rows = table_rows(path, fmt)
    header = next(rows, None)
    if hasattr(rows, "close"):
        rows.close()
    if not header or not any(header):
        raise UnreadableFile("the file has no header row")
    return header


def iter_chunks(path: Path, fmt: str, size: int = 1000) -> Iterator[tuple[int, Chunk]]:
    """Yield ``(first_line, rows)`` chunks of at most ``size`` data rows after the header.

    ``first_line`` is the 1-based row number of the chunk's first row in the file (the header
    is row 1), for messages that point at a row.
    """
    rows = table_rows(path, fmt, chunk_size=size)
    header = next(rows, None) or []
    width = len(header)
    chunk: Chunk = []
    line = 2
    for row in rows:
        chunk.append((row + [""] * width)[:width])
        if len(chunk) == size:
            yield line, chunk
            line += size
            chunk = []
    if chunk:
        yield line, chunk
