"""Registry of analysis plans keyed by protocol code (rejects duplicates; no if-protocol code)."""

from __future__ import annotations

from analysis.plans.schema import AnalysisPlan

_PLANS: dict[str, AnalysisPlan] = {}


class UnknownPlan(KeyError):
    """No analysis plan is registered for this protocol."""


def register_plan(plan: AnalysisPlan) -> AnalysisPlan:
    """Register ``plan`` under its protocol code; a second plan for the code is an error."""
    if plan.protocol_code in _PLANS:
        raise ValueError(f"an analysis plan for {plan.protocol_code!r} is already registered")
    _PLANS[plan.protocol_code] = plan
    return plan


def get_plan(protocol_code: str) -> AnalysisPlan:
    """Return the analysis plan of ``protocol_code``."""
    try:
        return _PLANS[protocol_code]
    except KeyError:
        raise UnknownPlan(protocol_code) from None
