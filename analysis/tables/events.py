"""An ``events`` table: n (%) per arm of each binary event (the paper's Table 4)."""

from __future__ import annotations

import pandas as pd

from analysis.plans.schema import TableSpec
from analysis.tables import _labels as L
from analysis.tables._categorical import binary_row
from analysis.tables._common import TableContext, columns, finish_table
from analysis.tables.characteristics import mode_note


def events_table(wide: pd.DataFrame, ctx: TableContext, spec: TableSpec) -> dict:
    """Return the table: n (%) per arm of each event, its 2×2 test and "*" markers."""
    first = spec.first_column.as_dict() if spec.first_column else L.bi("Events", "事件")
    rows = [binary_row(wide, var, ctx, marker=True) for var in spec.variables]
    notes = [] if ctx.pooled else [
        L.bi("*P < 0.05, **P < 0.01, compared with the reference group.",
             "*P < 0.05，**P < 0.01，与对照组相比。"),
        mode_note(ctx),
    ]  # fmt: skip
    table = {
        "key": spec.key,
        "title": spec.title.as_dict(),
        "columns": columns(wide, ctx, first=first),
        "rows": rows,
        "notes": notes,
    }  # fmt: skip
    return finish_table(table, ctx)
