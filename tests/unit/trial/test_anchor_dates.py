"""Anchor dates as data: the protocol declares its anchors, one table holds each
participant's dates, every change is audited and nothing is deleted; a protocol may date
its visits from the randomization."""

import dataclasses
import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone, translation

from tests.factories import SiteFactory, UserFactory, register_participant, user_with_role
from trial import discovery
from trial.edit_checks.timing import OUTSIDE_WINDOW, check_form_timing
from trial.models import AnchorDate, AuditEvent, Participant, Role, Visit
from trial.protocol import AnchorDef, AnchorEvent, Text, VisitDef, get_protocol
from trial.selectors.anchors import anchor_dates_by_participant, participant_anchor_dates
from trial.services.consent import consent_record
from trial.services.eligibility import eligibility_record
from trial.services.participants import participant_register, participant_set_dates
from trial.services.randomization import allocation_record

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)


@pytest.fixture
def site(db):
    return SiteFactory(code="S01")


@pytest.fixture
def nurse(site):
    return user_with_role(Role.RESEARCH_NURSE, site=site, username="nurse1")


def _updates(participant):
    return AuditEvent.objects.filter(
        object_type="trial.participant", object_id=str(participant.pk), action="update"
    ).order_by("pk")


@pytest.mark.django_db
@pytest.mark.requirement("DEC-010")
def test_registration_writes_the_admission_anchor_row(nurse, site):
    participant = register_participant(nurse, site, registration_date=TODAY - 2 * DAY)
    row = AnchorDate.objects.get(participant=participant)
    assert (row.code, row.date, row.source) == ("admission", TODAY - 2 * DAY, "registration")
    created = AuditEvent.objects.get(object_type="trial.participant", action="create")
    assert created.changes["admission_date"] == [None, (TODAY - 2 * DAY).isoformat()]
    assert participant_anchor_dates(participant) == {
        "admission": TODAY - 2 * DAY,
        "surgery": None,
    }


@pytest.mark.django_db
@pytest.mark.requirement("DEC-010")
def test_a_moved_anchor_is_audited_and_a_cleared_one_keeps_its_row(nurse, site):
    admitted = TODAY - 5 * DAY
    participant = register_participant(
        nurse, site, registration_date=admitted, surgery_date=admitted + 3 * DAY
    )
    participant_set_dates(
        actor=nurse,
        participant=participant,
        admission_date=admitted,
        surgery_date=None,
        reason="surgery postponed, no date yet",
    )
    rows = {r.code: r for r in AnchorDate.objects.filter(participant=participant)}
    assert set(rows) == {"admission", "surgery"}  # the row stays, without a date
    assert rows["surgery"].date is None
    first, second = _updates(participant)
    assert first.changes == {"surgery_date": [None, (admitted + 3 * DAY).isoformat()]}
    assert second.changes == {"surgery_date": [(admitted + 3 * DAY).isoformat(), None]}
    assert second.reason == "surgery postponed, no date yet"
    assert anchor_dates_by_participant([participant.pk]) == {
        participant.pk: {"admission": admitted, "surgery": None}
    }


@pytest.mark.django_db
def test_only_anchors_staff_may_enter_are_set_on_the_dates_page(nurse, site):
    participant = register_participant(nurse, site, registration_date=TODAY)
    with pytest.raises(TypeError):
        participant_set_dates(actor=nurse, participant=participant, randomization_date=TODAY)
    assert AnchorDate.objects.filter(participant=participant).count() == 1


def test_a_protocol_refuses_visits_on_an_anchor_it_does_not_declare():
    seed = get_protocol("snrb_peld")
    stray = VisitDef("week_2", Text("Week 2", "第 2 周"), "randomization", 14, 2, 2, ("vas",))
    with pytest.raises(ValueError, match="unknown anchor randomization"):
        dataclasses.replace(seed, code="anchor_test", visits=(*seed.visits, stray))
    with pytest.raises(ValueError, match="exactly one source"):
        AnchorDef("x", Text("x", "x"), event=AnchorEvent.RANDOMIZATION, form="vas", field="d")
    with pytest.raises(ValueError, match="exactly one source"):
        AnchorDef("x", Text("x", "x"))


RANDOMIZATION = AnchorDef(
    "randomization", Text("randomization", "随机化"), event=AnchorEvent.RANDOMIZATION
)


@pytest.fixture
def randomization_protocol(monkeypatch):
    """A test-only protocol (never shipped) whose follow-up counts from the randomization."""
    seed = get_protocol("snrb_peld")
    week_2 = VisitDef("week_2", Text("Week 2", "第 2 周"), "randomization", 14, 2, 3, ("vas",))
    protocol = dataclasses.replace(
        seed,
        code="anchor_on_randomization",
        anchors=(*seed.anchors, RANDOMIZATION),
        visits=(seed.visits[0], week_2),
        epro=None,
    )
    discovery.contributions("protocols")  # discovered now; the test adds one more
    monkeypatch.setitem(discovery._found["protocols"], protocol.code, protocol)
    assert get_protocol(protocol.code) is protocol
    return protocol


