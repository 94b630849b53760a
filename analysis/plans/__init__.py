"""Statistical analysis plans as data, one per protocol, in a plain mapping (pure)."""

from analysis.plans.registry import PLANS, UnknownPlan, get_plan, plans_by_protocol
from analysis.plans.schema import (
    AnalysisPlan,
    Label,
    PrimaryOutcome,
    RepeatedMeasure,
    Variable,
)

__all__ = [
    "PLANS",
    "AnalysisPlan",
    "Label",
    "PrimaryOutcome",
    "RepeatedMeasure",
    "UnknownPlan",
    "Variable",
    "get_plan",
    "plans_by_protocol",
]
