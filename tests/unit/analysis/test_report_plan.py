"""The analysis plan registry and the snrb_peld plan's declarations."""

from __future__ import annotations

import pytest

from analysis.plans import UnknownPlan, get_plan, plans_by_protocol
from analysis.tables import sample_size_page


def test_plan_is_registered_by_protocol_code() -> None:
    plan = get_plan("snrb_peld")
    assert plan.arms == ("S", "P")
    assert plan.reference_arm == "P"


def test_declaring_a_second_plan_for_a_protocol_is_refused() -> None:
    plan = get_plan("snrb_peld")
    with pytest.raises(ValueError, match="already registered"):
        plans_by_protocol(plan, plan)


def test_unknown_protocol_has_no_plan() -> None:
    with pytest.raises(UnknownPlan):
        get_plan("no_such_protocol")


def test_primary_outcome_is_complete_relief_at_day_3_with_vas_zero() -> None:
    primary = get_plan("snrb_peld").primary
    assert (primary.measure, primary.visit, primary.threshold) == ("vas_leg", "postop_day_3", 0.0)


def test_sample_size_page_gives_33_and_37_for_the_paper_inputs() -> None:
    # given the paper's inputs (43% vs 80%, two-sided 0.05, power 0.9, 1:1, 10% dropout)
    page = sample_size_page(**get_plan("snrb_peld").sample_size_inputs)
    exact = page["results"][0]
    # then exact power gives 33 per group and 37 after dropout
    assert exact["method"] == "exact"
    assert (exact["n_per_group"], exact["n_per_group_with_dropout"]) == (33, 37)
    assert page["curve"][0]["power"] < 0.9 < page["curve"][-1]["power"]
