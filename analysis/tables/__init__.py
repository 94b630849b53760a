"""Tables and figure data of the report (pure: compose analysis.stats into plain data).

The plan's tables (``AnalysisPlan.tables``) are built in order, each by the builder of its
kind (``TABLE_BUILDERS``); the adjusted analyses, the CONSORT flow and the figures follow.
"""

from collections.abc import Callable

import pandas as pd

from analysis.plans.schema import AnalysisPlan, TableSpec
from analysis.tables._common import TableContext
from analysis.tables.adjusted import adjusted_analyses
from analysis.tables.adverse_events import adverse_events_table
from analysis.tables.characteristics import characteristics_table
from analysis.tables.consort import consort_flow
from analysis.tables.events import events_table
from analysis.tables.figures import figure_measure_over_time, figures
from analysis.tables.grades import grades_table
from analysis.tables.repeated import measures_at_visits_table, repeated_measure_table
from analysis.tables.sample_size import sample_size_page

TableBuilder = Callable[[pd.DataFrame, TableContext, TableSpec], dict]

# The layout of each table kind (``TableSpec.kind``).
TABLE_BUILDERS: dict[str, TableBuilder] = {
    "characteristics": characteristics_table,
    "repeated_measure": repeated_measure_table,
    "measures_at_visits": measures_at_visits_table,
    "events": events_table,
    "grades": grades_table,
    "adverse_events": adverse_events_table,  # reads the adverse-event log (ctx.events)
}


def build_table(wide: pd.DataFrame, ctx: TableContext, spec: TableSpec) -> dict:
    """Return one table of the plan as plain data, built by the layout of its kind."""
    return TABLE_BUILDERS[spec.kind](wide, ctx, spec)


def wide_tables(plan: AnalysisPlan) -> tuple[tuple[TableSpec, TableBuilder], ...]:
    """Return (spec, builder) of every table of the plan, in report order."""
    return tuple((spec, TABLE_BUILDERS[spec.kind]) for spec in plan.tables)


__all__ = [
    "TABLE_BUILDERS",
    "TableContext",
    "adjusted_analyses",
    "adverse_events_table",
    "characteristics_table",
    "build_table",
    "consort_flow",
    "events_table",
    "figure_measure_over_time",
    "figures",
    "grades_table",
    "measures_at_visits_table",
    "repeated_measure_table",
    "sample_size_page",
    "wide_tables",
]
