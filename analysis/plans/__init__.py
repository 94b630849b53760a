"""Statistical analysis plans as data, one per protocol, in a registry (pure)."""

from analysis.plans import snrb_peld  # noqa: F401  (registers the plan)
from analysis.plans.registry import UnknownPlan, get_plan, register_plan
from analysis.plans.schema import (
    AnalysisPlan,
    Label,
    PrimaryOutcome,
    RepeatedMeasure,
    Variable,
)

__all__ = [
    "AnalysisPlan",
    "Label",
    "PrimaryOutcome",
    "RepeatedMeasure",
    "UnknownPlan",
    "Variable",
    "get_plan",
    "register_plan",
]
