"""Edit checks of the rehabilitation trial's own forms (pure, contributed under their models)."""

from collections.abc import Mapping
from datetime import date
from typing import Any

from django.utils.translation import gettext_lazy as _

from trial.edit_checks.base import Finding
from trial.edit_checks.common import days_after, hard, soft


def check_adherence(answers: Mapping[str, Any], *, completing: bool) -> list[Finding]:
    """More sessions attended than planned is impossible; none planned is unusual."""
    planned, attended = answers.get("sessions_planned"), answers.get("sessions_attended")
    if planned is not None and attended is not None and attended > planned:
        message = _("More sessions attended than planned.")
        return [hard("sessions_attended", "attended_above_planned", message)]
    if planned == 0:
        message = _("No sessions were planned since the previous visit: please confirm.")
        return [soft("sessions_planned", "no_sessions_planned", message)]
    return []


def check_rehab_adverse_event(
    answers: Mapping[str, Any], *, completing: bool, randomization_date: date | None = None
) -> list[Finding]:
    """The event resolves after its onset; an event related to the programme begins after
    randomization (the programme starts then)."""
    findings = []
    onset = answers.get("onset_date")
    if (days := days_after(answers.get("resolution_date"), onset)) is not None and days < 0:
        message = _("The resolution date is before the onset date.")
        findings.append(hard("resolution_date", "resolution_before_onset", message))
    after = days_after(onset, randomization_date)
    if answers.get("relation") == "rehabilitation" and after is not None and after < 0:
        message = _("The event is related to rehabilitation but began before randomization.")
        findings.append(soft("relation", "onset_before_rehabilitation", message))
    if answers.get("severity") == 5 and answers.get("serious") is False:
        message = _("A fatal event is always serious.")
        findings.append(hard("serious", "fatal_not_serious", message))
    return findings
