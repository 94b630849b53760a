"""A plan lists its own tables: any number, each with its own title, kind and variables."""

from __future__ import annotations

import dataclasses

import pytest

from analysis.plans import FigureSpec, Label, ModelSpec, RepeatedMeasure, TableSpec
from analysis.tables import TableContext, build_table, figures, wide_tables
from tests.unit.analysis.report_result import PLAN, report_frames


def _other_plan():
    """The seed plan cut to three tables in another order, with other titles."""
    grades, events = PLAN.table("table5"), PLAN.table("table4")
    return dataclasses.replace(
        PLAN,
        tables=(
            dataclasses.replace(grades, key="efficacy", title=Label("Efficacy", "疗效")),
            dataclasses.replace(events, key="safety", title=Label("Safety", "安全性"),
                                variables=events.variables[:2]),
            TableSpec("pain", Label("Pain", "疼痛"), "repeated_measure",
                      measures=PLAN.table("table2").measures),
        ),
    )  # fmt: skip


def test_a_plan_with_another_number_of_tables_gets_exactly_its_tables() -> None:
    # given a plan of three tables (the seed's has five)
    plan = _other_plan()
    wide, _long, _screening = report_frames()
    # when the engine builds the plan's tables
    tables = [build(wide, TableContext(plan), spec) for spec, build in wide_tables(plan)]
    # then each is the plan's, in its order, with its own title and rows
    assert [t["key"] for t in tables] == ["efficacy", "safety", "pain"]
    assert [t["title"]["en"] for t in tables] == ["Efficacy", "Safety", "Pain"]
    assert [r["cells"]["label"]["en"] for r in tables[1]["rows"]] == [
        "Postoperative residual low back pain",
        "Recurrent pain",
    ]
    assert len(tables[2]["rows"]) == len(PLAN.table("table2").measures[0].visits)


def test_a_table_is_the_same_whatever_its_place_in_the_plan() -> None:
    wide, _long, _screening = report_frames()
    seed = build_table(wide, TableContext(PLAN), PLAN.table("table5"))
    moved = build_table(wide, TableContext(_other_plan()), _other_plan().table("efficacy"))
    assert moved["rows"] == seed["rows"]
    assert moved["columns"] == seed["columns"]


def test_the_within_arm_note_names_the_measures_first_visit() -> None:
    wide, _long, _screening = report_frames()
    table = build_table(wide, TableContext(PLAN), PLAN.table("table2"))
    assert table["notes"][1]["en"].endswith("compared with on admission.")
    assert table["notes"][1]["zh"].endswith("与入院时相比。")


def test_figures_and_the_mixed_model_follow_the_plan() -> None:
    _wide, long, _screening = report_frames()
    plan = dataclasses.replace(PLAN, figures=(), mixed_model=None)
    assert figures(long, TableContext(plan)) == []
    shown = figures(long, TableContext(PLAN))
    assert [f["key"] for f in shown] == ["vas_over_time"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "repeated_measure"}, "needs measures"),
        ({"kind": "characteristics"}, "needs variables"),
        ({"kind": "grades", "variables": PLAN.table("table5").variables}, "good categories"),
    ],
)
def test_a_table_spec_says_what_it_lacks(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TableSpec("t", Label("T", "T"), **kwargs)


def test_a_plan_refuses_a_model_or_figure_of_a_measure_no_table_has() -> None:
    with pytest.raises(ValueError, match="no table has"):
        dataclasses.replace(PLAN, mixed_model=ModelSpec("unknown", Label("x", "x")))
    with pytest.raises(ValueError, match="no table has"):
        dataclasses.replace(PLAN, figures=(FigureSpec("f", "unknown", Label("x", "x")),))
    with pytest.raises(ValueError, match="named twice"):
        dataclasses.replace(PLAN, tables=(PLAN.tables[0], PLAN.tables[0]))


def test_the_plan_lists_every_repeated_measure_once_in_table_order() -> None:
    assert [m.prefix for m in PLAN.repeated_measures()] == ["vas_leg", "joa", "odi", "sf36_total"]
    assert isinstance(PLAN.measure("odi"), RepeatedMeasure)
