"""Effect sizes pinned to R: Newcombe RD, Katz RR, Woolf OR, Hodges-Lehmann; NNT per Altman."""

from __future__ import annotations

import math

import pytest

from analysis.stats import (
    Estimate,
    hodges_lehmann_paired,
    hodges_lehmann_shift,
    number_needed_to_treat,
    odds_ratio,
    risk_difference,
    risk_ratio,
)
from tests.unit.analysis.stats_reference import paired, ref, tables, two_sample

TWO_BY_TWO = [k for k, t in tables().items() if len(t) == 2 and len(t[0]) == 2]


@pytest.mark.parametrize("case", TWO_BY_TWO)
@pytest.mark.parametrize(
    ("func", "prefix"), [(risk_difference, "rd"), (risk_ratio, "rr"), (odds_ratio, "or")]
)
def test_binary_effect_sizes_match_r(case: str, func: object, prefix: str) -> None:
    est = func(tables()[case])  # type: ignore[operator]
    assert est.value == pytest.approx(ref(case, prefix), rel=1e-9)
    assert est.ci_low == pytest.approx(ref(case, f"{prefix}_ci_low"), rel=1e-6, abs=1e-12)
    assert est.ci_high == pytest.approx(ref(case, f"{prefix}_ci_high"), rel=1e-6)


def test_haldane_correction_only_with_a_zero_cell() -> None:
    assert risk_ratio(tables()["t2_zero"]).notes
    assert odds_ratio(tables()["t2_zero"]).notes
    assert not odds_ratio(tables()["t2_large"]).notes


def test_ratios_undefined_without_events() -> None:
    assert math.isnan(risk_ratio([[0, 38], [0, 39]]).value)
    assert math.isnan(odds_ratio([[0, 38], [0, 39]]).value)


# The asymptotic intervals (the uncorrected test, as the report prints) are pinned to R's
# wilcox.test(correct = FALSE, conf.int = TRUE) in test_stats_r_conventions.py.


def test_hodges_lehmann_exact_matches_r_wilcox_test() -> None:
    a, b = two_sample()["tiefree_small"]
    est = hodges_lehmann_shift(a, b)  # auto: no ties, n < 50 -> exact
    assert est.method == "exact"
    assert est.value == pytest.approx(ref("tiefree_small", "hl_exact_estimate"), rel=1e-9)
    assert est.ci_low == pytest.approx(ref("tiefree_small", "hl_exact_ci_low"), rel=1e-9)
    assert est.ci_high == pytest.approx(ref("tiefree_small", "hl_exact_ci_high"), rel=1e-9)


def test_hodges_lehmann_with_ties_uses_asymptotic_by_default() -> None:
    assert hodges_lehmann_shift(*two_sample()["vas_skewed"]).method == "asymptotic"


def test_hodges_lehmann_paired_exact_matches_r_wilcox_test() -> None:
    before, after = paired()["paired_tiefree"]
    est = hodges_lehmann_paired(before, after)
    assert est.method == "exact"
    assert est.value == pytest.approx(ref("paired_tiefree", "hl_exact_estimate"), rel=1e-9)
    assert est.ci_low == pytest.approx(ref("paired_tiefree", "hl_exact_ci_low"), rel=1e-9)
    assert est.ci_high == pytest.approx(ref("paired_tiefree", "hl_exact_ci_high"), rel=1e-9)


def test_hodges_lehmann_rejects_unknown_method() -> None:
    with pytest.raises(ValueError, match="method"):
        hodges_lehmann_shift([1, 2], [3, 4], method="bootstrap")  # type: ignore[arg-type]


def _rd(value: float, low: float, high: float) -> Estimate:
    return Estimate("risk_difference", value, low, high)


def test_nnt_with_interval_excluding_zero() -> None:
    # given fewer harmful events in arm 1 (RD -0.20, CI -0.35 to -0.05)
    nnt = number_needed_to_treat(_rd(-0.20, -0.35, -0.05))
    # then NNT benefit 5 with CI 1/0.35 to 1/0.05
    assert nnt.method == "nntb"
    assert nnt.value == pytest.approx(5.0)
    assert (nnt.ci_low, nnt.ci_high) == pytest.approx((1 / 0.35, 20.0))
    assert not nnt.notes


def test_nnt_with_interval_crossing_zero_goes_through_infinity() -> None:
    nnt = number_needed_to_treat(_rd(-0.10, -0.25, 0.05))
    assert nnt.method == "nntb"
    assert nnt.ci_low == pytest.approx(4.0)  # NNTB at the benefit-side limit
    assert nnt.ci_high == pytest.approx(20.0)  # NNTH at the harm-side limit
    assert "NNTB 4.0 to ∞ to NNTH 20.0" in nnt.notes[0]


def test_nnt_for_a_beneficial_event_flips_labels() -> None:
    assert number_needed_to_treat(_rd(0.2, 0.1, 0.3), event_is_harmful=False).method == "nntb"
    assert number_needed_to_treat(_rd(0.2, 0.1, 0.3)).method == "nnth"


def test_nnt_of_zero_difference_is_infinite() -> None:
    assert number_needed_to_treat(_rd(0.0, -0.1, 0.1)).value == math.inf


def test_nnt_requires_a_risk_difference() -> None:
    with pytest.raises(ValueError, match="risk_difference"):
        number_needed_to_treat(Estimate("odds_ratio", 2.0, 1.0, 4.0))
