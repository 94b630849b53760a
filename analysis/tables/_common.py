"""Row builders shared by Tables 1–5: descriptive cells, the chosen test, effect, markers.

A table is plain data (JSON-serialisable) so that the screen, XLSX and DOCX renderers show
the same thing::

    {"key": "table1", "title": {"en", "zh"}, "columns": [{"key", "label"}],
     "rows": [{"cells": {column key: str | {"en", "zh"}}, "level": 0 | 1,
               "test_code": str, "p_value": float | None, "disagree": bool}],
     "notes": [{"en", "zh"}]}

Pooled (blinded) tables have one group column, ``"all"``, and no test columns at all.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from analysis.plans.schema import AnalysisPlan, EventLog, Label, Variable
from analysis.stats import (
    ContinuousDescription,
    TestResult,
    compare_categorical_both,
    compare_continuous,
    describe_continuous,
    format_median_iqr,
    format_n_pct,
    format_p,
)
from analysis.tables import _labels as L

Mode = Literal["correct", "paper"]
Row = dict[str, Any]


@dataclass(frozen=True, slots=True)
class TableContext:
    """What every table needs: the plan, the mode and whether results are pooled (blinded)."""

    plan: AnalysisPlan
    mode: Mode = "correct"
    pooled: bool = False
    # The adverse-event log (one row per entry, the arm "all" when pooled) and what its
    # columns mean, for an ``adverse_events`` table; None: the source holds no log.
    events: pd.DataFrame | None = field(default=None, compare=False, hash=False)
    event_log: EventLog | None = None

    @property
    def groups(self) -> tuple[str, ...]:
        """Column keys of the groups: the arms, or ``("all",)`` when pooled."""
        return ("all",) if self.pooled else self.plan.arms

    def group_name(self, group: str) -> dict[str, str]:
        """Return the bilingual name of a group column."""
        return L.POOLED if group == "all" else self.plan.arm_labels[group].as_dict()


def split(wide: pd.DataFrame, column: str, ctx: TableContext) -> dict[str, pd.Series]:
    """Return the column's values per group (every row when pooled)."""
    if ctx.pooled:
        return {"all": wide[column]}
    return {arm: wide.loc[wide["arm"] == arm, column] for arm in ctx.plan.arms}


def group_sizes(wide: pd.DataFrame, ctx: TableContext) -> dict[str, int]:
    """Return the number of participants per group."""
    if ctx.pooled:
        return {"all": len(wide)}
    return {arm: int((wide["arm"] == arm).sum()) for arm in ctx.plan.arms}


def columns(wide: pd.DataFrame, ctx: TableContext, *, first: dict[str, str] | None = None) -> list:
    """Return the standard columns: label, one per group, then P, test, other-mode P, effect."""
    sizes = group_sizes(wide, ctx)
    cols = [{"key": "label", "label": first or L.COL_LABEL}]
    cols += [{"key": g, "label": L.group_label(ctx.group_name(g), sizes[g])} for g in ctx.groups]
    if not ctx.pooled:
        cols += [
            {"key": "p", "label": L.COL_P},
            {"key": "test", "label": L.COL_TEST},
            {"key": "p_other", "label": L.COL_OTHER[ctx.mode]},
            {"key": "effect", "label": L.COL_EFFECT},
        ]
    return cols


def label_cell(label: Label) -> dict[str, str]:
    return label.as_dict()


def fmt_effect(result: TestResult | None) -> str:
    """Format a test's estimate as ``"MD -0.60 (-1.20, 0.00)"`` (RD in percentage points)."""
    if result is None or result.estimate is None or not math.isfinite(result.estimate):
        return ""
    scale = 100.0 if result.estimate_kind == "risk_difference" else 1.0
    unit = "%" if scale == 100.0 else ""
    prefix = L.EFFECT_LABELS.get(result.estimate_kind or "", result.estimate_kind or "")
    lo, hi = (v * scale if v is not None else float("nan") for v in (result.ci_low, result.ci_high))
    est = result.estimate * scale
    return f"{prefix} {est:.2f}{unit} ({lo:.2f}{unit}, {hi:.2f}{unit})"


