"""Emergency unblinding: a request with a reason, a decision by a designated role."""

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from trial.exceptions import InvalidTransition, ReasonRequired, TrialError
from trial.locks import participant_qs_for_update
from trial.models import Allocation, AuditEvent, Participant, UnblindingRequest
from trial.permissions import roles
from trial.protocol import get_protocol
from trial.services.audit import audit_record


@transaction.atomic(durable=True)
def unblinding_request_create(
    *, actor: Any, participant: Participant, reason: str
) -> UnblindingRequest:
    """Ask to reveal one allocated participant's arm, saying why."""
    if not reason.strip():
        raise ReasonRequired()
    locked = participant_qs_for_update(participant.pk).get()
    if not Allocation.objects.filter(participant=locked).exists():
        raise TrialError(_("Only an allocated participant can be unblinded."), code="not_allocated")
    if UnblindingRequest.objects.filter(
        participant=locked, requested_by=actor, status=UnblindingRequest.Status.PENDING
    ).exists():
        raise TrialError(
            _("You already have a pending request for this participant."), code="request_pending"
        )
    request = UnblindingRequest.objects.create(
        participant=locked, requested_by=actor, reason=reason
    )
    audit_record(
        actor=actor,
        action=AuditEvent.Action.UNBLIND,
        obj=request,
        site=locked.site,
        changes={"status": (None, request.status)},
        reason=reason,
    )
    return request


def _decide(actor: Any, request: UnblindingRequest, status: str, note: str) -> UnblindingRequest:
    locked = UnblindingRequest.objects.select_for_update().get(pk=request.pk)
    if locked.status != UnblindingRequest.Status.PENDING:
        raise InvalidTransition()
    approvers = get_protocol(locked.participant.protocol_code).unblinding_approver_roles
    if (
        not roles(actor, locked.participant.protocol_code) & approvers
        or locked.requested_by_id == actor.pk
    ):
        raise TrialError(
            _("You may not decide this request (not an approver, or your own)."),
            code="not_an_approver",
        )
    locked.status, locked.decided_by, locked.decided_at = status, actor, timezone.now()
    locked.decision_note = note
    locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.UNBLIND,
        obj=locked,
        site=locked.participant.site,
        changes={"status": (UnblindingRequest.Status.PENDING, status)},
        reason=note,
    )
    return locked


@transaction.atomic(durable=True)
def unblinding_request_approve(
    *, actor: Any, request: UnblindingRequest, note: str = ""
) -> UnblindingRequest:
    """Approve a pending request: its requester may then see that participant's arm."""
    return _decide(actor, request, UnblindingRequest.Status.APPROVED, note)


@transaction.atomic(durable=True)
def unblinding_request_refuse(
    *, actor: Any, request: UnblindingRequest, note: str
) -> UnblindingRequest:
    """Refuse a pending request, with the reason."""
    if not note.strip():
        raise ReasonRequired()
    return _decide(actor, request, UnblindingRequest.Status.REFUSED, note)
