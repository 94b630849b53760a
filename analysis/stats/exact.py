"""Exact conditional tests for contingency tables.

* Fisher's exact test on a 2×2 table: two-sided (R's rule), each tail, and the SPSS
  "Exact Sig. (1-sided)" value used by the paper-compatible mode.
* The Fisher-Freeman-Halton (FFH) test on an r×c table by exact enumeration, and a seeded
  Monte Carlo version for tables too large to enumerate (SAP: ≥ 100,000 samples, with CI).

``scipy.stats.fisher_exact`` on tables larger than 2×2 is Monte Carlo and unseeded, so it
is not used (SAP "Test selection").
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import stats
from scipy.special import gammaln

from analysis.stats._validation import clean_table

# R's fisher.test treats tables whose probability is within a relative 1e-7 of the observed
# one as "as extreme" (relErr <- 1 + 10^(-7)); we use the same tolerance.
_REL_ERR = 1e-7


@dataclass(frozen=True, slots=True)
class FisherResult:
    """Fisher's exact test on a 2×2 table.

    Attributes
    ----------
    odds_ratio : float
        Sample (unconditional) odds ratio ``a*d / (b*c)``.
    p_two_sided : float
        Sum of the probabilities of all tables no more likely than the observed one.
    p_less, p_greater : float
        ``P(X <= a)`` and ``P(X >= a)`` for the top-left cell ``a``.
    p_one_sided : float
        ``min(p_less, p_greater)``: the tail in the direction of the observed table, as
        SPSS prints it under "Exact Sig. (1-sided)".
    """

    odds_ratio: float
    p_two_sided: float
    p_less: float
    p_greater: float
    p_one_sided: float


@dataclass(frozen=True, slots=True)
class FFHResult:
    """Fisher-Freeman-Halton exact test on an r×c table.

    Attributes
    ----------
    statistic : float
        ``-2 ln(γ P)`` (Mehta & Patel; the value SPSS prints), with P the observed table's
        probability.
    p_value : float
        Exact P value (or Monte Carlo estimate, see ``method``).
    method : str
        ``"exact"`` or ``"monte_carlo"``.
    ci_low, ci_high : float | None
        99% Clopper-Pearson interval for a Monte Carlo P value; ``None`` when exact.
    n_samples : int | None
        Monte Carlo sample count.
    """

    statistic: float
    p_value: float
    method: str
    ci_low: float | None = None
    ci_high: float | None = None
    n_samples: int | None = None


def fisher_2x2(table: Sequence[Sequence[int]]) -> FisherResult:
    """Fisher's exact test for a 2×2 table, two-sided and one-sided.

    Parameters
    ----------
    table : 2×2 sequence of int
        Rows are arms, columns are (event, no event).

    Returns
    -------
    FisherResult

    Notes
    -----
    The two-sided P value follows R's ``fisher.test``: the probabilities of all tables with
    the observed margins whose probability is ≤ the observed one × (1 + 1e-7). The
    one-sided value is ``min(P(X ≤ a), P(X ≥ a))`` under the hypergeometric distribution
    of the top-left cell — SPSS's "Exact Sig. (1-sided)", which the paper printed.

    References
    ----------
    docs/sap.md "Test selection" and "Paper-compatible mode".
    """
    t = clean_table(table)
    if t.shape != (2, 2):
        raise ValueError("fisher_2x2 needs a 2×2 table")
    a, b = int(t[0, 0]), int(t[0, 1])
    c, d = int(t[1, 0]), int(t[1, 1])
    row1, col1, n = a + b, a + c, a + b + c + d
    dist = stats.hypergeom(n, col1, row1)
    lo, hi = max(0, row1 + col1 - n), min(row1, col1)
    support = np.arange(lo, hi + 1)
    pmf = dist.pmf(support)
    p_obs = dist.pmf(a)
    p_two = float(min(1.0, pmf[pmf <= p_obs * (1 + _REL_ERR)].sum()))
    p_less = float(min(1.0, pmf[support <= a].sum()))
    p_greater = float(min(1.0, pmf[support >= a].sum()))
    with np.errstate(divide="ignore", invalid="ignore"):
        odds = float(np.divide(a * d, b * c)) if b * c else (math.inf if a * d else math.nan)
    return FisherResult(odds, p_two, p_less, p_greater, min(p_less, p_greater))


def _drop_empty(t: NDArray[np.int64]) -> NDArray[np.int64]:
    return t[t.sum(axis=1) > 0][:, t.sum(axis=0) > 0]


def _compositions(total: int, caps: tuple[int, ...]) -> Iterator[tuple[int, ...]]:
    """Yield every way to split ``total`` into len(caps) parts with part i ≤ caps[i]."""
    if len(caps) == 1:
        if total <= caps[0]:
            yield (total,)
        return
    rest_cap = sum(caps[1:])
    for first in range(max(0, total - rest_cap), min(caps[0], total) + 1):
        for tail in _compositions(total - first, caps[1:]):
            yield (first, *tail)


def _merge(values: NDArray[np.float64], weights: NDArray[np.float64]) -> tuple:
    keys = np.round(values, 10)
    uniq, inverse = np.unique(keys, return_inverse=True)
    return uniq, np.bincount(inverse, weights=weights)


@lru_cache(maxsize=4096)
def _futures(cols: tuple[int, ...], rows: tuple[int, ...]) -> tuple:
    """Distribution of ``-Σ ln(cell!)`` over all fillings of ``cols`` given row margins.

    Returns (sorted distinct values, number of tables with each value). Row margins are a
    sorted tuple: the distribution depends only on their multiset, which is what makes the
    memoisation (a simple network algorithm) effective.
    """
    if len(cols) == 1:
        return np.array([-float(gammaln(np.array(rows) + 1).sum())]), np.array([1.0])
    vals: list[NDArray[np.float64]] = []
    wts: list[NDArray[np.float64]] = []
    for part in _compositions(cols[0], rows):
        child = tuple(sorted(r - x for r, x in zip(rows, part, strict=True)))
        fv, fw = _futures(cols[1:], child)
        vals.append(fv - float(gammaln(np.array(part) + 1).sum()))
        wts.append(fw)
    return _merge(np.concatenate(vals), np.concatenate(wts))


def _log_const(t: NDArray[np.int64]) -> float:
    n = int(t.sum())
    return float(
        gammaln(t.sum(axis=1) + 1).sum() + gammaln(t.sum(axis=0) + 1).sum() - gammaln(n + 1)
    )


def _ffh_statistic(t: NDArray[np.int64], log_p_obs: float) -> float:
    r, c = t.shape
    n = float(t.sum())
    log_gamma = (
        (r - 1) * (c - 1) / 2 * math.log(2 * math.pi)
        - (r * c - 1) / 2 * math.log(n)
        + (c - 1) / 2 * float(np.log(t.sum(axis=1)).sum())
        + (r - 1) / 2 * float(np.log(t.sum(axis=0)).sum())
    )
    return -2.0 * (log_gamma + log_p_obs)


def ffh_exact(table: Sequence[Sequence[int]]) -> FFHResult:
    """Exact Fisher-Freeman-Halton test for an r×c table.

    Parameters
    ----------
    table : sequence of rows of int
        One row per arm, one column per category. Rows or columns that are empty in every
        arm are dropped first (they carry no information; SPSS does the same).

    Returns
    -------
    FFHResult
        With ``method == "exact"``.

    Notes
    -----
    The P value is the total probability, under the multiple hypergeometric distribution
    with the observed margins, of all tables whose probability is ≤ the observed one
    × (1 + 1e-7) — the same definition and tolerance as R's ``fisher.test`` on r×c tables.
    Tables are enumerated column by column with memoisation on the (sorted) remaining row
    margins, so the cost grows with the number of distinct sub-problems rather than the
    number of tables; two-arm tables of trial size take milliseconds. On a 2×2 table the
    result equals Fisher's two-sided test.

    References
    ----------
    docs/sap.md "Test selection" (r×c nominal); Freeman & Halton (1951); Mehta & Patel (1983).
    """
    t = _drop_empty(clean_table(table))
    if t.shape[0] < 2 or t.shape[1] < 2:
        return FFHResult(statistic=0.0, p_value=1.0, method="exact")
    const = _log_const(t)
    log_p_obs = const - float(gammaln(t + 1).sum())
    if t.shape[0] == 2 and int(t.sum()) > _NETWORK_MAX_N:
        p = _ffh_two_rows(t)
        return FFHResult(statistic=_ffh_statistic(t, log_p_obs), p_value=p, method="exact")
    return FFHResult(
        statistic=_ffh_statistic(t, log_p_obs), p_value=_ffh_network(t), method="exact"
    )


def _ffh_network(t: NDArray[np.int64]) -> float:
    """Exact FFH P value by the memoised column-by-column enumeration (any r×c)."""
    const = _log_const(t)
    log_p_obs = const - float(gammaln(t + 1).sum())
    cols = tuple(int(x) for x in sorted(t.sum(axis=0)))
    rows = tuple(int(x) for x in sorted(t.sum(axis=1)))
    values, weights = _futures(cols, rows)
    log_p = const + values
    keep = log_p <= log_p_obs + math.log1p(_REL_ERR)
    return float(min(1.0, (weights[keep] * np.exp(log_p[keep])).sum()))


# Two-arm tables above this total use the bounded two-row algorithm below (the network
# enumeration's distinct values, and so its time and memory, grow with n^(c-1)).
_NETWORK_MAX_N = 200
# Margin (in log probability) by which a bound must clear the threshold before a whole
# block of tables is counted without looking at each: far above the rounding error of the
# bounds (~1e-9), so that every table near the threshold is decided by its own probability.
_BOUND_MARGIN = 1e-6


def _log_choose(n: Any, k: Any) -> Any:
    return gammaln(np.asarray(n) + 1) - gammaln(np.asarray(k) + 1) - gammaln(np.asarray(n) - k + 1)


class _TwoRows:
    """Exact FFH P value of a 2×c table without enumerating every table.

    A table is fixed by the first row's counts ``x_j`` (Σ x_j = r1); its probability is
    ``Π C(c_j, x_j) / C(n, r1)``, so ``log p = Σ G_j(x_j) − log C(n, r1)`` with ``G_j`` the
    log binomial coefficients, each concave in ``x_j``. Hence:

    * the largest ``Σ_{j≥k} G_j`` of the last columns given their total ``s`` is found
      greedily (sorted marginal gains), giving an upper bound ``M_k(s)``;
    * the total probability of all completions of the last columns is known in closed form
      (Vandermonde: ``C(S_k, s)``), and the probability of a range of ``x_k`` is a
      hypergeometric tail;
    * along any one column, the tables above the threshold form an interval (a concave
      function's superlevel set).

    So, column by column, only the interval of ``x_k`` whose bound reaches the threshold is
    explored; the two tails outside it count in full by hypergeometric tails; the last
    two columns are solved for all values of the third-last at once with vectorised
    bisection. Each table that can be near the threshold is still decided by its own
    probability, so the P value is the same sum as full enumeration (up to rounding).
    """

    def __init__(self, t: NDArray[np.int64]) -> None:
        order = np.argsort(t.sum(axis=0), kind="stable")  # narrow columns first
        self.x_obs = t[0, order].astype(np.int64)
        self.cols = t.sum(axis=0)[order].astype(np.int64)
        self.r1, self.n = int(t[0].sum()), int(t.sum())
        self.g = [_log_choose(c, np.arange(c + 1)) for c in self.cols]
        self.suffix = np.concatenate([np.cumsum(self.cols[::-1])[::-1], [0]])
        self.bound = [self._max_sum(k) for k in range(len(self.cols))]
        self.norm = float(_log_choose(self.n, self.r1))
        observed = sum(float(self.g[j][x]) for j, x in enumerate(self.x_obs))
        self.tau = observed + math.log1p(_REL_ERR)

    def _max_sum(self, k: int) -> NDArray[np.float64]:
        """M_k(s): the largest Σ_{j≥k} G_j(x_j) with Σ x_j = s, for s = 0..S_k."""
        gains = [np.diff(self.g[j]) for j in range(k, len(self.cols))]
        merged = -np.sort(-np.concatenate(gains)) if gains else np.array([])
        return np.concatenate([[0.0], np.cumsum(merged)])

    def _tails(self, k: int, s: int, low: int, high: int) -> float:
        """Probability mass (relative to the whole suffix) of x_k < low or x_k > high."""
        dist = stats.hypergeom(int(self.suffix[k]), int(self.cols[k]), s)
        return float(dist.cdf(low - 1) + dist.sf(high))

    def _interval(self, k: int, s: int, acc: float) -> tuple[int, int, int, int] | None:
        """Feasible range of x_k and the sub-range whose bound may reach the threshold."""
        lo, hi = max(0, s - int(self.suffix[k + 1])), min(int(self.cols[k]), s)
        xs = np.arange(lo, hi + 1)
        h = acc + self.g[k][xs] + self.bound[k + 1][s - xs]
        above = np.flatnonzero(h > self.tau - _BOUND_MARGIN)
        if above.size == 0:
            return None
        return lo, hi, lo + int(above[0]), lo + int(above[-1])

    def p_value(self) -> float:
        return float(min(1.0, self._count(0, self.r1, 0.0)))

    def _count(self, k: int, s: int, acc: float) -> float:
        """Probability of the tables with prefix sum ``acc`` at or below the threshold."""
        whole = math.exp(acc + float(_log_choose(int(self.suffix[k]), s)) - self.norm)
        if len(self.cols) - k == 2:
            return float(self._last_two(np.array([acc]), np.array([s]))[0])
        found = self._interval(k, s, acc)
        if found is None:
            return whole
        lo, hi, low, high = found
        total = whole * self._tails(k, s, low, high) if (low > lo or high < hi) else 0.0
        xs = np.arange(low, high + 1)
        accs = acc + self.g[k][xs]
        if len(self.cols) - k == 3:
            return total + float(self._last_two(accs, s - xs).sum())
        return total + sum(
            self._count(k + 1, s - int(x), float(a)) for x, a in zip(xs, accs, strict=True)
        )

    def _last_two(self, acc: NDArray[np.float64], s: NDArray[np.int64]) -> NDArray:
        """Counted probability for each (acc, s) when only the last two columns remain."""
        j = len(self.cols) - 2
        ga, gb, ca, cb = self.g[j], self.g[j + 1], int(self.cols[j]), int(self.cols[j + 1])
        lo, hi = np.maximum(0, s - cb), np.minimum(ca, s)

        def f(x: NDArray[np.int64]) -> NDArray[np.float64]:
            return acc + ga[x] + gb[s - x]

        # mode: the first x whose next step does not increase f (f is concave in x)
        a, b = lo.copy(), hi.copy()
        while (a < b).any():
            mid = (a + b) // 2
            rising = np.where(mid < hi, f(np.minimum(mid + 1, hi)) > f(mid), False)
            a, b = np.where(rising, mid + 1, a), np.where(rising, b, mid)
        mode = a
        peak_above = f(mode) > self.tau
        # first x in [lo, mode] above the threshold, last x in [mode, hi] above it
        a, b = lo.copy(), mode.copy()
        while (a < b).any():
            mid = (a + b) // 2
            up = f(mid) > self.tau
            a, b = np.where(up, a, mid + 1), np.where(up, mid, b)
        first = a
        a, b = mode.copy(), hi.copy()
        while (a < b).any():
            mid = (a + b + 1) // 2
            up = f(mid) > self.tau
            a, b = np.where(up, mid, a), np.where(up, b, mid - 1)
        last = a
        whole = np.exp(acc + _log_choose(ca + cb, s) - self.norm)
        counted = stats.hypergeom.cdf(first - 1, ca + cb, ca, s) + stats.hypergeom.sf(
            last, ca + cb, ca, s
        )
        return np.where(peak_above, whole * counted, whole)


def _ffh_two_rows(t: NDArray[np.int64]) -> float:
    """Exact FFH P value of a two-row table (see :class:`_TwoRows`)."""
    return _TwoRows(t).p_value()


def ffh_monte_carlo(
    table: Sequence[Sequence[int]], *, n_samples: int = 100_000, seed: int
) -> FFHResult:
    """Monte Carlo Fisher-Freeman-Halton test with a fixed seed.

    Parameters
    ----------
    table : sequence of rows of int
        As for :func:`ffh_exact`.
    n_samples : int
        Number of random tables (SAP: at least 100,000).
    seed : int
        Seed of the NumPy generator (required: results must be reproducible).

    Returns
    -------
    FFHResult
        With ``method == "monte_carlo"`` and a 99% Clopper-Pearson interval for P.

    Notes
    -----
    Tables are drawn from the multiple hypergeometric distribution with the observed
    margins (``scipy.stats.random_table``). Use only when :func:`ffh_exact` is too slow.

    References
    ----------
    docs/sap.md "Test selection".
    """
    if n_samples < 100_000:
        raise ValueError("the SAP requires at least 100,000 Monte Carlo samples")
    t = _drop_empty(clean_table(table))
    if t.shape[0] < 2 or t.shape[1] < 2:
        return FFHResult(0.0, 1.0, "monte_carlo", 1.0, 1.0, n_samples)
    const = _log_const(t)
    log_p_obs = const - float(gammaln(t + 1).sum())
    rng = np.random.default_rng(seed)
    dist = stats.random_table(t.sum(axis=1), t.sum(axis=0))
    draws = dist.rvs(size=n_samples, random_state=rng)
    log_p = const - gammaln(draws + 1).sum(axis=(1, 2))
    hits = int((log_p <= log_p_obs + math.log1p(_REL_ERR)).sum())
    ci = stats.binomtest(hits, n_samples).proportion_ci(confidence_level=0.99)
    return FFHResult(
        statistic=_ffh_statistic(t, log_p_obs),
        p_value=hits / n_samples,
        method="monte_carlo",
        ci_low=float(ci.low),
        ci_high=float(ci.high),
        n_samples=n_samples,
    )
