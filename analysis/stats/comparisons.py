"""Between-arm and within-arm comparisons with the SAP's test selection.

Every function validates its input, drops missing values (NaN) explicitly, chooses the test
by the rules of docs/sap.md "Test selection" (or "Paper-compatible mode" when asked), and
returns a :class:`~analysis.stats.results.TestResult` naming the test used.

scipy settings (never the defaults, SAP): ``mannwhitneyu(method="asymptotic",
use_continuity=False)`` (tie-corrected normal approximation, as SPSS);
``wilcoxon(zero_method="wilcox", correction=False, method="asymptotic")`` (SPSS drops zero
differences and applies no continuity correction); ``chi2_contingency(correction=False)``
for Pearson and ``correction=True`` for Yates on 2×2; ``levene(center="mean")`` (SPSS).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from analysis.stats._validation import clean_pairs, clean_sample, clean_table
from analysis.stats.effect_sizes import (
    hodges_lehmann_paired,
    hodges_lehmann_shift,
    mean_difference,
    paired_mean_difference,
)
from analysis.stats.exact import ffh_exact, fisher_2x2
from analysis.stats.results import Estimate, ModeComparison, TestResult
from analysis.stats.risk import risk_difference

Mode = Literal["correct", "paper"]
NORMALITY_ALPHA = 0.05
LEVENE_ALPHA = 0.05


def _with_estimate(result: TestResult, est: Estimate | None) -> TestResult:
    if est is None:
        return result
    return TestResult(
        test=result.test,
        statistic=result.statistic,
        p_value=result.p_value,
        df=result.df,
        estimate=est.value,
        ci_low=est.ci_low,
        ci_high=est.ci_high,
        estimate_kind=est.kind,
        n=result.n,
        notes=result.notes + est.notes,
    )


def expand_ordinal(table: NDArray[np.int64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Turn a 2-row table of ordered categories into two samples of codes 1..k."""
    codes = np.arange(1, table.shape[1] + 1, dtype=float)
    return np.repeat(codes, table[0]), np.repeat(codes, table[1])


def _mann_whitney(x: NDArray[np.float64], y: NDArray[np.float64], notes: tuple) -> TestResult:
    if np.ptp(np.concatenate([x, y])) == 0:  # zero variance of U: no evidence either way
        return TestResult(
            "mann_whitney_u",
            x.size * y.size / 2,
            1.0,
            n=(x.size, y.size),
            notes=(*notes, "all values identical: P = 1"),
        )
    res = stats.mannwhitneyu(
        x, y, alternative="two-sided", method="asymptotic", use_continuity=False
    )
    return TestResult(
        "mann_whitney_u", float(res.statistic), float(res.pvalue), n=(x.size, y.size), notes=notes
    )


def _pearson(t: NDArray[np.int64], *, yates: bool, notes: tuple) -> TestResult:
    res = stats.chi2_contingency(t, correction=yates)
    name = "yates_chi2" if yates else "pearson_chi2"
    n = tuple(int(v) for v in t.sum(axis=1))
    return TestResult(
        name, float(res.statistic), float(res.pvalue), df=float(res.dof), n=n, notes=notes
    )


def _fisher(t: NDArray[np.int64], *, one_sided: bool, notes: tuple) -> TestResult:
    res = fisher_2x2(t)
    n = tuple(int(v) for v in t.sum(axis=1))
    if one_sided:
        note = "one-sided exact P (SPSS 'Exact Sig. (1-sided)'): min(P(X<=a), P(X>=a))"
        return TestResult(
            "fisher_exact_one_sided", res.odds_ratio, res.p_one_sided, n=n, notes=(*notes, note)
        )
    return TestResult("fisher_exact", res.odds_ratio, res.p_two_sided, n=n, notes=notes)


def _expected(t: NDArray[np.int64]) -> NDArray[np.float64]:
    return np.outer(t.sum(axis=1), t.sum(axis=0)) / t.sum()


def _two_by_two(t: NDArray[np.int64], mode: Mode) -> TestResult:
    if mode == "paper":
        if (t < 5).any():
            return _fisher(t, one_sided=True, notes=("paper mode: an observed cell < 5",))
        return _pearson(t, yates=False, notes=("paper mode: every observed cell >= 5",))
    n, min_exp = int(t.sum()), float(_expected(t).min())
    if n < 40 or min_exp < 1:
        return _fisher(t, one_sided=False, notes=(f"n = {n}, min expected = {min_exp:.2f}",))
    yates = min_exp < 5
    return _pearson(t, yates=yates, notes=(f"n = {n}, min expected = {min_exp:.2f}",))


