"""The visit × form grid (record status dashboard) and the nurses' worklist."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import QuerySet

from trial.blinding import policy_for
from trial.models import FormInstance, Participant, Visit
from trial.permissions import Action, sites_for
from trial.protocol import FormDef, Protocol, VisitDef, get_protocol

from .expected import VisitState, expected_q, visit_is_expected, visit_state
from .queries import form_open_query_counts

__all__ = ["VisitState", "visit_state"]  # re-exported: the grid's states are the expected ones


@dataclass
class GridCell:
    form: FormDef
    status: str  # not_started | in_progress | complete
    instance: FormInstance | None
    open_queries: int = 0  # queries not closed yet (open or answered)


@dataclass
class GridRow:
    definition: VisitDef
    visit: Visit
    state: str
    cells: list[GridCell] = field(default_factory=list)


def _arm(participant: Participant) -> str | None:
    allocation = getattr(participant, "allocation", None)
    return allocation.arm if allocation is not None else None


def visible_forms(
    protocol: Protocol, definition: VisitDef, participant: Participant, user: Any
) -> tuple[FormDef, ...]:
    """Return the forms of a visit this user may see (blinded users: no arm-only forms)."""
    return policy_for(user, protocol.code).visit_forms(definition, _arm(participant))


def participant_grid(user: Any, participant: Participant, today: date) -> list[GridRow]:
    """Return the participant's visits with the status of each form, in protocol order."""
    protocol = get_protocol(participant.protocol_code)
    instances = {
        (i.visit_id, i.form_code): i
        for i in FormInstance.objects.filter(participant=participant, visit__isnull=False)
    }
    policy = policy_for(user, protocol.code)
    open_queries = form_open_query_counts(participant, user)
    rows = []
    for visit in Visit.objects.filter(participant=participant).order_by("order"):
        definition = protocol.visit(visit.code)
        if not policy.shows_visit(definition):
            continue
        expected = visit_is_expected(visit, participant)
        state = visit_state(visit, today, expected=expected, protocol=protocol)
        row = GridRow(definition, visit, state)
        for form in visible_forms(protocol, definition, participant, user):
            instance = instances.get((visit.pk, form.code))
            row.cells.append(
                GridCell(
                    form,
                    instance.status if instance else "not_started",
                    instance,
                    open_queries.get(instance.pk, 0) if instance else 0,
                )
            )
        rows.append(row)
    return rows


def participant_next_visit(rows: list[GridRow]) -> GridRow | None:
    """Return the first visit still to be done (due, overdue or scheduled)."""
    pending = [
        r for r in rows if r.state in (VisitState.DUE, VisitState.OVERDUE, VisitState.SCHEDULED)
    ]
    return pending[0] if pending else None


def crf_next_form(
    rows: list[GridRow], visit_code: str, form_code: str
) -> tuple[GridRow, GridCell] | None:
    """Return the form to enter after ``form_code`` of ``visit_code`` ("save and next").

    Protocol order, from the participant's grid: the forms of the same visit not complete
    yet (those after this one first, then those before it), then those of the following
    visits. Visits marked missed or no longer expected are skipped (a visit only overdue
    for long is not: its data may still come in); None when nothing is left.
    """
    index = next((i for i, row in enumerate(rows) if row.visit.code == visit_code), None)
    if index is None:
        return None
    current = rows[index]
    place = next((i for i, c in enumerate(current.cells) if c.form.code == form_code), -1)
    candidates = [(current, c) for c in current.cells[place + 1 :] + current.cells[:place]]
    for row in rows[index + 1 :]:
        if row.visit.status != Visit.Status.MISSED and row.state != VisitState.NOT_EXPECTED:
            candidates.extend((row, cell) for cell in row.cells)
    return next(((r, c) for r, c in candidates if c.status != "complete"), None)


def participant_logs(participant: Participant, form_code: str) -> QuerySet[FormInstance]:
    return FormInstance.objects.filter(
        participant=participant, visit__isnull=True, form_code=form_code
    ).order_by("seq")


def visit_list_worklist(
    user: Any, protocol_code: str, today: date, *, upcoming_days: int = 14
) -> dict[str, list]:
    """Return the trial's expected open visits of the user's sites: overdue, due (in window) and
    upcoming; visits overdue for longer than the protocol allows count as missed instead."""
    visits = (
        Visit.objects.filter(
            expected_q(),
            participant__protocol_code=protocol_code,
            participant__site__in=sites_for(user, protocol_code, Action.ENTER_DATA),
            status=Visit.Status.SCHEDULED,
            window_start__isnull=False,
            window_start__lte=today + timedelta(days=upcoming_days),
        )
        .select_related("participant", "participant__site")
        .order_by("window_end", "participant__trial_id")
    )
    groups: dict[str, list] = {"overdue": [], "due": [], "upcoming": []}
    for visit in visits:
        protocol = get_protocol(visit.participant.protocol_code)
        definition = protocol.visit(visit.code)
        if not policy_for(user, visit.participant.protocol_code).shows_visit(definition):
            continue
        state = visit_state(visit, today, expected=True, protocol=protocol)
        if state == VisitState.MISSED:
            continue
        key = {"overdue": "overdue", "due": "due"}.get(state, "upcoming")
        groups[key].append({"visit": visit, "definition": definition, "state": state})
    return groups
