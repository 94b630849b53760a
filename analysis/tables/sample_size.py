"""The sample-size page as data: every method for two proportions and a power curve."""

from __future__ import annotations

import math

from analysis.stats import exact_power_two_proportions, sample_size_two_proportions

METHODS = ("exact", "normal_pooled", "normal_unpooled", "fleiss_cc")


def sample_size_page(
    *,
    p1: float,
    p2: float,
    alpha: float = 0.05,
    power: float = 0.9,
    ratio: float = 1.0,
    dropout: float = 0.0,
) -> dict:
    """Return the per-group n of each method and the exact power curve around the exact n.

    Raises ``ValueError`` for invalid inputs (see ``sample_size_two_proportions``).
    """
    results = [
        sample_size_two_proportions(
            p1, p2, alpha=alpha, power=power, ratio=ratio, dropout=dropout, method=m
        )
        for m in METHODS
    ]
    exact_n = results[0].n_per_group
    top = max(10, math.ceil(exact_n * 2))
    step = max(1, top // 60)
    curve = [
        {"n": n, "power": exact_power_two_proportions(n, math.ceil(ratio * n), p1, p2, alpha=alpha)}
        for n in range(2, top + 1, step)
    ]
    return {
        "inputs": {
            "p1": p1,
            "p2": p2,
            "alpha": alpha,
            "power": power,
            "ratio": ratio,
            "dropout": dropout,
        },  # fmt: skip
        "results": [
            {
                "method": r.method,
                "n_per_group": r.n_per_group,
                "n_group2": r.n_group2,
                "n_per_group_with_dropout": r.n_per_group_with_dropout,
                "n_total_with_dropout": r.n_total_with_dropout,
                "achieved_power": r.achieved_power,
                "notes": list(r.notes),
            }
            for r in results
        ],  # fmt: skip
        "curve": curve,
        "target_power": power,
    }
