"""Writers of the release files: CSV, XLSX, SPSS .sav, Stata .dta, an R reader, codebook
and README.

Memory stays bounded by the frames the dataset builder already holds: CSVs are written in
chunks of ``CHUNK_ROWS`` rows, the XLSX a few thousand rows at a time
(``analysis.releases.xlsx_stream``), and nothing is ever assembled as one big string or byte buffer.

SPSS and Stata get formats that match the data (:func:`variable_formats`): codes ``F1.0``
/ ``F2.0`` (``%1.0f``), numbers with as many decimals as the values have (at most
``MAX_DECIMALS``), dates as dates (``DATE11`` / ``%td``), strings as wide as their longest
value; SPSS also gets the measurement level of every variable (nominal, ordinal, scale) from
the column definitions (``analysis.datasets.columns``).
"""

from __future__ import annotations

import csv
import datetime as dt
import html
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyreadstat

from analysis.releases.frames import ReleaseFrames, Variable
from analysis.releases.xlsx_stream import write_workbook
from trial.spreadsheet import spreadsheet_safe

CHUNK_ROWS = 5000
FLOAT_FORMAT = "%.10g"
SPSS_LABEL_MAX, STATA_LABEL_MAX = 256, 80
MAX_DECIMALS = 3  # display decimals of a number whose values need more (derived scores)
R_SCRIPT = "read_release.R"


def safe_text_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Return the frame with formula-like text neutralised; numeric columns are untouched."""
    text = [
        c
        for c in frame.columns
        if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c])
    ]
    if not text:
        return frame
    out = frame.copy(deep=False)  # copy-on-write: only replaced columns are new
    for column in text:
        out[column] = out[column].map(spreadsheet_safe, na_action="ignore")
    return out


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write the frame as UTF-8 CSV (``\\n`` line ends, ``%.10g`` floats) chunk by chunk.

    The bytes of ``frame.to_csv(index=False, lineterminator="\\n", float_format="%.10g")``
    with formula-like text neutralised (``trial.spreadsheet``), made faster: each column is
    formatted to text at once (:func:`csv_texts`) and the rows go through the C ``csv``
    writer that pandas uses too (same minimal quoting).
    """
    with path.open("w", encoding="utf-8", newline="") as fh:
        if frame.empty:
            frame.to_csv(fh, index=False, lineterminator="\n")
            return
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow([str(c) for c in frame.columns])
        for start in range(0, len(frame), CHUNK_ROWS):
            part = frame.iloc[start : start + CHUNK_ROWS]
            writer.writerows(zip(*(csv_texts(part[c]) for c in part.columns), strict=True))


def csv_texts(column: pd.Series) -> list[str]:
    """One column as the texts of its CSV fields: floats ``%.10g``, missing values empty,
    formula-like text neutralised (``spreadsheet_safe``), anything else ``str``."""
    values = column.tolist()
    if column.dtype.kind == "f":
        return ["" if v != v else FLOAT_FORMAT % v for v in values]
    safe = spreadsheet_safe
    return [
        safe(v) if v.__class__ is str
        else "" if v is None or v is pd.NA or (v.__class__ is float and v != v) else str(v)
        for v in values
    ]  # fmt: skip


def write_xlsx(release: ReleaseFrames, path: Path) -> None:
    """Write one sheet per frame plus the codebook, streamed column by column
    (``analysis.releases.xlsx_stream``).

    Text is always written as text (never turned into a formula, number or link); a
    missing value or an empty text is an empty cell.
    """
    sheets = [*release.frames.items(), ("codebook", codebook_rows(release))]
    write_workbook(sheets, path)


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


