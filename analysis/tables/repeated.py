"""``repeated_measure`` and ``measures_at_visits`` tables: scores by visit with
between-arm and within-arm markers (the paper's Tables 2 and 3).

Markers as the paper: "*" P < 0.05, "**" P < 0.01 between arms at that visit (on the
non-reference arm's cell); "#", "##", "###" (P < 0.05, 0.01, 0.001) within an arm versus
the measure's first visit (paired t or Wilcoxon signed-rank, by the SAP's rule).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.plans.schema import RepeatedMeasure, TableSpec
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


def marker_note(ctx: TableContext, visit: str) -> dict[str, str]:
    """Explain the markers; within-arm ones compare with ``visit`` (the measure's first)."""
    label = ctx.plan.visit_labels[visit]
    return L.bi(
        "*P < 0.05, **P < 0.01, compared with the reference group; #P < 0.05, ##P < 0.01, "
        f"###P < 0.001, compared with {label.en[:1].lower()}{label.en[1:]}.",
        "*P < 0.05，**P < 0.01，与对照组相比；#P < 0.05，##P < 0.01，###P < 0.001，"
        f"与{label.zh}相比。",
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


def repeated_measure_table(wide: pd.DataFrame, ctx: TableContext, spec: TableSpec) -> dict:
    """Return the table of the spec's one repeated measure at each of its visits by arm."""
    measure = spec.measures[0]
    rows = [_visit_row(wide, measure, v, ctx) for v in measure.visits]
    return finish_table(
        {
            "key": spec.key,
            "title": spec.title.as_dict(),
            "columns": columns(wide, ctx, first=_first(spec, TIME_OF_RECORDING)),
            "rows": rows,
            "notes": [_values_note(measure.label.as_dict()), marker_note(ctx, measure.visits[0])]
            + ([CENTRE_NOTE] if paper_means(ctx) else []),
        },
        ctx,
    )


TIME_OF_RECORDING = L.bi("Time of recording", "记录时间")


def _first(spec: TableSpec, default: dict[str, str]) -> dict[str, str]:
    return spec.first_column.as_dict() if spec.first_column else default


def _visit_columns(
    wide: pd.DataFrame, ctx: TableContext, spec: TableSpec, visits: tuple[str, ...]
) -> list:
    sizes = group_sizes(wide, ctx)
    cols = [{"key": "label", "label": _first(spec, L.bi("Rating scale", "评分量表"))}]
    for g in ctx.groups:
        name = L.group_label(ctx.group_name(g), sizes[g])
        for v in visits:
            label = ctx.plan.visit_labels[v].as_dict()
            cols.append({"key": f"{g}:{v}", "group": name, "sub": label,
                         "label": {k: f"{name[k]} · {label[k]}" for k in name}})  # fmt: skip
    return cols + [c for c in columns(wide, ctx)[1 + len(ctx.groups) :]]


def measures_at_visits_table(wide: pd.DataFrame, ctx: TableContext, spec: TableSpec) -> dict:
    """Return the table of each of the spec's measures at its visits (the first measure's
    visits head the columns) by arm; P at the last visit."""
    rows: list[Row] = []
    visits = spec.measures[0].visits
    for measure in spec.measures:
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
        "key": spec.key,
        "title": spec.title.as_dict(),
        "columns": _visit_columns(wide, ctx, spec, visits),
        "rows": rows,
        "notes": [marker_note(ctx, visits[0])] + ([CENTRE_NOTE] if paper_means(ctx) else []),
    }, ctx)  # fmt: skip
