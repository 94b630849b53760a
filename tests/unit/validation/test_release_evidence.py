"""A release records the software version and the SHA-256 of that version's evidence file."""

from __future__ import annotations

import hashlib
import io
import json
import random

import pytest
from django.core.management import call_command

from analysis.models import DatasetRelease
from analysis.releases.builder import release_build_files
from analysis.releases.manifest import manifest_verify
from analysis.releases.services import dataset_release_build, dataset_release_declare
from tests.factories import SiteFactory, user_with_role
from tests.unit.analysis.test_release_writers import PROTOCOL, meta, synthetic_dataset
from tests.unit.analysis.test_report_datasets import complete_participant
from tests.unit.validation.test_report import PASS, results
from trial.models import Role
from validation.evidence import evidence_record, package_version
from validation.paths import git_commit
from validation.results import results_write


@pytest.fixture
def evidence_dir(tmp_path, monkeypatch):
    """``make validation`` of this commit, written to its own folder (EDC_VALIDATION_DIR)."""
    folder = tmp_path / "validation"
    results_write(folder / "results.json", results(git_commit(), [(PASS, ["AUD-001"], "passed")]))
    call_command("validation_report", results=folder / "results.json", out=folder,
                 stdout=io.StringIO())  # fmt: skip
    monkeypatch.setenv("EDC_VALIDATION_DIR", str(folder))
    return folder


def _sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_evidence_of_this_commit_is_its_report_csv_checksum(evidence_dir):
    record = evidence_record(commit=git_commit())
    assert record["sha256"] == _sha256(evidence_dir / "traceability.csv")
    assert (record["file"], record["commit"]) == ("traceability.csv", git_commit())
    assert record["summary"]["verified"] == 1


def test_another_commits_or_a_changed_or_missing_report_is_no_evidence(evidence_dir, tmp_path):
    assert evidence_record(commit="0" * 40) == "none"
    assert evidence_record(commit="") == "none"
    assert evidence_record(commit=git_commit(), folder=tmp_path / "empty") == "none"
    with (evidence_dir / "traceability.csv").open("a") as fh:
        fh.write("AUD-001,edited afterwards\n")
    assert evidence_record(commit=git_commit()) == "none"


@pytest.mark.requirement("EXP-008")
def test_the_manifest_of_each_variant_records_the_software_and_the_evidence(tmp_path):
    about = {"software": {"trialedc": "0.1.0", "git_commit": "abc"},
             "validation_evidence": {"file": "traceability.csv", "sha256": "f" * 64}}  # fmt: skip
    built = release_build_files(data=synthetic_dataset(), protocol=PROTOCOL,
                                meta={**meta(), **about}, media_root=tmp_path,
                                previous=None)  # fmt: skip
    for variant in ("unblinded", "blinded"):
        folder = tmp_path / built.folder / variant
        manifest = json.loads((folder / "manifest.json").read_text())
        assert {k: manifest[k] for k in about} == about
        assert manifest["files"]
        assert manifest_verify(folder) == []


@pytest.fixture
def trial(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    actor = user_with_role(Role.INVESTIGATOR, site=None)
    site = SiteFactory()
    for arm in "SP":
        complete_participant(actor, site, arm, random.Random(7))
    return actor


def _build(actor) -> DatasetRelease:
    release = dataset_release_declare(
        protocol_code="snrb_peld", actor=actor, reason="interim", enqueue=False
    )
    release = dataset_release_build(release_id=release.pk)
    assert release.status == DatasetRelease.Status.READY, release.error
    return release


@pytest.mark.django_db
@pytest.mark.requirement("EXP-008")
def test_a_release_records_the_version_and_the_evidence_checksum_of_its_commit(
    trial, evidence_dir, settings
):
    # when a release is built from a checkout whose `make validation` evidence exists
    release = _build(trial)
    # then its manifest, release.json and database row name the version and the evidence
    folder = settings.MEDIA_ROOT / release.folder / "unblinded"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["software"]["trialedc"] == package_version()
    assert manifest["software"]["git_commit"] == git_commit()
    evidence = manifest["validation_evidence"]
    assert evidence["sha256"] == _sha256(evidence_dir / "traceability.csv")
    assert json.loads((folder / "release.json").read_text())["validation_evidence"] == evidence
    assert release.inputs["validation_evidence"] == evidence
    assert manifest_verify(folder) == []


@pytest.mark.django_db
@pytest.mark.requirement("EXP-008")
def test_a_release_without_evidence_of_its_commit_says_none(trial, tmp_path, monkeypatch):
    monkeypatch.setenv("EDC_VALIDATION_DIR", str(tmp_path / "no-report"))
    release = _build(trial)
    assert release.inputs["validation_evidence"] == "none"
    assert release.inputs["software"]["trialedc"] == package_version()
