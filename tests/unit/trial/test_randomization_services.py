import random

import pytest
from django.utils import timezone

from tests.factories import SiteFactory, register_participant, user_with_role
from trial.demo import sample_answers
from trial.exceptions import InvalidTransition, TrialError
from trial.models import AllocationList, AllocationSlot, AuditEvent, Role, Visit
from trial.protocol import get_protocol
from trial.services.consent import consent_record
from trial.services.crfs import crf_save
from trial.services.eligibility import eligibility_record
from trial.services.randomization import (
    UploadInvalid,
    allocation_list_activate,
    allocation_list_create_minimization,
    allocation_list_generate,
    allocation_list_upload,
    allocation_list_verify,
    participant_randomize,
)
from trial.services.unblinding import (
    unblinding_request_approve,
    unblinding_request_create,
    unblinding_request_refuse,
)

pytestmark = pytest.mark.django_db
PROTOCOL = get_protocol("snrb_peld")


@pytest.fixture
def site():
    return SiteFactory(code="S01")


@pytest.fixture
def nurse(site):
    return user_with_role(Role.RESEARCH_NURSE, site=site, username="nurse1")


@pytest.fixture
def statistician():
    return user_with_role(Role.STATISTICIAN, site=None, username="stat1")


def sealed_list(statistician, **kwargs):
    SiteFactory(code="S01")  # the site stratum needs at least one site
    params = {
        "name": "L1",
        "factors": ["site"],
        "ratio": [1, 1],
        "block_sizes": [2, 4],
        "slots_per_stratum": 20,
        "seed": 42,
        **kwargs,
    }
    return allocation_list_activate(
        actor=statistician,
        allocation_list=allocation_list_generate(
            protocol_code="snrb_peld", actor=statistician, **params
        ),
    )


def ready_participant(nurse, site, *, level="L4-5"):
    """Eligible, consented, every admission form complete: ready to randomize."""
    today = timezone.localdate()
    participant = register_participant(nurse, site, registration_date=today)
    eligibility_record(
        actor=nurse,
        participant=participant,
        assessed_date=today,
        answers={c.code: c.kind == "inclusion" for c in PROTOCOL.criteria},
    )
    consent_record(
        actor=nurse, participant=participant, version="1.0", consent_date=today, obtained_by=nurse
    )
    admission = Visit.objects.get(participant=participant, code="admission")
    rng = random.Random(participant.pk)
    for _visit, form in PROTOCOL.pre_randomization_forms():
        answers = sample_answers(form.code, participant, visit_code="admission", rng=rng)
        if form.code == "baseline":
            answers["herniation_level"] = level
        crf_save(
            actor=nurse,
            participant=participant,
            form_code=form.code,
            visit=admission,
            answers=answers,
            complete=True,
        )
    participant.refresh_from_db()
    return participant


@pytest.mark.requirement("RND-002")
def test_randomization_takes_the_first_slot_of_the_stratum_and_is_audited(
    nurse, site, statistician
):
    allocation_list = sealed_list(statistician)
    participant = ready_participant(nurse, site)
    allocation = participant_randomize(actor=nurse, participant=participant)
    first = AllocationSlot.objects.get(
        stratum__allocation_list=allocation_list, stratum__key="S01", sequence=1
    )
    assert (allocation.arm, allocation.randomization_number) == (
        first.arm,
        first.randomization_number,
    )
    assert first.participant == participant
    assert AuditEvent.objects.filter(
        object_type="trial.allocation", object_id=str(allocation.pk)
    ).exists()
    visits = set(Visit.objects.filter(participant=participant).values_list("code", flat=True))
    assert ("snrb" in visits) == (allocation.arm == "S")


@pytest.mark.requirement("RND-003")
def test_a_double_submit_returns_the_same_allocation(nurse, site, statistician):
    sealed_list(statistician)
    participant = ready_participant(nurse, site)
    first = participant_randomize(actor=nurse, participant=participant)
    again = participant_randomize(actor=nurse, participant=participant)
    assert first.pk == again.pk
    assert AllocationSlot.objects.filter(participant__isnull=False).count() == 1


@pytest.mark.requirement("RND-001")
def test_randomization_needs_the_admission_forms(nurse, site, statistician):
    sealed_list(statistician)
    today = timezone.localdate()
    participant = register_participant(nurse, site, registration_date=today)
    eligibility_record(
        actor=nurse,
        participant=participant,
        assessed_date=today,
        answers={c.code: c.kind == "inclusion" for c in PROTOCOL.criteria},
    )
    consent_record(
        actor=nurse, participant=participant, version="1.0", consent_date=today, obtained_by=nurse
    )
    with pytest.raises(TrialError) as error:
        participant_randomize(actor=nurse, participant=participant)
    assert error.value.code == "pre_randomization_incomplete"


@pytest.mark.requirement("RND-001")
def test_randomization_needs_consent(nurse, site, statistician):
    sealed_list(statistician)
    participant = register_participant(nurse, site)
    with pytest.raises(InvalidTransition):
        participant_randomize(actor=nurse, participant=participant)


@pytest.mark.requirement("RND-001")
def test_randomization_needs_a_sealed_list(nurse, site, statistician):
    allocation_list_generate(
        protocol_code="snrb_peld",
        actor=statistician,
        name="draft",
        factors=[],
        ratio=[1, 1],
        block_sizes=[2],
        slots_per_stratum=4,
        seed=1,
    )
    participant = ready_participant(nurse, site)
    with pytest.raises(TrialError) as error:
        participant_randomize(actor=nurse, participant=participant)
    assert error.value.code == "no_active_list"


