"""The second trial's definition fits the engine: its plan names columns of its own
datasets, every column fits the release formats, and its schedule and forms are as the
protocol docstring says (docs/trials/rehab_ldh.md)."""

from __future__ import annotations

import pytest

from analysis.datasets.columns import long_columns, wide_columns
from analysis.trial_plans import get_plan
from trial.blinding import blinded_policy
from trial.protocol import get_protocol, protocols
from trial.protocol.dictionary import dictionary_of

CODE = "rehab_ldh"
STATA_NAME_MAX = 32  # Stata (and so the release's .dta files) refuses longer variable names


@pytest.mark.requirement("EXP-013")
def test_the_plan_names_columns_of_the_trials_own_datasets() -> None:
    protocol, plan = get_protocol(CODE), get_plan(CODE)
    wide = {c.name for c in wide_columns(protocol)}
    assert set(plan.columns()) <= wide
    assert {"odi_month_3", "eq_vas_month_6", "eq5d_level_sum_baseline", "age_years"} <= wide
    assert [t.kind for t in plan.tables] == [
        "characteristics",
        "repeated_measure",
        "measures_at_visits",
        "adverse_events",
    ]
    assert plan.arms == tuple(a.code for a in protocol.arms)
    assert set(plan.visit_labels) == {v.code for v in protocol.visits}


@pytest.mark.parametrize("protocol", list(protocols()), ids=lambda p: p.code)
def test_every_dataset_column_fits_a_stata_name(protocol) -> None:
    names = [c.name for c in (*wide_columns(protocol), *long_columns(protocol))]
    assert [n for n in names if len(n) > STATA_NAME_MAX] == []


def test_follow_up_counts_from_randomization_and_the_adherence_form_is_arm_r_only() -> None:
    protocol = get_protocol(CODE)
    follow_up = [v for v in protocol.visits if not v.before_randomization]
    assert [(v.code, v.anchor, v.target_day, v.window_before, v.window_after)
            for v in follow_up] == [("week_2", "randomization", 14, 3, 3),
                                    ("week_6", "randomization", 42, 7, 7),
                                    ("month_3", "randomization", 90, 14, 14),
                                    ("month_6", "randomization", 180, 21, 21)]  # fmt: skip
    for visit in protocol.visits:
        assert {"vas", "odi", "eq5d5l"} <= set(visit.forms)
    assert protocol.form("adherence").arms == frozenset({"R"})
    policy = blinded_policy(protocol)
    assert not policy.shows_form("adherence")
    assert "relation" in policy.hidden_fields(protocol.form("adverse_event"))
    # the EQ-5D-5L's items and scores are in the trial's dictionary under their names
    names = {v.name for v in dictionary_of(protocol).of_form("eq5d5l")}
    assert {"mobility", "eq_vas", "eq5d_level_sum", "eq5d_profile"} <= names
