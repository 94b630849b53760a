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
Unequal ratios ``w_1:...:w_K`` (e.g. 2:1) use the allocation-ratio-preserving mapping of
Kuznetsova and Tymofyeyev (Stat Med 2012; 31:701-723): the ``K`` arms are expanded into
``S = w_1 + ... + w_K`` *virtual arms*, ``w_k`` of them for arm ``k`` (arm ``R`` of a 2:1
trial becomes ``R#1`` and ``R#2``, arm ``U`` stays ``U``), equal-allocation minimization
as above runs over the virtual arms (counts, ranges, best arms and the draw are per
virtual arm, in declared order), and the chosen virtual arm maps back to its arm. The
equal-allocation procedure treats the ``S`` virtual arms symmetrically, so before any
covariate is known each virtual arm is equally likely at every step and arm ``k``'s
unconditional probability is ``w_k / S`` at *every* allocation (the ARP property). The
naive alternative, minimizing counts divided by the ratio, has no such symmetry: its first
participant already goes 1:1 (every arm ties), and the ratio drifts.

Each allocation records its virtual arm. An allocation whose virtual arm is not known (a
historical allocation, given by its arm only) counts ``1 / w_k`` in each virtual arm of
its arm. When every ``w_k`` is 1 the virtual arms are the arms and nothing changes.

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
from typing import Any

Existing = Sequence[tuple[Mapping[str, str], str]]
VIRTUAL_SEPARATOR = "#"


@dataclass(frozen=True, slots=True)
class MinimizationDecision:
    """The arm given, each (virtual) arm's imbalance score, whether a best arm was chosen,
    and the virtual arm drawn (the arm itself under equal allocation)."""

    arm: str
    imbalance_by_arm: dict[str, float]
    chosen_best: bool
    virtual_arm: str


def virtual_arms(arms: Sequence[str], ratio: Sequence[int]) -> list[tuple[str, str]]:
    """``(virtual arm, arm)`` in declared order: ``w`` virtual arms ``A#1 .. A#w`` for an arm
    of ratio ``w`` > 1, the arm itself for ratio 1 (see the module docstring)."""
    expanded = []
    for arm, weight in zip(arms, ratio, strict=True):
        if weight == 1:
            expanded.append((arm, arm))
        else:
            expanded.extend((f"{arm}{VIRTUAL_SEPARATOR}{i}", arm) for i in range(1, weight + 1))
    return expanded


def _check(
    arms: Sequence[str], ratio: Sequence[int], factors: Sequence[str], p_best: float
) -> None:
    if len(arms) < 2 or len(set(arms)) != len(arms):
        raise ValueError("at least two distinct arms are needed")
    if any(VIRTUAL_SEPARATOR in arm for arm in arms):
        raise ValueError(f"arm codes must not contain {VIRTUAL_SEPARATOR!r}")
    if len(ratio) != len(arms) or any(int(w) != w or w < 1 for w in ratio):
        raise ValueError("the ratio needs one positive whole number per arm")
    if math.gcd(*ratio) != 1:
        raise ValueError("the ratio must be in lowest terms (e.g. 2:1, not 4:2)")
    if len(set(factors)) != len(factors):
        raise ValueError("factors must be distinct")
    if not 1 / sum(ratio) <= p_best <= 1:
        raise ValueError(f"p_best must lie in [1/{sum(ratio)}, 1]")


def _weights(factors: Sequence[str], weights: Mapping[str, float] | None) -> dict[str, Fraction]:
    weights = weights or {}
    unknown = set(weights) - set(factors)
    if unknown:
        raise ValueError(f"weights given for unknown factors {sorted(unknown)}")
    if not all(math.isfinite(w) and w >= 0 for w in weights.values()):
        raise ValueError("weights must be finite and non-negative")
    return {factor: Fraction(weights.get(factor, 1)) for factor in factors}


def _shares(expanded: Sequence[tuple[str, str]], arm: str) -> dict[str, Fraction]:
    """What one allocation to ``arm`` (an arm or a virtual arm) adds to each virtual arm."""
    if arm in dict(expanded):
        return {arm: Fraction(1)}
    mine = [virtual for virtual, real in expanded if real == arm]
    if not mine:
        raise ValueError(f"an allocated participant has unknown arm {arm!r}")
    return {virtual: Fraction(1, len(mine)) for virtual in mine}


def _counts(
    expanded: Sequence[tuple[str, str]],
    factors: Sequence[str],
    existing: Existing,
    new_levels: Mapping[str, str],
) -> dict[str, dict[str, Fraction]]:
    counts = {factor: {virtual: Fraction(0) for virtual, _ in expanded} for factor in factors}
    for levels, arm in existing:
        shares = _shares(expanded, arm)
        for factor in factors:
            if factor in levels and levels[factor] == new_levels[factor]:
                for virtual, share in shares.items():
                    counts[factor][virtual] += share
    return counts


def _scores(
    arms: Sequence[str],
    counts: Mapping[str, Mapping[str, Fraction | int]],
    weights: Mapping[str, Fraction],
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
    expanded: Sequence[tuple[str, str]],
    scores: Mapping[str, Fraction],
    p_best: float,
    rng_value: float,
) -> MinimizationDecision:
    to_arm = dict(expanded)
    arms = [virtual for virtual, _ in expanded]
    low = min(scores.values())
    best = [arm for arm in arms if scores[arm] == low]
    others = [arm for arm in arms if scores[arm] != low]
    imbalance = {arm: float(scores[arm]) for arm in arms}
    if not others:
        chosen, is_best = _pick(best, 0.0, 1.0, rng_value), True
    elif rng_value < p_best:
        chosen, is_best = _pick(best, 0.0, p_best, rng_value), True
    else:
        chosen, is_best = _pick(others, p_best, 1.0, rng_value), False
    return MinimizationDecision(to_arm[chosen], imbalance, is_best, chosen)


def _prepare(
    arms: Sequence[str],
    ratio: Sequence[int],
    factors: Sequence[str],
    existing: Existing,
    new_levels: Mapping[str, str],
    p_best: float,
    weights: Mapping[str, float] | None,
) -> tuple[list[tuple[str, str]], dict[str, Fraction]]:
    _check(arms, ratio, factors, p_best)
    missing = [factor for factor in factors if factor not in new_levels]
    if missing:
        raise ValueError(f"the new participant has no level for {missing}")
    expanded = virtual_arms(arms, ratio)
    counts = _counts(expanded, factors, existing, new_levels)
    return expanded, _scores([v for v, _ in expanded], counts, _weights(factors, weights))


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
        Arm codes and their ratio in lowest terms (unequal: see the module docstring).
    factors
        Factor codes; each must have a level in ``new_levels``. None at all means simple
        randomization (every arm is best).
    existing
        ``(levels, arm)`` of every participant already allocated in this list; ``arm`` is
        the virtual arm recorded by an earlier decision, or the arm when none is known.
    new_levels
        The new participant's level of each factor.
    p_best
        Probability of choosing a best (virtual) arm, in ``[1/sum(ratio), 1]``.
    weights
        Factor weights (default 1 each); must be finite and non-negative.
    rng_value
        The draw in ``[0, 1)`` that decides (see the module docstring).

    Returns
    -------
    MinimizationDecision
        ``imbalance_by_arm`` holds each virtual arm's score as if it were chosen.
    """
    if not 0.0 <= rng_value < 1.0:
        raise ValueError("rng_value must lie in [0, 1)")
    expanded, scores = _prepare(arms, ratio, factors, existing, new_levels, p_best, weights)
    return _decide(expanded, scores, p_best, rng_value)


def virtual_arm_probabilities(
    *,
    arms: Sequence[str],
    ratio: Sequence[int],
    factors: Sequence[str],
    existing: Existing,
    new_levels: Mapping[str, str],
    p_best: float | Fraction,
    weights: Mapping[str, float] | None = None,
) -> dict[str, Fraction]:
    """Each virtual arm's probability of being drawn for the new participant, exactly
    (``p_best`` read as the decimal it is written as: 0.8 is 4/5): the measure of the draws
    that ``minimization_assign`` maps to it."""
    p = Fraction(str(p_best)) if isinstance(p_best, float) else Fraction(p_best)
    expanded, scores = _prepare(arms, ratio, factors, existing, new_levels, float(p), weights)
    low = min(scores.values())
    best = [virtual for virtual, _ in expanded if scores[virtual] == low]
    others = [virtual for virtual, _ in expanded if scores[virtual] != low]
    if not others:
        return {virtual: Fraction(1, len(expanded)) for virtual, _ in expanded}
    return {
        virtual: p / len(best) if virtual in best else (1 - p) / len(others)
        for virtual, _ in expanded
    }


def minimization_probabilities(**kwargs: Any) -> dict[str, Fraction]:
    """Each arm's probability of being given to the new participant (the sum over its
    virtual arms); same arguments as ``virtual_arm_probabilities``."""
    by_virtual = virtual_arm_probabilities(**kwargs)
    result = dict.fromkeys(kwargs["arms"], Fraction(0))
    for virtual, arm in virtual_arms(kwargs["arms"], kwargs["ratio"]):
        result[arm] += by_virtual[virtual]
    return result


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
    the participants before it (their virtual arms) as ``existing``, but keeps running
    counts (linear time).
    """
    _check(arms, ratio, factors, p_best)
    factor_weights = _weights(factors, weights)
    expanded = virtual_arms(arms, ratio)
    labels = [virtual for virtual, _ in expanded]
    rng = random.Random(seed)
    table: dict[tuple[str, str], dict[str, int]] = {}
    decisions = []
    for levels in cohort:
        counts = {f: table.get((f, levels[f]), dict.fromkeys(labels, 0)) for f in factors}
        decision = _decide(expanded, _scores(labels, counts, factor_weights), p_best, rng.random())
        for factor in factors:
            table.setdefault((factor, levels[factor]), dict.fromkeys(labels, 0))
            table[(factor, levels[factor])][decision.virtual_arm] += 1
        decisions.append(decision)
    return decisions