def _as_date(value: Any) -> dt.date | None:
    if value is None or value is pd.NA or value is pd.NaT or value == "":
        return None
    if isinstance(value, float) and pd.isna(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def labelled_frame(
    frame: pd.DataFrame, variables: Iterable[Variable]
) -> tuple[pd.DataFrame, dict[str, dict[int, str]]]:
    """Return the frame with coded columns as numbers and their value labels."""
    out, labels = frame.copy(deep=False), {}  # copy-on-write
    for var in variables:
        if var.name not in out.columns:
            continue
        if var.codes:
            numbers = _numeric_codes(var)
            names = dict(var.codes)
            for value in out[var.name].dropna().unique():  # a value without a code keeps
                key = str(int(bool(value))) if var.dtype == "bool" else str(value)
                if key not in numbers:  # its own: never dropped, labelled with itself
                    numbers[key], names[key] = max(numbers.values(), default=0) + 1, key
            out[var.name] = [_encode(v, var, numbers) for v in out[var.name]]
            labels[var.name] = {numbers[code]: label for code, label in names.items()}
        elif var.dtype == "date":
            out[var.name] = pd.Series([_as_date(v) for v in out[var.name]], index=out.index,
                                      dtype=object)  # fmt: skip
        elif var.dtype in ("str", "list"):
            out[var.name] = [("" if v is None or v is pd.NA else str(v)) for v in out[var.name]]
            out[var.name] = out[var.name].astype(object)
    return out, labels


def _column_labels(frame: pd.DataFrame, variables: Iterable[Variable], limit: int) -> list[str]:
    by_name = {v.name: v.label for v in variables}
    return [by_name.get(c, c)[:limit] for c in frame.columns]


def _decimals(values: np.ndarray) -> int:
    """The fewest decimals (≤ ``MAX_DECIMALS``) that show every value exactly."""
    for decimals in range(MAX_DECIMALS):
        if np.all(np.abs(np.round(values, decimals) - values) <= 1e-9 * np.maximum(1, abs(values))):
            return decimals
    return MAX_DECIMALS


def _number_format(column: pd.Series) -> tuple[int, int]:
    """(width, decimals) of a numeric column, sized to its values."""
    values = pd.to_numeric(column, errors="coerce").to_numpy(float)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return 8, 2  # nothing to size by: SPSS's default
    decimals = _decimals(values)
    digits = len(str(int(np.floor(np.abs(values).max()))))
    width = digits + (decimals + 1 if decimals else 0) + int(bool((values < 0).any()))
    return min(width, 40), decimals


def _text_width(column: pd.Series) -> int:
    return max([1, *(len(str(v).encode("utf-8")) for v in column if isinstance(v, str))])


def variable_formats(
    coded: pd.DataFrame, variables: Iterable[Variable], value_labels: dict[str, dict[int, str]]
) -> dict[str, tuple[str, str, int]]:
    """Return ``name -> (SPSS format, Stata format, display width)`` for a coded frame.

    Codes: ``F<w>.0`` with w the digits of the largest code (F1.0 up to 9 codes, F2.0 up
    to 99); numbers: width and decimals from the values; dates: ``DATE11`` / ``%td``;
    text: ``A<bytes of the longest value>`` / ``%-<n>s``.
    """
    dtypes = {v.name: v.dtype for v in variables}
    out = {}
    for name in coded.columns:
        dtype = dtypes.get(name, "str")
        if name in value_labels:
            width = len(str(max(value_labels[name], default=1)))
            out[name] = (f"F{width}.0", f"%{width}.0f", max(width, 3))
        elif dtype == "date":
            out[name] = ("DATE11", "%td", 11)
        elif dtype in ("float", "int") or pd.api.types.is_numeric_dtype(coded[name]):
            width, decimals = _number_format(coded[name])
            out[name] = (f"F{width}.{decimals}", f"%{width}.{decimals}f", max(width, 3))
        else:
            width = _text_width(coded[name])
            out[name] = (f"A{width}", f"%-{min(width, 2045)}s", min(max(width, 3), 40))
    return out


def write_sav(frame: pd.DataFrame, variables: tuple[Variable, ...], path: Path) -> None:
    """Write an SPSS .sav with variable and value labels, formats and measurement levels."""
    coded, value_labels = labelled_frame(frame, variables)
    formats = variable_formats(coded, variables, value_labels)
    levels = {v.name: v.level for v in variables if v.name in coded.columns}
    pyreadstat.write_sav(
        coded,
        str(path),
        column_labels=_column_labels(coded, variables, SPSS_LABEL_MAX),
        variable_value_labels=value_labels,
        variable_format={name: f[0] for name, f in formats.items()},
        variable_display_width={name: f[2] for name, f in formats.items()},
        variable_measure={name: levels.get(name, "nominal") for name in coded.columns},
    )


def write_dta(frame: pd.DataFrame, variables: tuple[Variable, ...], path: Path) -> None:
    """Write a Stata .dta (version 15) with variable and value labels and display formats."""
    coded, value_labels = labelled_frame(frame, variables)
    formats = variable_formats(coded, variables, value_labels)
    pyreadstat.write_dta(
        coded,
        str(path),
        column_labels=_column_labels(coded, variables, STATA_LABEL_MAX),
        variable_value_labels=value_labels,
        variable_format={name: f[1] for name, f in formats.items()},
        version=15,
    )


PARQUET_TYPES = {"float": "float64", "bool": "int8", "date": "date32"}  # others: string


def _parquet_column(column: pd.Series, dtype: str) -> Any:
    import pyarrow as pa

    if dtype == "float":
        return pa.array(pd.to_numeric(column, errors="coerce"), type=pa.float64(), from_pandas=True)
    if dtype == "bool":  # released as 1/0 (coded, labelled Yes/No)
        values = pd.to_numeric(column, errors="coerce").astype("Int8")
        return pa.array(values, type=pa.int8(), from_pandas=True)
    if dtype == "date":
        return pa.array([_as_date(v) for v in column], type=pa.date32())
    return pa.array([None if _missing_text(v) else str(v) for v in column], type=pa.string())


def _missing_text(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value))


