"""A release folder: manifest verifies (also with sha256sum -c), blinding, atomic publish."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from analysis.releases import builder
from analysis.releases.builder import release_build_files
from analysis.releases.manifest import manifest_verify
from tests.unit.analysis.test_release_writers import PROTOCOL, meta, synthetic_dataset


@pytest.fixture
def built(tmp_path):
    return release_build_files(data=synthetic_dataset(), protocol=PROTOCOL, meta=meta(),
                               media_root=tmp_path, previous=None)  # fmt: skip


@pytest.mark.requirement("EXP-001")
def test_manifest_verifies_and_sha256sum_agrees(built, tmp_path) -> None:
    for variant in ("unblinded", "blinded"):
        folder = tmp_path / built.folder / variant
        assert manifest_verify(folder) == []
        if shutil.which("sha256sum"):
            out = subprocess.run(["sha256sum", "-c", "manifest-sha256.txt"], cwd=folder,
                                 capture_output=True, text=True, check=False)  # fmt: skip
            assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.requirement("EXP-001")
def test_manifest_detects_one_changed_byte(built, tmp_path) -> None:
    # given a published release, when one byte of a file changes
    path = tmp_path / built.folder / "unblinded" / "wide.csv"
    path.chmod(0o644)
    data = bytearray(path.read_bytes())
    data[-2] = ord("9") if data[-2] != ord("9") else ord("8")
    path.write_bytes(bytes(data))
    # then the manifest no longer verifies, naming the file
    assert manifest_verify(tmp_path / built.folder / "unblinded") == ["changed: wide.csv"]


def test_release_holds_every_format_and_both_zips(built, tmp_path) -> None:
    names = {p.name for p in (tmp_path / built.folder / "unblinded").iterdir()}
    assert names >= {"wide.csv", "long.csv", "screening.csv", "dataset.xlsx", "wide.sav",
                     "wide.dta", "long.sav", "long.dta", "odm.xml", "codebook.csv",
                     "codebook.html", "README.txt", "manifest.json", "manifest-sha256.txt",
                     "release.json"}  # fmt: skip
    assert (tmp_path / built.archives["unblinded"]).is_file()
    assert (tmp_path / built.archives["blinded"]).is_file()
    readme = (tmp_path / built.folder / "unblinded" / "README.txt").read_text()
    assert "sha256sum -c manifest-sha256.txt" in readme


@pytest.mark.requirement("BLD-006")
def test_blinded_variant_hides_the_arm_and_the_mapping(built, tmp_path) -> None:
    unblinded = tmp_path / built.folder / "unblinded"
    blinded = tmp_path / built.folder / "blinded"
    key = json.loads((unblinded / "release.json").read_text())["blinding_key"]
    assert sorted(key.values()) == ["A", "B"]
    assert "blinding_key" not in json.loads((blinded / "release.json").read_text())
    for name in ("wide.csv", "long.csv", "screening.csv", "odm.xml", "codebook.csv"):
        text = (blinded / name).read_text()
        assert "SNRB + PELD" not in text, name
    wide = (blinded / "wide.csv").read_text().splitlines()
    arms = {line.split(",")[1] for line in wide[1:]}
    assert arms == {"A", "B"}


@pytest.mark.requirement("EXP-002")
def test_published_files_are_read_only(built, tmp_path) -> None:
    path = tmp_path / built.folder / "unblinded" / "wide.csv"
    assert not path.stat().st_mode & 0o222


@pytest.mark.requirement("EXP-003")
def test_a_failed_build_publishes_nothing(tmp_path, monkeypatch) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(builder, "write_odm", broken)
    with pytest.raises(RuntimeError):
        release_build_files(data=synthetic_dataset(), protocol=PROTOCOL, meta=meta(),
                            media_root=tmp_path, previous=None)  # fmt: skip
    assert list((tmp_path / "releases" / PROTOCOL.code).iterdir()) == []


@pytest.mark.requirement("EXP-002")
def test_an_existing_version_is_never_overwritten(built, tmp_path) -> None:
    with pytest.raises(FileExistsError):
        release_build_files(data=synthetic_dataset(seed=2), protocol=PROTOCOL, meta=meta(),
                            media_root=tmp_path, previous=None)  # fmt: skip


@pytest.mark.requirement("EXP-009")
def test_next_version_keeps_the_mapping_and_diffs_the_previous(built, tmp_path) -> None:
    # given v1, when v2 is built from data with one participant more and one value changed
    data = synthetic_dataset(n=13)
    data.wide.loc[0, "bmi"] = 99.5
    v2 = release_build_files(data=data, protocol=PROTOCOL, meta={**meta(2), "previous": 1},
                             media_root=tmp_path, previous=tmp_path / built.folder)  # fmt: skip
    # then the arm letters stay and the diff names the new row and the changed value
    folder = tmp_path / "releases" / PROTOCOL.code
    key1 = json.loads((folder / "v1/unblinded/release.json").read_text())["blinding_key"]
    key2 = json.loads((folder / "v2/unblinded/release.json").read_text())["blinding_key"]
    assert key1 == key2
    diff = v2.diff["unblinded"]
    assert diff["rows_added"] == ["S01-0013"]
    assert ["S01-0001", "bmi"] == diff["changes"][0][:2]
    assert diff["changes"][0][3] == "99.5"
    assert v2.diff["blinded"]["rows_added"] == ["S01-0013"]
