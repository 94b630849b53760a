import datetime

import pytest
from django.utils import timezone

from tests.factories import SiteFactory, allocated_participant, register_participant, user_with_role
from trial.exceptions import AlreadyAllocated, InvalidTransition, TrialError
from trial.models import AuditEvent, Participant, Role, Visit
from trial.protocol import get_protocol
from trial.services.consent import consent_record
from trial.services.eligibility import eligibility_record
from trial.services.participants import participant_end, participant_set_dates
from trial.services.randomization import allocation_record

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def site():
    return SiteFactory(code="S01")


@pytest.fixture
def nurse(site):
    return user_with_role(Role.RESEARCH_NURSE, site=site, username="nurse1")


def _answers(**overrides):
    protocol = get_protocol("snrb_peld")
    return {**{c.code: c.kind == "inclusion" for c in protocol.criteria}, **overrides}


def test_trial_ids_count_up_per_site(nurse, site):
    other = SiteFactory(code="S02")
    ids = [register_participant(nurse, site).trial_id for _ in range(2)]
    ids.append(register_participant(nurse, other).trial_id)
    assert ids == ["S01-0001", "S01-0002", "S02-0001"]


@pytest.mark.requirement("AUD-002")
def test_registration_is_audited_without_identifying_values(nurse, site):
    participant = register_participant(nurse, site, full_name="Li Si", phone="139")
    events = AuditEvent.objects.filter(site=site, action="create")
    identity = events.get(object_type="trial.personaldata")
    assert identity.changes["full_name"] == [None, "***"]
    assert "Li Si" not in str(list(events.values_list("changes", flat=True)))
    assert events.filter(object_type="trial.participant", object_id=str(participant.pk)).exists()


def test_registration_schedules_only_the_visits_before_randomization(nurse, site):
    participant = register_participant(nurse, site, registration_date=TODAY)
    visits = list(Visit.objects.filter(participant=participant).values_list("code", "target_date"))
    assert visits == [("admission", TODAY)]


@pytest.mark.requirement("DEC-008")
def test_failing_an_exclusion_makes_the_patient_ineligible_with_the_reason(nurse, site):
    participant = register_participant(nurse, site)
    assessment = eligibility_record(
        actor=nurse,
        participant=participant,
        assessed_date=TODAY,
        answers=_answers(bmi_out_of_range=True),
    )
    participant.refresh_from_db()
    assert participant.status == Participant.Status.INELIGIBLE
    assert assessment.failed_criteria == ["bmi_out_of_range"]


@pytest.mark.requirement("DEC-008")
def test_eligibility_needs_every_criterion_answered(nurse, site):
    participant = register_participant(nurse, site)
    answers = _answers()
    answers.pop("cauda_equina")
    with pytest.raises(TrialError) as error:
        eligibility_record(
            actor=nurse, participant=participant, assessed_date=TODAY, answers=answers
        )
    assert error.value.code == "criteria_unanswered"
    participant.refresh_from_db()
    assert participant.status == Participant.Status.SCREENING


@pytest.mark.requirement("RFC-003")
def test_reassessment_needs_a_reason(nurse, site):
    participant = register_participant(nurse, site)
    eligibility_record(
        actor=nurse,
        participant=participant,
        assessed_date=TODAY,
        answers=_answers(bmi_out_of_range=True),
    )
    with pytest.raises(TrialError) as error:
        eligibility_record(
            actor=nurse, participant=participant, assessed_date=TODAY, answers=_answers()
        )
    assert error.value.code == "reason_required"
    eligibility_record(
        actor=nurse,
        participant=participant,
        assessed_date=TODAY,
        answers=_answers(),
        reason="BMI re-measured: 29.1",
    )
    participant.refresh_from_db()
    assert participant.status == Participant.Status.ELIGIBLE


@pytest.mark.requirement("DEC-008")
def test_consent_is_refused_before_eligibility(nurse, site):
    participant = register_participant(nurse, site)
    with pytest.raises(InvalidTransition):
        consent_record(
            actor=nurse,
            participant=participant,
            version="1.0",
            consent_date=TODAY,
            obtained_by=nurse,
        )
    assert not hasattr(Participant.objects.get(pk=participant.pk), "consent")