def _r_by_c(t: NDArray[np.int64], mode: Mode) -> TestResult:
    t = t[:, t.sum(axis=0) > 0]
    n = tuple(int(v) for v in t.sum(axis=1))
    if t.shape[1] < 2:
        return TestResult(
            "fisher_freeman_halton",
            0.0,
            1.0,
            n=n,
            notes=("only one category observed: no comparison possible",),
        )
    exp = _expected(t)
    small = float((exp < 5).mean())
    needs_exact = bool((exp < 1).any()) or small > 0.20
    if mode == "correct" and not needs_exact:
        return _pearson(t, yates=False, notes=(f"{small:.0%} of expected counts < 5",))
    res = ffh_exact(t)
    why = "paper mode" if mode == "paper" else f"{small:.0%} of expected counts < 5"
    return TestResult(
        "fisher_freeman_halton", res.statistic, res.p_value, n=n, notes=(why, "exact enumeration")
    )


def compare_categorical(
    table: Sequence[Sequence[int]], *, ordinal: bool = False, mode: Mode = "correct"
) -> TestResult:
    """Compare the distribution of a categorical variable between arms.

    Parameters
    ----------
    table : sequence of rows of int
        One row per arm, one column per category (for a binary variable: event first, then
        no event). Counts of non-missing values only: missing values must be excluded by
        the caller and reported separately (SAP "Descriptive statistics").
    ordinal : bool
        True for ordered categories (Pfirrmann, MacNab): Mann-Whitney U on the category
        codes 1..k (two arms only) in both modes.
    mode : {"correct", "paper"}
        ``"correct"`` (default): the SAP rules. ``"paper"``: the paper-compatible rules.

    Returns
    -------
    TestResult
        ``test`` is one of ``pearson_chi2``, ``yates_chi2``, ``fisher_exact``,
        ``fisher_exact_one_sided``, ``fisher_freeman_halton``, ``mann_whitney_u``. For a
        2×2 table the estimate is the risk difference (row 1 − row 2) with its Newcombe CI.

    Notes
    -----
    Correct mode, 2×2: n ≥ 40 and every expected count ≥ 5 → Pearson χ²; n ≥ 40 and the
    smallest expected count in [1, 5) → Yates χ²; n < 40 or any expected count < 1 →
    Fisher two-sided. r×c nominal: Pearson χ² unless any expected count < 1 or more than
    20% of expected counts < 5, then exact Fisher-Freeman-Halton. Categories empty in every
    arm are dropped from r×c tables before testing.

    Paper mode, 2×2: Pearson χ² unless any *observed* cell < 5, then Fisher's exact
    one-sided P (SPSS "Exact Sig. (1-sided)"); r×c nominal: exact FFH.

    References
    ----------
    docs/sap.md "Test selection" and "Paper-compatible mode"; paper Methods "统计学分析".
    """
    if mode not in ("correct", "paper"):
        raise ValueError("mode must be 'correct' or 'paper'")
    t = clean_table(table)
    if ordinal:
        if t.shape[0] != 2:
            raise ValueError("ordinal comparison (Mann-Whitney U) needs exactly two arms")
        x, y = expand_ordinal(t)
        return _mann_whitney(x, y, notes=("ordered categories: Mann-Whitney U on codes 1..k",))
    if t.shape == (2, 2):
        return _with_estimate(_two_by_two(t, mode), risk_difference(t))
    return _r_by_c(t, mode)


def compare_categorical_both(
    table: Sequence[Sequence[int]], *, ordinal: bool = False, alpha: float = 0.05
) -> ModeComparison:
    """Run the correct and the paper-compatible rules and flag disagreement.

    Returns
    -------
    ModeComparison
        ``disagree`` is True when one mode's P is below ``alpha`` and the other's is not;
        ``tests_differ`` when the modes used different tests.

    References
    ----------
    docs/sap.md "Paper-compatible mode" (flag rows where the modes disagree on significance).
    """
    correct = compare_categorical(table, ordinal=ordinal, mode="correct")
    paper = compare_categorical(table, ordinal=ordinal, mode="paper")
    disagree = (correct.p_value < alpha) != (paper.p_value < alpha)
    return ModeComparison(correct, paper, alpha, disagree, correct.test != paper.test)


def _is_normal(x: NDArray[np.float64]) -> tuple[bool, float]:
    """Shapiro-Wilk: normal when p > 0.05. Fewer than 3 values or no spread: not normal."""
    if x.size < 3 or np.ptp(x) == 0:
        return False, float("nan")
    p = float(stats.shapiro(x).pvalue)
    return p > NORMALITY_ALPHA, p


