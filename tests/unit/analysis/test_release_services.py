"""Release services on the database: immutability, diff, identifying data, audit, command."""

from __future__ import annotations

import io
import random
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command

from analysis.models import DatasetRelease
from analysis.releases.manifest import manifest_verify, sha256_file
from analysis.releases.services import (
    ReleaseError,
    dataset_release_build,
    dataset_release_declare,
    dataset_release_download,
)
from tests.factories import SiteFactory, user_with_role
from tests.unit.analysis.test_report_datasets import complete_participant
from trial.models import AuditEvent, PainVasData, PersonalData, Role, Visit
from trial.services.crfs import crf_save

pytestmark = pytest.mark.django_db
S = DatasetRelease.Status


@pytest.fixture
def trial(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    actor = user_with_role(Role.INVESTIGATOR, site=None)
    site = SiteFactory()
    rng = random.Random(7)
    people = [complete_participant(actor, site, arm, rng) for arm in "SPSP"]
    return actor, people


def build(actor, reason: str = "interim analysis") -> DatasetRelease:
    release = dataset_release_declare(
        protocol_code="snrb_peld", actor=actor, reason=reason, enqueue=False
    )
    release = dataset_release_build(release_id=release.pk)
    assert release.status == S.READY, release.error
    return release


def folder_digests(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): sha256_file(p) for p in root.rglob("*") if p.is_file()}


@pytest.mark.requirement("EXP-002")
def test_later_data_changes_do_not_change_an_existing_release(trial, tmp_path) -> None:
    # given release v1
    actor, people = trial
    v1 = build(actor)
    before = folder_digests(tmp_path / v1.folder)
    # when a value changes through the CRF service and v2 is cut
    p = people[0]
    visit = Visit.objects.get(participant=p, code="admission")
    vas = PainVasData.objects.select_related("instance").get(
        instance__visit=visit, instance__form_code="vas"
    )
    old = vas.leg_vas
    new = Decimal("9.9") if old != Decimal("9.9") else Decimal("0.1")
    answers = {"leg_vas": new, "back_vas": Decimal("1.0")}
    crf_save(actor=actor, participant=p, form_code="vas", visit=visit, complete=True,
             answers=answers, reason="source correction",
             base_revision=vas.instance.revision)  # fmt: skip
    v2 = build(actor, "second cut")
    # then v1's files, manifest and archive are unchanged
    v1.refresh_from_db()
    assert folder_digests(tmp_path / v1.folder) == before
    assert manifest_verify(tmp_path / v1.folder / "unblinded") == []
    assert sha256_file(tmp_path / v1.archive) == v1.archive_sha256
    # and v2 is the next version, and its diff lists the change
    assert (v1.version, v2.version) == (1, 2)
    assert v2.diff["previous_version"] == 1
    changes = {(c[0], c[1]): c[2:] for c in v2.diff["unblinded"]["changes"]}
    assert changes[(p.trial_id, "vas_leg_admission")] == [f"{old:g}", f"{new:g}"]
    assert v2.diff["unblinded"]["rows_added"] == []


def _contains(data: bytes, needles: list[bytes]) -> list[bytes]:
    found = [n for n in needles if n in data]
    if data[:2] == b"PK":  # a zip (the archive, or the XLSX inside it): look inside
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for name in zf.namelist():
                found += _contains(zf.read(name), needles)
    return found


@pytest.mark.requirement("EXP-004")
def test_identifying_data_never_appear_in_a_release(trial, tmp_path) -> None:
    actor, people = trial
    for i, p in enumerate(people):
        PersonalData.objects.filter(participant=p).update(
            full_name=f"Qiuyue Identifiable{i}", hospital_number=f"HN-7731{i}", phone=f"1390000{i}"
        )
    release = build(actor)  # fmt: skip
    needles = [s.encode() for i in range(len(people))
               for s in (f"Identifiable{i}", f"HN-7731{i}", f"1390000{i}")]  # fmt: skip
    for archive in (release.archive, release.blinded_archive):
        assert _contains((tmp_path / archive).read_bytes(), needles) == []


@pytest.mark.requirement("RFC-004")
def test_a_data_cut_needs_a_reason_and_creates_nothing_without_one(trial) -> None:
    actor, _ = trial
    with pytest.raises(ReleaseError) as err:
        dataset_release_declare(protocol_code="snrb_peld", actor=actor, reason="  ", enqueue=False)
    assert err.value.code == "reason_required"
    assert not DatasetRelease.objects.exists()


