from typing import Any

from django.db import IntegrityError, transaction

from trial.exceptions import AlreadyAllocated, InvalidTransition, TrialError
from trial.locks import participant_qs_for_update
from trial.models import Allocation, AuditEvent, Participant
from trial.protocol import get_protocol
from trial.services.audit import audit_record
from trial.services.visits import visit_schedule_sync


@transaction.atomic(durable=True)
def allocation_record(
    *, actor: Any, participant: Participant, arm: str, randomization_number: str
) -> Allocation:
    """Record the allocation of a consented participant; it never changes afterwards.

    Randomization from a concealed list (a later feature) will call this same step.
    """
    locked = participant_qs_for_update(participant.pk).get()
    if Allocation.objects.filter(participant=locked).exists():
        raise AlreadyAllocated()
    if locked.status != Participant.Status.CONSENTED:
        raise InvalidTransition()
    if arm not in {a.code for a in get_protocol(locked.protocol_code).arms}:
        raise TrialError(code="unknown_arm")
    try:
        with transaction.atomic():
            allocation = Allocation.objects.create(
                participant=locked,
                arm=arm,
                randomization_number=randomization_number,
                allocated_by=actor,
            )
    except IntegrityError as exc:  # the one-to-one backstop
        raise AlreadyAllocated() from exc
    locked.status = Participant.Status.RANDOMIZED
    locked.revision += 1
    locked.save(update_fields=["status", "revision", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        obj=allocation,
        site=locked.site,
        changes={
            "arm": (None, arm),
            "randomization_number": (None, randomization_number),
            "status": (Participant.Status.CONSENTED, Participant.Status.RANDOMIZED),
        },
    )
    visit_schedule_sync(actor=actor, participant=locked)
    return allocation
