"""Construct two arms' values whose report summaries print the published ones (pure).

For one continuous row of the paper (two arms of n = 38 and 39), the solver places the
order statistics that the SAP's quantile definition (``numpy.quantile(..., "weibull")``,
SPSS's HAVERAGE: position p·(n + 1)) interpolates, so that Q1, Q3 and, where the value grid
allows, the median print as published; it then moves the free order statistics so that the
mean prints as the published centre too (the paper prints means beside quartiles in some
rows) and searches two shape parameters so that the report's own test
(:func:`analysis.stats.compare_continuous`) gives a P value as close to the published one
as the grid allows. Everything is deterministic: no random numbers are drawn here.

Every check uses the report's functions (``describe_continuous``, ``compare_continuous``),
so what the solver accepts is what the report prints.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np

# analysis.stats (scipy, statsmodels: ≈ 5 s to import) is imported where a solve needs it,
# so that a demo load reading the stored solution (analysis/demo_solution.json) does not.

SHAPES = tuple(np.round(np.linspace(-2.4, 2.4, 13), 2))


@dataclass(frozen=True, slots=True)
class Summary:
    """One arm's published cell: centre (median or mean), Q1, Q3, or mean ± SD."""

    centre: str
    q1: str = ""
    q3: str = ""
    sd: str = ""


@dataclass(frozen=True, slots=True)
class Row:
    """One published continuous row and the values the demo may take for it.

    ``grid`` is every value a participant can have (sorted); ``low``/``high`` bound the
    free tails; ``p`` is the published P value ("" when the paper gives only a marker;
    then ``p_aim`` is aimed at); ``zeros`` fixes leading values at the grid's minimum.
    When the centre cannot be a median on the grid (a mean), the median is placed as near
    it as the grid allows, unless ``median_near_mean`` is False (the tails could not then
    give the mean).
    """

    key: str
    grid: tuple[float, ...]
    arms: dict[str, Summary]
    p: str = ""
    p_aim: float = math.nan
    low: float = -math.inf
    high: float = math.inf
    zeros: dict[str, int] = field(default_factory=dict)
    decimals: int = 1
    median_near_mean: bool = True

    @property
    def target_p(self) -> float:
        if self.p:
            return 0.0002 if float(self.p) == 0 else float(self.p)
        return self.p_aim


@dataclass(frozen=True, slots=True)
class Solution:
    """Sorted values per arm and what of the row they reproduce."""

    values: dict[str, np.ndarray]
    p_value: float
    test: str
    mismatches: tuple[str, ...]

    @property
    def exact(self) -> bool:
        return not self.mismatches


def fmt(value: float, decimals: int = 1) -> str:
    """Format as the report does (``f"{v:.1f}"``)."""
    return f"{value:.{decimals}f}"


def _positions(n: int, p: float) -> tuple[int, int, float]:
    """Return (lower index, upper index, weight of upper) of the weibull quantile p."""
    h = p * (n + 1) - 1
    lower = min(max(int(math.floor(h)), 0), n - 1)
    frac = h - lower
    if frac < 1e-12:
        return lower, lower, 0.0
    return lower, min(lower + 1, n - 1), frac


def _snap(grid: np.ndarray, value: float, lo: float, hi: float) -> float:
    """Return the grid value nearest ``value`` within [lo, hi]."""
    inside = grid[(grid >= lo - 1e-9) & (grid <= hi + 1e-9)]
    if inside.size == 0:
        return float(grid[np.argmin(np.abs(grid - value))])
    return float(inside[np.argmin(np.abs(inside - value))])


def anchor(grid: np.ndarray, w: float, target: str, decimals: int) -> tuple[float, float, bool]:
    """Return the closest pair (a ≤ b) of grid values with (1 − w)·a + w·b printing ``target``.

    With w = 0 the pair is one value. When no pair prints ``target`` the nearest is returned
    with ``False`` (a published quantile that no data set on this grid can have).
    """
    t = float(target)
    near = grid[np.abs(grid - t) <= max(6.0, 12 * _step(grid))]
    best: tuple[float, float, float, float, bool] | None = None
    for a in near[near <= t + 1e-9]:
        for b in near[near >= a - 1e-9] if w else (a,):
            v = (1 - w) * a + w * b
            ok = fmt(v, decimals) == target
            key = (0 if ok else 1, 0 if ok else round(abs(v - t), 9), b - a, abs(v - t))
            if best is None or key < best[:4]:
                best = (*key, ok)
                pair = (float(a), float(b))
    if best is None:
        a = _snap(grid, t, -math.inf, math.inf)
        return a, a, False
    return pair[0], pair[1], best[4]


