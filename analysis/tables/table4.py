"""Table 4: post-operative complications at 3 months (the paper's Table 4)."""

from __future__ import annotations

import pandas as pd

from analysis.tables import _labels as L
from analysis.tables._categorical import binary_row
from analysis.tables._common import TableContext, columns, finish_table
from analysis.tables.table1 import mode_note


def table4_complications(wide: pd.DataFrame, ctx: TableContext) -> dict:
    """Return Table 4: n (%) per arm of each complication, its 2×2 test and "*" markers."""
    first = L.bi("Complications", "并发症")
    rows = [binary_row(wide, var, ctx, marker=True) for var in ctx.plan.table4]
    notes = [] if ctx.pooled else [
        L.bi("*P < 0.05, **P < 0.01, compared with the reference group.",
             "*P < 0.05，**P < 0.01，与对照组相比。"),
        mode_note(ctx),
    ]  # fmt: skip
    table = {
        "key": "table4",
        "title": L.bi("Table 4. The incidence of postoperative complications in the two groups",
                      "表 4 两组术后并发症发生率"),
        "columns": columns(wide, ctx, first=first),
        "rows": rows,
        "notes": notes,
    }  # fmt: skip
    return finish_table(table, ctx)
