"""Reads of the audit trail for the audit viewer and its CSV export."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils import timezone

from trial.blinding import policy_for
from trial.models import ACCOUNT_ACTIONS, AuditEvent, FormInstance, Membership, Participant
from trial.permissions import Action, may_trial_wide, sites_for


@dataclass(frozen=True, slots=True)
class AuditFilter:
    participant: str = ""
    form: str = ""
    user: str = ""
    action: str = ""
    date_from: date | None = None
    date_to: date | None = None


def _participant_condition(protocol_code: str, trial_id: str) -> Q:
    participant = Participant.objects.filter(trial_id=trial_id, protocol_code=protocol_code).first()
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


def _account_condition(user: Any, protocol_code: str) -> Q:
    """Return the account events (no trial: log-ins, password changes) this reader of the
    trial's trail sees: their own; with a trial-wide right to read the trail, those of every
    account that holds or held a role in this trial; an administrator of the trial also sees
    failed log-ins under names that are no account (someone guessing)."""
    own = Q(actor_id=user.pk) if getattr(user, "is_authenticated", False) else Q(pk__in=[])
    seen = own
    if may_trial_wide(user, protocol_code, Action.VIEW_AUDIT):
        members = Membership.objects.filter(protocol_code=protocol_code).values("user_id")
        names = get_user_model().objects.filter(pk__in=members).values("username")
        seen |= Q(actor_id__in=members) | Q(actor__isnull=True, actor_username__in=names)
        if may_trial_wide(user, protocol_code, Action.MANAGE_USERS):
            accounts = get_user_model().objects.values("username")
            seen |= Q(action=AuditEvent.Action.LOGIN_FAILED, actor__isnull=True) & ~Q(
                actor_username__in=accounts
            )
    return Q(protocol_code="", action__in=ACCOUNT_ACTIONS) & seen


def audit_event_list(user: Any, protocol_code: str, filters: AuditFilter) -> QuerySet[AuditEvent]:
    """Return the audit events this user may read in the trial, filtered, newest first.

    Only the trial's own rows (``AuditEvent.protocol_code``; a site shared by several trials
    shows each trial's reader that trial's rows only): site-bound rows at the sites where the
    user reads the trail in this trial, trial-wide rows (lists, releases, tokens) to every
    reader, all masked by this trial's blinding; and the account events
    :func:`_account_condition` lets this reader see.
    """
    sites = sites_for(user, protocol_code, Action.VIEW_AUDIT)
    qs = AuditEvent.objects.filter(
        Q(protocol_code=protocol_code) & (Q(site__isnull=True) | Q(site__in=sites))
        | _account_condition(user, protocol_code)
    )
    qs = policy_for(user, protocol_code).audit_rows(qs)  # no row about what blinding hides
    if filters.participant:
        qs = qs.filter(_participant_condition(protocol_code, filters.participant.strip()))
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
