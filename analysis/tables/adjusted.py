"""The SAP's adjusted analyses (titled by the plan): baseline-adjusted ANCOVA of each
repeated measure, the plan's mixed model, the primary outcome."""

from __future__ import annotations

import math

import pandas as pd

from analysis.stats import (
    ancova,
    compare_categorical,
    format_n_pct,
    format_p,
    mixed_model_repeated,
    number_needed_to_treat,
    odds_ratio,
    risk_difference,
    risk_ratio,
)
from analysis.stats.results import Estimate
from analysis.tables import _labels as L
from analysis.tables._common import Row, TableContext, count_values, numeric, split

COLUMNS = [
    {"key": "label", "label": L.bi("Analysis", "分析")},
    {"key": "estimate", "label": L.bi("Estimate (95% CI)", "估计值 (95% CI)")},
    {"key": "p", "label": L.COL_P},
    {"key": "test", "label": L.bi("Method", "方法")},
]


def _ci(value: float, low: float, high: float, scale: float = 1.0) -> str:
    if not all(math.isfinite(v) for v in (value, low, high)):
        return L.NOT_AVAILABLE
    return f"{value * scale:.2f} ({low * scale:.2f}, {high * scale:.2f})"


def _model_row(label: dict, run) -> Row:
    try:
        res = run()
    except (ValueError, ArithmeticError) as exc:
        return {"cells": {"label": label, "estimate": L.NOT_AVAILABLE, "p": L.NOT_AVAILABLE,
                          "test": str(exc)[:80]}, "level": 0, "p_value": None}  # fmt: skip
    return {
        "effect_value": _numbers(res.estimate, res.ci_low, res.ci_high),
        "cells": {"label": label, "estimate": _ci(res.estimate, res.ci_low, res.ci_high),
                  "p": format_p(res.p_value), "test": L.method_label(res.model)},
        "level": 0, "p_value": res.p_value, "test_code": res.model,
    }  # fmt: skip


def _numbers(value: float, low: float, high: float, scale: float = 1.0) -> dict | None:
    if not all(math.isfinite(v) for v in (value, low, high)):
        return None
    return {"label": "", "estimate": value * scale, "low": low * scale, "high": high * scale}


def _estimate_row(label: dict, est: Estimate, scale: float = 1.0) -> Row:
    cells = {"label": label, "estimate": _ci(est.value, est.ci_low, est.ci_high, scale),
             "p": "", "test": L.method_label(est.method)}  # fmt: skip
    return {"cells": cells, "level": 1,
            "effect_value": _numbers(est.value, est.ci_low, est.ci_high, scale)}  # fmt: skip


def primary_rows(wide: pd.DataFrame, ctx: TableContext) -> list[Row]:
    """The primary outcome: rate of the measure ≤ threshold at its visit, test and
    RD/RR/OR/NNT."""
    primary = ctx.plan.primary
    col = f"{primary.measure}_{primary.visit}"
    groups = {g: numeric(v) for g, v in split(wide, col, ctx).items()}
    cells = {"label": primary.label.as_dict()}
    table, values = [], {}
    for g, x in groups.items():
        x = x[~pd.isna(x)]
        events = int((x <= primary.threshold).sum())
        table.append([events, int(x.size) - events])
        cells[g] = format_n_pct(events, x.size) if x.size else L.NOT_AVAILABLE
        values[g] = count_values(events, int(x.size))
    cells.update(estimate="", p="", test="")
    rows: list[Row] = [{"cells": cells, "level": 0, "values": values}]
    if ctx.pooled or any(sum(r) == 0 for r in table):
        return rows
    res = compare_categorical(table, mode=ctx.mode)
    rows[0]["cells"].update(p=format_p(res.p_value), test=L.method_label(res.test))
    rows[0].update(p_value=res.p_value, test_code=res.test, counts=table)
    rd = risk_difference(table)
    rows += [
        _estimate_row(L.bi("Risk difference (%)", "率差 (%)"), rd, 100.0),
        _estimate_row(L.bi("Risk ratio", "相对危险度 (RR)"), risk_ratio(table)),
        _estimate_row(L.bi("Odds ratio", "比值比 (OR)"), odds_ratio(table)),
        _estimate_row(L.bi("Number needed to treat", "需治疗人数 (NNT)"),
                      number_needed_to_treat(rd, event_is_harmful=False)),
    ]  # fmt: skip
    return rows


def _mixed_model_row(long: pd.DataFrame, ctx: TableContext, ref: str) -> Row:
    spec = ctx.plan.mixed_model
    measure = ctx.plan.measure(spec.measure)
    data = long[["participant_id", "arm", "visit", measure.prefix]].rename(
        columns={measure.prefix: "value"}
    )
    return _model_row(spec.label.as_dict(), lambda: mixed_model_repeated(
        data, reference=ref, visit_order=measure.visits))  # fmt: skip


def adjusted_analyses(wide: pd.DataFrame, long: pd.DataFrame, ctx: TableContext) -> dict:
    """Return the primary outcome, ANCOVA of each follow-up score and the plan's mixed model."""
    rows = primary_rows(wide, ctx)
    cols = COLUMNS[:1] + [{"key": g, "label": ctx.group_name(g)} for g in ctx.groups]
    cols += [] if ctx.pooled else COLUMNS[1:]
    if not ctx.pooled:
        ref = ctx.plan.reference_arm
        for m in ctx.plan.repeated_measures():
            dv, cov = m.column(m.visits[-1]), m.column(m.visits[0])
            label = {
                k: f"{m.label.as_dict()[k]}: {v}"
                for k, v in L.bi("adjusted difference at follow-up", "校正基线后的组间差值").items()
            }
            rows.append(_model_row(label, lambda dv=dv, cov=cov: ancova(
                wide, dv=dv, covariate=cov, reference=ref)))  # fmt: skip
        if ctx.plan.mixed_model is not None:
            rows.append(_mixed_model_row(long, ctx, ref))
    return {
        "key": "adjusted",
        "title": ctx.plan.adjusted_title.as_dict(),
        "columns": cols,
        "rows": rows,
        "notes": [L.bi("Differences are the first arm minus the reference arm.",
                       "差值为试验组减对照组。")],
    }  # fmt: skip