@pytest.mark.requirement("EXP-005")
def test_a_data_cut_is_audited_as_an_export(trial) -> None:
    actor, _ = trial
    release = dataset_release_declare(
        protocol_code="snrb_peld", actor=actor, reason="DSMB", enqueue=False
    )
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT, object_id=str(release.pk))
    assert event.reason == "DSMB"


@pytest.mark.requirement("LCK-003")
def test_a_cut_declared_on_a_locked_database_is_a_lock_release(trial) -> None:
    from trial.services.locks import database_set_state

    actor, _ = trial
    cut = dataset_release_declare(
        protocol_code="snrb_peld", actor=actor, reason="interim", enqueue=False
    )
    for state in ("frozen", "locked"):
        database_set_state(actor=actor, protocol_code="snrb_peld", state=state, reason="")
    final = dataset_release_declare(
        protocol_code="snrb_peld", actor=actor, reason="final lock", enqueue=False
    )
    assert (cut.kind, final.kind) == ("data_cut", "lock")


@pytest.mark.requirement("BLD-006", "EXP-005")
def test_download_is_audited_and_blinded_users_get_only_the_blinded_variant(trial) -> None:
    actor, _ = trial
    release = build(actor)
    with pytest.raises(ReleaseError) as err:
        dataset_release_download(actor=actor, release=release, variant="unblinded", blinded=True)
    assert err.value.code == "variant_forbidden"
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.DOWNLOAD).exists()
    path = dataset_release_download(actor=actor, release=release, variant="blinded", blinded=True)
    assert path.name.endswith("-blinded.zip")
    event = AuditEvent.objects.get(action=AuditEvent.Action.DOWNLOAD)
    assert event.object_id == str(release.pk)
    assert event.changes["variant"] == [None, "blinded"]


def test_release_create_command_prints_the_folder_and_the_archive(trial, tmp_path) -> None:
    out = io.StringIO()
    call_command("release_create", cut="final analysis", stdout=out)
    folder, archive = out.getvalue().split()
    assert Path(folder) == tmp_path / "releases" / "snrb_peld" / "v1"
    assert Path(archive).is_file()
    release = DatasetRelease.objects.get()
    assert release.reason == "final analysis"
    assert "manage.py" in release.created_by_name


@pytest.mark.requirement("EXP-003")
def test_a_failed_build_is_marked_failed_and_publishes_nothing(trial, tmp_path, monkeypatch):
    from analysis.releases import builder

    actor, _ = trial
    monkeypatch.setattr(builder, "write_odm", lambda *a, **k: 1 / 0)
    release = dataset_release_declare(
        protocol_code="snrb_peld", actor=actor, reason="x", enqueue=False
    )
    release = dataset_release_build(release_id=release.pk)
    assert release.status == S.FAILED
    assert "ZeroDivisionError" in release.error
    assert not (tmp_path / "releases" / "snrb_peld" / "v1").exists()


def test_statistician_sees_and_downloads_but_cannot_declare(trial, client) -> None:
    actor, _ = trial
    release = build(actor)
    client.force_login(user_with_role(Role.STATISTICIAN, site=None))
    page = client.get("/data/releases/")
    assert page.status_code == 200
    assert b"release-cut-form" not in page.content
    assert client.post("/data/releases/", {"reason": "x"}).status_code == 403
    detail = client.get(f"/data/releases/{release.pk}/")
    assert b"download-unblinded" in detail.content
    response = client.get(f"/data/releases/{release.pk}/download/unblinded/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content)[:2] == b"PK"
    assert AuditEvent.objects.filter(action=AuditEvent.Action.DOWNLOAD).count() == 1


def test_data_manager_declares_a_cut_and_a_nurse_is_refused(trial, client) -> None:
    client.force_login(user_with_role(Role.DATA_MANAGER, site=None))
    assert client.post("/data/releases/", {"reason": ""}).status_code == 200  # form error
    assert not DatasetRelease.objects.exists()
    response = client.post("/data/releases/", {"reason": "interim"})
    release = DatasetRelease.objects.get()
    assert response.status_code == 302
    assert response.url == f"/data/releases/{release.pk}/"
    client.force_login(user_with_role(Role.RESEARCH_NURSE, site=SiteFactory()))
    assert client.get("/data/releases/").status_code == 403
