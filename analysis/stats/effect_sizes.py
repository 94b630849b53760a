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
    docs/sap.md "Beyond the paper"; R ``t.test(var.equal=)``.
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


def _tie_sum(values: NDArray[np.float64]) -> float:
    """Σ(t³ − t) over the groups of equal values (0 without ties)."""
    t = np.unique(values, return_counts=True)[1].astype(float)
    return float((t**3 - t).sum())


def _resolve_hl_method(method: HLMethod, has_ties: bool, small: bool) -> str:
    if method not in ("auto", "exact", "asymptotic"):
        raise ValueError("method must be 'auto', 'exact' or 'asymptotic'")
    if method == "auto":
        return "exact" if (small and not has_ties) else "asymptotic"
    return method


def hodges_lehmann_shift(
    a: Iterable[float], b: Iterable[float], *, method: HLMethod = "auto", conf_level: float = 0.95
) -> Estimate:
    """Hodges-Lehmann shift ``a − b`` with the CI that inverts the Mann-Whitney test.

    Parameters
    ----------
    a, b : iterable of float
        The two samples (NaN dropped).
    method : {"auto", "exact", "asymptotic"}
        Which Mann-Whitney test the interval inverts. ``exact``: the exact test,
        ``k = qwilcox(α/2, n, m)`` (0 → 1), as R's
        ``wilcox.test(exact=TRUE, conf.int=TRUE)``. ``asymptotic``: the normal
        approximation **without continuity correction, with the tie correction** — the test
        :func:`~analysis.stats.comparisons.compare_continuous` prints (SAP) and R's
        ``wilcox.test(exact=FALSE, correct=FALSE, conf.int=TRUE)``:
        ``k = ⌊nm/2 − z₁₋α/₂·σ⌋ + 1`` with
        ``σ² = nm/12·(n + m + 1 − Σ(t³ − t)/((n + m)(n + m − 1)))`` over the groups of tied
        values *within* each sample (between the jumps of the test statistic no value of
        ``a − Δ`` ties with one of ``b``). ``auto`` uses exact when both n < 50 and there
        are no ties (R's rule), else asymptotic.
    conf_level : float
        Confidence level.

    Returns
    -------
    Estimate
        ``value`` is the median of the n·m differences ``a_i − b_j``; the CI is
        ``(D_(k), D_(nm+1−k))`` of the sorted differences: the shifts Δ at which the test
        of ``H0: shift = Δ`` changes its decision at level α. A comparison whose printed P
        is below α therefore has an interval that excludes 0, except when 0 is itself an
        end point (the test statistic jumps there).

    Notes
    -----
    R finds the same end points by ``uniroot`` on the step function of the statistic; they
    agree with ours to R's ``tol.root``. R's *asymptotic estimate* is another root of
    that step function (the statistic equal to its mean), which is the median of the
    differences when nm is odd and an arbitrary point between the two middle differences
    when nm is even; we report the median (as R's exact branch does). The continuity-
    corrected rank ``⌊nm/2 − zσ + ½⌋`` (Hollander & Wolfe) would invert the *corrected*
    test, which the SAP does not run.

    References
    ----------
    docs/sap.md "Beyond the paper"; docs/sap-conventions.md; Hodges & Lehmann (1963); Moses
    (1965); R ``stats:::wilcox.test.default``.
    """
    x = clean_sample(a, name="a")
    y = clean_sample(b, name="b")
    n, m = x.size, y.size
    combined = np.concatenate([x, y])
    has_ties = np.unique(combined).size < combined.size
    chosen = _resolve_hl_method(method, has_ties, n < 50 and m < 50)
    alpha = 1 - conf_level
    if chosen == "exact":
        k = _lower_quantile(_mwu_null_counts(n, m), alpha / 2)
    else:
        z = float(stats.norm.ppf(1 - alpha / 2))
        ties = _tie_sum(x) + _tie_sum(y)
        big = n + m
        sigma = math.sqrt(n * m / 12 * (big + 1 - ties / (big * (big - 1))))
        k = math.floor(n * m / 2 - z * sigma) + 1
    kind = "hodges_lehmann_shift"
    if n * m > _MAX_PAIRS_IN_MEMORY:
        # x_i − y_j is computed as x_i + (−y_j): IEEE 754 defines both to round alike
        pairs = PairSums(x, -y)
        return _selected_ci(pairs, k, conf_level, chosen, kind, scale=1.0)
    diffs = np.sort(np.subtract.outer(x, y).ravel())
    return _order_stat_ci(diffs, k, conf_level, chosen, kind)


