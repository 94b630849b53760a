"""The release manifest: SHA-256 of every file, in ``sha256sum`` format and as JSON."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

MANIFEST_TXT = "manifest-sha256.txt"
MANIFEST_JSON = "manifest.json"
BLOCK = 1 << 20


def sha256_file(path: Path) -> str:
    """Return the SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(BLOCK):
            digest.update(block)
    return digest.hexdigest()


def _listed(folder: Path) -> list[Path]:
    return sorted(
        p for p in folder.rglob("*") if p.is_file() and p.name not in (MANIFEST_TXT, MANIFEST_JSON)
    )


def manifest_write(folder: Path, about: dict[str, Any] | None = None) -> dict[str, Any]:
    """Checksum every file of ``folder``; write manifest.json, then manifest-sha256.txt.

    ``about`` (the software version and its validation evidence) is written into manifest.json
    before the file list. The text manifest also lists manifest.json, so ``sha256sum -c``
    covers everything.
    """
    files = [
        {
            "path": p.relative_to(folder).as_posix(),
            "sha256": sha256_file(p),
            "bytes": p.stat().st_size,
        }  # fmt: skip
        for p in _listed(folder)
    ]
    manifest = {"algorithm": "sha256", **(about or {}), "files": files}
    (folder / MANIFEST_JSON).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    lines = [f"{f['sha256']}  {f['path']}" for f in files]
    lines.append(f"{sha256_file(folder / MANIFEST_JSON)}  {MANIFEST_JSON}")
    (folder / MANIFEST_TXT).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return manifest


def manifest_verify(folder: Path) -> list[str]:
    """Return the problems found (changed, missing or unlisted files); empty when it verifies."""
    problems, listed = [], set()
    for line in (folder / MANIFEST_TXT).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        expected, name = line.split("  ", 1)
        listed.add(name)
        path = folder / name
        if not path.is_file():
            problems.append(f"missing: {name}")
        elif sha256_file(path) != expected:
            problems.append(f"changed: {name}")
    for path in _listed(folder):
        if path.relative_to(folder).as_posix() not in listed:
            problems.append(f"not listed: {path.relative_to(folder).as_posix()}")
    return problems
