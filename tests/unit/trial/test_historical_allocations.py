"""Historical allocations: loaded by an administrator, sealed, audited, flagged, refused
once in-system randomization started, counted by minimization."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import SiteFactory, register_participant, user_with_role
from tests.unit.trial.test_randomization_services import ready_participant, sealed_list
from trial.allocation import AllocationUploadError, parse_historical_csv
from trial.exceptions import TrialError
from trial.models import Allocation, AuditEvent, HistoricalAllocationLoad, Participant, Role
from trial.protocol import get_protocol
from trial.services.consent import consent_record
from trial.services.eligibility import eligibility_record
from trial.services.historical_allocations import (
    RandomizationStarted,
    historical_allocations_load,
    historical_allocations_verify,
)
from trial.services.randomization import (
    UploadInvalid,
    allocation_list_activate,
    allocation_list_create_minimization,
    participant_randomize,
)

pytestmark = pytest.mark.django_db
PROTOCOL = get_protocol("snrb_peld")
ARMS = [a.code for a in PROTOCOL.arms]


@pytest.fixture
def site():
    return SiteFactory(code="S01")


@pytest.fixture
def nurse(site):
    return user_with_role(Role.RESEARCH_NURSE, site=site, username="nurse1")


@pytest.fixture
def admin():
    return user_with_role(Role.ADMINISTRATOR, site=None, username="admin1")


def consented(nurse, site):
    day = timezone.localdate() - datetime.timedelta(days=400)
    participant = register_participant(nurse, site, registration_date=day, screening_date=day)
    eligibility_record(
        actor=nurse,
        participant=participant,
        assessed_date=day,
        answers={c.code: c.kind == "inclusion" for c in PROTOCOL.criteria},
    )
    consent_record(
        actor=nurse, participant=participant, version="1.0", consent_date=day, obtained_by=nurse
    )
    return participant


def csv_for(participants, arms=None):
    arms = arms or [ARMS[i % 2] for i in range(len(participants))]
    day = (timezone.localdate() - datetime.timedelta(days=399)).isoformat()
    lines = ["participant,arm,date,stratum"]
    lines += [f"{p.trial_id},{arm},{day},S01" for p, arm in zip(participants, arms, strict=True)]
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.requirement("HAL-001")
def test_the_parser_lists_every_defect_with_its_line():
    text = "participant,arm,date\nP1,X,2020-01-01\n,S,2020-13-01\nP1,S,2020-01-02\nP3,S\n"
    with pytest.raises(AllocationUploadError) as error:
        parse_historical_csv(text, arms=ARMS, today=datetime.date(2026, 1, 1))
    codes = [(p.line, p.code) for p in error.value.problems]
    assert codes == [
        (2, "unknown_arm"),
        (3, "missing_participant"),
        (3, "bad_date"),
        (5, "bad_row"),
    ]
    with pytest.raises(AllocationUploadError) as error:
        parse_historical_csv("participant,date\nP1,2020-01-01\n", arms=ARMS, today=None)
    assert error.value.problems[0].code == "missing_column"


@pytest.mark.requirement("HAL-001", "HAL-002")
def test_a_load_allocates_seals_and_audits(nurse, site, admin):
    people = [consented(nurse, site) for _ in range(3)]
    content = csv_for(people)
    load = historical_allocations_load(
        protocol_code="snrb_peld",
        actor=admin,
        file_name="old.csv",
        content=content,
        reason="randomized in SPSS",
    )
    allocations = Allocation.objects.filter(historical_load=load).order_by("pk")
    assert [a.arm for a in allocations] == [ARMS[0], ARMS[1], ARMS[0]]
    assert all(a.participant.status == Participant.Status.RANDOMIZED for a in allocations)
    assert allocations[0].allocated_at.date() == timezone.localdate() - datetime.timedelta(days=399)
    event = AuditEvent.objects.get(object_type="trial.historicalallocationload")
    assert event.reason == "randomized in SPSS"
    import hashlib

    assert event.changes["file_checksum"][1] == hashlib.sha256(content).hexdigest()
    assert historical_allocations_verify(load)
    Allocation.objects.filter(pk=allocations[0].pk).update(arm=ARMS[1])  # tampering
    assert not historical_allocations_verify(load)


@pytest.mark.requirement("HAL-001")
def test_a_bad_file_or_missing_reason_writes_nothing(nurse, site, admin):
    good = consented(nurse, site)
    content = csv_for([good]) + b"NOPE-999,S,2020-01-01,S01\n"
    with pytest.raises(UploadInvalid) as error:
        historical_allocations_load(
            protocol_code="snrb_peld", actor=admin, file_name="f.csv", content=content, reason="r"
        )
    assert [p.code for p in error.value.problems] == ["unknown_participant"]
    with pytest.raises(TrialError):
        historical_allocations_load(
            protocol_code="snrb_peld",
            actor=admin,
            file_name="f.csv",
            content=csv_for([good]),
            reason="  ",
        )
    assert not Allocation.objects.exists()
    assert not HistoricalAllocationLoad.objects.exists()


@pytest.mark.requirement("HAL-003")
def test_refused_once_in_system_randomization_started(nurse, site, admin):
    statistician = user_with_role(Role.STATISTICIAN, site=None, username="stat1")
    sealed_list(statistician)
    participant_randomize(actor=nurse, participant=ready_participant(nurse, site))
    with pytest.raises(RandomizationStarted):
        historical_allocations_load(
            protocol_code="snrb_peld",
            actor=admin,
            file_name="f.csv",
            content=csv_for([consented(nurse, site)]),
            reason="r",
        )


@pytest.mark.requirement("HAL-003")
def test_minimization_counts_historical_allocations(nurse, site, admin):
    people = [ready_participant(nurse, site) for _ in range(4)]
    historical_allocations_load(
        protocol_code="snrb_peld",
        actor=admin,
        file_name="f.csv",
        content=csv_for(people, arms=[ARMS[0]] * 4),
        reason="migrated",
    )
    statistician = user_with_role(Role.STATISTICIAN, site=None, username="stat1")
    scheme = allocation_list_create_minimization(
        protocol_code="snrb_peld",
        actor=statistician,
        name="min",
        factors=["site"],
        p_best=1.0,
        seed=5,
    )
    allocation_list_activate(actor=statistician, allocation_list=scheme)
    # four historical allocations to the first arm: deterministic minimization picks the other
    fresh = participant_randomize(actor=nurse, participant=ready_participant(nurse, site))
    assert fresh.arm == ARMS[1]
    assert fresh.randomization_number == "M0001"


@pytest.mark.requirement("HAL-001")
def test_the_page_is_for_unblinded_administrators(client, nurse, site, admin):
    url = reverse("trial:historical-allocations")
    client.force_login(nurse)
    assert client.get(url).status_code == 403
    assessor = user_with_role(Role.OUTCOME_ASSESSOR, site=None, username="oa1")
    client.force_login(assessor)
    assert client.get(url).status_code in (403, 404)
    client.force_login(admin)
    people = [consented(nurse, site)]
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = SimpleUploadedFile("h.csv", b"participant,arm,date\nP9,Z,2020-01-01\n")
    answer = client.post(url, {"file": bad, "reason": "migration"})
    assert answer.status_code == 200
    assert "Line 2" in answer.content.decode()
    good = SimpleUploadedFile("h.csv", csv_for(people))
    answer = client.post(url, {"file": good, "reason": "migration"}, follow=True)
    assert answer.status_code == 200
    assert HistoricalAllocationLoad.objects.count() == 1
    assert "h.csv" in answer.content.decode()
