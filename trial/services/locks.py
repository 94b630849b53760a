"""Locks above the form: a participant's casebook and the whole database (freeze, lock)."""

from typing import Any

from django.db import transaction
from django.utils import timezone

from trial.exceptions import DatabaseClosed, InvalidTransition, ParticipantLocked, ReasonRequired
from trial.locks import participant_qs_for_update
from trial.models import AuditEvent, DatabaseLock, FormInstance, Participant
from trial.services.audit import audit_record
from trial.services.batch import current_batch
from trial.services.data_management import crf_sign

DB = DatabaseLock.State
# Allowed moves of the database state: freeze, then lock; back only with a reason.
DB_MOVES = {
    (DB.OPEN, DB.FROZEN),
    (DB.FROZEN, DB.LOCKED),
    (DB.FROZEN, DB.OPEN),
    (DB.LOCKED, DB.FROZEN),
}


def database_state(protocol_code: str) -> str:
    batch = current_batch()
    if batch is not None and protocol_code in batch.database_states:
        return batch.database_states[protocol_code]  # read once per batch of an import
    row = DatabaseLock.objects.filter(protocol_code=protocol_code).first()
    state = row.state if row else DB.OPEN
    if batch is not None:
        batch.database_states[protocol_code] = state
    return state


def data_entry_allowed(participant: Participant) -> None:
    """Raise unless the participant's data may change (database open, casebook unlocked)."""
    if database_state(participant.protocol_code) != DB.OPEN:
        raise DatabaseClosed()
    if participant.locked_at:
        raise ParticipantLocked()


@transaction.atomic(durable=True)
def database_set_state(*, actor: Any, protocol_code: str, state: str, reason: str) -> DatabaseLock:
    """Freeze, lock, or re-open (with a reason) a protocol's database."""
    row, _ = DatabaseLock.objects.select_for_update().get_or_create(protocol_code=protocol_code)
    if (row.state, state) not in DB_MOVES:
        raise InvalidTransition()
    backwards = (row.state, state) in {(DB.FROZEN, DB.OPEN), (DB.LOCKED, DB.FROZEN)}
    if backwards and not reason.strip():
        raise ReasonRequired()
    old = row.state
    row.state, row.changed_by, row.reason = state, actor, reason
    row.save(update_fields=["state", "changed_by", "reason", "changed_at"])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        obj=row,
        changes={"state": (old, state)},
        reason=reason,
    )
    return row


@transaction.atomic(durable=True)
def participant_lock(*, actor: Any, participant: Participant) -> Participant:
    """Lock a participant's whole casebook."""
    locked = participant_qs_for_update(participant.pk).get()
    if locked.locked_at:
        raise InvalidTransition()
    locked.locked_at, locked.locked_by = timezone.now(), actor
    locked.save(update_fields=["locked_at", "locked_by", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        obj=locked,
        site=locked.site,
        changes={"locked": (False, True)},
    )
    return locked


@transaction.atomic(durable=True)
def participant_unlock(*, actor: Any, participant: Participant, reason: str) -> Participant:
    """Unlock a participant's casebook, saying why."""
    if not reason.strip():
        raise ReasonRequired()
    locked = participant_qs_for_update(participant.pk).get()
    if not locked.locked_at:
        raise InvalidTransition()
    locked.locked_at, locked.locked_by = None, None
    locked.save(update_fields=["locked_at", "locked_by", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        obj=locked,
        site=locked.site,
        changes={"locked": (True, False)},
        reason=reason,
    )
    return locked


def casebook_sign(*, actor: Any, participant: Participant, password: str, meaning: str) -> int:
    """Sign every complete, unsigned form of a participant; return how many were signed."""
    forms = FormInstance.objects.filter(
        participant=participant,
        is_voided=False,
        status=FormInstance.Status.COMPLETE,
        signed_at__isnull=True,
    ).order_by("pk")
    count = 0
    for instance in forms:
        crf_sign(actor=actor, instance=instance, password=password, meaning=meaning)
        count += 1
    return count