@pytest.mark.requirement("RND-002")
def test_strata_follow_the_baseline_answer(nurse, site, statistician):
    sealed_list(statistician, factors=["site", "herniation_level"])
    allocation = participant_randomize(
        actor=nurse, participant=ready_participant(nurse, site, level="L5-S1")
    )
    assert allocation.stratum_key == "S01|L5-S1"


@pytest.mark.requirement("RND-001")
def test_an_exhausted_stratum_is_refused_clearly(nurse, site, statistician):
    sealed_list(statistician, factors=[], block_sizes=[2], slots_per_stratum=2)
    for _ in range(2):
        participant_randomize(actor=nurse, participant=ready_participant(nurse, site))
    with pytest.raises(TrialError) as error:
        participant_randomize(actor=nurse, participant=ready_participant(nurse, site))
    assert error.value.code == "stratum_exhausted"


@pytest.mark.requirement("RND-004")
def test_sealing_stores_a_commitment_that_detects_tampering(statistician):
    allocation_list = sealed_list(statistician)
    assert len(allocation_list.commitment) == 64
    assert allocation_list_verify(allocation_list)
    slot = AllocationSlot.objects.filter(stratum__allocation_list=allocation_list).first()
    AllocationSlot.objects.filter(pk=slot.pk).update(arm="P" if slot.arm == "S" else "S")
    assert not allocation_list_verify(allocation_list)


@pytest.mark.requirement("RND-004")
def test_a_sealed_list_cannot_be_sealed_again_nor_a_second_list_activated(statistician):
    allocation_list = sealed_list(statistician)
    with pytest.raises(InvalidTransition):
        allocation_list_activate(actor=statistician, allocation_list=allocation_list)
    other = allocation_list_generate(
        protocol_code="snrb_peld",
        actor=statistician,
        name="L2",
        factors=[],
        ratio=[1, 1],
        block_sizes=[2],
        slots_per_stratum=2,
        seed=3,
    )
    with pytest.raises(TrialError) as error:
        allocation_list_activate(actor=statistician, allocation_list=other)
    assert error.value.code == "another_list_active"


@pytest.mark.requirement("RND-006")
def test_an_upload_with_defects_is_refused_whole_with_every_problem(statistician, site):
    csv_text = "stratum,sequence,arm,randomization_number\nS01,1,S,001\nS01,1,P,002\nS01,3,X,002\n"
    with pytest.raises(UploadInvalid) as error:
        allocation_list_upload(
            protocol_code="snrb_peld",
            actor=statistician,
            name="bad",
            factors=["site"],
            csv_text=csv_text,
        )
    codes = {problem.code for problem in error.value.problems}
    assert {"duplicate_slot", "unknown_arm", "duplicate_number"} <= codes
    assert not AllocationList.objects.exists()


@pytest.mark.requirement("RND-006")
def test_a_valid_upload_is_stored_and_sealable(statistician, site):
    csv_text = (
        "stratum,sequence,arm,randomization_number\n"
        "S01,1,S,001\nS01,2,P,002\nS01,3,P,003\nS01,4,S,004\n"
    )
    allocation_list = allocation_list_upload(
        protocol_code="snrb_peld",
        actor=statistician,
        name="uploaded",
        factors=["site"],
        csv_text=csv_text,
    )
    sealed = allocation_list_activate(actor=statistician, allocation_list=allocation_list)
    assert allocation_list_verify(sealed)
    assert AllocationSlot.objects.filter(stratum__allocation_list=sealed).count() == 4


@pytest.mark.requirement("RND-007")
def test_minimization_allocates_and_records_its_draw(nurse, site, statistician):
    scheme = allocation_list_create_minimization(
        protocol_code="snrb_peld",
        actor=statistician,
        name="min",
        factors=["site", "herniation_level"],
        p_best=0.8,
        seed=5,
    )
    allocation_list_activate(actor=statistician, allocation_list=scheme)
    arms = [
        participant_randomize(actor=nurse, participant=ready_participant(nurse, site)).arm
        for _ in range(6)
    ]
    assert abs(arms.count("S") - arms.count("P")) <= 2
    from trial.models import Allocation

    details = Allocation.objects.order_by("pk").first().details
    assert set(details) >= {"draw", "levels", "chosen_best"}


@pytest.mark.requirement("BLD-007")
def test_unblinding_is_requested_decided_and_audited(nurse, site, statistician):
    sealed_list(statistician)
    participant = ready_participant(nurse, site)
    participant_randomize(actor=nurse, participant=participant)
    investigator = user_with_role(Role.INVESTIGATOR, site=site, username="inv1")
    with pytest.raises(TrialError):
        unblinding_request_create(actor=investigator, participant=participant, reason=" ")
    request = unblinding_request_create(
        actor=investigator,
        participant=participant,
        reason="anaphylaxis; need to know the drugs given",
    )
    with pytest.raises(TrialError) as error:
        unblinding_request_approve(actor=investigator, request=request)
    assert error.value.code == "not_an_approver"
    unblinding_request_approve(actor=statistician, request=request, note="agreed")
    request.refresh_from_db()
    assert request.status == "approved"
    assert request.decided_by == statistician
    assert AuditEvent.objects.filter(action="unblind").count() == 2
    with pytest.raises(InvalidTransition):
        unblinding_request_refuse(actor=statistician, request=request, note="late")