def hodges_lehmann_paired(
    before: Iterable[float],
    after: Iterable[float],
    *,
    method: HLMethod = "auto",
    conf_level: float = 0.95,
) -> Estimate:
    """Hodges-Lehmann pseudo-median of ``after − before`` with the CI inverting Wilcoxon's test.

    Parameters
    ----------
    before, after : iterable of float
        Paired values; pairs with a NaN on either side are dropped.
    method : {"auto", "exact", "asymptotic"}
        Which signed-rank test the interval inverts. ``exact``: ``k = qsignrank(α/2, n)``
        (0 → 1), as R's ``wilcox.test(after, before, paired=TRUE, exact=TRUE,
        conf.int=TRUE)``; ``asymptotic``: the normal approximation **without continuity
        correction, with the tie correction** (the test
        :func:`~analysis.stats.comparisons.compare_paired` prints; R's
        ``exact=FALSE, correct=FALSE``): ``k = ⌊N/2 − z·σ⌋ + 1`` with N = n(n+1)/2 and
        ``σ² = n(n+1)(2n+1)/24 − Σ(t³ − t)/48`` over the groups of equal differences.
        ``auto``: exact when n < 50 with no ties and no zero differences.
    conf_level : float
        Confidence level.

    Returns
    -------
    Estimate
        Median of the N = n(n+1)/2 Walsh averages of the n non-zero differences and the CI
        ``(W_(k), W_(N+1−k))``: the shifts at which the test changes its decision. When
        every difference is zero: 0 (0, 0), ``method="none"``, with a note.

    Notes
    -----
    Zero differences are dropped first (Wilcoxon's method), as the printed test drops
    them and as R's ``wilcox.test`` does before it computes the interval; the interval is
    then the inversion of that test (at Δ = 0 it *is* the printed test). R's asymptotic
    *estimate* is a root of a step function; we report the median of the Walsh averages
    (see :func:`hodges_lehmann_shift`).

    References
    ----------
    docs/sap.md "Beyond the paper"; docs/sap-conventions.md; Hollander & Wolfe (1999), §3.2.
    """
    b, a = clean_pairs(before, after)
    d = a - b
    zeros = bool((d == 0).any())
    if zeros and not (d != 0).any():
        note = ("all differences are zero",)
        return Estimate("hodges_lehmann_pseudomedian", 0.0, 0.0, 0.0, conf_level, "none", note)
    d = d[d != 0]  # Wilcoxon's method, as the test (and R) do
    n = d.size
    has_ties = np.unique(np.abs(d)).size < n or zeros
    chosen = _resolve_hl_method(method, has_ties, n < 50)
    alpha = 1 - conf_level
    if chosen == "exact":
        k = _lower_quantile(_signrank_null_counts(n), alpha / 2)
    else:
        z = float(stats.norm.ppf(1 - alpha / 2))
        big_n = n * (n + 1) / 2
        sigma = math.sqrt(n * (n + 1) * (2 * n + 1) / 24 - _tie_sum(d) / 48)
        k = math.floor(big_n / 2 - z * sigma) + 1
    kind = "hodges_lehmann_pseudomedian"
    if n * (n + 1) // 2 > _MAX_PAIRS_IN_MEMORY:
        pairs = PairSums(d, d, triangle=True)
        return _selected_ci(pairs, k, conf_level, chosen, kind, scale=2.0)
    walsh = np.add.outer(d, d)[np.triu_indices(n)] / 2.0
    walsh.sort()
    return _order_stat_ci(walsh, k, conf_level, chosen, kind)


# Above this many pairwise differences (or Walsh averages) the Hodges-Lehmann estimate and
# interval are found by selection (:class:`PairSums`) instead of sorting every pair: the
# same order statistics, in O((n + m) log) memory instead of O(nm).
_MAX_PAIRS_IN_MEMORY = 2_000_000
# Distinct values below which the pairs are counted on the grid of distinct values.
_MAX_GRID = 2_000_000
# Candidate pairs few enough to sort outright when narrowing down an order statistic.
_MAX_CANDIDATES = 200_000


