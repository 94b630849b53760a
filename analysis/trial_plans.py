"""The analysis plan of a trial, as the apps contribute it (``ANALYSIS_PLANS``, found by
``trial.discovery``): the seed's from ``analysis/contributions.py``, another trial's from its
own app. Services and pages look plans up here; ``analysis.plans`` stays pure.

A plan heads its tables with the protocol's own bilingual arm and visit labels
(``trial.protocol``); it names only the headings it words differently
(``AnalysisPlan.arm_labels`` / ``visit_labels``), which this lookup lays over the protocol's.
"""

from analysis.plans import AnalysisPlan, EventLog, Label, UnknownPlan
from trial.discovery import contribution
from trial.protocol import Protocol, get_protocol
from trial.protocol.dictionary import dictionary_of


def protocol_labels(protocol: Protocol) -> tuple[dict[str, Label], dict[str, Label]]:
    """Return the protocol's arm and visit labels (English and Chinese), keyed by code."""
    arms = {a.code: Label(a.label.en, a.label.zh) for a in protocol.arms}
    visits = {v.code: Label(v.label.en, v.label.zh) for v in protocol.visits}
    return arms, visits


def get_plan(protocol_code: str) -> AnalysisPlan:
    """Return the analysis plan of ``protocol_code`` (``UnknownPlan`` when none), every arm
    and visit labelled: the protocol's labels unless the plan words one differently."""
    try:
        plan: AnalysisPlan = contribution("analysis_plans", protocol_code)
    except LookupError:
        raise UnknownPlan(protocol_code) from None
    protocol = get_protocol(protocol_code)
    arms, visits = protocol_labels(protocol)
    unknown = (set(plan.arm_labels) - set(arms)) | (set(plan.visit_labels) - set(visits))
    if unknown:
        raise ValueError(
            f"{protocol_code}: the plan labels arms or visits the protocol lacks: {sorted(unknown)}"
        )
    if any(t.kind == "adverse_events" for t in plan.tables) and event_log(protocol) is None:
        raise ValueError(f"{protocol_code}: the plan tables adverse events, the protocol "
                         f"names no adverse-event log (Protocol.dashboard)")  # fmt: skip
    return plan.with_protocol_labels(arms, visits)


def event_log(protocol: Protocol) -> EventLog | None:
    """Return what the protocol's adverse-event log columns mean (``Protocol.dashboard``:
    its serious flag and its grade, the grade's codes and labels from the variable
    dictionary), or None when the protocol names no log."""
    board = protocol.dashboard
    if not (board.events_form and board.serious_flag and board.grade):
        return None
    grade = dictionary_of(protocol)[board.grade]
    return EventLog(
        serious_flag=board.serious_flag,
        grade=grade.name,
        grade_label=Label(grade.label.en, grade.label.zh),
        grades=tuple((c.code, Label(c.label.en, c.label.zh)) for c in grade.codes),
    )
