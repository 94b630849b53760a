"""Reports on locked data: a run reads a published release's Parquet files (or the labelled
live extract), records which, and computes the same numbers from either."""

from __future__ import annotations

import random
from pathlib import Path

import pandas as pd
import pytest
from django.conf import settings as django_settings

from analysis.datasets.builders import dataset_build
from analysis.models import DatasetRelease, ReportRun
from analysis.plans import get_plan
from analysis.releases.reader import release_dataset
from analysis.releases.services import dataset_release_build, dataset_release_declare
from analysis.services import ReportSourceError, report_run_create, report_run_execute
from tests.factories import SiteFactory, user_with_role
from tests.unit.analysis.test_report_datasets import complete_participant
from trial.models import Role

pytestmark = pytest.mark.django_db
PLAN = get_plan("snrb_peld")


@pytest.fixture
def released(settings, tmp_path):
    """A small trial (one participant not per protocol) and its published release v1."""
    settings.MEDIA_ROOT = tmp_path
    actor = user_with_role(Role.INVESTIGATOR, site=None)
    site = SiteFactory(code="S01")
    rng = random.Random(11)
    for arm in "SPSPSPSP":
        complete_participant(actor, site, arm, rng)
    release = dataset_release_declare(
        protocol_code="snrb_peld", actor=actor, reason="interim", enqueue=False
    )
    release = dataset_release_build(release_id=release.pk)
    assert release.status == DatasetRelease.Status.READY, release.error
    return release


def run(population: str, *, blinded: bool = False, release=None) -> ReportRun:
    actor = user_with_role(Role.STATISTICIAN, site=None)
    created = report_run_create(protocol_code="snrb_peld", actor=actor, population=population,
                                mode="correct", blinded=blinded, release=release)  # fmt: skip
    done = report_run_execute(run_id=created.pk)
    assert done.status == ReportRun.Status.SUCCEEDED, done.error
    return done


def folder(release: DatasetRelease, variant: str) -> Path:
    return Path(django_settings.MEDIA_ROOT) / release.folder / variant


@pytest.mark.requirement("EXP-011")
def test_a_release_reads_back_as_the_dataset_it_was_cut_from(released) -> None:
    for population in ("itt", "pp"):
        live = dataset_build(plan=PLAN, population=population)
        read = release_dataset(folder(released, "unblinded"), protocol_code="snrb_peld",
                               population=population, released="itt")  # fmt: skip
        for name in ("wide", "long", "screening"):
            pd.testing.assert_frame_equal(getattr(read, name), getattr(live, name))
        assert read.checksum == live.checksum
        assert read.scorer_versions == live.scorer_versions
    assert dataset_build(plan=PLAN, population="itt").checksum == released.data_checksum


@pytest.mark.requirement("EXP-011")
def test_a_report_on_a_release_equals_the_live_report_of_the_same_data(released) -> None:
    for population in ("itt", "pp"):
        live, snapshot = run(population), run(population, release=released)
        assert snapshot.result["consort"] == live.result["consort"]
        assert snapshot.result == live.result
        assert snapshot.inputs["checksum_sha256"] == live.inputs["checksum_sha256"]
    # and each records its source: the release (number, variant, checksums) or the live data
    assert live.data_source == ReportRun.Source.LIVE
    assert live.inputs["data"] == "Live extract, not locked"
    assert "release_version" not in live.inputs
    assert snapshot.data_source == ReportRun.Source.SNAPSHOT
    assert snapshot.inputs["release_version"] == released.version
    assert snapshot.inputs["release_variant"] == "unblinded"
    assert snapshot.inputs["release_data_checksum"] == released.data_checksum
    assert snapshot.inputs["release_archive_sha256"] == released.archive_sha256
    assert snapshot.inputs["data"].startswith(f"Dataset release v{released.version} (")


@pytest.mark.requirement("EXP-011", "BLD-004")
def test_a_pooled_report_on_a_release_reads_its_blinded_variant(released) -> None:
    live, snapshot = run("itt", blinded=True), run("itt", blinded=True, release=released)
    assert snapshot.inputs["release_variant"] == "blinded"
    assert snapshot.inputs["release_archive_sha256"] == released.blinded_archive_sha256
    # the unblinded data's checksum is never shown to a pooled reader
    assert released.data_checksum not in str(snapshot.inputs)
    assert released.blinded_archive_sha256 in snapshot.source_label
    assert snapshot.result["consort"] == live.result["consort"]
    assert snapshot.result["tables"][0] == live.result["tables"][0]  # baseline, pooled
    assert "arm" not in str(snapshot.result["tables"][0].get("columns", ""))


def test_a_release_that_cannot_hold_the_run_is_refused(released) -> None:
    actor = user_with_role(Role.STATISTICIAN, site=None)
    with pytest.raises(ReportSourceError):
        report_run_create(protocol_code="snrb_peld", actor=actor, population="itt",
                          mode="correct", blinded=False, release=released,
                          sites=("S01",))  # fmt: skip
    DatasetRelease.objects.filter(pk=released.pk).update(population="pp")
    released.refresh_from_db()
    with pytest.raises(ReportSourceError):
        report_run_create(protocol_code="snrb_peld", actor=actor, population="itt",
                          mode="correct", blinded=False, release=released)  # fmt: skip
    assert not ReportRun.objects.exists()


@pytest.mark.requirement("EXP-011")
def test_the_report_page_offers_the_releases_and_shows_the_source(released, client) -> None:
    # given a statistician on the report page
    client.force_login(user_with_role(Role.STATISTICIAN, site=None))
    page = client.get("/reports/")
    assert f'value="{released.pk}"'.encode() in page.content
    assert b"Live extract (not locked): for monitoring only" in page.content
    # when a report on the release is started with a site ticked, it is refused with the reason
    data = {"release": released.pk, "population": "itt", "mode": "correct", "language": "en"}
    refused = client.post("/reports/", {**data, "sites": ["S01"]})
    assert refused.status_code == 200
    assert b"A report on a release covers every site" in refused.content
    assert not ReportRun.objects.exists()
    # then without sites it runs on the release, and the page names the release
    response = client.post("/reports/", data)
    snapshot = ReportRun.objects.get()
    assert response.status_code == 302
    assert (snapshot.release, snapshot.data_source) == (released, ReportRun.Source.SNAPSHOT)
    snapshot = report_run_execute(run_id=snapshot.pk)  # the worker's part, here in-process
    assert snapshot.status == ReportRun.Status.SUCCEEDED, snapshot.error
    detail = client.get(f"/reports/{snapshot.pk}/").content.decode()
    assert f"Dataset release v{released.version} (unblinded, locked)" in detail
    assert released.archive_sha256 in detail
    client.post("/reports/", {**data, "release": ""})
    live = report_run_execute(run_id=ReportRun.objects.exclude(pk=snapshot.pk).get().pk)
    assert live.data_source == ReportRun.Source.LIVE
    assert "Live extract, not locked" in client.get(f"/reports/{live.pk}/").content.decode()
    # and in Chinese
    client.cookies["django_language"] = "zh-hans"
    zh = client.get(f"/reports/{live.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "实时提取，未锁定" in zh


def test_a_site_bound_user_reports_on_the_live_extract_only(released, client) -> None:
    client.force_login(user_with_role(Role.INVESTIGATOR, site=SiteFactory(code="S02")))
    page = client.get("/reports/")
    assert page.status_code == 200
    assert b'name="release"' not in page.content
