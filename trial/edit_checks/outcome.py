"""Edit checks of the 3-month outcome: recurrence on MRI, serious complications."""

from collections.abc import Collection, Mapping
from datetime import date
from typing import Any

from django.utils.translation import gettext_lazy as _

from .base import Finding
from .common import days_after, details_needed, hard, soft


def _check_recurrence(
    answers: Mapping[str, Any], surgery_date: date | None, *, completing: bool
) -> list[Finding]:
    confirmed, mri_date = (
        answers.get("recurrence_mri_confirmed"),
        answers.get("recurrence_mri_date"),
    )
    findings = []
    if completing and confirmed is True and mri_date is None:
        message = _("A recurrence confirmed by MRI needs the date of that MRI.")
        findings.append(hard("recurrence_mri_date", "recurrence_mri_date_missing", message))
    if confirmed is True and answers.get("recurrent_pain") is False:
        message = _("A recurrence is confirmed on MRI but no recurrent pain is recorded.")
        findings.append(soft("recurrent_pain", "recurrence_without_pain", message))
    if (days := days_after(mri_date, surgery_date)) is not None and days < 0:
        message = _("The recurrence MRI is dated before the surgery.")
        findings.append(hard("recurrence_mri_date", "recurrence_mri_before_surgery", message))
    if (days := days_after(mri_date, answers.get("assessment_date"))) is not None and days > 0:
        message = _("The recurrence MRI is dated after the 3-month assessment.")
        findings.append(soft("recurrence_mri_date", "recurrence_mri_after_assessment", message))
    return findings


def _check_complications(
    answers: Mapping[str, Any], codes: Collection[str] | None, *, completing: bool
) -> list[Finding]:
    listed = list(answers.get("serious_complications") or [])
    had = answers.get("had_serious_complication")
    field = "serious_complications"
    if codes is not None and (unknown := sorted(set(listed) - set(codes))):
        message = _("Unknown complication codes: %(codes)s.")
        return [hard(field, "unknown_complication", message % {"codes": ", ".join(unknown)})]
    if had is False and listed:
        message = _("Complications are listed although none was recorded.")
        return [hard(field, "complications_contradict", message)]
    if completing and had is True and not listed:
        return [hard(field, "complications_not_listed", _("Tick the serious complications."))]
    return details_needed(
        answers,
        field,
        "serious_complication_details",
        completing=completing,
        message=_("Describe the other serious complication."),
    )


def check_outcome(
    answers: Mapping[str, Any],
    *,
    admission_date: date | None = None,
    surgery_date: date | None = None,
    complication_codes: Collection[str] | None = None,
    completing: bool = False,
) -> list[Finding]:
    """Check the recurrence MRI and the serious complications (the assessment date is checked
    against the visit window for every form, in ``timing``).

    ``complication_codes`` are the protocol's; None skips the check of the codes.
    """
    findings = _check_recurrence(answers, surgery_date, completing=completing)
    findings += _check_complications(answers, complication_codes, completing=completing)
    return findings
