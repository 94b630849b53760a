"""The import page's services: upload, mapping, dry run and commit through the import
service (the job body is called directly here; tests/integration runs it in a worker)."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from imports.models import ImportJob
from imports.services import (
    import_check_start,
    import_commit_start,
    import_path,
    import_run,
    import_set_mapping,
    import_upload,
)
from tests.factories import SiteFactory, user_with_role
from trial.exceptions import TrialError
from trial.models import AuditEvent, Participant, Role
from trial.services.locks import database_set_state

pytestmark = pytest.mark.django_db
S = ImportJob.Status


def day(n: int) -> str:
    return (timezone.localdate() - datetime.timedelta(days=n)).isoformat()


def enrolment_csv(records: list[str], *, bad: str = "") -> bytes:
    lines = ["记录,redcap_event_name,screening_date,admission_date"]
    lines += [f"{r},admission_arm_1,{day(10)},{bad or day(9)}" for r in records]
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def site():
    return SiteFactory(code="S01")


@pytest.fixture
def manager(site):
    return user_with_role(Role.DATA_MANAGER, site=site, username="dm1")


def upload(actor, content: bytes, name: str = "new.csv") -> ImportJob:
    return import_upload(
        protocol_code="snrb_peld", actor=actor, upload=SimpleUploadedFile(name, content)
    )


def checked(actor, job: ImportJob) -> ImportJob:
    import_check_start(actor=actor, job=job)
    return import_run(job_id=job.pk, dry_run=True)


@pytest.mark.requirement("IMP-101", "IMP-103")
def test_upload_stores_the_file_with_its_checksum_and_maps_columns(manager):
    import hashlib

    content = enrolment_csv(["S01-0001"])
    job = upload(manager, content)
    assert job.file_checksum == hashlib.sha256(content).hexdigest()
    assert import_path(job).read_bytes() == content
    assert job.mapping["redcap_event_name"] == "redcap_event_name"
    assert job.mapping["记录"] == ""  # neither a name nor a label: the user maps it
    event = AuditEvent.objects.get(object_type="imports.importjob")
    assert event.changes["file_checksum"][1] == job.file_checksum
    with pytest.raises(TrialError):
        upload(manager, b"a,a\n1,2\n")
    with pytest.raises(TrialError):
        upload(manager, b"x", name="data.pdf")


@pytest.mark.requirement("IMP-102")
def test_the_dry_run_lists_errors_and_writes_nothing(manager):
    job = upload(manager, enrolment_csv(["S01-0001", "S01-0002"], bad="2020-02-30"))
    job = import_set_mapping(actor=manager, job=job, mapping={**job.mapping, "记录": "record_id"})
    job = checked(manager, job)
    assert job.status == S.CHECKED
    assert job.problem_count >= 2
    assert {p["field_name"] for p in job.problems} == {"admission_date"}
    assert {p["record"] for p in job.problems} == {"S01-0001", "S01-0002"}
    assert not Participant.objects.exists()
    with pytest.raises(TrialError):
        import_commit_start(actor=manager, job=job, reason="", accept_warnings=False)


@pytest.mark.requirement("IMP-102", "IMP-103")
def test_a_clean_dry_run_then_the_commit_creates_the_records(manager):
    job = upload(manager, enrolment_csv(["S01-0001", "S01-0002"]))
    job = import_set_mapping(actor=manager, job=job, mapping={**job.mapping, "记录": "record_id"})
    job = checked(manager, job)
    assert (job.status, job.problem_count) == (S.CHECKED, 0), job.problems
    assert job.summary["created"] == ["S01-0001", "S01-0002"]
    assert not Participant.objects.exists()
    import_commit_start(actor=manager, job=job, reason="", accept_warnings=False)
    job = import_run(job_id=job.pk, dry_run=False)
    assert job.status == S.SUCCEEDED
    assert set(Participant.objects.values_list("trial_id", flat=True)) == {"S01-0001", "S01-0002"}
    origin = AuditEvent.objects.filter(object_type="trial.participant").first().changes["origin"]
    assert job.file_checksum in str(origin)


@pytest.mark.requirement("IMP-104")
def test_rights_sites_and_the_frozen_database(manager, site):
    nurse = user_with_role(Role.RESEARCH_NURSE, site=site, username="n1")
    with pytest.raises(TrialError):
        upload(nurse, enrolment_csv(["S01-0001"]))
    SiteFactory(code="S02")
    job = upload(manager, enrolment_csv(["S02-0001"]))
    job = import_set_mapping(actor=manager, job=job, mapping={**job.mapping, "记录": "record_id"})
    job = checked(manager, job)
    assert job.problem_count == 1  # another site's record
    admin = user_with_role(Role.DATA_MANAGER, site=None, username="dm-all")
    database_set_state(actor=admin, protocol_code="snrb_peld", state="frozen", reason="cut")
    with pytest.raises(TrialError):
        upload(manager, enrolment_csv(["S01-0001"]))
    with pytest.raises(TrialError):
        import_check_start(actor=manager, job=job)
