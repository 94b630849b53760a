"""Assemble a release folder: both variants, their manifests, zips and the diff.

Everything is written into a hidden ``.building-*`` folder next to the published ones
(same file system) and moved into place with one ``os.rename``: a release folder is either
complete or absent, and a failed build leaves nothing published. Published files are made
read-only.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis.checkpoints import job_checkpoint
from analysis.datasets.builders import Dataset, canonical_csv
from analysis.releases import writers as W
from analysis.releases.diff import release_diff
from analysis.releases.frames import (
    ReleaseFrames,
    arm_revealing,
    blinded_frames,
    blinding_mapping,
    release_variables,
    unblinded_frames,
)
from analysis.releases.manifest import manifest_write, sha256_file
from analysis.releases.odm import write_odm
from trial.protocol import Protocol

VARIANTS = ("unblinded", "blinded")
RELEASE_JSON = "release.json"
# What the manifest says about the software that wrote the files (docs/validation/README.md).
MANIFEST_ABOUT = ("software", "validation_evidence")


@dataclass(frozen=True)
class BuiltRelease:
    """Where a published release lives (paths relative to MEDIA_ROOT) and what it holds."""

    folder: str
    archives: dict[str, str]
    archive_sha256: dict[str, str]
    manifest: dict[str, Any]
    diff: dict[str, Any]


def release_folder(media_root: Path, version: int) -> Path:
    """Return the folder of release ``version``: ``MEDIA_ROOT/releases/v<version>``."""
    return media_root / "releases" / f"v{version}"


def previous_mapping(previous: Path | None) -> dict[str, str] | None:
    """Return the blinding mapping of a previous release, so A/B stay the same across cuts."""
    path = previous / "unblinded" / RELEASE_JSON if previous else None
    if path is None or not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8")).get("blinding_key")


def _frames_checksum(release: ReleaseFrames) -> str:
    import hashlib

    digest = hashlib.sha256()
    for name in ("wide", "long"):
        digest.update(canonical_csv(release.frames[name]))
    return digest.hexdigest()


def _write_variant(
    release: ReleaseFrames, protocol: Protocol, meta: dict[str, Any], folder: Path
) -> dict[str, Any]:
    folder.mkdir(parents=True)
    for name, frame in release.frames.items():
        W.write_csv(frame, folder / f"{name}.csv")
        W.write_sav(frame, release.variables_of(name), folder / f"{name}.sav")
        W.write_dta(frame, release.variables_of(name), folder / f"{name}.dta")
    W.write_xlsx(release, folder / "dataset.xlsx")
    W.write_r_script(release, meta["title"], folder / W.R_SCRIPT)
    write_odm(release, protocol, meta, folder / "odm.xml")
    W.write_codebook_csv(release, folder / "codebook.csv")
    W.write_codebook_html(release, f"{meta['title']} — codebook", folder / "codebook.html")
    (folder / RELEASE_JSON).write_text(json.dumps(meta, indent=2, default=str) + "\n", "utf-8")
    files = sorted(p.name for p in folder.iterdir()) + ["README.txt"]
    W.write_readme(meta, [*sorted(files), "manifest.json", "manifest-sha256.txt"],
                   folder / "README.txt")  # fmt: skip
    return manifest_write(folder, about={k: meta[k] for k in MANIFEST_ABOUT if k in meta})


def _zip(folder: Path, archive: Path, top: str) -> None:
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():  # ZipFile.write streams the file in blocks
                zf.write(path, f"{top}/{path.relative_to(folder).as_posix()}")


def _read_only(root: Path) -> None:
    for path in root.rglob("*"):
        if path.is_file():
            path.chmod(stat.S_IRUSR | stat.S_IRGRP)


def _variants(data: Dataset, protocol: Protocol, previous: Path | None) -> tuple[Any, ...]:
    unblinded = unblinded_frames(data, protocol)
    mapping = previous_mapping(previous) or blinding_mapping(protocol)
    return unblinded, blinded_frames(unblinded, protocol, mapping), mapping


def release_build_files(
    *, data: Dataset, protocol: Protocol, meta: dict[str, Any], media_root: Path,
    previous: Path | None,
) -> BuiltRelease:  # fmt: skip
    """Write both variants of release ``meta['version']`` and publish the folder atomically."""
    version, base = meta["version"], f"{protocol.code}-release-v{meta['version']}"
    final = release_folder(media_root, version)
    if final.exists():
        raise FileExistsError(f"{final} already exists; a release is never overwritten")
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".building-v{version}-", dir=final.parent))
    try:
        unblinded, blinded, mapping = _variants(data, protocol, previous)
        hidden = sorted(arm_revealing(protocol, release_variables(protocol)))
        metas = {
            "unblinded": {**meta, "variant": "unblinded", "blinding_key": mapping},
            "blinded": {
                **meta,
                "variant": "blinded",
                "data_checksum": _frames_checksum(blinded),
                "removed_columns": hidden,
            },  # fmt: skip
        }
        manifest, archives, sums, diff = {}, {}, {}, {"previous_version": meta.get("previous")}
        for variant, release in (("unblinded", unblinded), ("blinded", blinded)):
            manifest[variant] = _write_variant(release, protocol, metas[variant], tmp / variant)
            old = previous / variant / "wide.csv" if previous else None
            diff[variant] = release_diff(old, tmp / variant / "wide.csv", ignore=("arm",))
            name = f"{base}.zip" if variant == "unblinded" else f"{base}-blinded.zip"
            top = base if variant == "unblinded" else f"{base}-blinded"
            _zip(tmp / variant, tmp / name, top)
            archives[variant] = f"releases/v{version}/{name}"
            sums[variant] = sha256_file(tmp / name)
            job_checkpoint(f"release-v{version}-{variant}-written")
        _read_only(tmp)
        tmp.chmod(0o755)
        os.rename(tmp, final)  # atomic on one file system; fails if ``final`` appeared
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    job_checkpoint(f"release-v{version}-published")
    return BuiltRelease(f"releases/v{version}", archives, sums, manifest, diff)


def release_unpublish(media_root: Path, version: int) -> None:
    """Remove a published folder whose database row could not be saved (never a ready one)."""
    shutil.rmtree(release_folder(media_root, version), ignore_errors=True)


def release_discard_unpublished(media_root: Path, version: int, cut_at: str) -> None:
    """Remove what a killed build of release ``version`` (cut at ``cut_at``) left behind.

    Call only for a row that is not ready. A build killed mid-way leaves its hidden
    ``.building-v<version>-*`` folder; one killed between the rename and the database update
    leaves a ``v<version>`` folder that no ready row points to (never downloadable). That
    folder is removed only if its ``release.json`` names the same cut: a folder of another
    database sharing this media root is never touched.
    """
    parent = release_folder(media_root, version).parent
    for leftover in parent.glob(f".building-v{version}-*") if parent.is_dir() else ():
        shutil.rmtree(leftover, ignore_errors=True)
    meta = release_folder(media_root, version) / "unblinded" / RELEASE_JSON
    try:
        published_cut = json.loads(meta.read_text(encoding="utf-8")).get("cut_at")
    except (OSError, ValueError):
        return
    if published_cut == cut_at:
        release_unpublish(media_root, version)
