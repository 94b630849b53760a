"""Rows of count data: a binary row (event n (%)) or a header row with one row per category."""

from __future__ import annotations

from analysis.plans.schema import Variable
from analysis.tables._common import (
    Row,
    TableContext,
    categorical_test,
    count_values,
    counts,
    label_cell,
    merge,
    p_cells,
    pct_cell,
)


def binary_row(wide, var: Variable, ctx: TableContext, *, marker: bool = False) -> Row:
    """One row: the event's n (%) per group and the 2×2 test in the report's mode.

    ``marker`` appends "*" (P < 0.05) or "**" (P < 0.01) to the non-reference arm's cell,
    as the paper's Table 4.
    """
    event = var.categories[0][0]
    per_group = counts(wide, var, ctx)
    row: Row = {"cells": {"label": label_cell(var.label)}, "level": 0}
    for g, c in per_group.items():
        row["cells"][g] = pct_cell(c[event], sum(c.values()))
    row["values"] = {g: count_values(c[event], sum(c.values())) for g, c in per_group.items()}
    if ctx.pooled:
        return row
    table = [[per_group[a][event], sum(per_group[a].values()) - per_group[a][event]]
             for a in ctx.plan.arms]  # fmt: skip
    result, other = categorical_test(table, ctx, ordinal=False)
    row = merge(row, p_cells(result, other))
    if marker and result is not None:
        first = ctx.plan.arms[0]
        row["cells"][first] += between_marker(result.p_value)
    row["counts"] = table
    return row


def categorical_rows(wide, var: Variable, ctx: TableContext) -> list[Row]:
    """A header row with the test, then one indented row per category with n (%) per group."""
    per_group = counts(wide, var, ctx)
    header: Row = {"cells": {"label": label_cell(var.label)}, "level": 0}
    rows = [header]
    for code, label in var.categories:
        row: Row = {"cells": {"label": label_cell(label)}, "level": 1}
        for g, c in per_group.items():
            row["cells"][g] = pct_cell(c[code], sum(c.values()))
        row["values"] = {g: count_values(c[code], sum(c.values())) for g, c in per_group.items()}
        rows.append(row)
    if ctx.pooled:
        return rows
    table = [[per_group[a][code] for code, _ in var.categories] for a in ctx.plan.arms]
    result, other = categorical_test(table, ctx, ordinal=var.kind == "ordinal")
    rows[0] = merge(header, p_cells(result, other))
    rows[0]["counts"] = table
    return rows


def between_marker(p: float | None) -> str:
    """Return " **" when P < 0.01, " *" when P < 0.05, else "" (between arms)."""
    if p is None:
        return ""
    return " **" if p < 0.01 else " *" if p < 0.05 else ""


def within_marker(p: float | None) -> str:
    """Return "###" when P < 0.001, "##" when P < 0.01, "#" when P < 0.05 (within arm)."""
    if p is None:
        return ""
    return "###" if p < 0.001 else "##" if p < 0.01 else "#" if p < 0.05 else ""