def _step(grid: np.ndarray) -> float:
    return float(np.median(np.diff(grid))) if grid.size > 1 else 1.0


def build_arm(row: Row, arm: str, n: int, shape: float) -> tuple[np.ndarray, list[str]]:
    """Return sorted values of one arm for a shape parameter, and the cells missed."""
    grid = np.asarray(row.grid, dtype=float)
    s = row.arms[arm]
    missed: list[str] = []
    fixed: dict[int, float] = {}
    zeros = row.zeros.get(arm, 0)
    for i in range(zeros):
        fixed[i] = float(grid[0])
    wants = [(0.25, s.q1, "q1"), (0.75, s.q3, "q3")]
    median_fixed = True
    wants.append((0.5, s.centre, "median"))
    for p, text, name in wants:
        lo_i, hi_i, w = _positions(n, p)
        if lo_i in fixed and hi_i != lo_i and hi_i not in fixed:
            a = fixed[lo_i]
            cands = grid[grid >= a]
            vals = (1 - w) * a + w * cands
            hit = [c for c, v in zip(cands, vals, strict=True) if fmt(v, row.decimals) == text]
            b = float(hit[0]) if hit else _snap(grid, (float(text) - (1 - w) * a) / w, a, 1e18)
            ok = bool(hit)
        else:
            a, b, ok = anchor(grid, w, text, row.decimals)
        if name == "median" and not ok:
            median_fixed = False  # a mean printed beside quartiles: the median as near it
            if not row.median_near_mean or lo_i in fixed or hi_i in fixed:
                continue  # as the grid allows (unless the tails cannot then give the mean)
            fixed[lo_i], fixed[hi_i] = a, b
            continue
        if not ok:
            missed.append(name)
        fixed.setdefault(lo_i, a)
        fixed[hi_i] = b
    x = _fill(grid, n, fixed, row, shape)
    if not median_fixed:
        missed.append("median (a mean)")
    return x, missed


def _fill(grid: np.ndarray, n: int, fixed: dict[int, float], row: Row, shape: float) -> np.ndarray:
    """Fill the free order statistics between the fixed ones, bent by ``shape``."""
    x = np.full(n, np.nan)
    for i, v in fixed.items():
        x[i] = v
    idx = sorted(fixed)
    bounds = [(-1, max(row.low, float(grid[0])))] + [(i, fixed[i]) for i in idx]
    bounds += [(n, min(row.high, float(grid[-1])))]
    power = math.exp(shape)
    for (i0, v0), (i1, v1) in zip(bounds, bounds[1:], strict=False):
        gap = i1 - i0 - 1
        if i0 == -1:
            v0 = min(v0, v1)
        if i1 == n:
            v1 = max(v1, v0)
        for k in range(gap):
            u = ((k + 1) / (gap + 1)) ** power
            x[i0 + 1 + k] = _snap(grid, v0 + (v1 - v0) * u, v0, v1)
    return np.sort(x)


def fix_mean(row: Row, arm: str, x: np.ndarray, target: str, locked: set[int]) -> np.ndarray:
    """Move free values (tails first) until the mean prints ``target``; quantiles unchanged."""
    grid = np.asarray(row.grid, dtype=float)
    x = x.copy()
    n = x.size
    free = [i for i in range(n - 1, -1, -1) if i not in locked]
    top = [i for i in free if i > max(locked, default=-1)]
    bottom = [i for i in free if i < min(locked, default=n)]
    inner = [i for i in free if i not in top and i not in bottom]
    order = top + bottom + inner
    for _ in range(6):
        if fmt(float(x.mean()), row.decimals) == target:
            return x
        for i in order:
            need = float(target) * n - float(x.sum())
            if abs(need) < 1e-9:
                break
            lo = x[i - 1] if i > 0 else max(row.low, float(grid[0]))
            hi = x[i + 1] if i < n - 1 else min(row.high, float(grid[-1]))
            x[i] = _snap(grid, x[i] + need, lo, hi)
            if fmt(float(x.mean()), row.decimals) == target:
                return x
    return x


