"""What site staff see of ePRO invitations: per visit on the participant page and the
visit grid, per row on the worklist, and completion rates on the dashboard.

Reads only. Whether an invitation may be issued is asked of the same rules the issuing
service applies (``epro.services``); the reason shown when it may not is that rule's
message. Blinding: only visits and forms the user may know of are considered, and no
figure is ever split by arm.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Q
from django.shortcuts import get_object_or_404
from django.utils import timezone

from epro.exceptions import IdentityUnknown, NothingToComplete, WindowClosed
from epro.models import Invitation
from epro.services import (
    identity_expected,
    invitation_form_codes,
    invitation_status,
    invitation_window,
)
from trial.blinding import policy_for
from trial.exceptions import InvalidTransition, TrialError
from trial.models import Participant, Visit
from trial.permissions import Action, may
from trial.protocol import FormDef, get_protocol
from trial.services.locks import data_entry_allowed

S = Invitation.Status
# What a staff member reads for each status (the model's labels), in lifecycle order.
STATUS_ORDER = (S.ISSUED, S.SENT, S.OPENED, S.IN_PROGRESS, S.SUBMITTED, S.EXPIRED, S.REVOKED)


@dataclass(frozen=True)
class VisitInvitation:
    """A visit's ePRO state for one staff member: its forms, its latest invitation and
    whether a new one may be issued (``reason`` says why not)."""

    visit_id: int
    forms: tuple[FormDef, ...]
    invitation: Invitation | None
    status: str  # "" when the visit never had an invitation
    may_issue: bool = False
    may_revoke: bool = False
    reason: str = ""

    @property
    def status_label(self) -> str:
        return str(S(self.status).label) if self.status else ""

    @property
    def invited_forms(self) -> tuple[str, ...]:
        """The forms the latest invitation asks the participant for."""
        return tuple(self.invitation.form_codes) if self.invitation is not None else ()


def latest_invitations(visit_ids: Iterable[int]) -> dict[int, Invitation]:
    """Return the newest invitation of each visit (one query)."""
    latest: dict[int, Invitation] = {}
    rows = Invitation.objects.filter(visit_id__in=list(visit_ids)).order_by(
        "visit_id", "-created_at", "-pk"
    )
    for invitation in rows:
        latest.setdefault(invitation.visit_id, invitation)
    return latest


def _arm(participant: Participant) -> str | None:
    allocation = getattr(participant, "allocation", None)
    return allocation.arm if allocation is not None else None


def epro_visit_forms(user: Any, participant: Participant, visit: Visit) -> tuple[FormDef, ...]:
    """Return the self-completed forms of ``visit`` the user may know of."""
    protocol = get_protocol(participant.protocol_code)
    if protocol.epro is None:
        return ()
    policy = policy_for(user, protocol.code)
    definition = protocol.visit(visit.code)
    visible = policy.visit_forms(definition, _arm(participant))
    return tuple(f for f in visible if f.code in protocol.epro.form_codes)


def _refusal(participant: Participant, visit: Visit, now: datetime) -> str:
    """Return why no invitation may be issued for the visit now ("" when one may)."""
    try:
        data_entry_allowed(participant)
        if not participant.is_active:
            raise InvalidTransition()
        _opens, closes = invitation_window(visit)
        if closes <= now:
            raise WindowClosed()
        if not invitation_form_codes(participant, visit):
            raise NothingToComplete()
    except TrialError as error:
        return str(error.message)
    return ""


def participant_invitations(
    user: Any, participant: Participant, visits: Iterable[Visit], now: datetime | None = None
) -> dict[int, VisitInvitation]:
    """Return, per visit id with self-completed forms, what the user sees and may do."""
    now = now or timezone.now()
    candidates = [(v, epro_visit_forms(user, participant, v)) for v in visits]
    candidates = [(v, forms) for v, forms in candidates if forms]
    latest = latest_invitations(v.pk for v, _forms in candidates)
    may_enter = may(user, participant.protocol_code, Action.ENTER_DATA, site=participant.site)
    identity_known: bool | None = None
    out = {}
    for visit, forms in candidates:
        invitation = latest.get(visit.pk)
        status = invitation_status(invitation, now) if invitation is not None else ""
        active = status in Invitation.ACTIVE
        reason = ""
        if may_enter and not active:
            visit.participant = participant
            reason = _refusal(participant, visit, now)
            if not reason:
                if identity_known is None:
                    identity_known = identity_expected(participant) is not None
                reason = "" if identity_known else str(IdentityUnknown.default_message)
        out[visit.pk] = VisitInvitation(
            visit.pk,
            forms,
            invitation,
            status,
            may_issue=may_enter and not active and not reason,
            may_revoke=may_enter and active,
            reason=reason,
        )
    return out


def worklist_invitation_statuses(user: Any, visits: Iterable[Visit]) -> dict[int, str]:
    """Return the status of the newest invitation of each listed visit (one query)."""
    now = timezone.now()
    out = {}
    for visit_id, invitation in latest_invitations(v.pk for v in visits).items():
        out[visit_id] = invitation_status(invitation, now)
    return out


@dataclass(frozen=True)
class CompletionRow:
    """ePRO invitations of one site: how many were issued and how they ended."""

    site: str
    issued: int
    open: int
    submitted: int
    expired: int
    revoked: int

    @property
    def rate(self) -> float | None:
        """Submitted among the invitations that ended by submission or expiry (percent)."""
        ended = self.submitted + self.expired
        return round(100 * self.submitted / ended, 1) if ended else None


def epro_completion(
    user: Any, site_ids: Iterable[int], protocol_code: str, now: datetime | None = None
) -> list[CompletionRow]:
    """Return per site the invitations and their completion rate; pooled over the arms for
    everyone (the figures are never split by arm), only visits the user may know of."""
    now = now or timezone.now()
    hidden = policy_for(user, protocol_code).hidden_visit_codes()
    active = Q(status__in=Invitation.ACTIVE)
    rows = (
        Invitation.objects.filter(
            participant__site_id__in=list(site_ids), participant__protocol_code=protocol_code
        )
        .exclude(visit__code__in=hidden)
        .values("participant__site__code")
        .annotate(
            issued=Count("pk"),
            open=Count("pk", filter=active & Q(expires_at__gt=now)),
            submitted=Count("pk", filter=Q(status=S.SUBMITTED)),
            expired=Count("pk", filter=Q(status=S.EXPIRED) | (active & Q(expires_at__lte=now))),
            revoked=Count("pk", filter=Q(status=S.REVOKED)),
        )
        .order_by("participant__site__code")
    )
    return [
        CompletionRow(
            r["participant__site__code"],
            r["issued"],
            r["open"],
            r["submitted"],
            r["expired"],
            r["revoked"],
        )  # fmt: skip
        for r in rows
    ]


def completion_total(rows: list[CompletionRow]) -> CompletionRow | None:
    """Return the sum of the sites' rows (None when there is no invitation)."""
    if not rows:
        return None
    return CompletionRow(
        "",
        *(sum(getattr(r, f) for r in rows) for f in ("issued", "open", "submitted", "expired",
                                                       "revoked")),
    )  # fmt: skip


def invitation_get(participant: Participant, visit: Visit, pk: int) -> Invitation:
    """Return an invitation of this participant's visit, or 404."""
    return get_object_or_404(Invitation, pk=pk, participant=participant, visit=visit)
