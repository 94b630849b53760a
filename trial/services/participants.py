"""The participant journey: registration (screening), identifying data, dates, ending."""

from datetime import date
from typing import Any

from django.db import transaction

from trial.exceptions import DatabaseClosed, InvalidTransition, ReasonRequired
from trial.locks import participant_qs_for_update, site_qs_for_update
from trial.models import AuditEvent, Participant, PersonalData, Site
from trial.protocol import get_protocol
from trial.selectors.anchors import participant_anchor_dates
from trial.selectors.participants import trial_id_taken
from trial.services.anchors import Source, anchor_audit_key, anchor_dates_apply
from trial.services.audit import audit_record
from trial.services.locks import data_entry_allowed, database_state
from trial.services.visits import visit_schedule_sync

IDENTITY_FIELDS = ("full_name", "phone", "hospital_number", "email")
END_STATUSES = {
    Participant.Status.COMPLETED,
    Participant.Status.WITHDRAWN,
    Participant.Status.LOST,
}


def _participant_register(
    *,
    actor: Any,
    site: Site,
    screening_date: date,
    registration_date: date | None,
    full_name: str,
    phone: str = "",
    hospital_number: str = "",
    protocol_code: str,
    site_sequence: int | None = None,
) -> Participant:
    """Register a patient for screening under the trial's next participant id at the site.

    ``registration_date`` dates every anchor the protocol records at registration
    (``Protocol.registration_anchors``; the registration page names them). ``site_sequence``
    keeps a number given from elsewhere (an import keeps the record's own trial id); a
    number already taken by the trial at the site is refused.
    """
    if database_state(protocol_code) != "open":
        raise DatabaseClosed()
    protocol = get_protocol(protocol_code)
    locked_site = site_qs_for_update(site.pk).get()
    numbered = locked_site.participants.filter(protocol_code=protocol_code)
    if site_sequence is not None:
        taken = numbered.filter(site_sequence=site_sequence).exists()
        if taken or trial_id_taken(protocol.participant_id(locked_site.code, site_sequence)):
            raise InvalidTransition()
        sequence = site_sequence
    else:
        last = numbered.order_by("-site_sequence").first()
        sequence = (last.site_sequence if last else 0) + 1
        # an id another trial took before numbers counted per trial stays taken
        while trial_id_taken(protocol.participant_id(locked_site.code, sequence)):
            sequence += 1
    participant = Participant.objects.create(
        trial_id=protocol.participant_id(locked_site.code, sequence),
        site=locked_site,
        site_sequence=sequence,
        protocol_code=protocol_code,
        screening_date=screening_date,
        created_by=actor,
    )
    registered = {a.code: registration_date for a in protocol.registration_anchors}
    anchor_dates_apply(participant=participant, dates=registered, source=Source.REGISTRATION)
    identity = PersonalData.objects.create(
        participant=participant,
        full_name=full_name,
        phone=phone,
        hospital_number=hospital_number,
    )
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        obj=participant,
        site=locked_site,
        changes={
            "trial_id": (None, participant.trial_id),
            "status": (None, participant.status),
            "screening_date": (None, screening_date),
            **{anchor_audit_key(code): (None, day) for code, day in registered.items()},
        },
    )
    # identifying data are audited by field name only: the audit trail is exported
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        obj=identity,
        site=locked_site,
        changes={name: (None, "***") for name in IDENTITY_FIELDS if getattr(identity, name)},
    )
    visit_schedule_sync(actor=actor, participant=participant)
    return participant


participant_register = transaction.atomic(durable=True)(_participant_register)
# Registration as one step of a larger transaction (an import: all rows or none).
participant_register_step = transaction.atomic(_participant_register)


@transaction.atomic(durable=True)
def participant_update_identity(
    *, actor: Any, participant: Participant, reason: str, **values: str
) -> PersonalData:
    """Change a participant's identifying data (audited without the values themselves)."""
    participant_qs_for_update(participant.pk).get()
    identity = participant.personal_data
    changed = [
        name
        for name in IDENTITY_FIELDS
        if name in values and values[name] != getattr(identity, name)
    ]
    if not changed:
        return identity
    if not reason.strip():
        raise ReasonRequired()
    for name in changed:
        setattr(identity, name, values[name])
    identity.save(update_fields=[*changed, "updated_at"])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        obj=identity,
        site=participant.site,
        changes={name: ("***", "***") for name in changed},
        reason=reason,
    )
    return identity


def _participant_set_dates(
    *,
    actor: Any,
    participant: Participant,
    reason: str = "",
    source: str = Source.ENTERED,
    **anchor_dates: date | None,
) -> Participant:
    """Set the anchor dates staff enter (the ``<code>_date`` of each anchor the protocol
    lets staff enter, its ``anchor_audit_key``) and reschedule the visits.

    Moving a date already set needs a reason; every change is audited on the participant.
    """
    locked = participant_qs_for_update(participant.pk).get()
    data_entry_allowed(locked)
    entered = {
        anchor_audit_key(a.code): a.code
        for a in get_protocol(locked.protocol_code).anchors
        if a.entered
    }
    unknown = set(anchor_dates) - set(entered)
    if unknown:
        raise TypeError(f"not anchor dates staff may enter: {sorted(unknown)}")
    current = participant_anchor_dates(locked)
    dates = {
        entered[name]: day
        for name, day in anchor_dates.items()
        if current.get(entered[name]) != day
    }
    if not dates:
        return locked
    if any(current.get(code) is not None for code in dates) and not reason.strip():
        raise ReasonRequired()
    changes = anchor_dates_apply(participant=locked, dates=dates, source=source)
    locked.revision += 1
    locked.save(update_fields=["revision", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        obj=locked,
        site=locked.site,
        changes=changes,
        reason=reason,
    )
    visit_schedule_sync(actor=actor, participant=locked)
    return locked


participant_set_dates = transaction.atomic(durable=True)(_participant_set_dates)
participant_set_dates_step = transaction.atomic(_participant_set_dates)


@transaction.atomic(durable=True)
def participant_end(
    *, actor: Any, participant: Participant, status: str, ended_date: date, reason: str
) -> Participant:
    """End a participant's follow-up: completed, withdrawn or lost, with date and reason."""
    locked = participant_qs_for_update(participant.pk).get()
    data_entry_allowed(locked)
    if status not in END_STATUSES:
        raise InvalidTransition()
    if locked.status in END_STATUSES or locked.status == Participant.Status.INELIGIBLE:
        raise InvalidTransition()
    if status != Participant.Status.COMPLETED and not reason.strip():
        raise ReasonRequired()
    changes = {
        "status": (locked.status, status),
        "ended_date": (locked.ended_date, ended_date),
        "end_reason": (locked.end_reason, reason),
    }
    locked.status, locked.ended_date, locked.end_reason = status, ended_date, reason
    locked.revision += 1
    locked.save(update_fields=["status", "ended_date", "end_reason", "revision", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        obj=locked,
        site=locked.site,
        changes=changes,
        reason=reason,
    )
    return locked
