"""A Celery worker killed in the middle of a report or a release build.

Policy (docs/resilience.md): a killed pool process makes Celery redeliver the job
(``acks_late`` + ``reject_on_worker_lost``) and it runs again from scratch, at most
``EDC_JOB_MAX_ATTEMPTS`` times, then it fails with the reason. A worker killed whole leaves
its job "running" until ``jobs_fail_stale`` fails it. Nothing partial is ever published,
and running the job again succeeds.
"""

from __future__ import annotations

import random
import shutil
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from analysis.jobs import jobs_fail_stale
from analysis.models import DatasetRelease, ReportRun
from analysis.releases.manifest import manifest_verify, sha256_file
from analysis.releases.services import dataset_release_declare
from analysis.services import report_run_create
from jobs.lifecycle import attempts_exhausted_reason, stale_queued_reason, stale_running_reason
from tests.factories import SiteFactory, user_with_role
from tests.unit.analysis.test_report_datasets import complete_participant
from trial.models import AuditEvent, Role

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def small_trial(actor, per_arm: int = 4) -> None:
    site, rng = SiteFactory(), random.Random(5)
    for arm in "SP" * per_arm:
        complete_participant(actor, site, arm, rng)


def wait_for(model, pk: int, done, timeout: float = 90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = model.objects.get(pk=pk)
        if done(row):
            return row
        time.sleep(0.2)
    pytest.fail(f"{model.__name__} {pk} did not reach the expected state in {timeout} s")


def finished(row) -> bool:
    return row.is_finished


@pytest.fixture
def releases_root():
    """MEDIA_ROOT/releases, emptied before and after (the worker shares MEDIA_ROOT)."""
    root = Path(settings.MEDIA_ROOT) / "releases" / "snrb_peld"  # the seed trial's releases

    def clean() -> None:
        for folder in list(root.glob("v*")) + list(root.glob(".building-*")):
            shutil.rmtree(folder, ignore_errors=True)

    clean()
    yield root
    clean()


def queue_report(actor, worker, checkpoint_of) -> ReportRun:
    """Create a run and hold it at its checkpoint before the task is sent (on commit)."""
    with transaction.atomic():
        run = report_run_create(
            protocol_code="snrb_peld", actor=actor, population="itt", mode="correct", blinded=False
        )
        worker.hold(checkpoint_of(run.pk))
    return run


def queue_release(actor, worker, checkpoint: str) -> DatasetRelease:
    with transaction.atomic():
        release = dataset_release_declare(
            protocol_code="snrb_peld", actor=actor, reason="interim analysis"
        )
        worker.hold(checkpoint.format(version=release.version))
    return release


def paused_release(worker, point: str, per_arm: int = 3) -> tuple[DatasetRelease, str]:
    """A data manager's release of a small trial, held at checkpoint ``point`` (a format
    string of the version); returns the release and the checkpoint's name."""
    actor = user_with_role(Role.DATA_MANAGER, site=None)
    small_trial(actor, per_arm=per_arm)
    release = queue_release(actor, worker, point)
    return release, point.format(version=release.version)


@pytest.mark.requirement("JOB-002")
def test_report_whose_worker_process_is_killed_is_retried_and_succeeds(job_worker) -> None:
    # given a small trial and a report paused after its tables, before any file is written
    actor = user_with_role(Role.STATISTICIAN, site=None)
    small_trial(actor)
    point = "report-{}-computed".format
    run = queue_report(actor, job_worker, point)
    job_worker.wait_reached(point(run.pk))
    run.refresh_from_db()
    assert (run.status, run.progress, run.attempts) == (ReportRun.Status.RUNNING, 88, 1)
    # when the pool process running it is killed
    job_worker.kill_child()
    # then Celery redelivers the job and it starts again from scratch: nothing was kept
    job_worker.wait_reached(point(run.pk))
    run.refresh_from_db()
    assert (run.status, run.attempts) == (ReportRun.Status.RUNNING, 2)
    assert run.result == {}
    assert not run.xlsx
    assert not run.docx
    # and the second attempt runs to the end
    job_worker.release(point(run.pk))
    run = wait_for(ReportRun, run.pk, finished)
    assert run.status == ReportRun.Status.SUCCEEDED, run.error
    assert run.progress == 100
    assert run.inputs["n"] == 8
    assert run.xlsx.storage.exists(run.xlsx.name)
    assert run.docx.storage.exists(run.docx.name)


@pytest.mark.requirement("JOB-003")
def test_report_killed_on_every_attempt_fails_and_runs_again_from_the_page(
    job_worker, client
) -> None:
    # given a report whose worker process dies at the same point on each attempt
    actor = user_with_role(Role.STATISTICIAN, site=None)
    small_trial(actor)
    point = "report-{}-computed".format
    run = queue_report(actor, job_worker, point)
    for _attempt in range(settings.EDC_JOB_MAX_ATTEMPTS):
        job_worker.wait_reached(point(run.pk))
        job_worker.kill_child()
    # then it is failed for good with the reason, never left running, with no files
    run = wait_for(ReportRun, run.pk, finished)
    assert run.status == ReportRun.Status.FAILED
    assert run.attempts == settings.EDC_JOB_MAX_ATTEMPTS
    assert run.error == attempts_exhausted_reason(settings.EDC_JOB_MAX_ATTEMPTS)
    assert run.result == {}
    assert not run.xlsx
    # and the page offers to run it again, which starts a new run that succeeds
    client.force_login(actor)
    page = client.get(reverse("analysis:report-detail", args=[run.pk]))
    assert b'data-testid="report-rerun"' in page.content
    response = client.post(reverse("analysis:report-rerun", args=[run.pk]))
    again = ReportRun.objects.exclude(pk=run.pk).get()
    assert response.url == reverse("analysis:report-detail", args=[again.pk])
    assert (again.population, again.mode, again.blinded_view) == ("itt", "correct", False)
    job_worker.release(point(run.pk))
    again = wait_for(ReportRun, again.pk, finished)
    assert again.status == ReportRun.Status.SUCCEEDED, again.error
    assert ReportRun.objects.get(pk=run.pk).status == ReportRun.Status.FAILED  # kept as it was


@pytest.mark.requirement("JOB-002")
def test_release_whose_extraction_is_killed_publishes_nothing_then_succeeds(
    job_worker, releases_root
) -> None:
    # given a release paused with its extract staged in the hidden build folder
    release, checkpoint = paused_release(job_worker, "release-v{version}-extracted")
    job_worker.wait_reached(checkpoint)
    (building,) = releases_root.glob(f".building-v{release.version}-*")
    assert (building / "_extract").is_dir()
    # when the pool process is killed there
    job_worker.kill_child()
    # then the second attempt starts with the half-built folder gone and nothing published
    job_worker.wait_reached(checkpoint)
    release.refresh_from_db()
    assert (release.status, release.attempts) == (DatasetRelease.Status.BUILDING, 2)
    assert building not in list(releases_root.glob(".building-*"))
    assert not (releases_root / f"v{release.version}").exists()
    assert release.archive == ""
    assert release.manifest == {}
    # and once let go it publishes a complete, verified release
    job_worker.release(checkpoint)
    release = wait_for(DatasetRelease, release.pk, finished)
    assert release.status == DatasetRelease.Status.READY, release.error
    folder = Path(settings.MEDIA_ROOT) / release.folder
    assert manifest_verify(folder / "unblinded") == []
    assert manifest_verify(folder / "blinded") == []
    assert sha256_file(Path(settings.MEDIA_ROOT) / release.archive) == release.archive_sha256
    assert not list(releases_root.glob(".building-*"))


@pytest.mark.requirement("WFL-002")
def test_release_part_whose_worker_is_killed_is_retried_alone(job_worker, releases_root) -> None:
    # given a release workflow paused inside one part (the unblinded XLSX), its file written
    release, checkpoint = paused_release(job_worker, "release-v{version}-unblinded-xlsx-written")
    job_worker.wait_reached(checkpoint)
    (building,) = releases_root.glob(f".building-v{release.version}-*")
    done_before = {p.name for p in (building / "_done").iterdir()}
    assert {"unblinded-csv", "blinded-csv"} <= done_before
    assert "unblinded-xlsx" not in done_before
    # when the pool process running that part is killed
    job_worker.kill_child()
    # then only that part runs again: same extract, same build folder, the other parts kept
    job_worker.wait_reached(checkpoint)
    release.refresh_from_db()
    assert (release.status, release.attempts) == (DatasetRelease.Status.BUILDING, 1)
    assert list(releases_root.glob(".building-*")) == [building]
    assert done_before <= {p.name for p in (building / "_done").iterdir()}
    assert (building / "_attempts" / "unblinded-xlsx").read_text() == "2"
    assert not (releases_root / f"v{release.version}").exists()
    # and once let go the callback publishes a complete, verified release
    job_worker.release(checkpoint)
    release = wait_for(DatasetRelease, release.pk, finished)
    assert release.status == DatasetRelease.Status.READY, release.error
    folder = Path(settings.MEDIA_ROOT) / release.folder
    for variant in ("unblinded", "blinded"):
        assert manifest_verify(folder / variant) == []
        assert (folder / variant / "dataset.xlsx").is_file()
        assert (folder / variant / "wide.parquet").is_file()
    assert not list(releases_root.glob(".building-*"))


@pytest.mark.requirement("WFL-002")
def test_release_part_killed_on_every_attempt_fails_the_release_and_publishes_nothing(
    job_worker, releases_root
) -> None:
    # given a release part whose worker process dies on each attempt
    point = "release-v{version}-blinded-odm-written"
    release, checkpoint = paused_release(job_worker, point, per_arm=2)
    for _attempt in range(settings.EDC_JOB_MAX_ATTEMPTS):
        job_worker.wait_reached(checkpoint)
        job_worker.kill_child()
    # then the release is failed with the reason and nothing is published or left behind
    release = wait_for(DatasetRelease, release.pk, finished)
    job_worker.release(checkpoint)
    assert release.status == DatasetRelease.Status.FAILED
    assert release.error == attempts_exhausted_reason(settings.EDC_JOB_MAX_ATTEMPTS)
    assert release.archive == ""
    assert not (releases_root / f"v{release.version}").exists()
    assert not list(releases_root.glob(".building-*"))


@pytest.mark.requirement("JOB-003")
def test_release_whose_worker_dies_whole_is_failed_by_the_sweeper_and_built_again(
    job_worker, releases_root, client
) -> None:
    # given a release whose folder was moved into place but not yet recorded as ready
    manager = user_with_role(Role.DATA_MANAGER, site=None)
    small_trial(manager, per_arm=3)
    point = "release-v{version}-published"
    release = queue_release(manager, job_worker, point)
    job_worker.wait_reached(point.format(version=release.version))
    published = releases_root / f"v{release.version}"
    assert published.is_dir()
    # when the whole worker dies (no process left to clean up or to redeliver soon)
    job_worker.kill_all()
    job_worker.release(point.format(version=release.version))
    release.refresh_from_db()
    assert release.status == DatasetRelease.Status.BUILDING
    assert release.archive == ""
    # then the sweeper leaves a job younger than the stale limit alone ...
    assert jobs_fail_stale() == {"reports": [], "releases": [], "imports": []}
    # ... and fails it once no healthy job could still be running, removing its files
    later = timezone.now() + timedelta(minutes=settings.EDC_JOB_STALE_MINUTES + 1)
    assert jobs_fail_stale(now=later) == {"reports": [], "releases": [release.pk], "imports": []}
    release.refresh_from_db()
    assert release.status == DatasetRelease.Status.FAILED
    assert release.error == stale_running_reason(settings.EDC_JOB_STALE_MINUTES)
    assert not published.exists()
    assert not list(releases_root.glob(".building-*"))
    # and "Build again" (audited) queues the same version, which a new worker builds
    job_worker.ensure_running()
    client.force_login(manager)
    response = client.post(reverse("releases:release-retry", args=[release.pk]))
    assert response.status_code == 302
    release = wait_for(DatasetRelease, release.pk, finished)
    assert release.status == DatasetRelease.Status.READY, release.error
    assert release.version == 1
    assert DatasetRelease.objects.count() == 1
    assert manifest_verify(Path(settings.MEDIA_ROOT) / release.folder / "unblinded") == []
    retry = AuditEvent.objects.filter(object_id=str(release.pk), action="export").latest("at")
    assert retry.changes["status"] == ["failed", "queued"]


def test_stale_sweeper_fails_reports_left_running_or_never_started() -> None:
    # given a run whose worker died 30 minutes ago and one that no worker ever took
    actor = user_with_role(Role.STATISTICIAN, site=None)
    now = timezone.now()
    stale_minutes = settings.EDC_JOB_STALE_MINUTES
    running = ReportRun.objects.create(
        protocol_code="snrb_peld", created_by=actor, population="itt", mode="correct",
        status=ReportRun.Status.RUNNING, started_at=now - timedelta(minutes=stale_minutes + 1),
    )  # fmt: skip
    fresh = ReportRun.objects.create(
        protocol_code="snrb_peld", created_by=actor, population="itt", mode="correct",
        status=ReportRun.Status.RUNNING, started_at=now - timedelta(minutes=stale_minutes - 1),
    )  # fmt: skip
    never = ReportRun.objects.create(
        protocol_code="snrb_peld", created_by=actor, population="itt", mode="correct"
    )
    ReportRun.objects.filter(pk=never.pk).update(
        created_at=now - timedelta(minutes=settings.EDC_JOB_QUEUED_STALE_MINUTES + 1)
    )
    # when the sweeper runs
    failed = jobs_fail_stale(now=now)
    # then only the dead and the forgotten runs are failed, each with its reason
    assert sorted(failed["reports"]) == sorted([running.pk, never.pk])
    rows = {r.pk: r for r in ReportRun.objects.all()}
    assert rows[fresh.pk].status == ReportRun.Status.RUNNING
    assert rows[running.pk].error == stale_running_reason(stale_minutes)
    assert rows[never.pk].error == stale_queued_reason(settings.EDC_JOB_QUEUED_STALE_MINUTES)
    assert rows[running.pk].finished_at == now


@pytest.mark.requirement("JOB-005")
def test_import_whose_worker_dies_whole_is_failed_by_the_sweeper_and_imported_again(
    job_worker,
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from imports.models import ImportJob
    from imports.services import import_check_start, import_commit_start, import_upload
    from tests.unit.imports.test_import_services import enrolment_csv
    from trial.models import Participant

    # given a checked import whose commit is held by the worker once it has claimed the job
    SiteFactory(code="S01")
    manager = user_with_role(Role.DATA_MANAGER, site=None, username="dm-stale")
    content = enrolment_csv([f"S01-{n:04d}" for n in range(1, 6)]).replace(
        "记录".encode(), b"record_id"
    )
    job = import_upload(
        protocol_code="snrb_peld", actor=manager, upload=SimpleUploadedFile("new.csv", content)
    )
    import_check_start(actor=manager, job=job)
    job = wait_for(ImportJob, job.pk, lambda j: j.status in ("checked", "failed"))
    assert (job.status, job.problem_count) == ("checked", 0), job.error
    point = f"import-{job.pk}-claimed"
    with transaction.atomic():
        import_commit_start(actor=manager, job=job, reason="", accept_warnings=False)
        job_worker.hold(point)
    job_worker.wait_reached(point)
    # when the whole worker dies (no process left to clean up or to redeliver soon)
    job_worker.kill_all()
    job_worker.release(point)
    job.refresh_from_db()
    assert (job.status, job.attempts) == (ImportJob.Status.RUNNING, 1)
    assert not Participant.objects.exists()
    # then the sweeper leaves it alone while a healthy import could still be running ...
    assert jobs_fail_stale()["imports"] == []
    # ... and fails it once none could, with the reason and nothing imported
    later = timezone.now() + timedelta(minutes=settings.EDC_JOB_STALE_MINUTES + 1)
    assert jobs_fail_stale(now=later) == {"reports": [], "releases": [], "imports": [job.pk]}
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert job.error == stale_running_reason(settings.EDC_JOB_STALE_MINUTES)
    assert not Participant.objects.exists()
    # and a new worker checks and imports the same file again
    job_worker.ensure_running()
    import_check_start(actor=manager, job=job)
    job = wait_for(ImportJob, job.pk, lambda j: j.status in ("checked", "failed"))
    import_commit_start(actor=manager, job=job, reason="", accept_warnings=False)
    job = wait_for(ImportJob, job.pk, lambda j: j.status in ("succeeded", "failed"))
    assert job.status == ImportJob.Status.SUCCEEDED, job.error
    assert Participant.objects.count() == 5
