"""Issue 16: one definition of "expected" and of a visit's state, so the participant grid,
the worklist, the dashboard (adherence, completeness, follow-up) and CONSORT agree."""

import datetime
import random
from collections import Counter

import pytest
from django.utils import timezone

from tests.factories import (
    SiteFactory,
    allocated_participant,
    register_participant,
    user_with_role,
)
from trial.demo import sample_answers
from trial.models import Participant, Role, Visit
from trial.protocol import get_protocol
from trial.selectors.dashboard import DashboardScope, consort_by_arm, enrolment_totals
from trial.selectors.dashboard_completeness import completeness_matrix
from trial.selectors.dashboard_rollup import RollupFilter, dashboard_rollup
from trial.selectors.expected import VisitState
from trial.selectors.visits import participant_grid, visit_list_worklist
from trial.services.consent import consent_record
from trial.services.crfs import crf_save
from trial.services.eligibility import eligibility_record
from trial.services.participants import participant_end
from trial.views.dashboard import consort_panel

pytestmark = pytest.mark.django_db
PROTOCOL = get_protocol("snrb_peld")
TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)
STATES = (VisitState.DONE, VisitState.MISSED, VisitState.OVERDUE, VisitState.DUE)


def _fill(nurse, participant, until, rng):
    """Complete every form of the visits up to ``until``, dated on the target day."""
    arm = participant.allocation.arm
    for visit in Visit.objects.filter(participant=participant).order_by("order"):
        for form in PROTOCOL.forms_for(PROTOCOL.visit(visit.code), arm):
            if visit.form_instances.filter(form_code=form.code).exists():
                continue
            participant.refresh_from_db()
            crf_save(
                actor=nurse,
                participant=participant,
                form_code=form.code,
                visit=visit,
                complete=True,
                answers=sample_answers(form.code, participant, visit_code=visit.code, rng=rng),
            )
        if visit.code == until:
            return


def _operated(nurse, site, days_ago, arm="S"):
    surgery = TODAY - days_ago * DAY
    return allocated_participant(
        nurse, site, arm=arm, admission_date=surgery - 3 * DAY, surgery_date=surgery
    )


@pytest.fixture
def trial(db):
    """A generated trial with people at every point of the journey, at one site."""
    rng = random.Random(16)
    site = SiteFactory(code="S01")
    nurse = user_with_role(Role.RESEARCH_NURSE, site=site, username="nurse1")
    people = {}
    # a screen failure, registered and admitted today
    failure = register_participant(nurse, site, registration_date=TODAY - 2 * DAY)
    answers = {c.code: c.kind == "inclusion" for c in PROTOCOL.criteria}
    answers["cauda_equina"] = True
    eligibility_record(
        actor=nurse, participant=failure, assessed_date=TODAY - 2 * DAY, answers=answers
    )
    people["screen_failure"] = failure
    # screening, and consented awaiting randomization
    people["screening"] = register_participant(nurse, site, registration_date=TODAY - DAY)
    waiting = register_participant(nurse, site, registration_date=TODAY - DAY)
    eligibility_record(
        actor=nurse,
        participant=waiting,
        assessed_date=TODAY - DAY,
        answers={c.code: c.kind == "inclusion" for c in PROTOCOL.criteria},
    )
    consent_record(
        actor=nurse, participant=waiting, version="1.0", consent_date=TODAY - DAY, obtained_by=nurse
    )
    people["awaiting_randomization"] = waiting
    # randomized: complete to the end, overdue post-op, missed post-op with 3 months due
    people["completed"] = complete = _operated(nurse, site, 100, arm="S")
    _fill(nurse, complete, "month_3", rng)
    people["overdue"] = overdue = _operated(nurse, site, 10, arm="P")
    _fill(nurse, overdue, "surgery", rng)
    people["missed_then_due"] = late = _operated(nurse, site, 95, arm="P")
    _fill(nurse, late, "surgery", rng)
    # withdrawn 20 days after surgery: the 3-month visit is no longer expected
    people["withdrawn"] = gone = _operated(nurse, site, 100, arm="S")
    _fill(nurse, gone, "postop_day_3", rng)
    participant_end(
        actor=nurse,
        participant=gone,
        status=Participant.Status.WITHDRAWN,
        ended_date=gone.surgery_date + 20 * DAY,
        reason="moved away",
    )
    return {"site": site, "nurse": nurse, "people": people}


def _grid_counts(user, people):
    counts = Counter()
    for participant in people.values():
        participant.refresh_from_db()
        for row in participant_grid(user, participant, TODAY):
            counts[(row.visit.code, row.state)] += 1
    return counts


def _dashboard(site):
    scope = DashboardScope(
        protocol=PROTOCOL, blinded=False, sites=((site.pk, site.code),), today=TODAY
    )
    data = dashboard_rollup(PROTOCOL, RollupFilter(protocol_code=PROTOCOL.code))
    return scope, data


