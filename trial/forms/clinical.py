"""Entry forms of the clinical CRFs: baseline, medication, discharge, outcome, adverse event."""

from typing import Any

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from scoring import INSTRUMENTS
from trial.models import (
    AdverseEventData,
    BaselineData,
    DischargeData,
    MedicationData,
    OutcomeData,
)

from .clinical_base import ClinicalForm, ClinicalMeta, CodeListField
from .crfs import ANSWER_EXCLUDE


class BaselineForm(ClinicalForm):
    required_for_complete = BaselineData.required_items
    fieldsets = (
        (_("Assessment"), ("assessment_date",)),
        (_("Demographics"), ("sex", "date_of_birth", "height_cm", "weight_kg")),
        (_("Disc herniation"), ("herniation_level", "pfirrmann_grade", "leg_pain_duration_days")),
        (_("Accompanying symptoms"), ("numbness", "weakness", "back_pain")),
        (_("Comorbidities"), ("hypertension", "diabetes")),
    )

    class Meta(ClinicalMeta):
        model = BaselineData
        exclude = (*ANSWER_EXCLUDE, "bmi")


class MedicationForm(ClinicalForm):
    required_for_complete = MedicationData.required_items
    fieldsets = (
        (_("Drug"), ("drug", "other_drug_name", "dose_mg", "frequency_per_day", "route")),
        (_("When"), ("start_date", "stop_date", "ongoing")),
    )

    class Meta(ClinicalMeta):
        model = MedicationData


class DischargeForm(ClinicalForm):
    required_for_complete = DischargeData.required_items
    fieldsets = (
        (_("Assessment"), ("assessment_date",)),
        (_("Discharge"), ("discharge_date",)),
        (_("Post-operative MRI"), ("mri_done", "mri_date", "decompression_complete")),
    )

    class Meta(ClinicalMeta):
        model = DischargeData
        exclude = (*ANSWER_EXCLUDE, "length_of_stay_days")


class OutcomeForm(ClinicalForm):
    """The 3-month outcome; the complication list comes from the participant's protocol."""

    required_for_complete = OutcomeData.required_items
    fieldsets = (
        (_("Assessment"), ("assessment_date",)),
        (
            _("Pain and recurrence"),
            (
                "residual_low_back_pain",
                "recurrent_pain",
                "recurrence_mri_confirmed",
                "recurrence_mri_date",
            ),
        ),
        (
            _("Serious complications"),
            (
                "had_serious_complication",
                "serious_complications",
                "serious_complication_details",
            ),
        ),
        (_("Clinical outcome (modified MacNab criteria)"), ("macnab",)),
    )

    serious_complications = CodeListField(
        label=_("Serious complications"), required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta(ClinicalMeta):
        model = OutcomeData

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        protocol = self.protocol()
        if protocol:
            complications = [(c.code, str(c.label)) for c in protocol.complications]
            self.fields["serious_complications"].choices = complications
        language = get_language()
        macnab = INSTRUMENTS["macnab"].items[0].choices
        self.fields["macnab"].choices = [(c.value, c.label(language)) for c in macnab]


class AdverseEventForm(ClinicalForm):
    required_for_complete = AdverseEventData.required_items
    fieldsets = (
        (_("Event"), ("term", "onset_date", "resolution_date", "outcome")),
        (_("Severity"), ("serious", "clavien_dindo")),
        (_("Relation and action"), ("relation", "action_taken", "description")),
    )

    class Meta(ClinicalMeta):
        model = AdverseEventData
