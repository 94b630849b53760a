"""Table 5: MacNab grades and the excellent + good rate (the paper's Table 5)."""

from __future__ import annotations

import pandas as pd

from analysis.plans.schema import Label, Variable
from analysis.tables import _labels as L
from analysis.tables._categorical import binary_row, categorical_rows
from analysis.tables._common import TableContext, as_category, columns, finish_table
from analysis.tables.table1 import mode_note


def table5_macnab(wide: pd.DataFrame, ctx: TableContext) -> dict:
    """Return Table 5: MacNab grades (ordinal test) and the excellent + good rate (2×2)."""
    var = ctx.plan.table5
    rows = categorical_rows(wide, var, ctx)
    good = set(ctx.plan.excellent_good)
    cats = as_category(wide[var.column])
    rate = wide.assign(_eg=cats.map(lambda v: None if v is None else v in good))
    rate_var = Variable("_eg", Label("Excellent + good rate", "优良率"), "binary",
                        (("yes", Label("Yes", "是")), ("no", Label("No", "否"))))  # fmt: skip
    rows.append(binary_row(rate, rate_var, ctx))
    table = {
        "key": "table5",
        "title": L.bi("Table 5. The clinical efficacy of the two groups", "表 5 两组临床疗效"),
        "columns": columns(wide, ctx, first=var.label.as_dict()),
        "rows": rows,
        "notes": [] if ctx.pooled else [mode_note(ctx)],
    }
    return finish_table(table, ctx)
