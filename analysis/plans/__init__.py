"""Statistical analysis plans as data, one per protocol, in a plain mapping (pure)."""

from analysis.plans.registry import PLANS, UnknownPlan, get_plan, plans_by_protocol
from analysis.plans.schema import (
    AnalysisPlan,
    EventLog,
    FigureSpec,
    Label,
    ModelSpec,
    PrimaryOutcome,
    RepeatedMeasure,
    TableSpec,
    Variable,
)

__all__ = [
    "PLANS",
    "AnalysisPlan",
    "EventLog",
    "FigureSpec",
    "Label",
    "ModelSpec",
    "PrimaryOutcome",
    "RepeatedMeasure",
    "TableSpec",
    "UnknownPlan",
    "Variable",
    "get_plan",
    "plans_by_protocol",
]