def parquet_field_metadata(var: Variable) -> dict[bytes, bytes]:
    """The dictionary's facts about one column, as Parquet field metadata (UTF-8 JSON)."""
    import json

    facts = {"label": var.label, "level": var.level, "type": var.dtype,
             "values": [list(c) for c in var.codes],
             "values_zh": [list(c) for c in var.codes_zh]}  # fmt: skip
    return {
        k.encode(): (v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)).encode()
        for k, v in facts.items()
    }


def write_parquet(frame: pd.DataFrame, variables: tuple[Variable, ...], path: Path) -> None:
    """Write the frame as Parquet: typed columns (numbers, 1/0 codes, dates, text) carrying
    the dictionary's variable label, measurement level and value labels as field metadata.

    Coded text columns keep their CSV codes (the labels are in the metadata); the column
    labels are also in the schema metadata under ``edc.labels`` for readers that drop field
    metadata.
    """
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    by_name = {v.name: v for v in variables}
    fields, arrays = [], []
    for name in frame.columns:
        var = by_name.get(name, Variable("", name, "str", name))
        array = _parquet_column(frame[name], var.dtype)
        fields.append(pa.field(name, array.type, metadata=parquet_field_metadata(var)))
        arrays.append(array)
    labels = {name: by_name[name].label for name in frame.columns if name in by_name}
    about = {b"edc.labels": json.dumps(labels, ensure_ascii=False).encode()}
    schema = pa.schema(fields, metadata=about)
    pq.write_table(pa.Table.from_arrays(arrays, schema=schema), str(path), compression="zstd")


CODEBOOK_HEADER = ["frame", "variable", "type", "label", "values", "n_present", "n_missing",
                   "level", "values_zh"]  # fmt: skip


def _values_text(codes: tuple[tuple[str, str], ...]) -> str:
    return "; ".join(f"{code}={label}" for code, label in codes)


def codebook_rows(release: ReleaseFrames) -> list[list[Any]]:
    """Return the codebook as rows (header first): one row per variable of every frame."""
    rows: list[list[Any]] = [CODEBOOK_HEADER]
    for var in release.variables:
        column = release.frames[var.frame][var.name]
        present = int(column.notna().sum())
        rows.append([var.frame, var.name, var.dtype, var.label, _values_text(var.codes), present,
                     len(column) - present, var.level, _values_text(var.codes_zh)])  # fmt: skip
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
              "Formats", "-------",
              "  *.csv   UTF-8 text; codes as in codebook.csv (values / values_zh columns).",
              "  *.sav   SPSS: value labels, formats and measurement levels.",
              "  *.dta   Stata 15: value labels and display formats.",
              "  *.parquet   Apache Parquet: typed columns; variable and value labels in the"
              " field metadata.",
              f"  {R_SCRIPT}   R without packages: source it, then read_release().", "",
              "Verify", "------",
              "  sha256sum -c manifest-sha256.txt   (run inside this folder)",
              "  manifest.json lists the same checksums with file sizes.", ""]  # fmt: skip
    path.write_text("\n".join(lines), encoding="utf-8")


