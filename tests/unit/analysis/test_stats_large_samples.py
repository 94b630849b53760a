"""The large-sample paths of the exact statistics give the same numbers as the small ones.

* Fisher-Freeman-Halton on two-arm tables above ``_NETWORK_MAX_N``: the bounded two-row
  algorithm against the full network enumeration (and R's ``fisher.test``).
* Hodges-Lehmann shift and pseudo-median above ``_MAX_PAIRS_IN_MEMORY``: selection of the
  order statistics (on the grid of distinct values, or by randomised selection) against
  sorting every pairwise difference / Walsh average.
* The random-intercept mixed model (every size): the REML fit from per-subject sums against
  R's ``nlme::lme`` and, for the estimates, statsmodels' ``MixedLM``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.stats import effect_sizes as ES
from analysis.stats import ffh_exact, hodges_lehmann_paired, hodges_lehmann_shift
from analysis.stats import models as M
from analysis.stats.exact import _drop_empty, _ffh_network, _ffh_two_rows
from tests.unit.analysis.stats_reference import ref, tables, vas_long

# ---- Fisher-Freeman-Halton ---------------------------------------------------------------


TWO_ROW = [k for k, t in tables().items() if len(t) == 2]


@pytest.mark.parametrize("case", TWO_ROW)
def test_two_row_ffh_matches_r_fisher_test(case: str) -> None:
    t = _drop_empty(np.array(tables()[case]))
    assert _ffh_two_rows(t) == pytest.approx(ref(case, "fisher_p"), rel=1e-6)


@settings(max_examples=80, deadline=None)
@given(
    st.integers(2, 5).flatmap(
        lambda c: st.tuples(
            st.lists(st.integers(0, 20), min_size=c, max_size=c),
            st.lists(st.integers(0, 20), min_size=c, max_size=c),
        )
    )
)
def test_two_row_ffh_equals_network_enumeration(rows: tuple[list[int], list[int]]) -> None:
    t = _drop_empty(np.array(rows, dtype=np.int64))
    if t.shape[0] < 2 or t.shape[1] < 2:
        return
    assert _ffh_two_rows(t) == pytest.approx(_ffh_network(t), rel=1e-9, abs=1e-300)


def test_two_row_ffh_equals_network_on_a_larger_table() -> None:
    t = np.array([[10, 30, 350, 250], [9, 35, 345, 252]])  # n = 1,281
    assert _ffh_two_rows(t) == pytest.approx(_ffh_network(t), rel=1e-9)


def test_large_two_arm_table_is_exact_and_fast_enough() -> None:
    # 70,000 participants: the network enumeration would need hours and gigabytes.
    t = [[423, 1380, 19247, 13950], [429, 1377, 19142, 14052]]
    res = ffh_exact(t)
    assert res.method == "exact"
    assert 0.0 < res.p_value <= 1.0
    # the P value of a table and of its transpose-free permutations is the same
    assert ffh_exact([[13950, 423, 19247, 1380], [14052, 429, 19142, 1377]]).p_value == (
        pytest.approx(res.p_value, rel=1e-9)
    )


# ---- Hodges-Lehmann ----------------------------------------------------------------------


def _shift_brute(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.sort(np.subtract.outer(x, y).ravel())


def _walsh_brute(d: np.ndarray) -> np.ndarray:
    return np.sort(np.add.outer(d, d)[np.triu_indices(d.size)])


samples = st.lists(
    st.one_of(
        st.floats(-50, 50, allow_nan=False, allow_subnormal=False),
        st.integers(-5, 5).map(float),
        st.integers(-30, 30).map(lambda v: v / 10),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=120, deadline=None)
@given(samples, samples, st.booleans(), st.data())
def test_pair_sums_order_statistics_equal_sorting(
    a: list[float], b: list[float], grid: bool, data: st.DataObject
) -> None:
    x, y = np.array(a), np.array(b)
    full = _shift_brute(x, y)
    pairs = ES.PairSums(x, -y)
    if not grid:
        pairs._grid = None  # force the randomised selection
    ranks = data.draw(st.lists(st.integers(1, full.size), min_size=1, max_size=6))
    old, ES._MAX_CANDIDATES = ES._MAX_CANDIDATES, 3  # make the selection do several rounds
    try:
        for k in ranks:
            assert pairs.kth(k) == full[k - 1]
    finally:
        ES._MAX_CANDIDATES = old


@settings(max_examples=120, deadline=None)
@given(samples, st.booleans(), st.data())
def test_walsh_order_statistics_equal_sorting(
    a: list[float], grid: bool, data: st.DataObject
) -> None:
    d = np.array(a)
    full = _walsh_brute(d)
    pairs = ES.PairSums(d, d, triangle=True)
    if not grid:
        pairs._grid = None
    ranks = data.draw(st.lists(st.integers(1, full.size), min_size=1, max_size=6))
    old, ES._MAX_CANDIDATES = ES._MAX_CANDIDATES, 3
    try:
        for k in ranks:
            assert pairs.kth(k) == full[k - 1]
    finally:
        ES._MAX_CANDIDATES = old


@pytest.mark.parametrize("rounding", [None, 1])
def test_hodges_lehmann_selection_equals_brute_force(
    monkeypatch: pytest.MonkeyPatch, rounding: int | None
) -> None:
    rng = np.random.default_rng(7)
    x, y = rng.normal(5, 2, 1500), rng.normal(4, 2, 1300)
    before, after = rng.normal(6, 2, 1500), rng.normal(3, 2, 1500)
    if rounding is not None:  # VAS-like: ties everywhere
        x, y, before, after = (np.round(v, rounding) for v in (x, y, before, after))
    brute = hodges_lehmann_shift(x, y), hodges_lehmann_paired(before, after)
    monkeypatch.setattr(ES, "_MAX_PAIRS_IN_MEMORY", 1000)
    fast = hodges_lehmann_shift(x, y), hodges_lehmann_paired(before, after)
    assert fast == brute  # identical floats: estimate, both limits, method
    monkeypatch.setattr(ES, "_MAX_GRID", 0)  # no grid: randomised selection
    assert (hodges_lehmann_shift(x, y), hodges_lehmann_paired(before, after)) == brute


def test_hodges_lehmann_at_trial_scale_stays_small() -> None:
    # 35,000 × 35,000 differences would take 9.8 GB to sort; selection needs a few MB.
    rng = np.random.default_rng(11)
    x, y = rng.normal(size=35_000), rng.normal(size=35_000) + 0.25
    est = hodges_lehmann_shift(x, y)
    assert est.ci_low < est.value < est.ci_high
    assert est.value == pytest.approx(-0.25, abs=0.05)


# ---- mixed model -------------------------------------------------------------------------


def _r_name(name: str) -> str:
    return (
        name.replace("Intercept", "(Intercept)")
        .replace("arm[T.", "arm")
        .replace("visit[T.", "visit")
        .replace("]", "")
    )


def test_random_intercept_reml_matches_nlme() -> None:
    fit = M.mixed_model_repeated(vas_long())
    for name, value in fit.coefficients.items():
        assert value == pytest.approx(ref("mixed", f"coef:{_r_name(name)}"), abs=1e-4), name
        se = fit.extra[f"se:{name}"]
        assert se == pytest.approx(ref("mixed", f"se:{_r_name(name)}"), rel=1e-4), name
    assert fit.extra["var_subject"] == pytest.approx(ref("mixed", "var_subject"), rel=1e-4)
    assert fit.extra["var_residual"] == pytest.approx(ref("mixed", "var_residual"), rel=1e-4)
    assert fit.n_obs == ref("mixed", "n_obs")


@pytest.mark.parametrize("subject_sd", [0.0, 0.3, 2.0])
def test_random_intercept_reml_equals_statsmodels_estimates(subject_sd: float) -> None:
    rng = np.random.default_rng(5)
    n, visits = 300, ["a", "b", "c", "d"]
    arm = np.repeat(rng.choice(["P", "S"], n), 4)
    value = rng.normal(0, subject_sd, n).repeat(4) + rng.normal(0, 1, 4 * n) + 0.5 * (arm == "S")
    data = pd.DataFrame({"participant_id": np.repeat(np.arange(n), 4).astype(str), "arm": arm,
                         "visit": np.tile(visits, n), "value": value})  # fmt: skip
    data.loc[rng.random(len(data)) < 0.15, "value"] = np.nan  # unbalanced: missing visits
    ours = M.mixed_model_repeated(data, visit_order=visits)
    df = data.dropna(subset=["value"])
    x = M._mixed_design(df, ["P", "S"], visits, "arm", "visit")
    slow = sm.MixedLM(df["value"], x, groups=df["participant_id"]).fit(reml=True)
    # the same maximum (ours at least as high: statsmodels stops on its own tolerance, which
    # shows near the boundary τ² = 0), hence the same estimates to optimiser precision
    assert ours.extra["loglik_reml"] >= slow.llf - 1e-6
    assert ours.extra["loglik_reml"] == pytest.approx(slow.llf, rel=1e-6)
    for name, value in slow.fe_params.items():
        assert ours.coefficients[name] == pytest.approx(value, rel=1e-3, abs=1e-5), name
        # statsmodels' cov_params inverts the full observed information (lme's does not):
        # close, not equal; the lme definition is pinned in test_stats_r_conventions.py
        assert ours.extra[f"se:{name}"] == pytest.approx(slow.bse_fe[name], rel=1e-2), name
    assert ours.extra["var_residual"] == pytest.approx(slow.scale, rel=1e-3)
    assert ours.extra["var_subject"] == pytest.approx(float(slow.cov_re.iloc[0, 0]), abs=1e-3)