def _locked(n: int, zeros: int) -> set[int]:
    out = set(range(zeros))
    for p in (0.25, 0.5, 0.75):
        lo, hi, _ = _positions(n, p)
        out |= {lo, hi}
    return out


def evaluate(row: Row, values: dict[str, np.ndarray]) -> tuple[list[str], float, str]:
    """Return the printed cells that differ from the paper, the P value and the test."""
    from analysis.stats import compare_continuous, describe_continuous

    desc = describe_continuous(values, decimals=row.decimals)
    missed = []
    for arm, s in row.arms.items():
        g = desc.groups[arm]
        if s.sd:
            got = (fmt(g.mean, row.decimals), fmt(g.sd, row.decimals))
            missed += [f"{arm} {n}" for n, a, b in zip(("mean", "sd"), got, (s.centre, s.sd),
                                                      strict=True) if a != b]  # fmt: skip
            continue
        for name, got, want in (("q1", g.q1, s.q1), ("q3", g.q3, s.q3), ("mean", g.mean, s.centre)):
            if fmt(got, row.decimals) != want:
                missed.append(f"{arm} {name}")
    kind = "mean_sd" if any(s.sd for s in row.arms.values()) else "median_iqr"
    if desc.kind != kind:
        missed.append(f"kind {desc.kind}")
    arms = list(row.arms)
    result = compare_continuous(values[arms[0]], values[arms[1]])
    return missed, result.p_value, result.test


def _fast(row: Row, values: dict[str, np.ndarray]) -> tuple[int, float]:
    """Cells missed and P as :func:`evaluate` gives them, for Mann-Whitney rows, fast."""
    from scipy import stats

    missed = 0
    normal = True
    for arm, s in row.arms.items():
        x = values[arm]
        q1, q3 = np.quantile(x, [0.25, 0.75], method="weibull")
        missed += (fmt(q1, row.decimals) != s.q1) + (fmt(q3, row.decimals) != s.q3)
        missed += fmt(float(x.mean()), row.decimals) != s.centre
        normal = normal and np.ptp(x) > 0 and float(stats.shapiro(x).pvalue) > 0.05
    a, b = (values[arm] for arm in row.arms)
    p = float(stats.mannwhitneyu(a, b, method="asymptotic", use_continuity=False).pvalue)
    return missed + int(normal), p


def solve(row: Row, sizes: dict[str, int]) -> Solution:
    """Search both arms' shapes for the published cells and the P value nearest the paper's."""
    candidates: dict[str, list[tuple[np.ndarray, list[str]]]] = {}
    for arm, n in sizes.items():
        arm_cands = []
        for shape in SHAPES:
            x, missed = build_arm(row, arm, n, shape)
            x = fix_mean(row, arm, x, row.arms[arm].centre, _locked(n, row.zeros.get(arm, 0)))
            arm_cands.append((x, [f"{arm} {m}" for m in missed]))
        candidates[arm] = arm_cands
    a, b = list(sizes)
    best: tuple[tuple[float, ...], Solution] | None = None
    for xa, ma in candidates[a]:
        for xb, mb in candidates[b]:
            values = {a: xa, b: xb}
            missed, p = _fast(row, values)
            key = (missed, _p_distance(row, p))
            if best is None or key < best[0]:
                best = (key, Solution(values, p, "", tuple(dict.fromkeys(ma + mb))))
    assert best is not None
    missed, p, test = evaluate(row, best[1].values)
    first = Solution(best[1].values, p, test, tuple(dict.fromkeys((*best[1].mismatches, *missed))))
    return refine(row, first)


