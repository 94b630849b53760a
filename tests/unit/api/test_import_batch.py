"""The import's batched commit path writes what the nurse's one-form-at-a-time save writes."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api.imports import ImportOptions, ImportOrigin, import_records
from tests.unit.api.import_world import day, make_world, new_record
from trial.models import (
    AuditEvent,
    FormInstance,
    PainVasData,
    Participant,
    PersonalData,
    Visit,
)
from trial.services.crfs import crf_save
from trial.services.participants import participant_register

pytestmark = pytest.mark.django_db
PROTOCOL = "snrb_peld"
ORIGIN = ImportOrigin("test")


def run(user, rows, dry_run=False, chunk_records=500, **options):
    return import_records(protocol_code=PROTOCOL, user=user, rows=rows, origin=ORIGIN,
                          options=ImportOptions(**options), dry_run=dry_run,
                          chunk_records=chunk_records)  # fmt: skip


def casebook(person: Participant) -> dict:
    """Everything the two paths write for one participant, with its own ids left out."""
    person.refresh_from_db()
    visits = list(Visit.objects.filter(participant=person).order_by("order"))
    forms = list(FormInstance.objects.filter(participant=person).order_by("pk"))
    identity = PersonalData.objects.get(participant=person)
    objects = {("trial.participant", str(person.pk)), ("trial.personaldata", str(identity.pk))}
    objects |= {("trial.visit", str(v.pk)) for v in visits}
    objects |= {("trial.forminstance", str(f.pk)) for f in forms}
    audit = []
    for row in AuditEvent.objects.order_by("pk"):
        if (row.object_type, row.object_id) not in objects:
            continue
        changes = {k: v for k, v in row.changes.items() if k != "origin"}
        changes.pop("trial_id", None)
        audit.append((row.action, row.object_type, changes, row.reason, row.actor_id,
                      row.site_id, row.at is not None))  # fmt: skip
    vas = PainVasData.objects.get(instance__participant=person)
    return {
        "participant": (person.status, person.screening_date, person.admission_date),
        "visits": [
            (v.code, v.status, v.target_date, v.window_start, v.window_end) for v in visits
        ],  # fmt: skip
        "forms": [(f.form_code, f.status, f.revision, f.out_of_window, f.seq) for f in forms],
        "vas": (
            vas.assessment_date,
            vas.leg_vas,
            vas.back_vas,
            vas.scores,
            vas.scorer_version,
            vas.not_answered,
        ),  # fmt: skip
        "audit": audit,
    }


@pytest.mark.requirement("IMP-012")
def test_the_batched_import_writes_what_the_nurses_saves_write() -> None:
    # given a trial, and one new record saved by the nurse through her own services (the
    # answers as the entry form's view passes them: with its "not answered" marks)
    world = make_world()
    admitted = datetime.date.fromisoformat(day(2))
    by_hand = participant_register(actor=world.nurse, protocol_code="snrb_peld",
                                   site=world.site_a, screening_date=admitted,
                                   registration_date=admitted, full_name="", site_sequence=102)  # noqa: E501  # fmt: skip
    visit = Visit.objects.get(participant=by_hand, code="admission")
    crf_save(actor=world.nurse, participant=by_hand, form_code="vas", visit=visit, complete=True,
             answers={"assessment_date": admitted, "leg_vas": Decimal("6.5"),
                      "back_vas": Decimal("3.0"), "not_answered": {}})  # fmt: skip
    # when the same values of another new record are imported (in a chunk with others)
    rows = new_record("S01-0101") + new_record("S01-0103") + new_record("S01-0104")
    result = run(world.nurse, rows, chunk_records=2)
    # then the participant, its visits, its form, its scores and its audit rows are the same
    assert result.committed, result.errors
    imported = Participant.objects.get(trial_id="S01-0101")
    mine, theirs = casebook(imported), casebook(by_hand)
    assert mine["audit"], "the import wrote no audit rows"
    assert mine == theirs
    # and the import's audit rows name it
    forms = FormInstance.objects.filter(participant=imported).values_list("pk", flat=True)
    rows = AuditEvent.objects.filter(object_type="trial.forminstance",
                                     object_id__in=[str(pk) for pk in forms])  # fmt: skip
    assert rows.exists()
    assert all("origin" in row.changes for row in rows)


@pytest.mark.requirement("IMP-012")
def test_a_records_rows_apart_in_the_file_are_saved_in_later_chunks() -> None:
    # given record A's enrolment and A's admission VAS with another record in between
    world = make_world()
    whole = new_record("S01-0101")[0]
    enrolment = {k: whole[k] for k in ("record_id", "redcap_event_name", "site",
                                       "screening_date", "admission_date")}  # fmt: skip
    vas = {k: v for k, v in whole.items() if k not in ("site", "screening_date", "admission_date")}
    rows = [enrolment, *new_record("S01-0102"), vas]
    # when it is dry-run in one chunk, then imported one record per chunk
    plan = run(world.nurse, rows, dry_run=True)
    done = run(world.nurse, rows, chunk_records=1)
    # then both see the same forms created, and A's VAS is saved and scored
    assert plan.ok, plan.errors
    assert done.committed, done.errors
    assert plan.counts == done.counts == {"enrolment:created": 2, "vas:created": 2}
    assert sorted(done.records) == ["S01-0101", "S01-0101", "S01-0102"]
    saved = PainVasData.objects.get(instance__participant__trial_id="S01-0101")
    assert saved.instance.status == FormInstance.Status.COMPLETE
    assert saved.scores["leg_vas"]["vas"] == 6.5


@pytest.mark.requirement("IMP-012")
def test_a_chunk_reads_its_records_once_not_once_per_row() -> None:
    # given a trial, and the queries of importing one new record
    world = make_world()
    with CaptureQueriesContext(connection) as one:
        assert run(world.nurse, new_record("S01-0101")).committed
    # when ten new records and an allocated one are imported in one chunk
    rows = [row for n in range(10) for row in new_record(f"S01-{200 + n:04d}")]
    rows.append({"record_id": world.person.trial_id, "redcap_event_name": "admission_arm_1"})
    with CaptureQueriesContext(connection) as ten:
        assert run(world.nurse, rows).committed
    # then audit rows are written at once, the database state and allocations read once
    sql = [q["sql"] for q in ten.captured_queries]
    assert sum('INSERT INTO "trial_auditevent"' in s for s in sql) == 1
    assert sum('FROM "trial_databaselock"' in s for s in sql) == 1
    assert sum('FROM "trial_allocation"' in s for s in sql) == 1
    # and each further record costs fewer queries than the first (the chunk's reads are shared)
    assert len(ten.captured_queries) < 10 * len(one.captured_queries) * 0.8


@pytest.mark.requirement("IMP-012")
def test_a_refused_record_in_a_chunk_leaves_no_audit_row_behind() -> None:
    # given a good record and one whose form is refused by the service after registration
    world = make_world()
    before = (Participant.objects.count(), AuditEvent.objects.count())
    rows = new_record("S01-0101") + new_record("S01-0102", vas_assessment_date=day(-30))
    # when they are imported in one chunk
    result = run(world.nurse, rows)
    # then the call is refused and nothing, not even an audit row, is written
    assert not result.committed
    assert {e.record for e in result.errors} == {"S01-0102"}
    assert (Participant.objects.count(), AuditEvent.objects.count()) == before
