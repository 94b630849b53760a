"""Assemble a release folder: both variants, their manifests, zips and the diff.

Everything is written into a hidden ``.building-*`` folder next to the published ones
(same file system) and moved into place with one ``os.rename``: a release folder is either
complete or absent, and a failed build leaves nothing published. Published files are made
read-only.
"""

from __future__ import annotations

import csv
import json
import os
import pickle
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
from analysis.releases.manifest import MANIFEST_JSON, MANIFEST_TXT, manifest_write, sha256_file
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


def release_folder(media_root: Path, protocol_code: str, version: int) -> Path:
    """Return the folder of the trial's release ``version``:
    ``MEDIA_ROOT/releases/<protocol code>/v<version>`` (each trial numbers its own)."""
    return media_root / "releases" / protocol_code / f"v{version}"


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


def _zip(folder: Path, archive: Path, top: str) -> None:
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():  # ZipFile.write streams the file in blocks
                zf.write(path, f"{top}/{path.relative_to(folder).as_posix()}")


def _read_only(root: Path) -> None:
    for path in root.rglob("*"):
        if path.is_file():
            path.chmod(stat.S_IRUSR | stat.S_IRGRP)


# The staged build (docs/releases.md "How a release is built"). One staging folder
# ``releases/.building-v<N>-*`` holds the extract, the parts as they are written, and
# ``out/``: the tree that is published by one rename once every part is there.
EXTRACT, WORK, DONE, OUT = "_extract", "_work", "_done", "out"
FRAMES_FILE, METAS_FILE = "frames.pickle", "metas.json"
COPIED_FRAMES = ("wide", "long")  # written by PostgreSQL at extraction when it can
PARTS = ("csv", "sav", "dta", "parquet", "xlsx", "odm", "meta")  # slowest near the front


def staging_open(media_root: Path, protocol_code: str, version: int) -> Path:
    """Create the hidden staging folder of the trial's release ``version`` and return it."""
    final = release_folder(media_root, protocol_code, version)
    if final.exists():
        raise FileExistsError(f"{final} already exists; a release is never overwritten")
    final.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".building-v{version}-", dir=final.parent))


def stage_extract(
    staging: Path, *, data: Dataset, protocol: Protocol, meta: dict[str, Any],
    previous: Path | None,
) -> list[tuple[str, str]]:  # fmt: skip
    """Write the unblinded frames and both variants' metadata once; return the parts to write.

    The blinded variant is not stored: each part derives it from the unblinded rows
    (``blinded_frames``: a column transform).
    """
    unblinded = unblinded_frames(data, protocol)
    mapping = previous_mapping(previous) or blinding_mapping(protocol)
    hidden = sorted(arm_revealing(protocol, release_variables(protocol)))
    metas = {
        "unblinded": {**meta, "variant": "unblinded", "blinding_key": mapping},
        "blinded": {**meta, "variant": "blinded", "removed_columns": hidden},
    }
    folder = staging / EXTRACT
    folder.mkdir(exist_ok=True)
    with (folder / FRAMES_FILE).open("wb") as fh:  # our own file, read back only by us
        pickle.dump(unblinded.frames, fh, protocol=pickle.HIGHEST_PROTOCOL)
    (folder / METAS_FILE).write_text(json.dumps(metas, default=str), encoding="utf-8")
    for sub in (WORK, DONE, OUT):
        (staging / sub).mkdir(exist_ok=True)
    job_checkpoint(f"release-v{meta['version']}-extracted")
    return [(variant, part) for part in PARTS for variant in VARIANTS]


def staged_metas(staging: Path) -> dict[str, dict[str, Any]]:
    """Return both variants' metadata as staged by :func:`stage_extract`."""
    return json.loads((staging / EXTRACT / METAS_FILE).read_text(encoding="utf-8"))


def staged_frames(staging: Path, protocol: Protocol, variant: str) -> ReleaseFrames:
    """Return one variant's frames: the staged unblinded rows, or their blinded transform."""
    with (staging / EXTRACT / FRAMES_FILE).open("rb") as fh:
        frames = pickle.load(fh)  # noqa: S301 - written by stage_extract into our own folder
    unblinded = ReleaseFrames("unblinded", frames, release_variables(protocol))
    if variant == "unblinded":
        return unblinded
    mapping = staged_metas(staging)["unblinded"]["blinding_key"]
    return blinded_frames(unblinded, protocol, mapping)


