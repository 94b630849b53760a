"""The analysis plans as a plain mapping keyed by protocol code (pure; no if-protocol code).

``PLANS`` is this package's export; ``analysis/contributions.py`` hands it to the Django
side's discovery (``trial.discovery``), which checks each plan against its protocol.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from analysis.plans.schema import AnalysisPlan
from analysis.plans.snrb_peld import SNRB_PELD_PLAN


class UnknownPlan(KeyError):
    """No analysis plan is declared for this protocol."""


def plans_by_protocol(*plans: AnalysisPlan) -> Mapping[str, AnalysisPlan]:
    """Return ``plans`` keyed by protocol code; a second plan for one code is an error."""
    found: dict[str, AnalysisPlan] = {}
    for plan in plans:
        if plan.protocol_code in found:
            raise ValueError(f"an analysis plan for {plan.protocol_code!r} is already registered")
        found[plan.protocol_code] = plan
    return MappingProxyType(found)


PLANS = plans_by_protocol(SNRB_PELD_PLAN)


def get_plan(protocol_code: str) -> AnalysisPlan:
    """Return the analysis plan of ``protocol_code``."""
    try:
        return PLANS[protocol_code]
    except KeyError:
        raise UnknownPlan(protocol_code) from None
