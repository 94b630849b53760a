"""Entry forms of the procedure records: the selective nerve root block and the PELD surgery."""

from django.utils.translation import gettext_lazy as _

from trial.edit_checks.snrb import DRUG_SLOTS
from trial.models import PeldData, SnrbData

from .clinical_base import ClinicalForm, ClinicalMeta


def _drug_fields(n: int) -> tuple[str, str, str]:
    return f"drug_{n}_name", f"drug_{n}_concentration_pct", f"drug_{n}_volume_ml"


class SnrbForm(ClinicalForm):
    required_for_complete = SnrbData.required_items
    fieldsets = (
        (_("Target"), ("performed_at", "level", "root", "side", "ct_guided")),
        (_("Puncture"), ("needle", "local_anaesthetic")),
        (
            _("Injected mixture"),
            (*(name for n in DRUG_SLOTS for name in _drug_fields(n)), "volume_injected_ml"),
        ),
        (
            _("Safety"),
            ("aspiration_negative", "immediate_reaction", "reaction_details"),
        ),
    )

    class Meta(ClinicalMeta):
        model = SnrbData


class PeldForm(ClinicalForm):
    required_for_complete = PeldData.required_items
    fieldsets = (
        (_("Surgery"), ("surgery_date", "surgeon", "approach", "anaesthesia")),
        (_("Technique"), ("foraminoplasty", "annuloplasty")),
        (
            _("Course"),
            ("duration_minutes", "blood_loss_ml", "intraoperative_events", "event_details"),
        ),
    )

    class Meta(ClinicalMeta):
        model = PeldData