def compare_continuous(a: Iterable[float], b: Iterable[float]) -> TestResult:
    """Compare a continuous variable between two arms by the SAP's selection rule.

    Parameters
    ----------
    a, b : iterable of float
        Values of arm 1 and arm 2. NaN values are dropped; each arm needs ≥ 2 values.

    Returns
    -------
    TestResult
        ``student_t``, ``welch_t`` or ``mann_whitney_u``, with the matching estimate:
        mean difference a − b (pooled or Welch CI) for t tests, Hodges-Lehmann shift a − b
        for Mann-Whitney with the interval that inverts the printed (asymptotic,
        uncorrected) test (see :func:`~analysis.stats.effect_sizes.hodges_lehmann_shift`).

    Notes
    -----
    Shapiro-Wilk in each arm; if p > 0.05 in both, Levene's test centred on the mean
    (SPSS): p ≥ 0.05 → Student t, else Welch t′. Otherwise Mann-Whitney U (asymptotic,
    tie-corrected, no continuity correction). An arm with < 3 values or no spread counts
    as not normal.

    References
    ----------
    docs/sap.md "Test selection"; paper Methods "统计学分析".
    """
    x = clean_sample(a, name="a", min_n=2)
    y = clean_sample(b, name="b", min_n=2)
    normal_x, p_x = _is_normal(x)
    normal_y, p_y = _is_normal(y)
    notes: tuple[str, ...] = (f"Shapiro-Wilk p = {p_x:.4f} / {p_y:.4f}",)
    if not (normal_x and normal_y):
        hl = hodges_lehmann_shift(x, y, method="asymptotic")  # inverts the printed test
        return _with_estimate(_mann_whitney(x, y, notes), hl)
    p_lev = float(stats.levene(x, y, center="mean").pvalue)
    equal_var = p_lev >= LEVENE_ALPHA
    notes = (*notes, f"Levene (mean-centred) p = {p_lev:.4f}")
    res = stats.ttest_ind(x, y, equal_var=equal_var, alternative="two-sided")
    df = float(res.df)
    result = TestResult(
        "student_t" if equal_var else "welch_t",
        float(res.statistic),
        float(res.pvalue),
        df=df,
        n=(x.size, y.size),
        notes=notes,
    )
    return _with_estimate(result, mean_difference(x, y, equal_var=equal_var))


def compare_paired(before: Iterable[float], after: Iterable[float]) -> TestResult:
    """Compare a variable within an arm between two visits (change from baseline).

    Parameters
    ----------
    before, after : iterable of float
        Paired values (same participants, same order). Pairs with a NaN on either side are
        dropped; at least 2 complete pairs are needed.

    Returns
    -------
    TestResult
        ``paired_t`` (estimate: mean of after − before, paired-t CI) or
        ``wilcoxon_signed_rank`` (estimate: Hodges-Lehmann pseudo-median of after − before,
        with the interval that inverts the printed asymptotic, uncorrected test).

    Notes
    -----
    Shapiro-Wilk on the differences: p > 0.05 → paired t; otherwise Wilcoxon signed-rank,
    normal approximation with tie correction, zero differences dropped (Wilcoxon's method,
    as SPSS) and no continuity correction (as SPSS). If every difference is 0 the
    Wilcoxon P is 1.

    References
    ----------
    docs/sap.md "Test selection" (within an arm); paper Methods "统计学分析".
    """
    b, a = clean_pairs(before, after, min_n=2)
    d = a - b
    normal, p_sw = _is_normal(d)
    notes: tuple[str, ...] = (f"Shapiro-Wilk on differences p = {p_sw:.4f}",)
    if normal:
        res = stats.ttest_rel(a, b, alternative="two-sided")
        result = TestResult(
            "paired_t",
            float(res.statistic),
            float(res.pvalue),
            df=float(res.df),
            n=(d.size,),
            notes=notes,
        )
        return _with_estimate(result, paired_mean_difference(b, a))
    if not (d != 0).any():
        result = TestResult(
            "wilcoxon_signed_rank",
            0.0,
            1.0,
            n=(d.size,),
            notes=(*notes, "all differences are zero"),
        )
    else:
        res = stats.wilcoxon(
            d, zero_method="wilcox", correction=False, alternative="two-sided", method="asymptotic"
        )
        zeros = int((d == 0).sum())
        result = TestResult(
            "wilcoxon_signed_rank",
            float(res.statistic),
            float(res.pvalue),
            n=(d.size,),
            notes=(*notes, f"{zeros} zero differences dropped"),
        )
    # the interval inverts the printed test: asymptotic, uncorrected, tie-corrected
    return _with_estimate(result, hodges_lehmann_paired(b, a, method="asymptotic"))
