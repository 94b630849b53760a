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
