"""An explicit test hook for the resilience tests: pause a job at a named point.

Off unless ``EDC_JOB_CHECKPOINT_DIR`` is set, which only the resilience tests do (for the
worker they start). See docs/resilience.md.
"""

from __future__ import annotations

import time
from pathlib import Path

from django.conf import settings

CHECKPOINT_WAIT_SECONDS = 120


def job_checkpoint(name: str) -> None:
    """Test hook: pause at checkpoint ``name`` while ``<dir>/<name>.hold`` exists.

    Off unless ``EDC_JOB_CHECKPOINT_DIR`` is set (never in production). When the hold file
    exists, ``<dir>/<name>.reached`` is written and the job waits (at most two minutes) for
    the hold file to go, so a resilience test can kill the worker at a known point mid-job.
    """
    directory = settings.EDC_JOB_CHECKPOINT_DIR
    if not directory:
        return
    hold = Path(directory) / f"{name}.hold"
    if not hold.exists():
        return
    (Path(directory) / f"{name}.reached").write_text(str(time.time()))
    deadline = time.monotonic() + CHECKPOINT_WAIT_SECONDS
    while hold.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