@pytest.mark.requirement("DEC-008")
def test_unknown_consent_version_is_refused(nurse, site):
    participant = register_participant(nurse, site)
    eligibility_record(
        actor=nurse, participant=participant, assessed_date=TODAY, answers=_answers()
    )
    with pytest.raises(TrialError) as error:
        consent_record(
            actor=nurse,
            participant=participant,
            version="9.9",
            consent_date=TODAY,
            obtained_by=nurse,
        )
    assert error.value.code == "unknown_consent_version"


@pytest.mark.parametrize(
    ("arm", "expected"),
    [
        ("S", ["admission", "snrb", "preop", "surgery", "postop_day_3", "month_3"]),
        ("P", ["admission", "preop", "surgery", "postop_day_3", "month_3"]),
    ],
)
@pytest.mark.requirement("RND-002")
def test_allocation_creates_the_visits_of_the_arm(nurse, site, arm, expected):
    participant = allocated_participant(nurse, site, arm=arm)
    assert participant.status == Participant.Status.RANDOMIZED
    codes = list(
        Visit.objects.filter(participant=participant)
        .order_by("order")
        .values_list("code", flat=True)
    )
    assert codes == expected


@pytest.mark.requirement("DEC-009")
def test_visits_are_dated_from_the_anchor_events(nurse, site):
    surgery = TODAY - datetime.timedelta(days=2)
    participant = allocated_participant(
        nurse,
        site,
        arm="S",
        admission_date=surgery - datetime.timedelta(days=3),
        surgery_date=surgery,
    )
    visits = {v.code: v for v in Visit.objects.filter(participant=participant)}
    assert visits["snrb"].target_date == surgery - datetime.timedelta(days=1)
    assert visits["month_3"].target_date == surgery + datetime.timedelta(days=90)
    assert visits["month_3"].window_start == surgery + datetime.timedelta(days=76)
    assert visits["postop_day_3"].window_end == surgery + datetime.timedelta(days=4)


@pytest.mark.requirement("RFC-003")
def test_changing_the_surgery_date_reschedules_with_an_audit_row(nurse, site):
    participant = allocated_participant(nurse, site, arm="P")
    new_date = participant.surgery_date + datetime.timedelta(days=2)
    with pytest.raises(TrialError):
        participant_set_dates(
            actor=nurse,
            participant=participant,
            admission_date=participant.admission_date,
            surgery_date=new_date,
        )
    participant_set_dates(
        actor=nurse,
        participant=participant,
        admission_date=participant.admission_date,
        surgery_date=new_date,
        reason="theatre list changed",
    )
    month_3 = Visit.objects.get(participant=participant, code="month_3")
    assert month_3.target_date == new_date + datetime.timedelta(days=90)
    assert AuditEvent.objects.filter(
        object_type="trial.visit", object_id=str(month_3.pk), action="update"
    ).exists()


@pytest.mark.requirement("RND-003")
def test_an_allocation_is_never_reassigned(nurse, site):
    participant = allocated_participant(nurse, site, arm="S")
    with pytest.raises(AlreadyAllocated):
        allocation_record(actor=nurse, participant=participant, arm="P", randomization_number="X")
    assert participant.allocation.arm == "S"


@pytest.mark.requirement("RND-001")
def test_allocation_is_refused_before_consent(nurse, site):
    participant = register_participant(nurse, site)
    with pytest.raises(InvalidTransition):
        allocation_record(actor=nurse, participant=participant, arm="S", randomization_number="1")


@pytest.mark.requirement("RFC-003")
def test_withdrawal_needs_a_reason_and_ends_follow_up(nurse, site):
    participant = allocated_participant(nurse, site)
    with pytest.raises(TrialError) as error:
        participant_end(
            actor=nurse, participant=participant, status="withdrawn", ended_date=TODAY, reason=" "
        )
    assert error.value.code == "reason_required"
    participant_end(
        actor=nurse,
        participant=participant,
        status="withdrawn",
        ended_date=TODAY,
        reason="moved away",
    )
    participant.refresh_from_db()
    assert (participant.status, participant.end_reason) == ("withdrawn", "moved away")
    with pytest.raises(InvalidTransition):
        participant_end(
            actor=nurse, participant=participant, status="completed", ended_date=TODAY, reason=""
        )
