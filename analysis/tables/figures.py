"""Data of the report's figures (pure): a measure over time by arm with 95% CIs."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from analysis.plans.schema import FigureSpec
from analysis.tables._common import TableContext


def mean_ci(values: np.ndarray, conf: float = 0.95) -> tuple[float, float, float, int]:
    """Return (mean, lower, upper, n) with a t-based CI; NaNs dropped; CI NaN when n < 2."""
    x = values[~np.isnan(values)]
    if x.size == 0:
        return float("nan"), float("nan"), float("nan"), 0
    mean = float(x.mean())
    if x.size < 2:
        return mean, float("nan"), float("nan"), int(x.size)
    half = float(stats.t.ppf(0.5 + conf / 2, x.size - 1) * x.std(ddof=1) / np.sqrt(x.size))
    return mean, mean - half, mean + half, int(x.size)


def figures(long: pd.DataFrame, ctx: TableContext) -> list[dict]:
    """Return every figure the plan names, in order."""
    return [figure_measure_over_time(long, ctx, spec) for spec in ctx.plan.figures]


def figure_measure_over_time(long: pd.DataFrame, ctx: TableContext, spec: FigureSpec) -> dict:
    """Return the measure's mean and 95% CI per group and visit, in visit order.

    ``long`` has one row per participant × visit with ``arm``, ``visit`` and the measure's
    long column (the prefix of a repeated measure of the plan's tables).
    """
    measure = ctx.plan.measure(spec.measure)
    series = []
    for g in ctx.groups:
        df = long if ctx.pooled else long[long["arm"] == g]
        points = []
        for visit in measure.visits:
            vals = pd.to_numeric(df.loc[df["visit"] == visit, measure.prefix], errors="coerce")
            mean, lo, hi, n = mean_ci(vals.to_numpy(dtype=float))
            points.append({"visit": visit, "mean": mean, "low": lo, "high": hi, "n": n})
        series.append({"group": g, "label": ctx.group_name(g), "points": points})
    return {
        "key": spec.key,
        "title": spec.title.as_dict(),
        "visits": [
            {"code": v, "label": ctx.plan.visit_labels[v].as_dict()} for v in measure.visits
        ],  # fmt: skip
        "series": series,
    }
