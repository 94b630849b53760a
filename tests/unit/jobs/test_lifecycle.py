"""The one job lifecycle (jobs.lifecycle) as reports, releases and imports use it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from analysis.jobs import jobs_fail_stale
from analysis.models import DatasetRelease, ReportRun
from analysis.tasks import jobs_fail_stale_task
from imports.models import ImportJob
from jobs.lifecycle import (
    attempts_exhausted_reason,
    job_claim,
    job_models,
    stale_queued_reason,
    stale_running_reason,
)
from tests.factories import user_with_role
from trial.models import Role

pytestmark = pytest.mark.django_db
S = ImportJob.Status


def import_job(actor, **fields) -> ImportJob:
    return ImportJob.objects.create(
        protocol_code="snrb_peld", created_by=actor, file_name="a.csv", file_format="csv",
        stored_name="a.csv", file_checksum="0" * 64, file_size=1, **fields,
    )  # fmt: skip


def test_every_job_model_shares_the_lifecycle() -> None:
    assert set(job_models()) == {ReportRun, DatasetRelease, ImportJob}


@pytest.mark.requirement("JOB-005")
def test_the_sweep_fails_stale_imports_and_keeps_live_or_finished_ones() -> None:
    # given imports in every state, some of them older than the stale limits
    actor = user_with_role(Role.DATA_MANAGER, site=None)
    now = timezone.now()
    long_ago = now - timedelta(minutes=settings.EDC_JOB_QUEUED_STALE_MINUTES + 1)
    died = now - timedelta(minutes=settings.EDC_JOB_STALE_MINUTES + 1)
    running = import_job(actor, status=S.RUNNING, started_at=died, attempts=1)
    checking = import_job(actor, status=S.CHECKING, started_at=died, attempts=1)
    lost = import_job(actor, status=S.QUEUED, queued_at=long_ago)
    healthy = import_job(actor, status=S.RUNNING, started_at=now - timedelta(minutes=1))
    # a file uploaded long ago whose dry run was queued just now is not stale
    just_queued = import_job(actor, status=S.CHECKING, queued_at=now)
    checked = import_job(actor, status=S.CHECKED, started_at=died)
    ImportJob.objects.update(created_at=long_ago)
    # when the beat's sweep runs
    failed = jobs_fail_stale(now=now)
    # then the dead and the forgotten imports fail with their reasons; the rest are kept
    assert failed == {"reports": [], "releases": [], "imports": sorted(failed["imports"])}
    assert sorted(failed["imports"]) == sorted([running.pk, checking.pk, lost.pk])
    rows = {j.pk: j for j in ImportJob.objects.all()}
    assert rows[running.pk].error == stale_running_reason(settings.EDC_JOB_STALE_MINUTES)
    assert rows[checking.pk].status == S.FAILED
    assert rows[lost.pk].error == stale_queued_reason(settings.EDC_JOB_QUEUED_STALE_MINUTES)
    assert rows[lost.pk].finished_at == now
    assert rows[healthy.pk].status == S.RUNNING
    assert rows[just_queued.pk].status == S.CHECKING
    assert rows[checked.pk].status == S.CHECKED


def test_the_beat_task_runs_the_sweep_of_every_kind() -> None:
    actor = user_with_role(Role.DATA_MANAGER, site=None)
    long_ago = timezone.now() - timedelta(minutes=settings.EDC_JOB_QUEUED_STALE_MINUTES + 1)
    lost = import_job(actor, status=S.QUEUED, queued_at=long_ago)
    assert jobs_fail_stale_task() == {"reports": [], "releases": [], "imports": [lost.pk]}


def test_a_claim_counts_attempts_and_fails_the_job_when_they_are_used_up() -> None:
    # given an import commit redelivered after each of its workers died
    actor = user_with_role(Role.DATA_MANAGER, site=None)
    job = import_job(actor, status=S.QUEUED, queued_at=timezone.now())
    for attempt in range(1, settings.EDC_JOB_MAX_ATTEMPTS + 1):
        job = job_claim(ImportJob, job.pk, waiting=(S.QUEUED, S.RUNNING), running=S.RUNNING)
        assert (job.status, job.attempts) == (S.RUNNING, attempt)
        assert job.started_at is not None
    # when it is delivered once more, it is failed with the reason instead of run
    job = job_claim(ImportJob, job.pk, waiting=(S.QUEUED, S.RUNNING), running=S.RUNNING)
    assert job.status == S.FAILED
    assert job.error == attempts_exhausted_reason(settings.EDC_JOB_MAX_ATTEMPTS)
    # and a job in a state no worker takes it from is left as it is
    done = import_job(actor, status=S.CHECKED)
    assert job_claim(ImportJob, done.pk, waiting=(S.CHECKING,), running=S.CHECKING).status == (
        S.CHECKED
    )
