"""Where the catalogue, the results of the last test run and the reports live."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CATALOGUE = REPO / "docs" / "validation" / "requirements.toml"
RESULTS_JSON = "results.json"
REPORT_CSV = "traceability.csv"
REPORT_HTML = "traceability.html"
EVIDENCE_JSON = "evidence.json"


def validation_dir() -> Path:
    """Return the folder of results and reports: ``$EDC_VALIDATION_DIR`` or ``var/validation``."""
    return Path(os.environ.get("EDC_VALIDATION_DIR") or REPO / "var" / "validation")


def results_path() -> Path:
    """Return the results file of the last test run: ``$EDC_VALIDATION_RESULTS`` or default."""
    explicit = os.environ.get("EDC_VALIDATION_RESULTS")
    return Path(explicit) if explicit else validation_dir() / RESULTS_JSON


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(
            ["git", *args], cwd=REPO, capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def git_commit() -> str:
    """Return the checked-out commit, or "" outside a git checkout."""
    return _git("rev-parse", "HEAD") or ""


def git_dirty() -> bool | None:
    """Return whether tracked files differ from the commit (None outside a git checkout)."""
    status = _git("status", "--porcelain", "--untracked-files=no")
    return None if status is None else bool(status)
