"""Pocock-Simon minimization with a random element (Pocock and Simon, Biometrics 1975).

Imbalance
---------
For a new participant and each candidate arm ``a``: for every factor, count the
already-allocated participants who share the new participant's level of that factor, per
arm, then add the new participant to ``a``; the factor's imbalance is the range of those
counts (max - min). The arm's score is the sum over factors of ``weight * range``
(weights default to 1, computed exactly with fractions so that ties are exact). The
arms with the lowest score are "best".

Draw
----
The only randomness is ``rng_value`` (a float in [0, 1)), so the caller can store the draw
and any decision can be recomputed for audit. [0, 1) is cut into consecutive intervals in
the arms' declared order:

* every arm is best (e.g. the first participant): ``k`` equal intervals, one per arm;
* otherwise the best arms share ``[0, p_best)`` equally (ties broken uniformly) and the
  other arms share ``[p_best, 1)`` equally. ``p_best = 1`` is deterministic minimization
  with random tie-breaking; ``p_best = 1/k`` is simple randomization.

Index ``i`` of ``n`` equal intervals over ``[lo, hi)`` is ``floor((u - lo) / (hi - lo) * n)``,
capped at ``n - 1``.

Allocation ratio
----------------
Only equal allocation is supported (all ratio entries equal). Counts scaled by unequal
ratios do not preserve the target ratio (Kuznetsova and Tymofyeyev, Stat Med 2012;
31:701-723), so unequal ratios raise ``ValueError`` instead of drifting silently.

Missing levels
--------------
Every factor must have a level in ``new_levels``. An already-allocated participant whose
levels lack a factor is not counted for that factor.
"""

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

Existing = Sequence[tuple[Mapping[str, str], str]]


@dataclass(frozen=True, slots=True)
class MinimizationDecision:
    """The arm given, each arm's imbalance score, and whether a best arm was chosen."""

    arm: str
    imbalance_by_arm: dict[str, float]
    chosen_best: bool


def _check(
    arms: Sequence[str], ratio: Sequence[int], factors: Sequence[str], p_best: float
) -> None:
    if len(arms) < 2 or len(set(arms)) != len(arms):
        raise ValueError("at least two distinct arms are needed")
    if len(ratio) != len(arms) or len(set(ratio)) != 1 or ratio[0] < 1:
        raise ValueError("minimization supports equal allocation only (e.g. ratio 1:1)")
    if len(set(factors)) != len(factors):
        raise ValueError("factors must be distinct")
    if not 1 / len(arms) <= p_best <= 1:
        raise ValueError(f"p_best must lie in [1/{len(arms)}, 1]")


def _weights(factors: Sequence[str], weights: Mapping[str, float] | None) -> dict[str, Fraction]:
    weights = weights or {}
    unknown = set(weights) - set(factors)
    if unknown:
        raise ValueError(f"weights given for unknown factors {sorted(unknown)}")
    if not all(math.isfinite(w) and w >= 0 for w in weights.values()):
        raise ValueError("weights must be finite and non-negative")
    return {factor: Fraction(weights.get(factor, 1)) for factor in factors}


def _counts(
    arms: Sequence[str], factors: Sequence[str], existing: Existing, new_levels: Mapping[str, str]
) -> dict[str, dict[str, int]]:
    counts = {factor: dict.fromkeys(arms, 0) for factor in factors}
    for levels, arm in existing:
        if arm not in arms:
            raise ValueError(f"an allocated participant has unknown arm {arm!r}")
        for factor in factors:
            if factor in levels and levels[factor] == new_levels[factor]:
                counts[factor][arm] += 1
    return counts


def _scores(
    arms: Sequence[str], counts: Mapping[str, Mapping[str, int]], weights: Mapping[str, Fraction]
) -> dict[str, Fraction]:
    scores = {}
    for candidate in arms:
        score = Fraction(0)
        for factor, by_arm in counts.items():
            after = [by_arm[arm] + (arm == candidate) for arm in arms]
            score += weights[factor] * (max(after) - min(after))
        scores[candidate] = score
    return scores


def _pick(arms: Sequence[str], lo: float, hi: float, u: float) -> str:
    return arms[min(int((u - lo) / (hi - lo) * len(arms)), len(arms) - 1)]


def _decide(
    arms: Sequence[str], scores: Mapping[str, Fraction], p_best: float, rng_value: float
) -> MinimizationDecision:
    low = min(scores.values())
    best = [arm for arm in arms if scores[arm] == low]
    others = [arm for arm in arms if scores[arm] != low]
    imbalance = {arm: float(scores[arm]) for arm in arms}
    if not others:
        return MinimizationDecision(_pick(best, 0.0, 1.0, rng_value), imbalance, True)
    if rng_value < p_best:
        return MinimizationDecision(_pick(best, 0.0, p_best, rng_value), imbalance, True)
    return MinimizationDecision(_pick(others, p_best, 1.0, rng_value), imbalance, False)


def minimization_assign(
    *,
    arms: Sequence[str],
    ratio: Sequence[int],
    factors: Sequence[str],
    existing: Existing,
    new_levels: Mapping[str, str],
    p_best: float,
    weights: Mapping[str, float] | None,
    rng_value: float,
) -> MinimizationDecision:
    """Return the arm for a new participant by Pocock-Simon minimization.

    Parameters
    ----------
    arms, ratio
        Arm codes and their ratio, which must be equal (see the module docstring).
    factors
        Factor codes; each must have a level in ``new_levels``. None at all means simple
        randomization (every arm is best).
    existing
        ``(levels, arm)`` of every participant already allocated in this list.
    new_levels
        The new participant's level of each factor.
    p_best
        Probability of choosing a best arm, in ``[1/len(arms), 1]``.
    weights
        Factor weights (default 1 each); must be finite and non-negative.
    rng_value
        The draw in ``[0, 1)`` that decides (see the module docstring).

    Returns
    -------
    MinimizationDecision
        ``imbalance_by_arm`` holds each arm's score as if it were chosen.
    """
    _check(arms, ratio, factors, p_best)
    if not 0.0 <= rng_value < 1.0:
        raise ValueError("rng_value must lie in [0, 1)")
    missing = [factor for factor in factors if factor not in new_levels]
    if missing:
        raise ValueError(f"the new participant has no level for {missing}")
    scores = _scores(arms, _counts(arms, factors, existing, new_levels), _weights(factors, weights))
    return _decide(arms, scores, p_best, rng_value)


def minimization_sequence(
    *,
    arms: Sequence[str],
    ratio: Sequence[int],
    factors: Sequence[str],
    cohort: Sequence[Mapping[str, str]],
    p_best: float,
    seed: int,
    weights: Mapping[str, float] | None = None,
) -> list[MinimizationDecision]:
    """Allocate a cohort in order, drawing ``rng_value`` from ``random.Random(seed).random()``.

    Gives the same decisions as calling ``minimization_assign`` once per participant with
    the participants before it as ``existing``, but keeps running counts (linear time).
    """
    _check(arms, ratio, factors, p_best)
    factor_weights = _weights(factors, weights)
    rng = random.Random(seed)
    table: dict[tuple[str, str], dict[str, int]] = {}
    decisions = []
    for levels in cohort:
        counts = {f: table.get((f, levels[f]), dict.fromkeys(arms, 0)) for f in factors}
        decision = _decide(arms, _scores(arms, counts, factor_weights), p_best, rng.random())
        for factor in factors:
            table.setdefault((factor, levels[factor]), dict.fromkeys(arms, 0))
            table[(factor, levels[factor])][decision.arm] += 1
        decisions.append(decision)
    return decisions