def test_grid_worklist_and_dashboard_count_the_same_visits(trial):
    grid = _grid_counts(trial["nurse"], trial["people"])
    worklist = visit_list_worklist(trial["nurse"], "snrb_peld", TODAY)
    scope, data = _dashboard(trial["site"])
    matrix = {v["visit"].code: v for v in completeness_matrix(scope, data)}
    for visit in PROTOCOL.visits:
        expected = sum(n for (code, s), n in grid.items() if code == visit.code)
        expected -= grid[(visit.code, VisitState.NOT_EXPECTED)]
        state = matrix[visit.code]["state"]
        assert state["n"] == expected, visit.code
        for name in STATES:
            assert state[name] == grid[(visit.code, name)], (visit.code, name)
        for group in ("overdue", "due"):
            listed = sum(1 for item in worklist[group] if item["visit"].code == visit.code)
            assert listed == grid[(visit.code, group)], (visit.code, group)
    # the generated trial has something in every state the counts compare
    for name in (*STATES, VisitState.NOT_EXPECTED):
        assert any(s == name for (_c, s) in grid), name


def test_dashboard_completeness_expects_the_forms_of_expected_visits_only(trial):
    scope, data = _dashboard(trial["site"])
    grid = _grid_counts(trial["nurse"], trial["people"])
    matrix = {v["visit"].code: v for v in completeness_matrix(scope, data)}
    admission = matrix["admission"]
    expected_admissions = sum(
        n for (code, s), n in grid.items() if code == "admission" and s != VisitState.NOT_EXPECTED
    )
    for cell in admission["cells"]:
        assert cell["expected"] == expected_admissions
        assert cell["complete"] + cell["in_progress"] + cell["not_started"] == cell["expected"]


def test_a_screen_failure_is_never_due(trial):
    failure = trial["people"]["screen_failure"]
    failure.refresh_from_db()
    rows = participant_grid(trial["nurse"], failure, TODAY)
    assert rows
    assert {r.state for r in rows} == {VisitState.NOT_EXPECTED}
    worklist = visit_list_worklist(trial["nurse"], "snrb_peld", TODAY)
    listed = {i["visit"].participant_id for g in worklist.values() for i in g}
    assert failure.pk not in listed


def test_a_withdrawal_stops_visits_from_its_date(trial):
    gone = trial["people"]["withdrawn"]
    gone.refresh_from_db()
    states = {r.visit.code: r.state for r in participant_grid(trial["nurse"], gone, TODAY)}
    assert states["postop_day_3"] == VisitState.DONE
    assert states["month_3"] == VisitState.NOT_EXPECTED


def test_overdue_then_missed(trial):
    overdue = trial["people"]["overdue"]
    states = {r.visit.code: r.state for r in participant_grid(trial["nurse"], overdue, TODAY)}
    assert states["postop_day_3"] == VisitState.OVERDUE  # closed 6 days ago
    late = trial["people"]["missed_then_due"]
    states = {r.visit.code: r.state for r in participant_grid(trial["nurse"], late, TODAY)}
    assert states["postop_day_3"] == VisitState.MISSED  # closed 91 days ago
    assert states["month_3"] == VisitState.DUE


def test_consort_does_not_exclude_a_participant_awaiting_randomization(trial):
    scope, data = _dashboard(trial["site"])
    totals = enrolment_totals(scope, data)
    consort = consort_panel(scope, totals, consort_by_arm(scope, data))
    assert consort["excluded"] == 1  # the screen failure only
    assert totals["awaiting"] == 1
    assert totals["randomized"] == 4
    completed = sum(arm["completed"] for arm in consort["arms"])
    assert completed == 1  # the final visit is done for one participant only


def test_a_visit_with_a_form_dated_outside_its_window_is_not_done_until_justified(trial):
    nurse = trial["nurse"]
    person = _operated(nurse, trial["site"], 100, arm="P")
    _fill(nurse, person, "surgery", random.Random(2))
    # the anchor moves after the post-op forms were saved: they now lie outside the window
    visit = Visit.objects.get(participant=person, code="postop_day_3")
    _fill(nurse, person, "postop_day_3", random.Random(3))
    assert Visit.objects.get(pk=visit.pk).status == Visit.Status.DONE
    peld = person.form_instances.get(form_code="peld")
    from trial.models import PeldData

    data = PeldData.objects.get(instance=peld)
    person.refresh_from_db()
    answers = {
        f.name: getattr(data, f.name)
        for f in PeldData._meta.concrete_fields
        if f.name not in ("instance", "scores", "scorer_version")
    }
    answers["surgery_date"] = person.surgery_date - 2 * DAY
    crf_save(
        actor=nurse,
        participant=person,
        form_code="peld",
        visit=peld.visit,
        instance=peld,
        answers=answers,
        complete=True,
        base_revision=peld.revision,
        reason="surgery date corrected from the operating list",
    )
    assert Visit.objects.get(pk=visit.pk).status == Visit.Status.SCHEDULED
