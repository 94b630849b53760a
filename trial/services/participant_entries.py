"""Forms the participant entered through ePRO (``FormInstance.source``): site staff never
change their answers; they may mark such an entry invalid, with a reason (audited, shown on
the form and the grid, left out of the datasets and flagged in the exports), or raise a
query on it (``trial.services.queries``)."""

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from trial.exceptions import FormLocked, InvalidTransition, ReasonRequired, TrialError
from trial.locks import form_instance_qs_for_update, participant_qs_for_update
from trial.models import AuditEvent, FormInstance
from trial.services.audit import audit_record
from trial.services.locks import data_entry_allowed

EPRO = FormInstance.Source.EPRO


class EnteredByParticipant(TrialError):
    code = "entered_by_participant"
    default_message = _(
        "The participant entered these answers (ePRO): staff cannot change them. Mark the "
        "entry invalid with a reason, or raise a query."
    )


class NotEnteredByParticipant(TrialError):
    code = "not_entered_by_participant"
    default_message = _("Only an entry the participant made through ePRO can be marked invalid.")


@transaction.atomic(durable=True)
def crf_mark_invalid(*, actor: Any, instance: FormInstance, reason: str) -> FormInstance:
    """Mark a participant's ePRO entry invalid with a reason; its answers stay as entered."""
    if not reason.strip():
        raise ReasonRequired()
    data_entry_allowed(participant_qs_for_update(instance.participant_id).get())
    locked = form_instance_qs_for_update(instance.pk).select_related("participant__site").get()
    if locked.source != EPRO:
        raise NotEnteredByParticipant()
    if locked.locked_at:
        raise FormLocked()
    if locked.invalid_at is not None or locked.is_voided:
        raise InvalidTransition()
    locked.invalid_at, locked.invalid_by, locked.invalid_reason = timezone.now(), actor, reason
    locked.save(update_fields=["invalid_at", "invalid_by", "invalid_reason", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        obj=locked,
        site=locked.participant.site,
        changes={"invalid": (False, True)},
        reason=reason,
    )
    return locked
