"""A data manager declares a data cut; a statistician downloads the release zip."""

from __future__ import annotations

import random
import zipfile

import pytest

from tests.browser.test_participant_journey import login
from tests.factories import SiteFactory, user_with_role
from tests.integration.test_release_job import release_media  # noqa: F401  (fixture)
from tests.unit.analysis.test_report_datasets import complete_participant
from trial.models import AuditEvent, Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.usefixtures("release_media")
def test_data_manager_cuts_and_statistician_downloads_the_zip(
    page, celery_worker, tmp_path
) -> None:
    # given a small trial, a data manager and a statistician
    manager = user_with_role(Role.DATA_MANAGER, site=None, username="dm")
    user_with_role(Role.STATISTICIAN, site=None, username="stat")
    site = SiteFactory()
    rng = random.Random(21)
    for arm in "SP" * 2:
        complete_participant(manager, site, arm, rng)
    # when the data manager declares a cut
    login(page, "dm", "en")
    page.goto("/data/releases/")
    page.fill("textarea[name=reason]", "Interim analysis for the DSMB")
    page.get_by_test_id("release-cut").click()
    # then the release page becomes ready
    page.get_by_test_id("release-downloads").wait_for(timeout=90_000)
    page.context.clear_cookies()
    # and the statistician sees it and downloads the zip
    login(page, "stat", "en")
    page.goto("/data/releases/")
    assert page.get_by_test_id("release-cut-form").count() == 0
    page.get_by_test_id("release-row-1").get_by_role("link").click()
    assert "Compared with" not in page.get_by_test_id("release-diff").inner_text()
    with page.expect_download() as info:
        page.get_by_test_id("download-unblinded").click()
    target = tmp_path / "release.zip"
    info.value.save_as(target)
    with zipfile.ZipFile(target) as zf:
        names = zf.namelist()
    assert "snrb_peld-release-v1/wide.sav" in names
    assert "snrb_peld-release-v1/manifest-sha256.txt" in names
    assert AuditEvent.objects.filter(action=AuditEvent.Action.DOWNLOAD,
                                     actor__username="stat").count() == 1  # fmt: skip
