"""A data cut is built by a real Celery worker (Redis, PostgreSQL) into a verified release."""

from __future__ import annotations

import random
import shutil
import time
from pathlib import Path

import pytest
from django.conf import settings

from analysis.models import DatasetRelease
from analysis.releases.manifest import manifest_verify, sha256_file
from analysis.releases.services import dataset_release_declare
from tests.factories import SiteFactory, user_with_role
from tests.unit.analysis.test_report_datasets import complete_participant
from trial.models import Role

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def release_media():
    """The worker writes under its MEDIA_ROOT (the same setting as this process).

    Folders there without a release row are leftovers of an earlier test database; remove
    them before, and remove what this test published after.
    """
    root = Path(settings.MEDIA_ROOT) / "releases" / "snrb_peld"  # the seed trial's releases

    def clean() -> None:
        known = {f"v{v}" for v in DatasetRelease.objects.values_list("version", flat=True)}
        for folder in root.glob("v*") if root.is_dir() else ():
            if folder.name not in known:
                shutil.rmtree(folder, ignore_errors=True)

    clean()
    yield root
    for folder in root.glob("v*") if root.is_dir() else ():
        shutil.rmtree(folder, ignore_errors=True)


def wait_finished(release_id: int, timeout: float = 120) -> DatasetRelease:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        release = DatasetRelease.objects.get(pk=release_id)
        if release.is_finished:
            return release
        time.sleep(0.3)
    pytest.fail(f"release {release_id} did not finish within {timeout} s")


@pytest.mark.requirement("JOB-001")
def test_release_is_built_by_a_real_worker(celery_worker, release_media) -> None:
    # given a small trial and a data manager
    actor = user_with_role(Role.DATA_MANAGER, site=None)
    site = SiteFactory()
    rng = random.Random(13)
    for arm in "SP" * 3:
        complete_participant(actor, site, arm, rng)
    # when a data cut is declared (queued on commit)
    release = dataset_release_declare(
        protocol_code="snrb_peld", actor=actor, reason="interim analysis"
    )
    assert release.status == DatasetRelease.Status.QUEUED
    release = wait_finished(release.pk)
    # then the worker published a verified release with both archives
    assert release.status == DatasetRelease.Status.READY, release.error
    assert release.n_participants == 6
    folder = Path(settings.MEDIA_ROOT) / release.folder
    assert manifest_verify(folder / "unblinded") == []
    assert manifest_verify(folder / "blinded") == []
    assert sha256_file(Path(settings.MEDIA_ROOT) / release.archive) == release.archive_sha256
    assert release.diff["unblinded"]["rows_added"] == sorted(
        release.diff["unblinded"]["rows_added"]
    )
    assert len(release.diff["blinded"]["rows_added"]) == 6
    assert not list(release_media.glob(".building-*"))
