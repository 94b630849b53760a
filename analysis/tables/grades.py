"""A ``grades`` table: an ordinal grading and the rate of its good grades (the paper's
Table 5)."""

from __future__ import annotations

import pandas as pd

from analysis.plans.schema import Label, TableSpec, Variable
from analysis.tables._categorical import binary_row, categorical_rows
from analysis.tables._common import TableContext, as_category, columns, finish_table
from analysis.tables.characteristics import mode_note


def grades_table(wide: pd.DataFrame, ctx: TableContext, spec: TableSpec) -> dict:
    """Return the table: the grades (ordinal test) and the rate of the good ones (2×2)."""
    var = spec.variables[0]
    rows = categorical_rows(wide, var, ctx)
    good = set(spec.good)
    cats = as_category(wide[var.column])
    rate = wide.assign(_eg=cats.map(lambda v: None if v is None else v in good))
    rate_var = Variable("_eg", spec.good_label or Label("", ""), "binary",
                        (("yes", Label("Yes", "是")), ("no", Label("No", "否"))))  # fmt: skip
    rows.append(binary_row(rate, rate_var, ctx))
    table = {
        "key": spec.key,
        "title": spec.title.as_dict(),
        "columns": columns(wide, ctx, first=var.label.as_dict()),
        "rows": rows,
        "notes": [] if ctx.pooled else [mode_note(ctx)],
    }
    return finish_table(table, ctx)
