"""The validation evidence of a version: the traceability CSV that ``make validation`` wrote.

``evidence.json`` next to the report names the commit it was produced for and the SHA-256 of
``traceability.csv``. A release records that checksum only when the evidence is of the
commit the release is built with and the file still has that checksum; otherwise "none".
"""

from __future__ import annotations

import hashlib
import json
from importlib import metadata
from pathlib import Path
from typing import Any

from validation.paths import EVIDENCE_JSON, REPORT_CSV, validation_dir

PACKAGE = "trialedc"
NONE = "none"


def package_version() -> str:
    """Return the installed version of this software (pyproject's ``[project] version``)."""
    try:
        return metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:
        return "unknown"


def evidence_record(*, commit: str, folder: Path | None = None) -> dict[str, Any] | str:
    """Return the evidence of ``commit`` (file, SHA-256, counts), or "none" if there is none."""
    folder = folder or validation_dir()
    try:
        evidence = json.loads((folder / EVIDENCE_JSON).read_text(encoding="utf-8"))
        data = (folder / REPORT_CSV).read_bytes()
    except (OSError, ValueError):
        return NONE
    sha256 = hashlib.sha256(data).hexdigest()
    if not commit or evidence.get("commit") != commit or evidence.get("csv_sha256") != sha256:
        return NONE  # another version's report, or a file changed after it was written
    return {
        "file": REPORT_CSV,
        "sha256": sha256,
        "commit": commit,
        "generated_at": evidence.get("generated_at", ""),
        "working_tree_dirty": evidence.get("working_tree_dirty"),
        "summary": evidence.get("summary", {}),
    }
