"""Edit checks of a concomitant-medication log entry."""

from collections.abc import Mapping
from datetime import date
from typing import Any

from django.utils.translation import gettext_lazy as _

from .base import Finding
from .common import days_after, details_needed, hard


def _check_stop(answers: Mapping[str, Any], *, completing: bool) -> list[Finding]:
    stop, ongoing = answers.get("stop_date"), answers.get("ongoing")
    if ongoing is True and stop is not None:
        message = _("A medication marked as ongoing cannot have a stop date.")
        return [hard("stop_date", "ongoing_with_stop_date", message)]
    if completing and ongoing is False and stop is None:
        message = _("Enter the stop date, or mark the medication as ongoing.")
        return [hard("stop_date", "stop_date_missing", message)]
    return []


def check_medication(
    answers: Mapping[str, Any],
    *,
    admission_date: date | None = None,
    surgery_date: date | None = None,
    completing: bool = False,
) -> list[Finding]:
    """Check the other drug's name, the stop date against the start and the ongoing flag."""
    findings = details_needed(
        answers,
        "drug",
        "other_drug_name",
        completing=completing,
        message=_("Enter the name of the other drug."),
    )
    gap = days_after(answers.get("stop_date"), answers.get("start_date"))
    if gap is not None and gap < 0:
        message = _("The stop date is before the start date.")
        findings.append(hard("stop_date", "stop_before_start", message))
    return findings + _check_stop(answers, completing=completing)
