"""Reads of the audit trail for the audit viewer and its CSV export."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from trial.blinding import policy_for
from trial.models import AuditEvent, FormInstance, Participant
from trial.permissions import Action, sites_for


@dataclass(frozen=True, slots=True)
class AuditFilter:
    participant: str = ""
    form: str = ""
    user: str = ""
    action: str = ""
    date_from: date | None = None
    date_to: date | None = None


def _participant_condition(trial_id: str) -> Q:
    participant = Participant.objects.filter(trial_id=trial_id).first()
    if participant is None:
        return Q(pk__in=[])
    forms = FormInstance.objects.filter(participant=participant).values_list("pk", flat=True)
    return (
        Q(object_type="trial.participant", object_id=str(participant.pk))
        | Q(object_type="trial.forminstance", object_id__in=[str(pk) for pk in forms])
        | Q(object_repr__startswith=f"{trial_id} ")
    )


def audit_event_stream(user: Any, protocol_code: str, filters: AuditFilter) -> Iterator[AuditEvent]:
    """The events of :func:`audit_event_list` with their site, read in chunks (CSV export)."""
    return (
        audit_event_list(user, protocol_code, filters)
        .select_related("site")
        .iterator(chunk_size=2000)
    )


def audit_event_list(user: Any, protocol_code: str, filters: AuditFilter) -> QuerySet[AuditEvent]:
    """Return the audit events this user may read in the trial, filtered, newest first.

    Site-bound events are limited to the sites where the user reads the trail in this trial,
    and masked by this trial's blinding; events without a site (log-ins, lists) are shown to
    every reader of the trail. (Audit rows carry no trial code yet: a site shared by two
    trials shows both trials' rows to a reader of either.)
    """
    qs = AuditEvent.objects.filter(
        Q(site__isnull=True) | Q(site__in=sites_for(user, protocol_code, Action.VIEW_AUDIT))
    )
    qs = policy_for(user, protocol_code).audit_rows(qs)  # no row about what blinding hides
    if filters.participant:
        qs = qs.filter(_participant_condition(filters.participant.strip()))
    if filters.form:
        qs = qs.filter(object_type="trial.forminstance", object_repr__contains=f" {filters.form} ")
    if filters.user:
        qs = qs.filter(actor_username=filters.user.strip())
    if filters.action:
        qs = qs.filter(action=filters.action)
    tz = timezone.get_current_timezone()
    if filters.date_from:
        qs = qs.filter(at__gte=datetime.combine(filters.date_from, time.min, tzinfo=tz))
    if filters.date_to:
        qs = qs.filter(at__lte=datetime.combine(filters.date_to, time.max, tzinfo=tz))
    return qs.order_by("-at", "-id")


def audit_changes_for(user: Any, protocol_code: str, event: AuditEvent) -> dict[str, Any]:
    """Return the event's changes as this user may read them in the trial (masked for the
    blinded)."""
    return policy_for(user, protocol_code).audit_changes(event)