def summary_values(desc: Any, group: str, *, means: bool = False) -> dict[str, Any]:
    """Return the numbers behind a continuous cell: n and mean, SD or median, Q1, Q3.

    ``means``: the cell prints the mean beside (Q1, Q3) (paper mode, ``paper_means``).
    """
    g = desc.groups[group]
    if desc.kind == "mean_sd":
        return {"kind": "mean_sd", "n": g.n, "mean": g.mean, "sd": g.sd}
    if means:
        return {"kind": "mean_iqr", "n": g.n, "mean": g.mean, "q1": g.q1, "q3": g.q3}
    return {"kind": "median_iqr", "n": g.n, "median": g.median, "q1": g.q1, "q3": g.q3}


def count_values(n: int, total: int) -> dict[str, Any]:
    """Return the numbers behind an "n (%)" cell (percent of the non-missing total)."""
    pct = 100.0 * n / total if total > 0 else None
    return {"kind": "n_pct", "n": int(n), "total": int(total), "pct": pct}


def effect_values(result: TestResult | None) -> dict[str, Any] | None:
    """Return the effect as numbers (RD in percentage points), or None."""
    if result is None or result.estimate is None or not math.isfinite(result.estimate):
        return None
    scale = 100.0 if result.estimate_kind == "risk_difference" else 1.0
    return {"label": L.EFFECT_LABELS.get(result.estimate_kind or "", result.estimate_kind or ""),
            "estimate": result.estimate * scale,
            "low": None if result.ci_low is None else result.ci_low * scale,
            "high": None if result.ci_high is None else result.ci_high * scale}  # fmt: skip


def p_cells(result: TestResult | None, other: TestResult | None = None) -> Row:
    """Return the P, test, other-mode P and effect cells plus raw values of one test."""
    if result is None:
        return {"cells": {"p": L.NOT_AVAILABLE, "test": "", "p_other": "", "effect": ""},
                "test_code": "", "p_value": None, "disagree": False}  # fmt: skip
    disagree = other is not None and (result.p_value < 0.05) != (other.p_value < 0.05)
    cells = {
        "p": format_p(result.p_value),
        "test": L.method_label(result.test),
        "p_other": format_p(other.p_value) if other is not None else "",
        "effect": fmt_effect(result),
    }
    return {"cells": cells, "test_code": result.test, "p_value": result.p_value,
            "p_other_value": other.p_value if other is not None else None,
            "effect_value": effect_values(result), "disagree": bool(disagree)}  # fmt: skip


TEST_KEYS = ("p", "test", "p_other", "effect")


def finish_table(table: dict, ctx: TableContext) -> dict:
    """Explain or drop the other-mode P column: it only applies to count data.

    A table whose rows never have an other-mode P (continuous scores) loses the column; a
    table that has one for some rows gets a footnote saying why the others are blank.
    """
    keys = [c["key"] for c in table["columns"]]
    if "p_other" not in keys:
        return table
    if any(r["cells"].get("p_other") for r in table["rows"]):
        table["notes"] = [*table["notes"], L.NOTE_OTHER[ctx.mode]]
    else:
        table["columns"] = [c for c in table["columns"] if c["key"] != "p_other"]
    return table


def without_tests(table: dict) -> dict:
    """Return the table with no P, test or effect columns (baseline table, CONSORT item 15)."""
    table["columns"] = [c for c in table["columns"] if c["key"] not in TEST_KEYS]
    for row in table["rows"]:
        row["cells"] = {k: v for k, v in row["cells"].items() if k not in TEST_KEYS}
        row.update(
            p_value=None, test_code="", disagree=False, p_other_value=None, effect_value=None
        )
    table["notes"] = [*table["notes"], L.NOTE_NO_BASELINE_P]
    return table


