"""The results file of one pytest run: each test that declares requirements, and its outcome."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

FORMAT = 1
# Worst first: a test is as bad as its worst phase (setup, call, teardown).
OUTCOMES = ("failed", "error", "skipped", "passed")


def outcome_merge(current: str | None, new: str) -> str:
    """Return the worse of two outcomes of one test's phases."""
    if current is None:
        return new
    return min(current, new, key=OUTCOMES.index)


def results_write(path: Path, results: dict[str, Any]) -> None:
    """Write ``results`` as JSON atomically (a half-written file is never read)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".results-", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump({"format": FORMAT, **results}, fh, indent=1)
        fh.write("\n")
    os.chmod(tmp, 0o644)  # mkstemp makes it private; the report is for everyone
    os.replace(tmp, path)


def results_read(path: Path) -> dict[str, Any]:
    """Return the results of ``path``; raise ValueError when it is not a results file."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or data.get("format") != FORMAT or "tests" not in data:
        raise ValueError(f"{path} is not a results file of format {FORMAT}")
    return data