def _selected_ci(
    pairs: PairSums, k: int, conf_level: float, method: str, kind: str, *, scale: float
) -> Estimate:
    """As :func:`_order_stat_ci` on the sorted pair values / ``scale``, by selection."""
    k = max(k, 1)
    total = pairs.size
    low, high = pairs.kth(k) / scale, pairs.kth(total - k + 1) / scale
    if total % 2:
        est = pairs.kth(total // 2 + 1) / scale
    else:  # np.median: the mean of the two middle values
        est = np.mean(np.array([pairs.kth(total // 2), pairs.kth(total // 2 + 1)]) / scale)
    return Estimate(kind, float(est), float(low), float(high), conf_level, method)


class PairSums:
    """Order statistics of the pairwise sums ``a_i + b_j`` without forming them all.

    Every value is the floating-point sum ``fl(a_i + b_j)``, exactly as
    ``np.add.outer(a, b)`` computes it, so :meth:`kth` returns the same number as sorting
    the full outer sum (over all pairs, or over ``i ≤ j`` when ``triangle``, for which
    ``b`` must equal ``a``). Two ways, both exact:

    * few distinct values (tied data such as VAS, JOA, ODI): the sums of the distinct
      values, weighted by how many pairs give each, are sorted and accumulated;
    * otherwise a randomised selection: probe values split the pairs by counting, per
      ``a_i``, how many ``b_j`` give a sum ≤ the probe (a binary search in sorted ``b``,
      then corrected against the rounded sum itself); probes are drawn from a sample of
      the pairs still in play until few enough remain to sort. The random generator is
      seeded; the result does not depend on it, only the number of rounds does.
    """

    def __init__(self, a: NDArray[np.float64], b: NDArray[np.float64], *,
                 triangle: bool = False) -> None:  # fmt: skip
        self.a, self.b = np.sort(a), np.sort(b)
        self.triangle = triangle
        n, m = self.a.size, self.b.size
        self.size = n * (n + 1) // 2 if triangle else n * m
        self.rows = np.arange(n)
        self._grid = self._make_grid()

    def _make_grid(self) -> tuple[NDArray[np.float64], NDArray[np.int64]] | None:
        ua, ca = np.unique(self.a, return_counts=True)
        ub, cb = np.unique(self.b, return_counts=True)
        if ua.size * ub.size > _MAX_GRID:
            return None
        values = np.add.outer(ua, ub)
        weights = np.outer(ca, cb).astype(np.int64)
        if self.triangle:  # pairs i ≤ j: distinct p < q, or the same value twice
            weights = np.triu(weights, 1) + np.diag(ca * (ca + 1) // 2)
        values, weights = values.ravel(), weights.ravel()
        keep = weights > 0
        order = np.argsort(values[keep], kind="stable")
        return values[keep][order], np.cumsum(weights[keep][order])

    def kth(self, k: int) -> float:
        """The k-th smallest sum (1-based), as in the sorted outer sum."""
        if not 1 <= k <= self.size:
            raise ValueError("rank out of range")
        if self._grid is not None:
            values, cumulative = self._grid
            return float(values[np.searchsorted(cumulative, k)])
        return self._select(k)

    def _prefix(self, v: float) -> NDArray[np.int64]:
        """Per row i, how many b_j (sorted) give fl(a_i + b_j) ≤ v: a prefix of b."""
        a, b = self.a, self.b
        m = b.size
        k = np.searchsorted(b, v - a, side="right")
        while True:  # the guess may be off where v − a_i rounds; fix it on the sums
            up = k < m
            up[up] = a[up] + b[k[up]] <= v
            down = k > 0
            down[down] = a[down] + b[k[down] - 1] > v
            if not (up.any() or down.any()):
                return k
            k[up] = np.searchsorted(b, b[k[up]], side="right")
            k[down] = np.searchsorted(b, b[k[down] - 1], side="left")

    def _first(self, v: float) -> NDArray[np.int64]:
        """Per row, the first column in play for values ≤ v (the diagonal onward)."""
        k = self._prefix(v)
        return np.maximum(k, self.rows) if self.triangle else k

    def _start(self) -> NDArray[np.int64]:
        return self.rows.copy() if self.triangle else np.zeros(self.a.size, dtype=np.int64)

    def _count(self, ends: NDArray[np.int64], starts: NDArray[np.int64]) -> int:
        return int(np.maximum(ends - starts, 0).sum())

    def _select(self, k: int) -> float:
        rng = np.random.default_rng(20231124)
        low = self._start()  # pairs left of ``low`` are known to be below the answer
        high = np.full(self.a.size, self.b.size)  # pairs from ``high`` on are above it
        below = 0  # how many pairs lie left of ``low``
        previous = -1
        while True:
            counts = np.maximum(high - low, 0)
            remaining = int(counts.sum())
            if remaining <= _MAX_CANDIDATES:
                rows = np.repeat(self.rows, counts)
                offsets = np.arange(remaining) - np.repeat(np.cumsum(counts) - counts, counts)
                values = np.sort(self.a[rows] + self.b[low[rows] + offsets])
                return float(values[k - below - 1])
            live = counts > 0
            smallest = float((self.a[live] + self.b[low[live]]).min())
            largest = float((self.a[live] + self.b[high[live] - 1]).max())
            if smallest == largest:  # every pair left in play has the same value
                return smallest
            if remaining == previous:  # no progress (ties at the probes): bisect the values
                middle = smallest + (largest - smallest) / 2
                probes = [middle if middle < largest else smallest]
            else:
                probes = self._probes(rng, low, counts, remaining, (k - below) / remaining)
            previous = remaining
            for probe in probes:
                ends = np.clip(self._first(probe), low, high)
                at_or_below = below + self._count(ends, low)
                if at_or_below >= k:
                    high = ends
                else:
                    low, below = ends, at_or_below

    def _probes(self, rng: np.random.Generator, low: NDArray[np.int64], counts: NDArray[np.int64],
                remaining: int, share: float) -> list[float]:  # fmt: skip
        """Two values from a random sample of the pairs in play, bracketing the target share."""
        ends = np.cumsum(counts)
        sample = rng.integers(0, remaining, size=4_000)
        rows = np.searchsorted(ends, sample, side="right")
        offsets = sample - (ends - counts)[rows]
        values = np.sort(self.a[rows] + self.b[low[rows] + offsets])
        spread = 3 * math.sqrt(share * (1 - share) / values.size) + 2 / values.size
        return [
            float(values[min(max(int(q * values.size), 0), values.size - 1)])
            for q in (share - spread, share + spread)
        ]
