"""The visit × form grid (record status dashboard) and the nurses' worklist."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import QuerySet

from trial.blinding import policy_for
from trial.models import FormInstance, Participant, Visit
from trial.permissions import Action, sites_for
from trial.protocol import FormDef, Protocol, VisitDef, get_protocol


class VisitState:
    SCHEDULED = "scheduled"  # window not open yet, or no anchor date
    DUE = "due"  # inside the window
    OVERDUE = "overdue"  # window closed, not done
    DONE = "done"
    MISSED = "missed"


def visit_state(visit: Visit, today: date) -> str:
    """Return the state of a visit on ``today`` from its stored status and its window."""
    if visit.status == Visit.Status.DONE:
        return VisitState.DONE
    if visit.status == Visit.Status.MISSED:
        return VisitState.MISSED
    if visit.window_start is None or today < visit.window_start:
        return VisitState.SCHEDULED
    return VisitState.DUE if today <= visit.window_end else VisitState.OVERDUE


@dataclass
class GridCell:
    form: FormDef
    status: str  # not_started | in_progress | complete
    instance: FormInstance | None


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
    rows = []
    for visit in Visit.objects.filter(participant=participant).order_by("order"):
        definition = protocol.visit(visit.code)
        if not policy.shows_visit(definition):
            continue
        row = GridRow(definition, visit, visit_state(visit, today))
        for form in visible_forms(protocol, definition, participant, user):
            instance = instances.get((visit.pk, form.code))
            row.cells.append(
                GridCell(form, instance.status if instance else "not_started", instance)
            )
        rows.append(row)
    return rows


def participant_next_visit(rows: list[GridRow]) -> GridRow | None:
    pending = [
        r for r in rows if r.state in (VisitState.DUE, VisitState.OVERDUE, VisitState.SCHEDULED)
    ]
    return pending[0] if pending else None


def participant_logs(participant: Participant, form_code: str) -> QuerySet[FormInstance]:
    return FormInstance.objects.filter(
        participant=participant, visit__isnull=True, form_code=form_code
    ).order_by("seq")


def visit_list_worklist(user: Any, today: date, *, upcoming_days: int = 14) -> dict[str, list]:
    """Return open visits of the user's sites: overdue, due today (in window), upcoming."""
    visits = (
        Visit.objects.filter(
            participant__site__in=sites_for(user, Action.ENTER_DATA),
            status=Visit.Status.SCHEDULED,
            window_start__isnull=False,
            window_start__lte=today + timedelta(days=upcoming_days),
            participant__status__in=[
                Participant.Status.CONSENTED,
                Participant.Status.RANDOMIZED,
                Participant.Status.ELIGIBLE,
                Participant.Status.SCREENING,
            ],
        )
        .select_related("participant", "participant__site")
        .order_by("window_end", "participant__trial_id")
    )
    groups: dict[str, list] = {"overdue": [], "due": [], "upcoming": []}
    for visit in visits:
        definition = get_protocol(visit.participant.protocol_code).visit(visit.code)
        if not policy_for(user, visit.participant.protocol_code).shows_visit(definition):
            continue
        state = visit_state(visit, today)
        key = {"overdue": "overdue", "due": "due"}.get(state, "upcoming")
        groups[key].append({"visit": visit, "definition": definition, "state": state})
    return groups
