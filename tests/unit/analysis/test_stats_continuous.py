"""Two-sample and paired comparisons pinned to R (t.test, wilcox.test, shapiro.test)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from analysis.stats import compare_continuous, compare_paired, mean_difference
from tests.unit.analysis.stats_reference import paired, ref, two_sample

CASES = list(two_sample())
PAIRED = list(paired())


@pytest.mark.parametrize("case", CASES)
def test_shapiro_and_levene_agree_with_r(case: str) -> None:
    a, b = two_sample()[case]
    assert stats.shapiro(a).pvalue == pytest.approx(ref(case, "shapiro_p_a"), rel=1e-4)
    assert stats.shapiro(b).pvalue == pytest.approx(ref(case, "shapiro_p_b"), rel=1e-4)
    levene = stats.levene(a, b, center="mean").pvalue
    assert levene == pytest.approx(ref(case, "levene_mean_p"), rel=1e-6)


@pytest.mark.parametrize("case", CASES)
def test_compare_continuous_follows_sap_rule_with_r_inputs(case: str) -> None:
    # given R's Shapiro-Wilk and Levene P values for this data set
    a, b = two_sample()[case]
    normal = ref(case, "shapiro_p_a") > 0.05 and ref(case, "shapiro_p_b") > 0.05
    if not normal:
        expected = "mann_whitney_u"
    elif ref(case, "levene_mean_p") >= 0.05:
        expected = "student_t"
    else:
        expected = "welch_t"
    # when / then
    assert compare_continuous(a, b).test == expected


def test_reference_data_cover_all_three_two_sample_tests() -> None:
    chosen = {compare_continuous(*two_sample()[c]).test for c in CASES}
    assert chosen == {"student_t", "welch_t", "mann_whitney_u"}


@pytest.mark.parametrize("case", CASES)
def test_compare_continuous_statistics_match_r(case: str) -> None:
    a, b = two_sample()[case]
    res = compare_continuous(a, b)
    if res.test == "mann_whitney_u":
        assert res.statistic == pytest.approx(ref(case, "mwu_W"), rel=1e-9)
        assert res.p_value == pytest.approx(ref(case, "mwu_p"), rel=1e-6)
        assert res.estimate == pytest.approx(ref(case, "hl_estimate"), rel=1e-9)
        return
    prefix = "student" if res.test == "student_t" else "welch"
    assert res.statistic == pytest.approx(ref(case, f"{prefix}_t"), rel=1e-6)
    assert res.df == pytest.approx(ref(case, f"{prefix}_df"), rel=1e-6)
    assert res.p_value == pytest.approx(ref(case, f"{prefix}_p"), rel=1e-6)
    assert res.ci_low == pytest.approx(ref(case, f"{prefix}_ci_low"), rel=1e-6)
    assert res.ci_high == pytest.approx(ref(case, f"{prefix}_ci_high"), rel=1e-6)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize(("equal_var", "prefix"), [(True, "student"), (False, "welch")])
def test_mean_difference_ci_matches_t_test(case: str, equal_var: bool, prefix: str) -> None:
    a, b = two_sample()[case]
    est = mean_difference(a, b, equal_var=equal_var)
    assert est.ci_low == pytest.approx(ref(case, f"{prefix}_ci_low"), rel=1e-6)
    assert est.ci_high == pytest.approx(ref(case, f"{prefix}_ci_high"), rel=1e-6)


@pytest.mark.parametrize("case", CASES)
def test_mann_whitney_matches_r_on_every_data_set(case: str) -> None:
    a, b = two_sample()[case]
    res = stats.mannwhitneyu(a, b, method="asymptotic", use_continuity=False)
    assert res.pvalue == pytest.approx(ref(case, "mwu_p"), rel=1e-6)


def test_compare_continuous_drops_missing_values() -> None:
    a, b = two_sample()["vas_skewed"]
    with_nan = compare_continuous([*a, math.nan], [math.nan, *b])
    assert with_nan.p_value == compare_continuous(a, b).p_value
    assert with_nan.n == (a.size, b.size)


@pytest.mark.parametrize(
    ("a", "b", "message"),
    [
        ([1.0], [1.0, 2.0], "at least 2"),
        ([1.0, math.inf], [1.0, 2.0], "infinite"),
        (["x", "y"], [1.0, 2.0], "numbers"),
    ],
)
def test_compare_continuous_rejects_bad_input(a: list, b: list, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        compare_continuous(a, b)


@pytest.mark.parametrize("case", PAIRED)
def test_compare_paired_matches_r(case: str) -> None:
    before, after = paired()[case]
    res = compare_paired(before, after)
    normal = ref(case, "shapiro_p_diff") > 0.05
    assert res.test == ("paired_t" if normal else "wilcoxon_signed_rank")
    if normal:
        assert res.statistic == pytest.approx(ref(case, "paired_t"), rel=1e-6)
        assert res.p_value == pytest.approx(ref(case, "paired_p"), rel=1e-6)
        assert res.ci_low == pytest.approx(ref(case, "paired_ci_low"), rel=1e-6)
        assert res.ci_high == pytest.approx(ref(case, "paired_ci_high"), rel=1e-6)
    else:
        assert res.p_value == pytest.approx(ref(case, "wilcoxon_p"), rel=1e-6)
        n = ref(case, "n_nonzero")
        v = ref(case, "wilcoxon_V")
        assert res.statistic == pytest.approx(min(v, n * (n + 1) / 2 - v), rel=1e-9)


@pytest.mark.parametrize("case", PAIRED)
def test_wilcoxon_drops_zeros_without_continuity_correction_like_r(case: str) -> None:
    before, after = paired()[case]
    d = after - before
    res = stats.wilcoxon(d, zero_method="wilcox", correction=False, method="asymptotic")
    assert res.pvalue == pytest.approx(ref(case, "wilcoxon_p"), rel=1e-6)


def test_paired_reference_data_have_zero_differences_and_both_tests() -> None:
    before, after = paired()["paired_vas"]
    assert ((after - before) == 0).any()
    assert {compare_paired(*paired()[c]).test for c in PAIRED} == {
        "paired_t",
        "wilcoxon_signed_rank",
    }


def test_compare_paired_drops_incomplete_pairs() -> None:
    before, after = paired()["paired_normal"]
    res = compare_paired([*before, 3.0, math.nan], [*after, math.nan, 4.0])
    assert res.n == (before.size,)
    assert res.p_value == compare_paired(before, after).p_value


def test_compare_paired_all_zero_differences() -> None:
    res = compare_paired([1, 2, 3, 4], [1, 2, 3, 4])
    assert res.test == "wilcoxon_signed_rank"
    assert res.p_value == 1.0


def test_compare_paired_rejects_unequal_lengths() -> None:
    with pytest.raises(ValueError, match="equal length"):
        compare_paired([1, 2, 3], [1, 2])


samples = st.lists(st.integers(0, 100).map(lambda v: v / 10), min_size=3, max_size=25)


@settings(max_examples=40, deadline=None)
@given(samples, samples)
def test_continuous_p_in_unit_interval_and_symmetric(a: list[float], b: list[float]) -> None:
    forward = compare_continuous(a, b)
    reverse = compare_continuous(b, a)
    assert 0.0 <= forward.p_value <= 1.0
    assert forward.test == reverse.test
    assert forward.p_value == pytest.approx(reverse.p_value, rel=1e-9, abs=1e-12)
    if forward.estimate is not None and np.isfinite(forward.estimate):
        assert forward.estimate == pytest.approx(-reverse.estimate, abs=1e-9)
