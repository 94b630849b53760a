"""The visit schedule follows the protocol, the allocation and the anchor dates."""

from datetime import datetime
from typing import Any

from django.apps import apps
from django.db import transaction
from django.utils import timezone

from trial.blinding import visit_status_forms
from trial.exceptions import InvalidTransition, ReasonRequired
from trial.models import Allocation, AuditEvent, FormInstance, Participant, SystemReason, Visit
from trial.protocol import Protocol, get_protocol
from trial.selectors.anchors import participant_anchor_dates
from trial.services.audit import audit_record
from trial.services.batch import MISSING, batch_arm

SCHEDULE_REASON = SystemReason.SCHEDULE.value


def participant_arm(participant: Participant) -> str | None:
    if (known := batch_arm(participant.trial_id)) is not MISSING:
        return known  # an import's batch read its chunk's allocations at once
    allocation = Allocation.objects.filter(participant=participant).only("arm").first()
    return allocation.arm if allocation else None


def visit_schedule_sync(*, actor: Any, participant: Participant) -> list[Visit]:
    """Create the visits the participant's arm needs and date them from the anchors."""
    protocol = get_protocol(participant.protocol_code)
    existing = {v.code: v for v in Visit.objects.filter(participant=participant)}
    arm = participant_arm(participant)
    anchors = participant_anchor_dates(participant, protocol)
    visits = []
    with transaction.atomic():
        for order, definition in enumerate(protocol.visits, start=1):
            if not definition.applies_to(arm):
                continue
            anchor = anchors.get(definition.anchor)
            target = definition.target(anchor) if anchor else None
            start, end = definition.window(anchor) if anchor else (None, None)
            visit = existing.get(definition.code)
            if visit is None:
                visit = Visit.objects.create(
                    participant=participant,
                    code=definition.code,
                    order=order,
                    target_date=target,
                    window_start=start,
                    window_end=end,
                )
                audit_record(
                    actor=actor,
                    action=AuditEvent.Action.CREATE,
                    obj=visit,
                    site=participant.site,
                    changes={"target_date": (None, target)},
                    reason=SCHEDULE_REASON,
                )
            elif visit.target_date != target:
                audit_record(
                    actor=actor,
                    action=AuditEvent.Action.UPDATE,
                    obj=visit,
                    site=participant.site,
                    changes={"target_date": (visit.target_date, target)},
                    reason=SCHEDULE_REASON,
                )
                visit.target_date, visit.window_start, visit.window_end = target, start, end
                visit.save(update_fields=["target_date", "window_start", "window_end"])
                if visit.status == Visit.Status.DONE:  # its forms may now lie outside
                    visit.participant = participant
                    visit_refresh_status(actor=actor, visit=visit, arm=arm, recheck_dates=True)
            visits.append(visit)
    return visits


_UNKNOWN: Any = object()


def _settled_forms(
    protocol: Protocol, participant: Participant, visit: Visit, *, recheck_dates: bool
) -> set[str]:
    """Return the codes of the visit's forms that are complete and dated inside the window
    (or saved outside it with a reason: flagged ``out_of_window``).

    Every save checks its own date (``crf_save``), so the dates are read again only when
    ``recheck_dates``: after the anchor moved.
    """
    complete = FormInstance.objects.filter(
        visit=visit, status=FormInstance.Status.COMPLETE, is_voided=False
    )
    if not recheck_dates:
        return set(complete.values_list("form_code", flat=True))
    definition = protocol.visit(visit.code)
    anchor = participant_anchor_dates(participant, protocol).get(definition.anchor)
    settled = set()
    for instance in complete:
        formdef = protocol.form(instance.form_code)
        defines_anchor = protocol.visit_defined_by(definition, formdef.code)
        if instance.out_of_window or defines_anchor or anchor is None:
            settled.add(instance.form_code)
            continue
        data = apps.get_model(formdef.model).objects.filter(instance=instance).first()
        day = getattr(data, formdef.date_field, None)
        day = timezone.localdate(day) if isinstance(day, datetime) else day
        if definition.timing(anchor, day).in_window is not False:
            settled.add(instance.form_code)
    return settled


def visit_refresh_status(
    *, actor: Any, visit: Visit, arm: str | None = _UNKNOWN, recheck_dates: bool = False
) -> Visit:
    """Mark a visit done when every form it needs (``visit_status_forms``: those every arm
    of the visit is asked) is complete and dated inside its window or justified outside it
    (scheduled again if not). Overdue and missed follow from the
    window (``trial.selectors.expected``).

    ``arm`` is the participant's arm when the caller already read it (None: not allocated).
    """
    participant = visit.participant
    protocol = get_protocol(participant.protocol_code)
    if arm is _UNKNOWN:
        arm = participant_arm(participant)
    # what every arm of the visit is asked (a form of one arm only would name the arm)
    needed = {f.code for f in visit_status_forms(protocol, protocol.visit(visit.code), arm)}
    complete = _settled_forms(protocol, participant, visit, recheck_dates=recheck_dates)
    new = Visit.Status.DONE if needed <= complete else Visit.Status.SCHEDULED
    if visit.status != Visit.Status.MISSED and visit.status != new:
        audit_record(
            actor=actor,
            action=AuditEvent.Action.UPDATE,
            obj=visit,
            site=participant.site,
            changes={"status": (visit.status, new)},
        )
        visit.status = new
        visit.save(update_fields=["status"])
    return visit


@transaction.atomic(durable=True)
def visit_mark_missed(*, actor: Any, visit: Visit, reason: str) -> Visit:
    """Record that a visit did not happen, with the reason."""
    if not reason.strip():
        raise ReasonRequired()
    visit = Visit.objects.select_for_update().get(pk=visit.pk)
    if visit.status == Visit.Status.DONE:
        raise InvalidTransition()
    audit_record(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        obj=visit,
        site=visit.participant.site,
        changes={"status": (visit.status, Visit.Status.MISSED)},
        reason=reason,
    )
    visit.status, visit.missed_reason = Visit.Status.MISSED, reason
    visit.save(update_fields=["status", "missed_reason"])
    return visit