def staged_csv(staging: Path) -> dict[str, Path]:
    """The unblinded wide and long CSVs PostgreSQL wrote at extraction (``COPY``), if any."""
    found = {name: staging / EXTRACT / f"{name}.csv" for name in COPIED_FRAMES}
    return found if all(path.is_file() for path in found.values()) else {}


def blind_csv(source: Path, target: Path, *, drop: set[str], mapping: dict[str, str]) -> None:
    """Write the blinded variant of an unblinded CSV, streamed row by row: the same column
    transform as ``blinded_frames`` (arm-revealing columns dropped, the arm masked)."""
    with source.open(encoding="utf-8", newline="") as inp, \
            target.open("w", encoding="utf-8", newline="") as out:  # fmt: skip
        rows = csv.reader(inp)
        header = next(rows)
        keep = [i for i, name in enumerate(header) if name not in drop]
        arm = header.index("arm")
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([header[i] for i in keep])
        for row in rows:
            row[arm] = mapping[row[arm]] if row[arm] else ""
            writer.writerow([row[i] for i in keep])


def _write_csv_part(release: ReleaseFrames, staging: Path, protocol: Protocol,
                    folder: Path) -> None:  # fmt: skip
    copied = staged_csv(staging)
    for name, frame in release.frames.items():
        path = folder / f"{name}.csv"
        if name not in copied:
            W.write_csv(frame, path)
        elif release.variant == "unblinded":
            shutil.copyfile(copied[name], path)
        else:
            mapping = staged_metas(staging)["unblinded"]["blinding_key"]
            hidden = set(staged_metas(staging)["blinded"]["removed_columns"])
            blind_csv(copied[name], path, drop=hidden if name == "wide" else set(),
                      mapping=mapping)  # fmt: skip


def _write_part(
    release: ReleaseFrames, part: str, protocol: Protocol, meta: dict[str, Any], folder: Path,
    staging: Path | None = None,
) -> None:  # fmt: skip
    if part == "csv" and staging is not None:
        _write_csv_part(release, staging, protocol, folder)
    elif part in ("csv", "sav", "dta", "parquet"):
        write = {"csv": lambda f, _v, p: W.write_csv(f, p), "sav": W.write_sav,
                 "dta": W.write_dta, "parquet": W.write_parquet}[part]  # fmt: skip
        for name, frame in release.frames.items():
            write(frame, release.variables_of(name), folder / f"{name}.{part}")
    elif part == "xlsx":
        W.write_xlsx(release, folder / "dataset.xlsx")
    elif part == "odm":
        write_odm(release, protocol, meta, folder / "odm.xml")
    elif part == "meta":
        if release.variant == "blinded":  # the checksum of the data this variant holds
            meta["data_checksum"] = _frames_checksum(release)
        W.write_r_script(release, meta["title"], folder / W.R_SCRIPT)
        W.write_codebook_csv(release, folder / "codebook.csv")
        W.write_codebook_html(release, f"{meta['title']} — codebook", folder / "codebook.html")
        (folder / RELEASE_JSON).write_text(json.dumps(meta, indent=2, default=str) + "\n",
                                           "utf-8")  # fmt: skip
    else:
        raise ValueError(f"unknown release part {part!r}")


def stage_part(staging: Path, protocol: Protocol, variant: str, part: str) -> None:
    """Write one format of one variant into ``out/<variant>/`` (safe to run again).

    The files are written into a work folder of their own and moved into place only when
    all are complete, then the part is marked done; a part killed midway leaves no file in
    ``out/`` that a later attempt would not replace.
    """
    meta = staged_metas(staging)[variant]
    work = staging / WORK / f"{variant}-{part}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    _write_part(staged_frames(staging, protocol, variant), part, protocol, meta, work, staging)
    target = staging / OUT / variant
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted(work.iterdir()):
        os.replace(path, target / path.name)
    work.rmdir()
    job_checkpoint(f"release-v{meta['version']}-{variant}-{part}-written")
    (staging / DONE / f"{variant}-{part}").touch()


def staged_missing(staging: Path) -> list[str]:
    """Return the parts not yet written (empty when the release can be published)."""
    names = [f"{variant}-{part}" for part in PARTS for variant in VARIANTS]
    return [name for name in names if not (staging / DONE / name).exists()]


def _archive_name(base: str, variant: str) -> str:
    return f"{base}.zip" if variant == "unblinded" else f"{base}-blinded.zip"


