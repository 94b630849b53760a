"""PyCap's ``import_records`` against a live server, and the migration round trip.

Done-when of the import issue (API part): PyCap imports new participants' forms and they
appear scored and audited; bad rows come back with REDCap-shaped errors and nothing is
written; a trial exported and imported into an empty trial of the same protocol gives the
same release, column by column.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
from pathlib import Path

import pytest
from django.core.management import call_command
from redcap import Project
from requests import RequestException

from analysis.releases.services import dataset_release_build, dataset_release_declare
from api.services import api_token_create
from tests.factories import SiteFactory, user_with_role
from tests.unit.api.fixtures import make_trial
from tests.unit.api.import_world import make_world, new_record
from trial.models import (
    AdverseEventData,
    AuditEvent,
    FormInstance,
    PainVasData,
    Participant,
    Role,
    Visit,
)
from trial.protocol import get_protocol
from trial.services.consent import consent_record
from trial.services.crfs import crf_save
from trial.services.eligibility import eligibility_record
from trial.services.randomization import allocation_record

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
PROTOCOL = "snrb_peld"


@pytest.mark.requirement("IMP-010")
def test_pycap_imports_new_participants_scored_and_audited(live_server) -> None:
    # given a nurse's token and PyCap pointed at the live server
    world = make_world()
    token = api_token_create(actor=world.nurse, user=world.nurse, protocol_code=PROTOCOL)[1]
    project = Project(f"{live_server.url}/api/", token)
    # when PyCap imports two new records with their admission VAS, and the pre-op VAS (the
    # visit's only form) of the allocated participant
    preop = {"record_id": world.person.trial_id, "redcap_event_name": "preop_arm_1",
             "vas_assessment_date": world.person.surgery_date.isoformat(), "vas_leg": "4",
             "vas_back": "2", "vas_complete": "2"}  # fmt: skip
    answer = project.import_records(new_record() + new_record("S01-0102", vas_leg="2.5") + [preop])
    # then the new records are registered, their forms complete and scored
    assert answer == {"count": 3}
    for record, leg in (("S01-0101", 6.5), ("S01-0102", 2.5)):
        vas = PainVasData.objects.get(instance__participant__trial_id=record)
        assert vas.instance.status == FormInstance.Status.COMPLETE
        assert vas.scores["leg_vas"]["vas"] == leg
    # and the visit whose forms are all complete is done
    assert Visit.objects.get(participant=world.person, code="preop").status == Visit.Status.DONE
    # and every write is audited as the nurse, naming the API call and the token
    rows = AuditEvent.objects.filter(object_type="trial.forminstance", actor=world.nurse)
    rows = rows.filter(action="create")
    assert rows.count() == 3
    assert all(f"token …{token[-4:]}" in r.changes["origin"][1] for r in rows)
    # and PyCap reads back what it wrote
    back = project.export_records(records=["S01-0102"], events=["admission_arm_1"])
    assert back[0]["vas_leg"] == "2.5"
    assert back[0]["vas_complete"] == "2"


@pytest.mark.requirement("IMP-010")
def test_pycap_gets_redcap_errors_and_nothing_is_written(live_server) -> None:
    world = make_world()
    token = api_token_create(actor=world.nurse, user=world.nurse, protocol_code=PROTOCOL)[1]
    project = Project(f"{live_server.url}/api/", token)
    people, audit = Participant.objects.count(), AuditEvent.objects.count()
    bad = new_record() + new_record("S01-0102", vas_leg="11", vas_back="x")
    # when one of the records is bad
    with pytest.raises(RequestException) as raised:
        project.import_records(bad)
    # then PyCap raises with REDCap's error (record, field, value, message) and nothing changed
    content = raised.value.args[0]
    assert '"S01-0102","admission_arm_1","vas_leg","11"' in content["error"]
    assert {(e["record"], e["field_name"]) for e in content["errors"]} == {
        ("S01-0102", "vas_leg"),
        ("S01-0102", "vas_back"),
    }
    assert (Participant.objects.count(), AuditEvent.objects.count()) == (people, audit)
    # and forceAutoNumber is refused with a clear error
    with pytest.raises(RequestException, match="forceAutoNumber"):
        project.import_records(new_record(), force_auto_number=True)


def _wide(folder: Path) -> list[dict[str, str]]:
    with (folder / "unblinded" / "wide.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def column_checksums(rows: list[dict[str, str]]) -> dict[str, str]:
    """SHA-256 of each column's cells, participant by participant (as written in the CSV)."""
    rows = sorted(rows, key=lambda r: r["participant_id"])
    return {
        column: hashlib.sha256("\n".join(r[column] for r in rows).encode()).hexdigest()
        for column in rows[0]
    }


