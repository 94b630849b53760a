"""What the trial app contributes, by code (found by ``trial.discovery``; see its docstring).

A new trial adds its protocol to ``PROTOCOLS``; a hand-written entry form, edit check or
derivation of one of its form models is added under the model's label (``FormDef.model``).
Form models without an entry form get a generated one (an instrument's model, generated
from its definition, gets the instrument's form); instruments come from ``scoring``.
"""

import scoring
from trial.edit_checks.adverse_event import check_adverse_event
from trial.edit_checks.baseline import check_baseline
from trial.edit_checks.discharge import check_discharge
from trial.edit_checks.medication import check_medication
from trial.edit_checks.outcome import check_outcome
from trial.edit_checks.peld import check_peld
from trial.edit_checks.registry import EditCheck
from trial.edit_checks.snrb import check_snrb
from trial.forms.clinical import (
    AdverseEventForm,
    BaselineForm,
    DischargeForm,
    MedicationForm,
    OutcomeForm,
)
from trial.forms.instruments import PainVasForm
from trial.forms.procedures import PeldForm, SnrbForm
from trial.protocol.snrb_peld import SNRB_PELD
from trial.services.clinical_derivations import baseline_bmi, discharge_length_of_stay

PROTOCOLS = {SNRB_PELD.code: SNRB_PELD}

INSTRUMENTS = scoring.INSTRUMENTS

ENTRY_FORMS = {
    "trial.baselinedata": BaselineForm,
    "trial.medicationdata": MedicationForm,
    "trial.dischargedata": DischargeForm,
    "trial.outcomedata": OutcomeForm,
    "trial.adverseeventdata": AdverseEventForm,
    "trial.painvasdata": PainVasForm,
    "trial.snrbdata": SnrbForm,
    "trial.pelddata": PeldForm,
}

EDIT_CHECKS = {
    "trial.baselinedata": EditCheck(
        check_baseline, lambda p: {"bmi_range": p.bmi_range if p else None}
    ),
    "trial.medicationdata": EditCheck(check_medication),
    "trial.snrbdata": EditCheck(check_snrb),
    "trial.pelddata": EditCheck(check_peld),
    "trial.dischargedata": EditCheck(check_discharge),
    "trial.outcomedata": EditCheck(
        check_outcome,
        lambda p: {"complication_codes": [c.code for c in p.complications] if p else None},
    ),
    "trial.adverseeventdata": EditCheck(check_adverse_event),
}

DERIVATIONS = {
    "trial.baselinedata": baseline_bmi,
    "trial.dischargedata": discharge_length_of_stay,
}
