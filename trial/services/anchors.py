"""The one writer of participants' anchor dates (``trial.AnchorDate``).

Callers hold the participant's row lock and audit the returned changes on the participant
in the same transaction (``<code>_date: old -> new``), then reschedule the visits
(``visit_schedule_sync``). Nothing here deletes a row: a date taken back stays as a row
without a date.
"""

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from trial.models import AnchorDate, AuditEvent, Participant, site_time_zone
from trial.protocol import AnchorEvent, anchor_date_name, get_protocol
from trial.selectors.anchors import anchor_date_read_along
from trial.services.audit import audit_record

Source = AnchorDate.Source


def anchor_audit_key(code: str) -> str:
    """The name an anchor's date has in the audit trail (``<code>_date``: ``registration_date``)."""
    return anchor_date_name(code)


def anchor_dates_apply(
    *,
    participant: Participant,
    dates: Mapping[str, date | None],
    source: str,
    source_form: str = "",
) -> dict[str, tuple[date | None, date | None]]:
    """Write the anchor dates that changed; return ``{"<code>_date": (old, new)}``.

    ``dates`` names anchors of the participant's protocol (anything else is a programming
    error). The caller audits the returned changes in its own transaction.
    """
    known = {a.code for a in get_protocol(participant.protocol_code).anchors}
    unknown = set(dates) - known
    if unknown:
        raise ValueError(f"the protocol has no anchors {sorted(unknown)}")
    rows = {
        row.code: row
        for row in AnchorDate.objects.filter(participant=participant, code__in=list(dates))
    }
    changes: dict[str, tuple[date | None, date | None]] = {}
    for code, day in dates.items():
        row = rows.get(code)
        old = row.date if row is not None else None
        if old == day:
            continue
        if row is None:
            AnchorDate.objects.create(
                participant=participant,
                code=code,
                date=day,
                source=source,
                source_form=source_form,
            )
        else:
            row.date, row.source, row.source_form = day, source, source_form
            row.save(update_fields=["date", "source", "source_form", "updated_at"])
        changes[anchor_audit_key(code)] = (old, day)
        anchor_date_read_along(participant, code, day)
    return changes


def anchor_event_record(
    *, actor: Any, participant: Participant, event: AnchorEvent, at: datetime
) -> dict[str, tuple[date | None, date | None]]:
    """Record the day (at the participant's site) of a system event for every anchor the
    protocol dates from it, audited on the participant; return the changes.

    The caller holds the participant's lock and reschedules the visits afterwards.
    """
    anchors = get_protocol(participant.protocol_code).anchors_of_event(event)
    if not anchors:
        return {}
    day = at.astimezone(site_time_zone(participant.site)).date()
    changes = anchor_dates_apply(
        participant=participant, dates={a.code: day for a in anchors}, source=event.value
    )
    if changes:
        audit_record(
            actor=actor,
            action=AuditEvent.Action.UPDATE,
            obj=participant,
            site=participant.site,
            changes=changes,
        )
    return changes
