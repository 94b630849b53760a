"""Tables and figure data of the report (pure: compose analysis.stats into plain data)."""

from analysis.tables._common import TableContext
from analysis.tables.adjusted import adjusted_analyses
from analysis.tables.consort import consort_flow
from analysis.tables.figures import figure_vas_over_time
from analysis.tables.sample_size import sample_size_page
from analysis.tables.table1 import table1_baseline
from analysis.tables.table2 import table2_vas, table3_function
from analysis.tables.table4 import table4_complications
from analysis.tables.table5 import table5_macnab

# Tables built from the wide dataset, in report order.
WIDE_TABLES = (
    ("table1", table1_baseline),
    ("table2", table2_vas),
    ("table3", table3_function),
    ("table4", table4_complications),
    ("table5", table5_macnab),
)

__all__ = [
    "WIDE_TABLES",
    "TableContext",
    "adjusted_analyses",
    "consort_flow",
    "figure_vas_over_time",
    "sample_size_page",
    "table1_baseline",
    "table2_vas",
    "table3_function",
    "table4_complications",
    "table5_macnab",
]
