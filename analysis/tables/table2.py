"""Tables 2 and 3: repeated scores by visit with between-arm and within-arm markers.

Markers as the paper: "*" P < 0.05, "**" P < 0.01 between arms at that visit (on the
non-reference arm's cell); "#", "##", "###" (P < 0.05, 0.01, 0.001) within an arm versus
the baseline visit (paired t or Wilcoxon signed-rank, by the SAP's rule).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.plans.schema import RepeatedMeasure
from analysis.stats import compare_paired, describe_continuous
from analysis.tables import _labels as L
from analysis.tables._categorical import between_marker, within_marker
from analysis.tables._common import (
    CENTRE_NOTE,
    Row,
    TableContext,
    columns,
    continuous_test,
    finish_table,
    group_sizes,
    merge,
    numeric,
    p_cells,
    paper_means,
    split,
    summary_texts,
    summary_values,
)

MARKER_NOTE = L.bi(
    "*P < 0.05, **P < 0.01, compared with the reference group; #P < 0.05, ##P < 0.01, "
    "###P < 0.001, compared with on admission.",
    "*P < 0.05，**P < 0.01，与对照组相比；#P < 0.05，##P < 0.01，###P < 0.001，与入院时相比。",
)


def _values_note(label: dict[str, str]) -> dict[str, str]:
    return {
        "en": f"Values are {label['en']}: mean ± SD when Shapiro-Wilk P > 0.05 in both arms, "
        "else median (Q1, Q3).",
        "zh": f"数值为{label['zh']}：两组 Shapiro-Wilk 检验 P > 0.05 时以均数 ± 标准差表示，"
        "否则以中位数 (Q1, Q3) 表示。",
    }


def _paired_p(before: np.ndarray, after: np.ndarray) -> float | None:
    try:
        return compare_paired(before, after).p_value
    except ValueError:
        return None


def measure_cells(
    wide: pd.DataFrame,
    measure: RepeatedMeasure,
    visit: str,
    ctx: TableContext,
    summaries: dict | None = None,
) -> tuple[dict[str, str], dict[str, np.ndarray]]:
    """Return the marked descriptive cell per group at ``visit`` and the raw values.

    ``summaries``, when given, receives the numbers behind each group's cell.
    """
    values = {g: numeric(v) for g, v in split(wide, measure.column(visit), ctx).items()}
    base = {g: numeric(v) for g, v in split(wide, measure.column(measure.visits[0]), ctx).items()}
    try:
        desc = describe_continuous(values, decimals=measure.decimals)
        cells = summary_texts(desc, ctx, measure.decimals)
        if summaries is not None:
            summaries.update({g: summary_values(desc, g, means=paper_means(ctx)) for g in values})
    except ValueError:
        return {g: L.NOT_AVAILABLE for g in values}, values
    if visit != measure.visits[0]:
        for g in values:
            cells[g] += " " + within_marker(_paired_p(base[g], values[g]))
            cells[g] = cells[g].rstrip()
    return cells, values


def _visit_row(wide: pd.DataFrame, measure: RepeatedMeasure, visit: str, ctx) -> Row:
    summaries: dict = {}
    cells, values = measure_cells(wide, measure, visit, ctx, summaries)
    row: Row = {"cells": {"label": ctx.plan.visit_labels[visit].as_dict(), **cells}, "level": 0,
                "values": summaries}  # fmt: skip
    if ctx.pooled:
        return row
    result = continuous_test(*(values[a] for a in ctx.plan.arms))
    row = merge(row, p_cells(result))
    first = ctx.plan.arms[0]
    mark = between_marker(result.p_value if result else None).strip()
    if mark and row["cells"][first] != L.NOT_AVAILABLE:
        text, _, hashes = row["cells"][first].partition(" #")
        row["cells"][first] = f"{text} {mark}" + (f"#{hashes}" if hashes else "")
    return row


def table2_vas(wide: pd.DataFrame, ctx: TableContext) -> dict:
    """Return Table 2: the plan's repeated pain score at each visit by arm."""
    measure = ctx.plan.table2
    rows = [_visit_row(wide, measure, v, ctx) for v in measure.visits]
    return finish_table(
        {
            "key": "table2",
            "title": L.bi(
                "Table 2. Pain relief of patients in the two groups", "表 2 两组疼痛缓解情况"
            ),
            "columns": columns(wide, ctx, first=L.bi("Time of recording", "记录时间")),
            "rows": rows,
            "notes": [_values_note(measure.label.as_dict()), MARKER_NOTE]
            + ([CENTRE_NOTE] if paper_means(ctx) else []),
        },
        ctx,
    )


def _table3_columns(wide: pd.DataFrame, ctx: TableContext, visits: tuple[str, ...]) -> list:
    sizes = group_sizes(wide, ctx)
    cols = [{"key": "label", "label": L.bi("Rating scale", "评分量表")}]
    for g in ctx.groups:
        name = L.group_label(ctx.group_name(g), sizes[g])
        for v in visits:
            label = ctx.plan.visit_labels[v].as_dict()
            cols.append({"key": f"{g}:{v}", "group": name, "sub": label,
                         "label": {k: f"{name[k]} · {label[k]}" for k in name}})  # fmt: skip
    return cols + [c for c in columns(wide, ctx)[1 + len(ctx.groups) :]]


def table3_function(wide: pd.DataFrame, ctx: TableContext) -> dict:
    """Return Table 3: each score at baseline and follow-up by arm; P at follow-up."""
    rows: list[Row] = []
    visits = ctx.plan.table3[0].visits
    for measure in ctx.plan.table3:
        row: Row = {"cells": {"label": measure.label.as_dict()}, "level": 0}
        summaries: dict = {}
        for visit in measure.visits:
            if visit == measure.visits[-1] and not ctx.pooled:
                visit_row = _visit_row(wide, measure, visit, ctx)
                cells, found = visit_row["cells"], visit_row["values"]
                row = merge(row, {k: v for k, v in visit_row.items() if k != "cells"})
                row["cells"].update({k: cells[k] for k in ("p", "test", "p_other", "effect")})
            else:
                found = {}
                cells, _ = measure_cells(wide, measure, visit, ctx, found)
            row["cells"].update({f"{g}:{visit}": cells[g] for g in ctx.groups})
            summaries.update({f"{g}:{visit}": v for g, v in found.items()})
        row["values"] = summaries
        rows.append(row)
    return finish_table({
        "key": "table3",
        "title": L.bi("Table 3. Improvement of lumbar spine dysfunction and quality of life in "
                      "the two groups", "表 3 两组腰椎功能障碍及生活质量改善情况"),
        "columns": _table3_columns(wide, ctx, visits),
        "rows": rows,
        "notes": [MARKER_NOTE] + ([CENTRE_NOTE] if paper_means(ctx) else []),
    }, ctx)  # fmt: skip
