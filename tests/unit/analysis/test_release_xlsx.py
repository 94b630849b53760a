"""The release workbook: one sheet per frame and the codebook; values keep their types."""

import math

import openpyxl
import pandas as pd
import pytest

from analysis.releases.frames import ReleaseFrames, Variable
from analysis.releases.writers import write_xlsx


@pytest.mark.requirement("EXP-007")
def test_workbook_keeps_values_and_never_makes_formulas(tmp_path) -> None:
    wide = pd.DataFrame({
        "participant_id": ["S01-0001", "S01-0002", "S01-0003"],
        "arm": ["S", None, "P"],
        "note": ["=HYPERLINK(\"http://x\")", "", "+1"],
        "vas": [1.5, math.nan, 10.0],
        "per_protocol": [True, False, None],
        "count": pd.Series([3, 0, 7], dtype="int64"),
    })  # fmt: skip
    variables = tuple(Variable("wide", c, "str", c.title()) for c in wide.columns)
    path = tmp_path / "dataset.xlsx"
    write_xlsx(ReleaseFrames("unblinded", {"wide": wide}, variables), path)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["wide", "codebook"]
    rows = list(book["wide"].iter_rows(values_only=True))
    assert rows[0] == tuple(wide.columns)
    assert rows[1] == ("S01-0001", "S", '=HYPERLINK("http://x")', 1.5, True, 3)
    assert rows[2] == ("S01-0002", None, None, None, False, 0)  # missing, empty: empty cells
    assert rows[3] == ("S01-0003", "P", "+1", 10, None, 7)
    assert book["wide"]["C2"].data_type == "s"  # text, not a formula
    codebook = list(book["codebook"].iter_rows(values_only=True))
    assert codebook[0][:3] == ("frame", "variable", "type")
    assert codebook[4][1] == "vas"
    assert codebook[4][5:7] == (2, 1)  # present, missing


@pytest.mark.requirement("EXP-007")
def test_workbook_keeps_every_text_exactly_across_chunks(tmp_path, monkeypatch) -> None:
    from analysis.releases import xlsx_stream

    # given text XML must escape or keep (spaces, markup, line ends, a control character),
    # over more rows than one written chunk
    monkeypatch.setattr(xlsx_stream, "CHUNK_ROWS", 2)
    texts = [" lead and trail ", 'a & <b> "c"', "line\nbreak\r", "bell\x07", "中文", "=1+1"]
    wide = pd.DataFrame({"participant_id": [f"S01-{i:04d}" for i in range(len(texts))],
                         "note": texts, "n": range(len(texts)),
                         "x": [0.1, 2 / 3, 1e-7, 123456789012.5, -0.0, math.nan]})  # fmt: skip
    variables = tuple(Variable("wide", c, "str", c) for c in wide.columns)
    path = tmp_path / "dataset.xlsx"
    # when the workbook is written
    write_xlsx(ReleaseFrames("unblinded", {"wide": wide}, variables), path)
    # then every value reads back exactly, text as text, numbers as numbers
    sheet = openpyxl.load_workbook(path)["wide"]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    stored = [t.replace("\x07", "_x0007_") for t in texts]  # XML cannot hold U+0007:
    assert [r[1] for r in rows] == stored  # OOXML's escape, which Excel reads as the character
    assert [r[2] for r in rows] == list(range(len(texts)))
    assert rows[1][3] == 2 / 3  # every digit of a float is kept
    assert [r[3] for r in rows][2:5] == [1e-7, 123456789012.5, 0]
    assert rows[5][3] is None
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