def _r_string(text: str) -> str:
    """An R string literal, ASCII only (non-ASCII as \\u escapes, so any locale reads it)."""
    out = []
    for ch in text:
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ord(ch) < 128:
            out.append(ch)
        elif ord(ch) <= 0xFFFF:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    return '"' + "".join(out) + '"'


def _r_vector(items: Iterable[str]) -> str:
    return "c(" + ", ".join(_r_string(i) for i in items) + ")"


_R_TYPES = {"float": "numeric", "date": "Date"}

_R_READER = """
.release_folder <- tryCatch(dirname(sys.frame(1)$ofile), error = function(e) ".")

read_release_frame <- function(frame, folder = .release_folder, language = c("en", "zh")) {
  language <- match.arg(language)
  spec <- release_spec[[frame]]
  classes <- vapply(spec, function(v) if (v$type == "numeric") "numeric" else "character", "")
  data <- utils::read.csv(file.path(folder, paste0(frame, ".csv")), colClasses = classes,
    na.strings = "", encoding = "UTF-8", check.names = FALSE, stringsAsFactors = FALSE)
  for (name in intersect(names(spec), names(data))) {
    v <- spec[[name]]
    x <- data[[name]]
    if (length(v$codes)) {
      labels <- if (language == "zh") v$labels_zh else v$labels
      x <- factor(x, levels = v$codes, labels = labels, ordered = v$level == "ordinal")
    } else if (v$type == "Date") {
      x <- as.Date(x)
    }
    attr(x, "label") <- v$label
    attr(x, "measure") <- v$level
    data[[name]] <- x
  }
  data
}

read_release <- function(folder = .release_folder, language = c("en", "zh")) {
  frames <- names(release_spec)
  present <- frames[file.exists(file.path(folder, paste0(frames, ".csv")))]
  stats::setNames(lapply(present, read_release_frame, folder = folder, language = language),
    present)
}
"""


def write_r_script(release: ReleaseFrames, title: str, path: Path) -> None:
    """Write ``read_release.R``: base R that reads the CSVs with types and labels.

    For R users without haven: ``source("read_release.R"); d <- read_release()`` returns one
    data frame per CSV; coded columns become factors (ordered for ordinal variables) with
    the value labels in English or Chinese (``language = "zh"``), numbers numeric, dates
    ``Date``, and every column carries its variable label (``attr(x, "label")``) and
    measurement level (``attr(x, "measure")``).
    """
    lines = [
        f"# {title}: read the CSV files of this release in R with types and labels.",
        "# Base R only (no packages). Usage, with this folder as the working directory:",
        '#   source("read_release.R"); d <- read_release()      # d$wide, d$long, d$screening',
        '#   read_release(language = "zh")                      # Chinese value labels',
        '#   attr(d$wide$arm, "label"); attr(d$long$visit, "measure")',
        "# Coded columns become factors (ordered when ordinal), numbers numeric, dates Date.",
        "",
        "release_spec <- list(",
    ]
    frames = []
    for frame in release.frames:
        entries = []
        for var in release.variables_of(frame):
            codes = [c for c, _ in var.codes]
            zh = dict(var.codes_zh)
            fields = [
                f"type = {_r_string(_R_TYPES.get(var.dtype, 'character'))}",
                f"label = {_r_string(var.label)}",
                f"level = {_r_string(var.level)}",
                f"codes = {_r_vector(codes)}",
                f"labels = {_r_vector(label for _, label in var.codes)}",
                f"labels_zh = {_r_vector(zh.get(c, label) for c, label in var.codes)}",
            ]
            entries.append(f"    {_r_string(var.name)} = list({', '.join(fields)})")
        frames.append(f"  {frame} = list(\n" + ",\n".join(entries) + "\n  )")
    lines.append(",\n".join(frames))
    lines.append(")")
    path.write_text("\n".join(lines) + "\n" + _R_READER, encoding="utf-8")
