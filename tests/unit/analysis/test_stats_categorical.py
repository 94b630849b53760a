"""Contingency-table tests pinned to R (chisq.test, fisher.test) and the SAP selection rules."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.stats import (
    compare_categorical,
    compare_categorical_both,
    ffh_exact,
    ffh_monte_carlo,
    fisher_2x2,
)
from analysis.stats.comparisons import _pearson
from tests.unit.analysis.stats_reference import ref, tables

TWO_BY_TWO = [k for k, t in tables().items() if len(t) == 2 and len(t[0]) == 2]
R_BY_C = [k for k in tables() if k not in TWO_BY_TWO]


@pytest.mark.parametrize("case", TWO_BY_TWO)
def test_fisher_2x2_matches_r(case: str) -> None:
    res = fisher_2x2(tables()[case])
    assert res.p_two_sided == pytest.approx(ref(case, "fisher_p"), rel=1e-6)
    assert res.p_less == pytest.approx(ref(case, "fisher_less_p"), rel=1e-6)
    assert res.p_greater == pytest.approx(ref(case, "fisher_greater_p"), rel=1e-6)
    assert res.p_one_sided == min(res.p_less, res.p_greater)


@pytest.mark.parametrize("case", TWO_BY_TWO)
def test_pearson_and_yates_match_r(case: str) -> None:
    t = np.array(tables()[case])
    pearson = _pearson(t, yates=False, notes=())
    yates = _pearson(t, yates=True, notes=())
    assert pearson.statistic == pytest.approx(ref(case, "pearson_chi2"), rel=1e-6)
    assert pearson.p_value == pytest.approx(ref(case, "pearson_p"), rel=1e-6)
    assert yates.p_value == pytest.approx(ref(case, "yates_p"), rel=1e-6)


@pytest.mark.parametrize("case", R_BY_C)
def test_ffh_exact_matches_r_fisher_test(case: str) -> None:
    assert ffh_exact(tables()[case]).p_value == pytest.approx(ref(case, "fisher_p"), rel=1e-6)


@pytest.mark.parametrize("case", R_BY_C)
def test_r_by_c_pearson_matches_r(case: str) -> None:
    t = np.array(tables()[case])
    res = _pearson(t[:, t.sum(axis=0) > 0], yates=False, notes=())
    assert res.p_value == pytest.approx(ref(case, "pearson_p"), rel=1e-6)


@pytest.mark.parametrize(
    ("case", "expected_test"),
    [
        ("t2_large", "pearson_chi2"),  # n = 77, min expected 15.8
        ("t2_yates", "yates_chi2"),  # n = 77, min expected 3.95
        ("t2_small_n", "fisher_exact"),  # n = 25 < 40
        ("t2_zero", "yates_chi2"),  # n = 45, min expected 2.67 (a zero cell does not matter)
        ("rc_2x3_big", "pearson_chi2"),  # no expected < 5
        ("rc_3x4", "pearson_chi2"),  # 2 of 12 (17%) expected < 5, none < 1
        ("rc_3x3", "fisher_freeman_halton"),  # > 20% expected < 5
        ("rc_2x4", "fisher_freeman_halton"),  # expected < 1
    ],
)
def test_correct_mode_selects_test_by_sap_rule(case: str, expected_test: str) -> None:
    assert compare_categorical(tables()[case]).test == expected_test


def test_correct_mode_p_values_match_r() -> None:
    for case in TWO_BY_TWO + R_BY_C:
        res = compare_categorical(tables()[case])
        quantity = {
            "pearson_chi2": "pearson_p",
            "yates_chi2": "yates_p",
            "fisher_exact": "fisher_p",
            "fisher_freeman_halton": "fisher_p",
        }[res.test]
        assert res.p_value == pytest.approx(ref(case, quantity), rel=1e-6), case


def test_paper_mode_uses_observed_cells_not_expected() -> None:
    # every expected count is >= 5 (n = 86), but an observed cell of 4 triggers Fisher
    table = [[4, 40], [12, 30]]
    assert compare_categorical(table, mode="paper").test == "fisher_exact_one_sided"
    assert compare_categorical(table, mode="correct").test == "pearson_chi2"


def test_paper_mode_r_by_c_is_always_ffh() -> None:
    assert compare_categorical(tables()["rc_2x3_big"], mode="paper").test == (
        "fisher_freeman_halton"
    )


def test_ordinal_table_uses_mann_whitney_in_both_modes() -> None:
    both = compare_categorical_both([[30, 5, 3, 0], [25, 9, 5, 0]], ordinal=True)
    assert both.correct.test == both.paper.test == "mann_whitney_u"


def test_two_by_two_reports_risk_difference() -> None:
    res = compare_categorical(tables()["t2_large"])
    assert res.estimate_kind == "risk_difference"
    assert res.estimate == pytest.approx(ref("t2_large", "rd"), rel=1e-9)


def test_ffh_drops_categories_empty_in_every_arm() -> None:
    with_empty = ffh_exact([[0, 5, 21, 12, 0], [0, 9, 19, 10, 1]])
    without = ffh_exact([[5, 21, 12, 0], [9, 19, 10, 1]])
    assert with_empty.p_value == pytest.approx(without.p_value, rel=1e-12)
    assert with_empty.p_value == pytest.approx(ref("rc_2x5", "fisher_p"), rel=1e-6)


def test_ffh_monte_carlo_is_seeded_and_brackets_exact() -> None:
    table = tables()["rc_3x4"]
    first = ffh_monte_carlo(table, n_samples=100_000, seed=1)
    second = ffh_monte_carlo(table, n_samples=100_000, seed=1)
    assert first == second
    assert first.ci_low <= ffh_exact(table).p_value <= first.ci_high


def test_ffh_monte_carlo_refuses_too_few_samples() -> None:
    with pytest.raises(ValueError, match="100,000"):
        ffh_monte_carlo([[1, 2], [3, 4]], n_samples=1000, seed=1)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ([[1, 2, 3]], "at least 2 rows"),
        ([[1, -2], [3, 4]], "non-negative integer"),
        ([[1.5, 2], [3, 4]], "non-negative integer"),
        ([[0, 0], [3, 4]], "at least one observation"),
        ("abc", "list of rows|at least 2 rows"),
    ],
)
def test_compare_categorical_rejects_bad_tables(table: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        compare_categorical(table)  # type: ignore[arg-type]


def test_compare_categorical_rejects_unknown_mode() -> None:
    with pytest.raises(ValueError, match="mode"):
        compare_categorical([[1, 2], [3, 4]], mode="spss")  # type: ignore[arg-type]


def test_ordinal_needs_two_arms() -> None:
    with pytest.raises(ValueError, match="two arms"):
        compare_categorical([[1, 2], [3, 4], [5, 6]], ordinal=True)


cells = st.integers(min_value=0, max_value=12)
small_2x2 = st.lists(st.lists(cells, min_size=2, max_size=2), min_size=2, max_size=2).filter(
    lambda t: all(sum(r) > 0 for r in t)
)
small_rxc = (
    st.integers(2, 4)
    .flatmap(
        lambda c: st.lists(
            st.lists(st.integers(0, 6), min_size=c, max_size=c), min_size=2, max_size=3
        )
    )
    .filter(lambda t: all(sum(r) > 0 for r in t))
)


@settings(max_examples=60, deadline=None)
@given(small_2x2)
def test_ffh_on_2x2_equals_fisher_two_sided(table: list[list[int]]) -> None:
    assert ffh_exact(table).p_value == pytest.approx(fisher_2x2(table).p_two_sided, rel=1e-9)


@settings(max_examples=60, deadline=None)
@given(small_rxc, st.sampled_from(["correct", "paper"]))
def test_p_value_is_a_probability(table: list[list[int]], mode: str) -> None:
    p = compare_categorical(table, mode=mode).p_value  # type: ignore[arg-type]
    assert 0.0 <= p <= 1.0


@settings(max_examples=60, deadline=None)
@given(small_rxc, st.sampled_from(["correct", "paper"]))
def test_swapping_arms_leaves_p_unchanged(table: list[list[int]], mode: str) -> None:
    forward = compare_categorical(table, mode=mode)  # type: ignore[arg-type]
    reverse = compare_categorical(table[::-1], mode=mode)  # type: ignore[arg-type]
    assert forward.test == reverse.test
    assert forward.p_value == pytest.approx(reverse.p_value, rel=1e-9, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(small_2x2)
def test_one_sided_fisher_never_exceeds_two_sided(table: list[list[int]]) -> None:
    res = fisher_2x2(table)
    assert res.p_one_sided <= res.p_two_sided + 1e-12