def refine(row: Row, sol: Solution, rounds: int = 80) -> Solution:
    """Nudge free values one grid step at a time while the P value moves toward the paper's.

    A move keeps the order, the anchored order statistics and the printed mean (re-fixed);
    it is kept only when it loses no printed cell and brings P closer. Deterministic.
    """
    grid = np.asarray(row.grid, dtype=float)
    best, dist = sol, _p_distance(row, sol.p_value)
    for _ in range(rounds):
        if dist == 0.0:
            break
        improved = False
        for arm, x in best.values.items():
            n = x.size
            locked = _locked(n, row.zeros.get(arm, 0))
            for i in range(n):
                if i in locked:
                    continue
                for direction, spread in itertools.product((1, -1, 3, -3, 10, -10), (False, True)):
                    y = _moved(grid, x, i, direction, row)
                    j = n - 1 - i  # a spread move: the mirrored value the other way
                    if spread:
                        if y is None or j in locked or j == i:
                            continue
                        y = _moved(grid, y, j, -direction, row)
                    if y is None:
                        continue
                    y = fix_mean(row, arm, y, row.arms[arm].centre, locked | {i, j})
                    values = {**best.values, arm: y}
                    if not any(s.sd for s in row.arms.values()):
                        n_missed, p = _fast(row, values)
                        if n_missed > len(best.mismatches) - _unreachable(best):
                            continue
                        if _p_distance(row, p) >= dist - 1e-12:
                            continue
                    missed, p, test = evaluate(row, values)
                    if len(missed) > len(best.mismatches) - _unreachable(best):
                        continue
                    d = _p_distance(row, p)
                    if d < dist - 1e-12:
                        keep = tuple(m for m in best.mismatches if "median (a mean)" in m)
                        best = Solution(values, p, test, tuple(dict.fromkeys(keep + tuple(missed))))
                        dist, improved = d, True
                        break
                if improved:
                    break
            if improved:
                break
        if not improved:
            break
    return best


def _moved(grid: np.ndarray, x: np.ndarray, i: int, steps: int, row: Row) -> np.ndarray | None:
    """Return ``x`` with value ``i`` moved ``steps`` grid steps, or None if order breaks."""
    pos = int(np.searchsorted(grid, x[i] - 1e-9)) + steps
    if not 0 <= pos < grid.size:
        return None
    y = x.copy()
    y[i] = grid[pos]
    n = y.size
    if (i > 0 and y[i] < y[i - 1]) or (i < n - 1 and y[i] > y[i + 1]):
        return None
    if not (row.low - 1e-9 <= y[i] <= row.high + 1e-9):
        return None
    return y


def _unreachable(sol: Solution) -> int:
    return sum("median (a mean)" in m for m in sol.mismatches)


def _p_distance(row: Row, p: float) -> float:
    from analysis.stats import format_p

    if row.p and format_p(p) == ("< 0.001" if float(row.p) == 0 else row.p):
        return 0.0
    target = row.target_p
    return abs(math.log(max(p, 1e-12)) - math.log(target))


def solve_mean_sd(row: Row, sizes: dict[str, int]) -> Solution:
    """Search truncated-normal shapes per arm for a mean ± SD row with the paper's P value."""
    a, b = list(sizes)
    cands = {arm: mean_sd_arms(row, arm, n) for arm, n in sizes.items()}
    best: tuple[tuple[float, ...], Solution] | None = None
    for xa in cands[a]:
        for xb in cands[b]:
            values = {a: xa, b: xb}
            missed, p, test = evaluate(row, values)
            key = (len(missed), _p_distance(row, p))
            if best is None or key < best[0]:
                best = (key, Solution(values, p, test, tuple(missed)))
    assert best is not None
    return refine(row, best[1])


def mean_sd_arms(row: Row, arm: str, n: int, keep: int = 8) -> list[np.ndarray]:
    """Return up to ``keep`` samples whose mean and SD print as published, most normal first.

    Each is the (n) plotting-position quantiles of a normal truncated to [low, high],
    snapped to the grid; Shapiro-Wilk must not reject (P > 0.05).
    """
    from scipy import stats

    grid = np.asarray(row.grid, dtype=float)
    low, high = max(row.low, float(grid[0])), min(row.high, float(grid[-1]))
    s = row.arms[arm]
    u = (np.arange(1, n + 1) - 0.375) / (n + 0.25)
    found: list[tuple[float, np.ndarray]] = []
    for scale in np.linspace(0.6, 3.0, 25) * float(s.sd):
        for loc in float(s.centre) + np.linspace(-2.0, 4.0, 61) * float(s.sd):
            x = stats.truncnorm.ppf(u, (low - loc) / scale, (high - loc) / scale, loc, scale)
            x = np.array([_snap(grid, v, low, high) for v in x])
            if fmt(float(x.mean())) == s.centre and fmt(float(x.std(ddof=1))) == s.sd:
                p = float(stats.shapiro(x).pvalue)
                if p > 0.05:
                    found.append((p, x))
    found.sort(key=lambda t: -t[0])
    return [x for _, x in found[:keep]]
