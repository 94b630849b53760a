"""The import page's dry run and commit run in a real Celery worker (Redis, PostgreSQL)."""

from __future__ import annotations

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from imports.models import ImportJob
from imports.services import import_check_start, import_commit_start, import_upload
from tests.factories import SiteFactory, user_with_role
from tests.unit.imports.test_import_services import enrolment_csv
from trial.models import Participant, Role

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def wait_until(job_id: int, *statuses: str, timeout: float = 120) -> ImportJob:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = ImportJob.objects.get(pk=job_id)
        if job.status in statuses:
            return job
        time.sleep(0.3)
    pytest.fail(f"import {job_id} did not reach {statuses} within {timeout} s")


@pytest.mark.requirement("IMP-102", "IMP-103")
def test_the_worker_checks_then_imports_the_file(celery_worker) -> None:
    SiteFactory(code="S01")
    manager = user_with_role(Role.DATA_MANAGER, site=None, username="dm")
    records = [f"S01-{n:04d}" for n in range(1, 31)]
    content = enrolment_csv(records).replace("记录".encode(), b"record_id")
    job = import_upload(
        protocol_code="snrb_peld", actor=manager, upload=SimpleUploadedFile("new.csv", content)
    )
    import_check_start(actor=manager, job=job)
    job = wait_until(job.pk, "checked", "failed")
    assert (job.status, job.problem_count, job.rows) == ("checked", 0, 30), job.error
    assert not Participant.objects.exists()
    import_commit_start(actor=manager, job=job, reason="", accept_warnings=False)
    job = wait_until(job.pk, "succeeded", "failed")
    assert job.status == "succeeded", job.error
    assert job.attempts == 1
    assert Participant.objects.count() == 30