def stage_publish(staging: Path, *, protocol_code: str, previous: Path | None) -> BuiltRelease:
    """Write README, manifests and zips, then publish ``out/`` by one rename.

    Refuses (``RuntimeError``) when a part is missing: nothing partial is ever published.
    Safe to run again: a run killed after the rename finds the folder published and only
    describes it.
    """
    metas = staged_metas(staging)
    version = metas["unblinded"]["version"]
    base, out = f"{protocol_code}-release-v{version}", staging / OUT
    final = staging.parent / f"v{version}"  # beside its staging folder
    where = f"releases/{staging.parent.name}/v{version}"  # relative to MEDIA_ROOT
    if out.is_dir() or not final.is_dir():
        missing = staged_missing(staging)
        if missing:
            raise RuntimeError(f"release parts missing: {', '.join(missing)}")
        _publish(out, final, base)
    job_checkpoint(f"release-v{version}-published")
    diff: dict[str, Any] = {"previous_version": metas["unblinded"].get("previous")}
    manifest, archives, sums = {}, {}, {}
    for variant in VARIANTS:
        manifest[variant] = json.loads((final / variant / MANIFEST_JSON).read_text("utf-8"))
        old = previous / variant / "wide.csv" if previous else None
        diff[variant] = release_diff(old, final / variant / "wide.csv", ignore=("arm",))
        archives[variant] = f"{where}/{_archive_name(base, variant)}"
        sums[variant] = sha256_file(final / _archive_name(base, variant))
    shutil.rmtree(staging, ignore_errors=True)
    return BuiltRelease(where, archives, sums, manifest, diff)


def _publish(out: Path, final: Path, base: str) -> None:
    for path in out.rglob("*"):  # an earlier attempt of this step may have made them read-only
        path.chmod(0o755 if path.is_dir() else 0o644)
    for variant in VARIANTS:
        folder = out / variant
        meta = json.loads((folder / RELEASE_JSON).read_text(encoding="utf-8"))
        files = sorted(p.name for p in folder.iterdir()
                       if p.name not in ("README.txt", MANIFEST_JSON, MANIFEST_TXT))  # fmt: skip
        W.write_readme(meta, [*sorted([*files, "README.txt"]), MANIFEST_JSON, MANIFEST_TXT],
                       folder / "README.txt")  # fmt: skip
        manifest_write(folder, about={k: meta[k] for k in MANIFEST_ABOUT if k in meta})
        top = base if variant == "unblinded" else f"{base}-blinded"
        _zip(folder, out / _archive_name(base, variant), top)
        job_checkpoint(f"release-v{meta['version']}-{variant}-written")
    _read_only(out)
    out.chmod(0o755)
    os.rename(out, final)  # atomic on one file system; fails if ``final`` appeared


def release_build_files(
    *, data: Dataset, protocol: Protocol, meta: dict[str, Any], media_root: Path,
    previous: Path | None,
) -> BuiltRelease:  # fmt: skip
    """Write both variants of release ``meta['version']`` in this process, publish atomically.

    The same steps as the Celery workflow (``analysis.releases.services``), one after another.
    """
    staging = staging_open(media_root, protocol.code, meta["version"])
    try:
        parts = stage_extract(staging, data=data, protocol=protocol, meta=meta, previous=previous)
        for variant, part in parts:
            stage_part(staging, protocol, variant, part)
        return stage_publish(staging, protocol_code=protocol.code, previous=previous)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def release_unpublish(media_root: Path, protocol_code: str, version: int) -> None:
    """Remove a published folder whose database row could not be saved (never a ready one)."""
    shutil.rmtree(release_folder(media_root, protocol_code, version), ignore_errors=True)


def release_discard_unpublished(
    media_root: Path, protocol_code: str, version: int, cut_at: str
) -> None:
    """Remove what a killed build of release ``version`` (cut at ``cut_at``) left behind.

    Call only for a row that is not ready. A build killed mid-way leaves its hidden
    ``.building-v<version>-*`` folder; one killed between the rename and the database update
    leaves a ``v<version>`` folder that no ready row points to (never downloadable). That
    folder is removed only if its ``release.json`` names the same cut: a folder of another
    database sharing this media root is never touched.
    """
    parent = release_folder(media_root, protocol_code, version).parent
    for leftover in parent.glob(f".building-v{version}-*") if parent.is_dir() else ():
        shutil.rmtree(leftover, ignore_errors=True)
    meta = release_folder(media_root, protocol_code, version) / "unblinded" / RELEASE_JSON
    try:
        published_cut = json.loads(meta.read_text(encoding="utf-8")).get("cut_at")
    except (OSError, ValueError):
        return
    if published_cut == cut_at:
        release_unpublish(media_root, protocol_code, version)
