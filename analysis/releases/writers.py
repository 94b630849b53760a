"""Writers of the release files: CSV, XLSX, SPSS .sav, Stata .dta, codebook and README.

Memory stays bounded by the frames the dataset builder already holds: CSVs are written in
chunks of ``CHUNK_ROWS`` rows, the XLSX row by row with XlsxWriter's constant-memory mode,
and nothing is ever assembled as one big string or byte buffer.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
from collections.abc import Iterable
from itertools import chain
from pathlib import Path
from typing import Any

import pandas as pd
import pyreadstat
import xlsxwriter

from analysis.releases.frames import ReleaseFrames, Variable
from trial.spreadsheet import spreadsheet_safe

CHUNK_ROWS = 5000
FLOAT_FORMAT = "%.10g"
SPSS_LABEL_MAX, STATA_LABEL_MAX = 256, 80


def safe_text_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Return the frame with formula-like text neutralised; numeric columns are untouched."""
    text = [
        c
        for c in frame.columns
        if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c])
    ]
    if not text:
        return frame
    out = frame.copy()
    for column in text:
        out[column] = out[column].map(spreadsheet_safe, na_action="ignore")
    return out


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write the frame as UTF-8 CSV (``\\n`` line ends, ``%.10g`` floats) chunk by chunk.

    Text a spreadsheet would run as a formula is neutralised (``trial.spreadsheet``).
    """
    with path.open("w", encoding="utf-8", newline="") as fh:
        if frame.empty:
            frame.to_csv(fh, index=False, lineterminator="\n")
            return
        for start in range(0, len(frame), CHUNK_ROWS):
            safe_text_columns(frame.iloc[start : start + CHUNK_ROWS]).to_csv(
                fh, index=False, header=start == 0, lineterminator="\n", float_format=FLOAT_FORMAT
            )


def _cell(value: Any) -> Any:
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def write_xlsx(release: ReleaseFrames, path: Path) -> None:
    """Write one sheet per frame plus the codebook, streaming rows (constant memory).

    Text is always written as text (never turned into a formula, number or link); a
    missing value or an empty text is an empty cell.
    """
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    try:
        for name, frame in release.frames.items():
            _sheet(book, name, chain([list(frame.columns)], _python_rows(frame)))
        _sheet(book, "codebook", codebook_rows(release))
    finally:
        book.close()


def _python_rows(frame: pd.DataFrame) -> Iterable[tuple[Any, ...]]:
    """The frame's rows as tuples of Python values, ``CHUNK_ROWS`` rows at a time."""
    for start in range(0, len(frame), CHUNK_ROWS):
        part = frame.iloc[start : start + CHUNK_ROWS]
        yield from zip(*(part[c].tolist() for c in part.columns), strict=True)


def _sheet(book: Any, name: str, rows: Iterable[Iterable[Any]]) -> None:
    sheet = book.add_worksheet(name)
    number, text, boolean = sheet.write_number, sheet.write_string, sheet.write_boolean
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            kind = type(value)
            if kind is str:
                if value:
                    text(r, c, value)
            elif kind is float:
                if value == value:  # NaN is missing
                    number(r, c, value)
            elif kind is bool:
                boolean(r, c, value)
            elif kind is int:
                number(r, c, value)
            elif value is not None:
                value = _cell(value)
                if value is None or value == "":
                    continue
                if isinstance(value, bool):
                    boolean(r, c, value)
                elif isinstance(value, int | float):
                    number(r, c, value)
                else:
                    text(r, c, value.isoformat() if isinstance(value, dt.date) else str(value))


def _numeric_codes(var: Variable) -> dict[str, int]:
    """Map a variable's CSV codes to the integers stored in .sav/.dta (booleans: 1/0)."""
    if var.dtype == "bool":
        return {"1": 1, "0": 0}
    return {code: i + 1 for i, (code, _label) in enumerate(var.codes)}


def _encode(value: Any, var: Variable, numbers: dict[str, int]) -> float:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return float("nan")
    key = str(int(bool(value))) if var.dtype == "bool" else str(value)
    return float(numbers[key]) if key in numbers else float("nan")


def labelled_frame(
    frame: pd.DataFrame, variables: Iterable[Variable]
) -> tuple[pd.DataFrame, dict[str, dict[int, str]]]:
    """Return the frame with coded columns as numbers and their value labels."""
    out, labels = frame.copy(), {}
    for var in variables:
        if var.name not in out.columns:
            continue
        if var.codes:
            numbers = _numeric_codes(var)
            out[var.name] = [_encode(v, var, numbers) for v in out[var.name]]
            labels[var.name] = {numbers[code]: label for code, label in var.codes}
        elif var.dtype in ("str", "list"):
            out[var.name] = [("" if v is None or v is pd.NA else str(v)) for v in out[var.name]]
            out[var.name] = out[var.name].astype(object)
    return out, labels


