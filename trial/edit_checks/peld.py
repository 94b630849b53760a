"""Edit checks of the PELD surgery record."""

from collections.abc import Mapping
from datetime import date
from typing import Any

from django.utils.translation import gettext_lazy as _

from .base import Finding
from .common import days_after, details_needed, hard, soft

BLOOD_LOSS_UNUSUAL_ML = 200  # endoscopic discectomy rarely loses more; the paper's 75th pct is 50


def check_peld(
    answers: Mapping[str, Any],
    *,
    admission_date: date | None = None,
    surgery_date: date | None = None,
    completing: bool = False,
) -> list[Finding]:
    """Check the surgery date against admission, blood loss, and the other event's details.

    ``surgery_date`` (the participant's planned date) is not checked: this record replaces it.
    """
    findings = []
    after_admission = days_after(answers.get("surgery_date"), admission_date)
    if after_admission is not None and after_admission < 0:
        message = _("The surgery date is before the admission date.")
        findings.append(hard("surgery_date", "surgery_before_admission", message))
    blood_loss = answers.get("blood_loss_ml")
    if blood_loss is not None and blood_loss > BLOOD_LOSS_UNUSUAL_ML:
        message = _("A blood loss above %(limit)s ml is unusual for PELD: please confirm.")
        values = {"limit": BLOOD_LOSS_UNUSUAL_ML}
        findings.append(soft("blood_loss_ml", "blood_loss_unusual", message % values))
    return findings + details_needed(
        answers,
        "intraoperative_events",
        "event_details",
        completing=completing,
        message=_("Describe the other intraoperative event."),
    )
