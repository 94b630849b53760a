"""Which visits are expected, and in what state: the one definition every count uses.

The participant's grid, the nurses' worklist, the dashboard (visit adherence, form
completeness, follow-up lists) and CONSORT all read "expected" and "state" from here, so
they cannot disagree:

* A screen failure (ineligible) is expected at no visit.
* A withdrawal or a loss to follow-up stops visits from being due from that date: a visit
  is still expected only if its window opened on or before the end date (or it was done).
* A scheduled visit is *scheduled* until its window opens, *due* inside the window,
  *overdue* once the window has closed with forms missing, and *missed* when it stays so
  for the protocol's ``missed_after_days`` (or when someone marked it missed).
"""

from datetime import date, timedelta

from django.db.models import F, Q

from trial.models import Participant, Visit
from trial.protocol import Protocol


class VisitState:
    NOT_EXPECTED = "not_expected"  # screen failure, or after the end of participation
    SCHEDULED = "scheduled"  # window not open yet, or no anchor date
    DUE = "due"  # inside the window
    OVERDUE = "overdue"  # window closed, forms missing
    DONE = "done"
    MISSED = "missed"  # marked missed, or overdue for longer than the protocol allows


def expected_q(path: str = "") -> Q:
    """Return the condition selecting expected visits through ``path`` (to a Visit)."""
    p = f"{path}__" if path else ""
    person = f"{p}participant__"
    screen_failure = Q(**{f"{person}status": Participant.Status.INELIGIBLE})
    still_in = Q(**{f"{person}ended_date__isnull": True})
    opened_before_end = Q(**{f"{p}window_start__lte": F(f"{person}ended_date")})
    done = Q(**{f"{p}status": Visit.Status.DONE})
    return ~screen_failure & (still_in | opened_before_end | done)


def visit_is_expected(visit: Visit, participant: Participant) -> bool:
    """Python twin of :func:`expected_q` for one visit already in memory."""
    if participant.status == Participant.Status.INELIGIBLE:
        return False
    if participant.ended_date is None or visit.status == Visit.Status.DONE:
        return True
    return visit.window_start is not None and visit.window_start <= participant.ended_date


def missed_before(protocol: Protocol, today: date) -> date:
    """Return the day before which a closed, unfinished window counts as missed."""
    return today - timedelta(days=protocol.missed_after_days)


def visit_state(visit: Visit, today: date, *, expected: bool, protocol: Protocol) -> str:
    """Return the state of a visit on ``today`` (see the module docstring)."""
    if not expected:
        return VisitState.NOT_EXPECTED
    if visit.status == Visit.Status.DONE:
        return VisitState.DONE
    if visit.status == Visit.Status.MISSED:
        return VisitState.MISSED
    if visit.window_start is None or today < visit.window_start:
        return VisitState.SCHEDULED
    if today <= visit.window_end:
        return VisitState.DUE
    if visit.window_end >= missed_before(protocol, today):
        return VisitState.OVERDUE
    return VisitState.MISSED


def state_q(state: str, protocol: Protocol, today: date, path: str = "") -> Q:
    """Return the SQL twin of :func:`visit_state` for expected visits in ``state``."""
    p = f"{path}__" if path else ""
    scheduled = Q(**{f"{p}status": Visit.Status.SCHEDULED})
    opened = Q(**{f"{p}window_start__isnull": False, f"{p}window_start__lte": today})
    closed = Q(**{f"{p}window_end__lt": today})
    too_late = Q(**{f"{p}window_end__lt": missed_before(protocol, today)})
    return {
        VisitState.DONE: Q(**{f"{p}status": Visit.Status.DONE}),
        VisitState.MISSED: Q(**{f"{p}status": Visit.Status.MISSED}) | (scheduled & too_late),
        VisitState.OVERDUE: scheduled & closed & ~too_late,
        VisitState.DUE: scheduled & opened & ~closed,
        VisitState.SCHEDULED: scheduled & ~opened,
    }[state]