def _column_labels(frame: pd.DataFrame, variables: Iterable[Variable], limit: int) -> list[str]:
    by_name = {v.name: v.label for v in variables}
    return [by_name.get(c, c)[:limit] for c in frame.columns]


def write_sav(frame: pd.DataFrame, variables: tuple[Variable, ...], path: Path) -> None:
    """Write an SPSS .sav with variable labels and value labels."""
    coded, value_labels = labelled_frame(frame, variables)
    pyreadstat.write_sav(
        coded,
        str(path),
        column_labels=_column_labels(coded, variables, SPSS_LABEL_MAX),
        variable_value_labels=value_labels,
    )


def write_dta(frame: pd.DataFrame, variables: tuple[Variable, ...], path: Path) -> None:
    """Write a Stata .dta (version 15) with variable labels and value labels."""
    coded, value_labels = labelled_frame(frame, variables)
    pyreadstat.write_dta(
        coded,
        str(path),
        column_labels=_column_labels(coded, variables, STATA_LABEL_MAX),
        variable_value_labels=value_labels,
        version=15,
    )


CODEBOOK_HEADER = ["frame", "variable", "type", "label", "values", "n_present", "n_missing"]


def _values_text(var: Variable) -> str:
    return "; ".join(f"{code}={label}" for code, label in var.codes)


def codebook_rows(release: ReleaseFrames) -> list[list[Any]]:
    """Return the codebook as rows (header first): one row per variable of every frame."""
    rows: list[list[Any]] = [CODEBOOK_HEADER]
    for var in release.variables:
        column = release.frames[var.frame][var.name]
        present = int(column.notna().sum())
        rows.append([var.frame, var.name, var.dtype, var.label, _values_text(var), present,
                     len(column) - present])  # fmt: skip
    return rows


def write_codebook_csv(release: ReleaseFrames, path: Path) -> None:
    """Write the codebook as CSV."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        rows = ([spreadsheet_safe(v) for v in row] for row in codebook_rows(release))
        csv.writer(fh, lineterminator="\n").writerows(rows)


def write_codebook_html(release: ReleaseFrames, title: str, path: Path) -> None:
    """Write the codebook as a self-contained HTML page, one table per frame."""
    rows = codebook_rows(release)
    esc = html.escape
    with path.open("w", encoding="utf-8") as fh:
        fh.write(f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
                 f"<title>{esc(title)}</title></head><body>\n<h1>{esc(title)}</h1>\n")  # fmt: skip
        for frame in release.frames:
            fh.write(f'<h2 id="{esc(frame)}">{esc(frame)}</h2>\n<table border="1">\n<tr>')
            fh.write("".join(f"<th>{esc(h)}</th>" for h in CODEBOOK_HEADER[1:]) + "</tr>\n")
            for row in rows[1:]:
                if row[0] == frame:
                    fh.write("<tr>" + "".join(f"<td>{esc(str(c))}</td>" for c in row[1:]))
                    fh.write("</tr>\n")
            fh.write("</table>\n")
        fh.write("</body></html>\n")


def write_readme(meta: dict[str, Any], files: list[str], path: Path) -> None:
    """Write README.txt: the cut, the variant, the files and how to verify the manifest."""
    lines = [
        f"{meta['title']}",
        "=" * len(meta["title"]),
        "",
        f"Protocol:        {meta['protocol']} (version {meta['protocol_version']})",
        f"Release version: {meta['version']} ({meta['variant']} variant)",
        f"Kind:            {meta['kind']}",
        f"Cut at:          {meta['cut_at']}",
        f"Reason:          {meta['reason']}",
        f"Population:      {meta['population']} (n = {meta['n']})",
        f"Data checksum:   {meta['data_checksum']} (SHA-256 of the canonical wide+long CSV)",
        "",
        "This release is immutable: a later data cut is a new version.",
        "It holds no identifying data (names, phone numbers, hospital numbers).",
    ]
    if meta["variant"] == "blinded":
        lines.append("Arms are masked as A/B; columns that could reveal the arm are removed.")
    lines += ["", "Files", "-----", *(f"  {name}" for name in files), "",
              "Verify", "------",
              "  sha256sum -c manifest-sha256.txt   (run inside this folder)",
              "  manifest.json lists the same checksums with file sizes.", ""]  # fmt: skip
    path.write_text("\n".join(lines), encoding="utf-8")
