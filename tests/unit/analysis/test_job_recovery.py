"""Job recovery rules on the database: attempts, leftovers of a killed build, run again."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from analysis.models import DatasetRelease, ReportRun
from analysis.releases.builder import release_discard_unpublished, release_folder
from analysis.releases.services import (
    ReleaseError,
    dataset_release_build,
    dataset_release_declare,
    dataset_release_fail,
    dataset_release_retry,
)
from analysis.services import report_run_execute, report_run_rerun
from jobs.lifecycle import attempts_exhausted_reason
from tests.factories import SiteFactory, user_with_role
from tests.unit.analysis.test_report_datasets import complete_participant
from trial.models import AuditEvent, Role

pytestmark = pytest.mark.django_db
S = DatasetRelease.Status


@pytest.fixture
def manager(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    actor = user_with_role(Role.DATA_MANAGER, site=None)
    site, rng = SiteFactory(), random.Random(9)
    for arm in "SP":
        complete_participant(actor, site, arm, rng)
    return actor


def fake_published(root: Path, version: int, cut_at: str) -> Path:
    folder = release_folder(root, "snrb_peld", version)
    (folder / "unblinded").mkdir(parents=True)
    (folder / "unblinded" / "release.json").write_text(json.dumps({"cut_at": cut_at}))
    return folder


@pytest.mark.requirement("JOB-003")
def test_a_redelivered_report_past_its_attempts_is_failed_without_running(settings) -> None:
    # given a run whose worker died on each of its allowed attempts
    actor = user_with_role(Role.STATISTICIAN, site=None)
    run = ReportRun.objects.create(
        protocol_code=settings.EDC_PROTOCOL, created_by=actor, population="itt",
        mode="correct", status=ReportRun.Status.RUNNING, attempts=settings.EDC_JOB_MAX_ATTEMPTS,
    )  # fmt: skip
    # when Celery delivers it once more
    run = report_run_execute(run_id=run.pk)
    # then it is failed with the reason and not run again
    assert run.status == ReportRun.Status.FAILED
    assert run.error == attempts_exhausted_reason(settings.EDC_JOB_MAX_ATTEMPTS)
    assert run.attempts == settings.EDC_JOB_MAX_ATTEMPTS
    assert run.result == {}


def test_a_finished_report_is_not_run_again_by_a_late_delivery(settings) -> None:
    actor = user_with_role(Role.STATISTICIAN, site=None)
    run = ReportRun.objects.create(
        protocol_code=settings.EDC_PROTOCOL, created_by=actor, population="itt",
        mode="correct", status=ReportRun.Status.FAILED, error="stale",
    )  # fmt: skip
    run = report_run_execute(run_id=run.pk)
    assert (run.status, run.error, run.attempts) == (ReportRun.Status.FAILED, "stale", 0)


@pytest.mark.requirement("JOB-003")
def test_only_a_failed_report_can_be_run_again(settings) -> None:
    actor = user_with_role(Role.STATISTICIAN, site=None)
    run = ReportRun.objects.create(
        protocol_code=settings.EDC_PROTOCOL, created_by=actor, population="itt", mode="correct"
    )
    with pytest.raises(ValueError, match="only a failed report"):
        report_run_rerun(actor=actor, run_id=run.pk, blinded=False)
    assert ReportRun.objects.count() == 1


def test_a_second_attempt_replaces_the_folder_its_killed_first_attempt_published(
    manager, tmp_path
) -> None:
    # given a release whose first attempt died after moving its folder into place
    release = dataset_release_declare(
        protocol_code="snrb_peld", actor=manager, reason="interim", enqueue=False
    )
    DatasetRelease.objects.filter(pk=release.pk).update(status=S.BUILDING, attempts=1)
    stale = fake_published(tmp_path, release.version, release.cut_at.isoformat())
    (tmp_path / "releases" / "snrb_peld" / f".building-v{release.version}-dead").mkdir()
    # when the redelivered task builds it
    release = dataset_release_build(release_id=release.pk)
    # then the leftovers are gone and a complete release is published
    assert release.status == S.READY, release.error
    assert release.attempts == 2
    assert (stale / "unblinded" / "manifest.json").is_file()
    assert not list((tmp_path / "releases" / "snrb_peld").glob(".building-*"))


def test_a_folder_of_another_cut_is_never_removed(tmp_path) -> None:
    # given v1 published by another database sharing this media root
    foreign = fake_published(tmp_path, 1, "2020-01-01T00:00:00+00:00")
    # when a killed build of our v1 (another cut) is cleaned up
    release_discard_unpublished(tmp_path, "snrb_peld", 1, "2026-06-01T00:00:00+00:00")
    # then the foreign folder stays
    assert (foreign / "unblinded" / "release.json").is_file()


@pytest.mark.requirement("JOB-003")
def test_build_again_requeues_only_a_failed_release_and_is_audited(manager) -> None:
    # given a failed release
    release = dataset_release_declare(
        protocol_code="snrb_peld", actor=manager, reason="interim", enqueue=False
    )
    with pytest.raises(ReleaseError) as refused:
        dataset_release_retry(actor=manager, release_id=release.pk)
    assert refused.value.code == "not_failed"
    dataset_release_fail(release_id=release.pk, reason="The job queue is unavailable: x")
    # when it is built again
    again = dataset_release_retry(actor=manager, release_id=release.pk)
    # then it is queued under the same version, with a new cut time, and audited
    assert (again.status, again.version, again.error, again.attempts) == (S.QUEUED, 1, "", 0)
    assert again.cut_at > release.cut_at
    event = AuditEvent.objects.filter(object_id=str(release.pk)).latest("at")
    assert event.changes["status"] == ["failed", "queued"]
    assert "The job queue is unavailable" in event.reason
