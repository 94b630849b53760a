from datetime import date
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from trial.exceptions import InvalidTransition, TrialError
from trial.locks import participant_qs_for_update
from trial.models import AuditEvent, Consent, Participant
from trial.protocol import get_protocol
from trial.services.audit import audit_record
from trial.services.locks import data_entry_allowed


@transaction.atomic(durable=True)
def consent_record(
    *, actor: Any, participant: Participant, version: str, consent_date: date, obtained_by: Any
) -> Consent:
    """Record written informed consent of an eligible participant."""
    locked = participant_qs_for_update(participant.pk).get()
    data_entry_allowed(locked)
    if locked.status != Participant.Status.ELIGIBLE:
        raise InvalidTransition()
    if version not in get_protocol(locked.protocol_code).consent_versions:
        raise TrialError(
            _("This consent form version is not in the protocol."), code="unknown_consent_version"
        )
    consent = Consent.objects.create(
        participant=locked, version=version, consent_date=consent_date, obtained_by=obtained_by
    )
    locked.status = Participant.Status.CONSENTED
    locked.revision += 1
    locked.save(update_fields=["status", "revision", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        obj=consent,
        site=locked.site,
        changes={
            "version": (None, version),
            "consent_date": (None, consent_date),
            "obtained_by": (None, obtained_by.get_username()),
            "status": (Participant.Status.ELIGIBLE, Participant.Status.CONSENTED),
        },
    )
    return consent