def _resolve_adverse_event(trial) -> None:
    """The fixture's adverse event lacks the resolution date its entry form requires (it was
    saved through the service alone); the import checks every form like the entry page."""
    entry = FormInstance.objects.get(form_code="adverse_event")
    data = AdverseEventData.objects.get(instance=entry)
    answers = {f.name: getattr(data, f.name) for f in AdverseEventData._meta.concrete_fields
               if f.name not in ("id", "instance", "scores", "scorer_version")}  # fmt: skip
    answers["resolution_date"] = data.onset_date + datetime.timedelta(days=2)
    crf_save(actor=entry.created_by, participant=entry.participant, form_code="adverse_event",
             instance=entry, base_revision=entry.revision, complete=True, answers=answers,
             reason="resolution date from the source")  # fmt: skip


def _release(settings, media: Path, actor) -> Path:
    settings.MEDIA_ROOT = media
    release = dataset_release_declare(
        protocol_code="snrb_peld", actor=actor, reason="round trip", enqueue=False
    )
    release = dataset_release_build(release_id=release.pk)
    assert release.status == "ready", release.error
    return media / release.folder


def _allocate_as_before(actor, source: list[dict[str, str]], people: dict) -> None:
    """Stand-in for the historical-allocation step (not the record import): put each
    imported participant in the arm the source release gives, through the services."""
    protocol = get_protocol(PROTOCOL)
    for row in source:
        person = Participant.objects.get(trial_id=row["participant_id"])
        eligibility_record(
            actor=actor,
            participant=person,
            assessed_date=person.admission_date,
            answers={c.code: c.kind == "inclusion" for c in protocol.criteria},
        )
        consent_record(
            actor=actor,
            participant=person,
            version=protocol.consent_versions[0],
            consent_date=person.admission_date,
            obtained_by=actor,
        )
        allocation_record(
            actor=actor,
            participant=person,
            arm=row["arm"],
            randomization_number=people[row["participant_id"]],
        )


@pytest.mark.requirement("IMP-011")
def test_an_exported_trial_imported_into_an_empty_one_gives_the_same_release(
    live_server, settings, tmp_path
) -> None:
    # given a trial with complete casebooks, its release v1 and its export through PyCap
    trial = make_trial()
    _resolve_adverse_event(trial)
    source_release = _release(settings, tmp_path / "source", trial.users["dm"])
    source = _wide(source_release)
    inv = trial.people[0].created_by
    token = api_token_create(actor=inv, user=inv, protocol_code=PROTOCOL)[1]
    exported = Project(f"{live_server.url}/api/", token).export_records()
    numbers = {p.trial_id: p.allocation.randomization_number for p in trial.people}
    # when the database is emptied and the same sites and an investigator are set up again
    call_command("flush", interactive=False, verbosity=0)
    SiteFactory(code="S01"), SiteFactory(code="S02")
    inv = user_with_role(Role.INVESTIGATOR, site=None, username="inv")
    dm = user_with_role(Role.DATA_MANAGER, site=None, username="dm")
    token = api_token_create(actor=inv, user=inv, protocol_code=PROTOCOL)[1]
    project = Project(f"{live_server.url}/api/", token)
    # and the records are registered by import, allocated as before, then imported in full
    enrolment = [r for r in exported if r["redcap_event_name"] == "admission_arm_1"
                 and not r["redcap_repeat_instrument"]]  # fmt: skip
    keep = ("record_id", "redcap_event_name", "site", "screening_date", "admission_date")
    assert project.import_records([{k: r[k] for k in keep} for r in enrolment]) == {
        "count": len(enrolment)
    }
    _allocate_as_before(inv, source, numbers)
    answer = project.import_records(exported, import_format="json", return_content="ids")
    assert sorted(answer) == sorted(numbers)
    # then the new trial's release has the same columns with the same checksums
    copy = _wide(_release(settings, tmp_path / "copy", dm))
    assert list(copy[0]) == list(source[0])
    before, after = column_checksums(source), column_checksums(copy)
    differ = sorted(c for c in before if before[c] != after[c])
    assert differ == [], {c: ([r[c] for r in source], [r[c] for r in copy]) for c in differ}
    # and importing the export again changes nothing
    assert project.import_records(exported) == {"count": 0}
