"""A ``characteristics`` table: characteristics by arm, one row per plan variable (the first
table of a paper)."""

from __future__ import annotations

import pandas as pd

from analysis.plans.schema import TableSpec
from analysis.tables import _labels as L
from analysis.tables._categorical import binary_row, categorical_rows
from analysis.tables._common import (
    CENTRE_NOTE,
    Row,
    TableContext,
    columns,
    continuous_row,
    finish_table,
    paper_means,
    without_tests,
)


def characteristics_table(wide: pd.DataFrame, ctx: TableContext, spec: TableSpec) -> dict:
    """Return the table: one row per variable of ``spec`` (categories indented), each naming
    its test (none when the plan omits baseline P values).

    ``wide`` has one row per participant of the population with ``arm`` and the plan's
    columns. Missing values are left out of each row's denominators.
    """
    rows: list[Row] = []
    for var in spec.variables:
        if var.kind == "continuous":
            rows.append(continuous_row(wide, var, ctx))
        elif var.kind == "binary":
            rows.append(binary_row(wide, var, ctx))
        else:
            rows.extend(categorical_rows(wide, var, ctx))
    table = {
        "key": spec.key,
        "title": spec.title.as_dict(),
        "columns": columns(wide, ctx, first=_first(spec)),
        "rows": rows,
        "notes": _notes(ctx),
    }  # fmt: skip
    if ctx.plan.baseline_p_values == "omit" and not ctx.pooled:
        table["notes"] = table["notes"][:1]
        return without_tests(table)
    return finish_table(table, ctx)


def _first(spec: TableSpec) -> dict[str, str] | None:
    return spec.first_column.as_dict() if spec.first_column else None


def _notes(ctx: TableContext) -> list[dict[str, str]]:
    if ctx.pooled:
        return [L.bi("Pooled over arms (blinded view).", "合并两组（盲态视图）。")]
    return [
        L.bi("Continuous: mean ± SD when Shapiro-Wilk P > 0.05 in both arms, else median "
             "(Q1, Q3).", "计量资料：两组 Shapiro-Wilk 检验 P > 0.05 时以均数 ± 标准差表示，"
             "否则以中位数 (Q1, Q3) 表示。"),
        mode_note(ctx),
        *([CENTRE_NOTE] if paper_means(ctx) else []),
    ]  # fmt: skip


def mode_note(ctx: TableContext) -> dict[str, str]:
    """Say which rules chose the count-data tests and what the other-mode column is."""
    if ctx.mode == "paper":
        return L.bi(
            "Paper-compatible mode: 2×2 tables use Fisher's one-sided exact P when an observed "
            "cell is < 5. 'P (correct mode)' gives the SAP's two-sided result.",
            "论文兼容模式：四格表任一观察频数 < 5 时采用 Fisher 精确概率法单侧 P 值；"
            "“P（正确模式）”列为统计分析计划规定的双侧结果。",
        )
    return L.bi(
        "Correct mode (SAP): two-sided tests. 'P (paper mode)' reproduces the published rule; "
        "rows marked as disagreeing differ in significance at 0.05.",
        "正确模式（统计分析计划）：双侧检验。“P（论文模式）”列重现原文的检验规则；"
        "标记为不一致的行在 0.05 水平上结论不同。",
    )
