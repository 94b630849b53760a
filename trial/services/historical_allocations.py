"""Historical allocations: a trial randomized elsewhere brings its allocations in.

Administrator-only (the view decides), one durable transaction per load, refused once
in-system randomization has started. Each allocation goes through ``allocation_record``
(status, visit schedule, audit) and points at its sealed load.
"""

import dataclasses
import hashlib
from datetime import datetime, time
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from trial.allocation import (
    AllocationUploadError,
    HistoricalLine,
    UploadProblem,
    historical_commitment,
    parse_historical_csv,
)
from trial.exceptions import TrialError
from trial.models import (
    Allocation,
    AuditEvent,
    DatabaseLock,
    HistoricalAllocationLoad,
    Participant,
    site_time_zone,
)
from trial.protocol import get_protocol
from trial.services.audit import audit_record
from trial.services.locks import data_entry_allowed
from trial.services.randomization import UploadInvalid, allocation_record


class RandomizationStarted(TrialError):
    code = "randomization_started"
    default_message = _(
        "In-system randomization has started: historical allocations can no longer be loaded."
    )


def in_system_randomization_started(protocol_code: str) -> bool:
    """Return whether any participant of the protocol was randomized by this system."""
    return Allocation.objects.filter(
        participant__protocol_code=protocol_code, historical_load__isnull=True
    ).exists()


def _participants(protocol_code: str, lines: list[HistoricalLine]) -> dict[str, Participant]:
    found = {
        p.trial_id: p
        for p in Participant.objects.filter(
            protocol_code=protocol_code, trial_id__in=[x.participant for x in lines]
        ).select_related("site")
    }
    problems = []
    for x in lines:
        participant = found.get(x.participant)
        if participant is None:
            problems.append(UploadProblem(x.line, "unknown_participant", x.participant))
        elif participant.status != Participant.Status.CONSENTED:
            problems.append(UploadProblem(x.line, "not_consented", x.participant))
    if problems:
        raise UploadInvalid(problems)
    return found


def _allocate(actor: Any, load: HistoricalAllocationLoad, line: HistoricalLine,
              participant: Participant) -> Allocation:  # fmt: skip
    data_entry_allowed(participant)
    moment = datetime.combine(line.allocated_on, time(12), tzinfo=site_time_zone(participant.site))
    return allocation_record(
        actor=actor,
        participant=participant,
        arm=line.arm,
        randomization_number=line.randomization_number,
        allocated_at=moment,
        stratum_key=line.stratum,
        historical_load=load,
        details={"historical": True},
    )


@transaction.atomic(durable=True)
def historical_allocations_load(
    *, actor: Any, protocol_code: str, file_name: str, content: bytes, reason: str
) -> HistoricalAllocationLoad:
    """Load and seal the trial's historical allocations of ``content`` (CSV); all lines or
    none."""
    if not reason.strip():
        raise TrialError(_("Give the reason for loading these allocations."), code="reason_needed")
    # the protocol's database row serialises loads against each other
    DatabaseLock.objects.select_for_update().get_or_create(protocol_code=protocol_code)
    if in_system_randomization_started(protocol_code):
        raise RandomizationStarted()
    arms = [a.code for a in get_protocol(protocol_code).arms]
    try:
        text = content.decode("utf-8-sig")
        lines = parse_historical_csv(text, arms=arms, today=timezone.localdate())
    except UnicodeDecodeError as exc:
        raise UploadInvalid([UploadProblem(None, "bad_csv", "not UTF-8")]) from exc
    except AllocationUploadError as exc:
        raise UploadInvalid(exc.problems) from exc
    participants = _participants(protocol_code, lines)
    lines = [
        dataclasses.replace(x, randomization_number=x.randomization_number or f"H{n:04d}")
        for n, x in enumerate(lines, start=1)
    ]
    load = HistoricalAllocationLoad.objects.create(
        protocol_code=protocol_code,
        reason=reason,
        file_name=file_name[:200],
        file_checksum=hashlib.sha256(content).hexdigest(),
        commitment=historical_commitment(lines),
        count=len(lines),
        loaded_by=actor,
    )
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        obj=load,
        reason=reason,
        changes={
            "file_name": (None, load.file_name),
            "file_checksum": (None, load.file_checksum),
            "commitment": (None, load.commitment),
            "count": (None, load.count),
        },
    )
    for line in lines:
        _allocate(actor, load, line, participants[line.participant])
    return load


def historical_allocations_verify(load: HistoricalAllocationLoad) -> bool:
    """Return whether the load's allocations still match the commitment made when loaded."""
    lines = [
        HistoricalLine(
            0,
            a.participant.trial_id,
            a.arm,
            timezone.localtime(a.allocated_at, site_time_zone(a.participant.site)).date(),
            a.stratum_key,
            a.randomization_number,
        )  # fmt: skip
        for a in load.allocations.select_related("participant__site")
    ]
    return historical_commitment(lines) == load.commitment
