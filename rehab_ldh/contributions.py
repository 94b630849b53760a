"""What the rehabilitation trial contributes (found by ``trial.discovery``): its protocol,
its analysis plan, the entry form, edit checks and derivation of its own forms, and its demo.
"""

from trial.edit_checks.registry import EditCheck
from trial.services.clinical_derivations import baseline_bmi

from .demo import demo_answers, demo_load
from .edit_checks import check_adherence, check_rehab_adverse_event
from .forms import RehabBaselineForm
from .plan import REHAB_LDH_PLAN
from .protocol import REHAB_LDH

PROTOCOLS = {REHAB_LDH.code: REHAB_LDH}

ANALYSIS_PLANS = {REHAB_LDH_PLAN.protocol_code: REHAB_LDH_PLAN}

ENTRY_FORMS = {"rehab_ldh.rehabbaselinedata": RehabBaselineForm}

EDIT_CHECKS = {
    "rehab_ldh.adherencedata": EditCheck(check_adherence),
    "rehab_ldh.rehabadverseeventdata": EditCheck(check_rehab_adverse_event),
}

DERIVATIONS = {"rehab_ldh.rehabbaselinedata": baseline_bmi}

DEMO_ANSWERS = {REHAB_LDH.code: demo_answers}

DEMO_LOADERS = {REHAB_LDH.code: demo_load}
