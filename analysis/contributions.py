"""What the analysis app contributes (found by ``trial.discovery``): its analysis plans.

``analysis.plans`` stays pure; its plain mapping ``PLANS`` is handed on here, so that the
discovery checks each plan against a discovered protocol.
"""

from analysis.plans import PLANS

ANALYSIS_PLANS = PLANS
