"""The dashboard summarises what the protocol names (``Protocol.dashboard``), nothing else."""

from __future__ import annotations

import dataclasses

import pytest
from django.utils import timezone

from analysis.datasets import columns as C
from trial.protocol import Dashboard, DashboardMeasure, Text, protocols
from trial.protocol.dictionary import dictionary_of
from trial.selectors.dashboard import DashboardScope, event_grades, measure_trend
from trial.selectors.dashboard_rollup import RollupFilter, dashboard_rollup

from .test_dashboard import PROTOCOL, load_sites, statistician  # noqa: F401


@pytest.mark.parametrize("protocol", list(protocols()), ids=lambda p: p.code)
def test_every_protocol_names_variables_of_its_dictionary(protocol) -> None:
    dictionary, spec = dictionary_of(protocol), protocol.dashboard
    for measure in spec.measures:
        variable = dictionary[measure.variable]
        assert variable.dtype in ("int", "float"), measure
        assert not variable.repeating, measure
    if spec.events_form:
        assert protocol.form(spec.events_form).repeating
        for name in (spec.serious_flag, spec.grade):
            assert dictionary[name].form == spec.events_form
        assert dictionary[spec.serious_flag].dtype == "bool"
        assert dictionary[spec.grade].codes
    if protocol.age is not None:
        assert dictionary.by_source(protocol.age.form, protocol.age.field).dtype == "date"


def test_the_grades_are_the_dictionary_codes_of_the_grading_variable() -> None:
    codes = [code for code, _label in event_grades(PROTOCOL)]
    assert codes == [c.code for c in dictionary_of(PROTOCOL)[PROTOCOL.dashboard.grade].codes]
    assert codes[0] == "I"
    assert event_grades(dataclasses.replace(PROTOCOL, dashboard=Dashboard())) == ()


@pytest.mark.django_db
def test_the_rollup_counts_only_what_the_protocol_names(statistician) -> None:  # noqa: F811
    # given a trial with complete pain forms at several visits
    load_sites(statistician, ["S01"])
    where = RollupFilter(protocol_code=PROTOCOL.code)
    # when the protocol names no dashboard measures and no adverse-event log
    bare = dashboard_rollup(dataclasses.replace(PROTOCOL, dashboard=Dashboard()), where)
    # then those sections are empty, the journey's counts are not
    assert (bare["measures"], bare["ae"], bare["ae_grades"]) == ([], [], [])
    assert bare["people"]
    # and naming only the back-pain score follows that one measure, with its own key
    back = DashboardMeasure("vas_back", "back", Text("back", "腰"), Text("Back pain", "腰痛"))
    protocol = dataclasses.replace(PROTOCOL, dashboard=Dashboard(measures=(back,)))
    data = dashboard_rollup(protocol, where)
    assert {k for r in data["measures"] for k in r if k.startswith("vas_")} == {
        "vas_back_n",
        "vas_back_sum",
        "vas_back_sumsq",
    }
    scope = DashboardScope(
        protocol=protocol,
        blinded=False,
        sites=tuple((r["site"], "S01") for r in data["people"][:1]),
        today=timezone.localdate(),
        comparative=True,
    )
    rows = measure_trend(scope, data)
    assert rows
    assert all(set(r) == {"visit", "arm", "n", "back", "back_sd"} for r in rows)
    full = measure_trend(dataclasses.replace(scope, protocol=PROTOCOL), dashboard_rollup(
        PROTOCOL, where))  # fmt: skip
    by_place = {(r["visit"], r["arm"]): r for r in full}
    for r in rows:  # the same means as the seed's two-measure panel
        assert (r["back"], r["back_sd"], r["n"]) == tuple(
            by_place[r["visit"], r["arm"]][k] for k in ("back", "back_sd", "n")
        )


def test_the_dataset_derives_the_age_the_protocol_declares() -> None:
    names = [c.name for c in C.wide_columns(PROTOCOL)]
    assert {"age_years", "admission_date"} <= set(names)
    without = dataclasses.replace(PROTOCOL, age=None)
    assert "age_years" not in [c.name for c in C.wide_columns(without)]
    age = C.age_column(PROTOCOL)
    assert age.description == "Age at admission, years"
