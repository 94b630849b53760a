"""The rehabilitation trial's hand-written entry form: its baseline (the BMI is computed)."""

from django.utils.translation import gettext_lazy as _

from trial.forms.clinical_base import ClinicalForm, ClinicalMeta
from trial.forms.crfs import ANSWER_EXCLUDE

from .models import RehabBaselineData


class RehabBaselineForm(ClinicalForm):
    required_for_complete = RehabBaselineData.required_items
    fieldsets = (
        (_("Assessment"), ("assessment_date",)),
        (_("Demographics"), ("sex", "date_of_birth", "height_cm", "weight_kg")),
        (_("Operation"), ("operated_level", "days_surgery_to_randomization")),
    )

    class Meta(ClinicalMeta):
        model = RehabBaselineData
        exclude = (*ANSWER_EXCLUDE, "bmi")
