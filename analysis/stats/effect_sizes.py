"""Effect sizes for continuous outcomes with CIs (SAP "Beyond the paper"; CONSORT 17a).

Differences are *first minus second* (arm 1 − arm 2; after − before). Missing values (NaN)
are dropped before computing (pairwise for paired data). Binary effect sizes are in
:mod:`analysis.stats.risk`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from analysis.stats._validation import clean_pairs, clean_sample
from analysis.stats.results import Estimate

HLMethod = Literal["auto", "exact", "asymptotic"]


def mean_difference(
    a: Iterable[float], b: Iterable[float], *, equal_var: bool, conf_level: float = 0.95
) -> Estimate:
    """Difference of means ``mean(a) - mean(b)`` with a t-based CI.

    Parameters
    ----------
    a, b : iterable of float
        The two samples (NaN dropped).
    equal_var : bool
        True: pooled-variance (Student) interval, df = n1 + n2 − 2. False: Welch interval
        with Welch-Satterthwaite df. Use the variant matching the test chosen.
    conf_level : float
        Confidence level.

    Returns
    -------
    Estimate
        ``kind="mean_difference"``, ``method="student"`` or ``"welch"``.

    References
    ----------
    SAP.md "Beyond the paper"; R ``t.test(var.equal=)``.
    """
    x = clean_sample(a, name="a", min_n=2)
    y = clean_sample(b, name="b", min_n=2)
    n1, n2 = x.size, y.size
    v1, v2 = x.var(ddof=1), y.var(ddof=1)
    if equal_var:
        df = n1 + n2 - 2.0
        se = math.sqrt(((n1 - 1) * v1 + (n2 - 1) * v2) / df * (1 / n1 + 1 / n2))
    else:
        se = math.sqrt(v1 / n1 + v2 / n2)
        df = (v1 / n1 + v2 / n2) ** 2 / ((v1 / n1) ** 2 / (n1 - 1) + (v2 / n2) ** 2 / (n2 - 1))
    diff = float(x.mean() - y.mean())
    half = float(stats.t.ppf(0.5 + conf_level / 2, df)) * se
    method = "student" if equal_var else "welch"
    return Estimate("mean_difference", diff, diff - half, diff + half, conf_level, method)


def paired_mean_difference(
    before: Iterable[float], after: Iterable[float], *, conf_level: float = 0.95
) -> Estimate:
    """Mean of ``after - before`` with the paired-t CI (incomplete pairs dropped)."""
    b, a = clean_pairs(before, after, min_n=2)
    d = a - b
    se = d.std(ddof=1) / math.sqrt(d.size)
    half = float(stats.t.ppf(0.5 + conf_level / 2, d.size - 1)) * se
    m = float(d.mean())
    return Estimate("mean_difference", m, m - half, m + half, conf_level, "paired_t")


def _mwu_null_counts(n: int, m: int) -> NDArray[np.float64]:
    """Number of arrangements giving each U = 0..n*m (no ties), by the usual recursion."""
    # Generating function of U is the Gaussian binomial [n+m choose n]_q; power-series
    # arithmetic truncated at degree n*m is exact because the result has that degree.
    counts = np.zeros(n * m + 1)
    counts[0] = 1.0
    # [n+m choose n]_q = prod_{k=1..n} (1 - q^{m+k}) / (1 - q^k)
    for k in range(1, n + 1):
        shift = m + k
        new = counts.copy()
        new[shift:] -= counts[:-shift] if shift <= n * m else 0.0
        counts = new
        for idx in range(k, n * m + 1):
            counts[idx] += counts[idx - k]
    return counts


def _signrank_null_counts(n: int) -> NDArray[np.float64]:
    """Number of sign patterns giving each signed-rank sum V = 0..n(n+1)/2 (no ties)."""
    top = n * (n + 1) // 2
    counts = np.zeros(top + 1)
    counts[0] = 1.0
    for k in range(1, n + 1):
        counts[k:] = counts[k:] + counts[:-k].copy()
    return counts


def _lower_quantile(counts: NDArray[np.float64], prob: float) -> int:
    """Smallest q with P(S ≤ q) ≥ prob (R's ``qwilcox``/``qsignrank``)."""
    cdf = np.cumsum(counts) / counts.sum()
    return int(np.searchsorted(cdf, prob * (1 - 64 * np.finfo(float).eps)))


def _order_stat_ci(
    sorted_vals: NDArray[np.float64], k: int, conf_level: float, method: str, kind: str
) -> Estimate:
    k = max(k, 1)
    total = sorted_vals.size
    low, high = sorted_vals[k - 1], sorted_vals[total - k]
    est = float(np.median(sorted_vals))
    return Estimate(kind, est, float(low), float(high), conf_level, method)


def _resolve_hl_method(method: HLMethod, has_ties: bool, small: bool) -> str:
    if method not in ("auto", "exact", "asymptotic"):
        raise ValueError("method must be 'auto', 'exact' or 'asymptotic'")
    if method == "auto":
        return "exact" if (small and not has_ties) else "asymptotic"
    return method


def hodges_lehmann_shift(
    a: Iterable[float], b: Iterable[float], *, method: HLMethod = "auto", conf_level: float = 0.95
) -> Estimate:
    """Hodges-Lehmann shift ``a − b`` with the Moses distribution-free CI.

    Parameters
    ----------
    a, b : iterable of float
        The two samples (NaN dropped).
    method : {"auto", "exact", "asymptotic"}
        How the CI rank ``k`` is found. ``exact``: ``k = qwilcox(α/2, n, m)`` (0 → 1) from
        the exact null distribution of U, as R's ``wilcox.test(exact=TRUE, conf.int=TRUE)``.
        ``asymptotic``: ``k = ⌊nm/2 − z₁₋α/₂·√(nm(n+m+1)/12) + ½⌋`` (nearest integer;
        Hollander & Wolfe 1999, §4.3; no tie correction). ``auto`` uses exact when both
        n < 50 and there are no ties (R's rule), else asymptotic.
    conf_level : float
        Confidence level.

    Returns
    -------
    Estimate
        ``value`` is the median of the n·m differences ``a_i − b_j``; the CI is
        ``(D_(k), D_(nm+1−k))`` of the sorted differences.

    Notes
    -----
    R's ``wilcox.test(exact=FALSE, conf.int=TRUE)`` does *not* compute this: it returns the
    root of the normal-approximation statistic found by ``uniroot(tol = 1e-4)``, which for
    tied data is a point inside a step of a step function. We report the textbook estimator
    and interval instead (reproducible, defined with ties) and pin them to R code that
    implements the same formulas.

    References
    ----------
    SAP.md "Beyond the paper"; Hodges & Lehmann (1963); Moses (1965).
    """
    x = clean_sample(a, name="a")
    y = clean_sample(b, name="b")
    diffs = np.sort(np.subtract.outer(x, y).ravel())
    n, m = x.size, y.size
    combined = np.concatenate([x, y])
    has_ties = np.unique(combined).size < combined.size
    chosen = _resolve_hl_method(method, has_ties, n < 50 and m < 50)
    alpha = 1 - conf_level
    if chosen == "exact":
        k = _lower_quantile(_mwu_null_counts(n, m), alpha / 2)
    else:
        z = float(stats.norm.ppf(1 - alpha / 2))
        k = math.floor(n * m / 2 - z * math.sqrt(n * m * (n + m + 1) / 12) + 0.5)
    return _order_stat_ci(diffs, k, conf_level, chosen, "hodges_lehmann_shift")


def hodges_lehmann_paired(
    before: Iterable[float],
    after: Iterable[float],
    *,
    method: HLMethod = "auto",
    conf_level: float = 0.95,
) -> Estimate:
    """Hodges-Lehmann pseudo-median of ``after − before`` with its distribution-free CI.

    Parameters
    ----------
    before, after : iterable of float
        Paired values; pairs with a NaN on either side are dropped.
    method : {"auto", "exact", "asymptotic"}
        ``exact``: ``k = qsignrank(α/2, n)`` (0 → 1), as R's
        ``wilcox.test(after, before, paired=TRUE, exact=TRUE, conf.int=TRUE)``;
        ``asymptotic``: ``k = ⌊N/2 − z·√(n(n+1)(2n+1)/24) + ½⌋`` with N = n(n+1)/2.
        ``auto``: exact when n < 50 with no ties and no zero differences.
    conf_level : float
        Confidence level.

    Returns
    -------
    Estimate
        Median of the n(n+1)/2 Walsh averages of the differences and the CI
        ``(W_(k), W_(N+1−k))``.

    Notes
    -----
    All differences, zeros included, enter the Walsh averages (R does the same when it
    computes the interval on data without zeros; with zeros R's exact method is unavailable).

    References
    ----------
    SAP.md "Beyond the paper"; Hollander & Wolfe (1999), §3.2.
    """
    b, a = clean_pairs(before, after)
    d = a - b
    n = d.size
    walsh = np.add.outer(d, d)[np.triu_indices(n)] / 2.0
    walsh.sort()
    has_ties = np.unique(np.abs(d)).size < n or bool((d == 0).any())
    chosen = _resolve_hl_method(method, has_ties, n < 50)
    alpha = 1 - conf_level
    if chosen == "exact":
        k = _lower_quantile(_signrank_null_counts(n), alpha / 2)
    else:
        z = float(stats.norm.ppf(1 - alpha / 2))
        big_n = n * (n + 1) / 2
        k = math.floor(big_n / 2 - z * math.sqrt(n * (n + 1) * (2 * n + 1) / 24) + 0.5)
    return _order_stat_ci(walsh, k, conf_level, chosen, "hodges_lehmann_pseudomedian")
