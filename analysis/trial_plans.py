"""The analysis plan of a trial, as the apps contribute it (``ANALYSIS_PLANS``, found by
``trial.discovery``): the seed's from ``analysis/contributions.py``, another trial's from its
own app. Services and pages look plans up here; ``analysis.plans`` stays pure.
"""

from analysis.plans import AnalysisPlan, UnknownPlan
from trial.discovery import contribution


def get_plan(protocol_code: str) -> AnalysisPlan:
    """Return the analysis plan of ``protocol_code`` (``UnknownPlan`` when none)."""
    try:
        plan: AnalysisPlan = contribution("analysis_plans", protocol_code)
    except LookupError:
        raise UnknownPlan(protocol_code) from None
    return plan