@pytest.mark.django_db
@pytest.mark.requirement("DEC-010")
def test_visits_can_count_from_the_randomization(nurse, site, randomization_protocol):
    protocol = randomization_protocol
    admitted = TODAY - 20 * DAY
    participant = participant_register(
        actor=nurse,
        site=site,
        screening_date=admitted,
        registration_date=admitted,
        full_name="Wang Wu",
        protocol_code=protocol.code,
    )
    assert participant_anchor_dates(participant)["randomization"] is None  # not yet
    eligibility_record(
        actor=nurse,
        participant=participant,
        assessed_date=admitted,
        answers={c.code: c.kind == "inclusion" for c in protocol.criteria},
    )
    consent_record(
        actor=nurse,
        participant=participant,
        version=protocol.consent_versions[0],
        consent_date=admitted,
        obtained_by=nurse,
    )
    randomized = admitted + 2 * DAY
    allocation_record(
        actor=nurse,
        participant=Participant.objects.get(pk=participant.pk),
        arm="P",
        randomization_number="R0001",
        allocated_at=timezone.make_aware(datetime.datetime.combine(randomized, datetime.time(9))),
    )
    row = AnchorDate.objects.get(participant=participant, code="randomization")
    week_2 = Visit.objects.get(participant=participant, code="week_2")
    assert (row.date, row.source) == (randomized, "randomization")
    assert week_2.target_date == randomized + 14 * DAY
    assert (week_2.window_start, week_2.window_end) == (
        randomized + 12 * DAY,
        randomized + 17 * DAY,
    )
    audited = _updates(participant).get(changes__has_key="randomization_date")
    assert audited.changes["randomization_date"] == [None, randomized.isoformat()]
    # the edit checks date the visit's window from the same row
    anchors = participant_anchor_dates(participant)
    assert anchors["randomization"] == randomized
    with translation.override("en"):  # the message names the anchor in the user's language
        late = check_form_timing(
            protocol,
            protocol.form("vas"),
            "week_2",
            {"assessment_date": randomized + 18 * DAY},
            today=TODAY,
            anchors=anchors,
        )
        assert [f.code for f in late] == [OUTSIDE_WINDOW]
        assert "randomization" in str(late[0].message)
    on_time = check_form_timing(
        protocol,
        protocol.form("vas"),
        "week_2",
        {"assessment_date": randomized + 17 * DAY},
        today=TODAY,
        anchors=anchors,
    )
    assert on_time == []


@pytest.mark.django_db
def test_the_seed_protocol_records_no_randomization_anchor(nurse, site):
    from tests.factories import allocated_participant

    participant = allocated_participant(nurse, site, arm="S")
    codes = set(AnchorDate.objects.filter(participant=participant).values_list("code", flat=True))
    assert codes == {"admission", "surgery"}


BEFORE = ("trial", "0014_merge_session_branches")
AFTER = ("trial", "0015_anchor_dates")


@pytest.mark.django_db(transaction=True)
@pytest.mark.requirement("DEC-010")
def test_the_migration_keeps_every_anchor_date_of_the_existing_trial():
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate([BEFORE])
    try:
        old = executor.loader.project_state([BEFORE]).apps
        user = UserFactory(username="migrator")  # the accounts app is not migrated back
        site = old.get_model("trial", "Site").objects.create(code="S09", name="Old site")
        OldParticipant = old.get_model("trial", "Participant")
        dates = {
            1: (datetime.date(2024, 3, 1), datetime.date(2024, 3, 4)),
            2: (datetime.date(2024, 3, 2), None),
            3: (None, None),
        }
        pks = {}
        for number, (admission, surgery) in dates.items():
            pks[number] = OldParticipant.objects.create(
                trial_id=f"S09-{number:04d}",
                site=site,
                site_sequence=number,
                protocol_code="snrb_peld",
                screening_date=datetime.date(2024, 2, 28),
                admission_date=admission,
                surgery_date=surgery,
                created_by_id=user.pk,
            ).pk
        executor = MigrationExecutor(connection)
        executor.migrate([AFTER])
        new = executor.loader.project_state([AFTER]).apps
        rows = new.get_model("trial", "AnchorDate").objects.all()
        assert {(r.participant_id, r.code, r.date, r.source) for r in rows} == {
            (pks[1], "admission", datetime.date(2024, 3, 1), "migrated"),
            (pks[1], "surgery", datetime.date(2024, 3, 4), "migrated"),
            (pks[2], "admission", datetime.date(2024, 3, 2), "migrated"),
        }
        # and back: the rows return into the two columns unchanged
        executor = MigrationExecutor(connection)
        executor.migrate([BEFORE])
        back = executor.loader.project_state([BEFORE]).apps.get_model("trial", "Participant")
        assert {p.pk: (p.admission_date, p.surgery_date) for p in back.objects.all()} == {
            pks[n]: value for n, value in dates.items()
        }
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(latest)


def test_the_audit_trail_names_an_anchor_date_in_the_readers_language():
    from django.utils import translation

    from trial.display import field_label

    with translation.override("en"):
        assert field_label(None, "surgery_date", Participant) == "Date of surgery"
    with translation.override("zh-hans"):
        assert field_label(None, "admission_date", Participant) == "入院日期"