def merge(row: Row, extra: Row) -> Row:
    """Merge the test cells of ``extra`` into ``row`` (cells joined, other keys copied)."""
    out = {**row, **{k: v for k, v in extra.items() if k != "cells"}}
    out["cells"] = {**row.get("cells", {}), **extra.get("cells", {})}
    return out


def numeric(series: pd.Series) -> np.ndarray:
    """Return the values as floats, missing as NaN."""
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)


CENTRE_NOTE = L.bi(
    "Paper mode: the centre beside (Q1, Q3) is the mean, as the paper prints it.",
    "论文模式：(Q1, Q3) 前的数值为均数，与原文一致。",
)


def paper_means(ctx: TableContext) -> bool:
    """Whether this table prints means beside (Q1, Q3) (paper mode of a plan that says so)."""
    return ctx.mode == "paper" and ctx.plan.paper_iqr_centre == "mean"


def summary_texts(desc: ContinuousDescription, ctx: TableContext, decimals: int) -> dict:
    """Return each group's cell: the SAP's format, or the paper's "mean (Q1, Q3)"."""
    if desc.kind != "median_iqr" or not paper_means(ctx):
        return {g: s.text for g, s in desc.groups.items()}
    return {g: format_median_iqr(s.mean, s.q1, s.q3, decimals=decimals)
            for g, s in desc.groups.items()}  # fmt: skip


def continuous_row(wide: pd.DataFrame, var: Variable, ctx: TableContext) -> Row:
    """One row: mean ± SD or median (Q1, Q3) per group, and the SAP's two-arm test."""
    groups = {g: numeric(v) for g, v in split(wide, var.column, ctx).items()}
    row: Row = {"cells": {"label": label_cell(var.label)}, "level": 0}
    try:
        desc = describe_continuous(groups, decimals=var.decimals)
        texts = summary_texts(desc, ctx, var.decimals)
        row["cells"].update({g: texts[g] for g in ctx.groups})
        row["values"] = {g: summary_values(desc, g, means=paper_means(ctx)) for g in ctx.groups}
    except ValueError:
        row["cells"].update({g: L.NOT_AVAILABLE for g in ctx.groups})
    if ctx.pooled:
        return row
    return merge(row, p_cells(continuous_test(*(groups[a] for a in ctx.plan.arms))))


def continuous_test(a: np.ndarray, b: np.ndarray) -> TestResult | None:
    """Run the SAP's two-arm continuous comparison; None when either arm has < 2 values."""
    try:
        return compare_continuous(a, b)
    except ValueError:
        return None


def as_category(series: pd.Series) -> pd.Series:
    """Map booleans to "yes"/"no" and everything else to text; missing stays missing."""

    def one(v: Any) -> Any:
        if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
            return None
        if isinstance(v, bool | np.bool_):
            return "yes" if v else "no"
        return str(v)

    return series.map(one)


def counts(wide: pd.DataFrame, var: Variable, ctx: TableContext) -> dict[str, dict[str, int]]:
    """Return category counts per group (non-missing only), in the plan's category order."""
    out: dict[str, dict[str, int]] = {}
    for g, values in split(wide, var.column, ctx).items():
        cats = as_category(values).dropna()
        out[g] = {code: int((cats == code).sum()) for code, _ in var.categories}
    return out


def categorical_test(
    table: list[list[int]], ctx: TableContext, *, ordinal: bool
) -> tuple[TestResult | None, TestResult | None]:
    """Return (result in the report's mode, result in the other mode) or (None, None)."""
    if any(sum(r) == 0 for r in table) or sum(map(sum, table)) == 0:
        return None, None
    both = compare_categorical_both(table, ordinal=ordinal, alpha=ctx.plan.alpha)
    return (both.correct, both.paper) if ctx.mode == "correct" else (both.paper, both.correct)


def pct_cell(n: int, total: int) -> str:
    return format_n_pct(n, total) if total > 0 else L.NOT_AVAILABLE
