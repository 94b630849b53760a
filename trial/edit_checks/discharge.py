"""Edit checks of the discharge record: dates in protocol order and the post-op MRI."""

from collections.abc import Mapping
from datetime import date
from typing import Any

from django.utils.translation import gettext_lazy as _

from .base import Finding
from .common import days_after, hard, soft


def _check_discharge_date(
    answers: Mapping[str, Any], admission_date: date | None, surgery_date: date | None
) -> list[Finding]:
    discharge = answers.get("discharge_date")
    after_surgery = days_after(discharge, surgery_date)
    if after_surgery is not None and after_surgery < 0:
        message = _("The discharge date is before the surgery date.")
        return [hard("discharge_date", "discharge_before_surgery", message)]
    after_admission = days_after(discharge, admission_date)
    if after_admission is not None and after_admission < 0:
        message = _("The discharge date is before the admission date.")
        return [hard("discharge_date", "discharge_before_admission", message)]
    return []


def _check_mri(
    answers: Mapping[str, Any], surgery_date: date | None, *, completing: bool
) -> list[Finding]:
    done, mri_date = answers.get("mri_done"), answers.get("mri_date")
    findings = []
    if done is False and (
        mri_date is not None or answers.get("decompression_complete") is not None
    ):
        message = _("No MRI was done: leave its date and the decompression result empty.")
        findings.append(hard("mri_done", "mri_result_without_mri", message))
    if completing and done is True and mri_date is None:
        findings.append(hard("mri_date", "mri_date_missing", _("Enter the date of the MRI.")))
    if completing and done is True and answers.get("decompression_complete") is None:
        message = _("Say whether the MRI shows a complete decompression.")
        findings.append(hard("decompression_complete", "decompression_missing", message))
    after_surgery = days_after(mri_date, surgery_date)
    if after_surgery is not None and after_surgery < 0:
        message = _("The post-operative MRI is dated before the surgery.")
        findings.append(hard("mri_date", "mri_before_surgery", message))
    after_discharge = days_after(mri_date, answers.get("discharge_date"))
    if after_discharge is not None and after_discharge > 0:
        message = _("The protocol has the MRI before discharge; this one is after it.")
        findings.append(soft("mri_date", "mri_after_discharge", message))
    return findings


def check_discharge(
    answers: Mapping[str, Any],
    *,
    admission_date: date | None = None,
    surgery_date: date | None = None,
    completing: bool = False,
) -> list[Finding]:
    """Check the discharge date against surgery and admission, and the MRI answers."""
    return _check_discharge_date(answers, admission_date, surgery_date) + _check_mri(
        answers, surgery_date, completing=completing
    )
