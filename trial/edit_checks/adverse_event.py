"""Edit checks of an adverse-event log entry: dates, seriousness, Clavien-Dindo and outcome."""

from collections.abc import Mapping
from datetime import date
from typing import Any

from django.utils.translation import gettext_lazy as _

from .base import Finding
from .common import days_after, details_needed, hard, soft

GRADES_ALWAYS_SERIOUS = frozenset({"IVa", "IVb", "V"})  # life-threatening or death
FATAL_GRADE = "V"
RESOLVED_OUTCOMES = frozenset({"recovered", "recovered_with_sequelae", "fatal"})
UNRESOLVED_OUTCOMES = frozenset({"recovering", "not_recovered"})


def _check_dates(
    answers: Mapping[str, Any], admission_date: date | None, surgery_date: date | None
) -> list[Finding]:
    onset, findings = answers.get("onset_date"), []
    if (days := days_after(answers.get("resolution_date"), onset)) is not None and days < 0:
        message = _("The resolution date is before the onset date.")
        findings.append(hard("resolution_date", "resolution_before_onset", message))
    if (days := days_after(onset, admission_date)) is not None and days < 0:
        message = _("The event began before admission: is it medical history instead?")
        findings.append(soft("onset_date", "onset_before_admission", message))
    after_surgery = days_after(onset, surgery_date)
    if answers.get("relation") == "peld" and after_surgery is not None and after_surgery < 0:
        message = _("The event is related to PELD but began before the surgery.")
        findings.append(soft("relation", "onset_before_related_surgery", message))
    return findings


def _check_outcome(answers: Mapping[str, Any], *, completing: bool) -> list[Finding]:
    outcome, resolved = answers.get("outcome"), answers.get("resolution_date")
    if completing and outcome in RESOLVED_OUTCOMES and resolved is None:
        message = _("Enter the date the event resolved (or the date of death).")
        return [hard("resolution_date", "resolution_date_missing", message)]
    if outcome in UNRESOLVED_OUTCOMES and resolved is not None:
        message = _("A resolution date is given but the event has not resolved.")
        return [soft("resolution_date", "resolved_but_not_recovered", message)]
    return []


def _check_severity(answers: Mapping[str, Any]) -> list[Finding]:
    grade, outcome, serious = (answers.get(k) for k in ("clavien_dindo", "outcome", "serious"))
    fatal_grade, fatal_outcome = grade == FATAL_GRADE, outcome == "fatal"
    if grade and outcome and outcome != "unknown" and fatal_grade != fatal_outcome:
        message = _("Clavien-Dindo grade V means death: the grade and the outcome disagree.")
        return [hard("clavien_dindo", "fatal_grade_mismatch", message)]
    if serious is False and fatal_outcome:
        message = _("A fatal event is always serious.")
        return [hard("serious", "fatal_not_serious", message)]
    if serious is False and grade in GRADES_ALWAYS_SERIOUS:
        message = _("A Clavien-Dindo grade IV or V event is usually serious: please confirm.")
        return [soft("serious", "grade_implies_serious", message)]
    return []


def check_adverse_event(
    answers: Mapping[str, Any],
    *,
    admission_date: date | None = None,
    surgery_date: date | None = None,
    completing: bool = False,
) -> list[Finding]:
    """Check the event's dates, its outcome and resolution, seriousness and grade."""
    findings = _check_dates(answers, admission_date, surgery_date)
    findings += _check_outcome(answers, completing=completing) + _check_severity(answers)
    return findings + details_needed(
        answers,
        "action_taken",
        "description",
        completing=completing,
        message=_("Describe the other action taken."),
    )
