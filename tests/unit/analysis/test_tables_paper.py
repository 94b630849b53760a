"""Tables 1, 4 and 5 fed with the paper's counts: paper mode prints the published P values.

Counts: tests/reference/analysis/paper_tables.csv (S n = 38, P n = 39).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.plans import get_plan
from analysis.tables import TableContext, build_table
from tests.unit.analysis.stats_reference import paper_rows

PLAN = get_plan("snrb_peld")
TABLE1, TABLE4, TABLE5 = (PLAN.table(k).variables for k in ("table1", "table4", "table5"))


def table1_baseline(wide: pd.DataFrame, ctx: TableContext) -> dict:
    return build_table(wide, ctx, PLAN.table("table1"))


def table4_complications(wide: pd.DataFrame, ctx: TableContext) -> dict:
    return build_table(wide, ctx, PLAN.table("table4"))


def table5_macnab(wide: pd.DataFrame, ctx: TableContext) -> dict:
    return build_table(wide, ctx, PLAN.table("table5"))


COLUMN = {
    "pfirrmann": "pfirrmann_grade",
    "relapse": "recurrence",
    "serious_complications": "serious_complication",
}
ARMS = {"S": 38, "P": 39}


def _values(var, counts: list[int]) -> list:
    if var.kind == "binary":
        return [True] * counts[0] + [False] * counts[1]
    return [code for (code, _), n in zip(var.categories, counts, strict=True) for _ in range(n)]


def paper_wide() -> pd.DataFrame:
    """A wide dataset whose count columns have exactly the paper's counts."""
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"arm": ["S"] * ARMS["S"] + ["P"] * ARMS["P"]})
    variables = {v.column: v for v in (*TABLE1, *TABLE4, *TABLE5)}
    for row in paper_rows():
        column = COLUMN.get(str(row["row"]), str(row["row"]))
        if column not in variables:
            continue  # the excellent+good rate is derived from MacNab
        var = variables[column]
        frame[column] = _values(var, row["table"][0]) + _values(var, row["table"][1])
    for var in TABLE1:
        if var.kind == "continuous":
            frame[var.column] = rng.normal(50, 10, len(frame))
    frame["sex"] = ["male", "female"] * 38 + ["male"]
    return frame


def _rows_by_column(table: dict) -> dict[str, dict]:
    return {r["cells"]["label"]["en"]: r for r in table["rows"]}


def _published() -> list[tuple[str, str]]:
    out = []
    variables = {v.column: v for v in (*TABLE1, *TABLE4, *TABLE5)}
    for row in paper_rows():
        column = COLUMN.get(str(row["row"]), str(row["row"]))
        if row["published"] is not None and column in variables:
            out.append((variables[column].label.en, str(row["published"])))
    return out


def _all_rows(mode: str) -> dict[str, dict]:
    ctx = TableContext(PLAN, mode=mode)
    wide = paper_wide()
    rows = {}
    for build in (table1_baseline, table4_complications, table5_macnab):
        rows.update(_rows_by_column(build(wide, ctx)))
    return rows


@pytest.mark.parametrize(("label", "published"), _published())
def test_paper_mode_table_prints_published_p_value(label: str, published: str) -> None:
    # given the paper's counts, when tables are built in paper mode
    rows = _all_rows("paper")
    # then each count row prints the paper's P value
    assert rows[label]["cells"]["p"] == published


def test_every_tested_row_names_its_test() -> None:
    rows = _all_rows("correct")
    tested = [r for r in rows.values() if r.get("p_value") is not None]
    assert tested
    assert all(r["test_code"] and r["cells"]["test"]["en"] for r in tested)


def test_correct_mode_flags_residual_low_back_pain_only() -> None:
    # given the paper's counts in correct mode
    rows = _all_rows("correct")
    # then only residual low back pain changes significance between the modes
    flagged = {label for label, r in rows.items() if r.get("disagree")}
    assert flagged == {"Postoperative residual low back pain"}
    row = rows["Postoperative residual low back pain"]
    assert row["test_code"] == "yates_chi2"
    assert (row["cells"]["p"], row["cells"]["p_other"]) == ("0.067", "0.031")


def test_table4_marks_significant_rows_on_the_first_arm() -> None:
    rows = _rows_by_column(table4_complications(paper_wide(), TableContext(PLAN, mode="paper")))
    assert rows["Recurrent pain"]["cells"]["S"].endswith("*")
    assert not rows["Relapse"]["cells"]["S"].endswith("*")


def test_table5_excellent_good_rate_row() -> None:
    rows = _rows_by_column(table5_macnab(paper_wide(), TableContext(PLAN)))
    rate = rows["Excellent + good rate"]
    assert rate["cells"]["S"] == "35 (92.1%)"
    assert rate["cells"]["P"] == "34 (87.2%)"


def test_pooled_tables_have_no_arm_columns_and_no_tests() -> None:
    ctx = TableContext(PLAN, pooled=True)
    for build in (table1_baseline, table4_complications, table5_macnab):
        table = build(paper_wide(), ctx)
        keys = [c["key"] for c in table["columns"]]
        assert keys == ["label", "all"]
        assert all(set(r["cells"]) <= {"label", "all"} for r in table["rows"])
