"""What keeps report and release jobs honest when workers or the queue fail.

* ``job_queue_available``: can a job be queued now? (pages warn instead of failing)
* ``jobs_fail_stale``: a job "running" longer than any healthy job can (its worker died
  whole) or "queued" with no worker ever taking it is failed with the reason, and a
  release's unpublished files are removed: nobody sees a job running forever.

A worker *process* killed mid-job is handled by Celery (``task_acks_late`` and
``task_reject_on_worker_lost``): the job is redelivered and runs again from the start, up to
``EDC_JOB_MAX_ATTEMPTS`` times (counted on the row), then it is failed.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from celery import current_app
from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from analysis.models import DatasetRelease, ReportRun
from analysis.releases.builder import release_discard_unpublished

log = logging.getLogger(__name__)


# Sending a job from a web request: one connection attempt, no retry loop, so a request
# made while the broker is down answers in well under a second instead of hanging.
SEND_TRANSPORT_OPTIONS = {"max_retries": 1, "interval_start": 0, "interval_step": 0}


def job_send(task_path: str, *args: Any) -> None:
    """Queue the task at ``task_path`` (``app.tasks.name``) with ``args``, or raise at once
    when the broker cannot be reached.

    The task is named, not imported, by the service that queues it: a tasks module imports
    its services, never the other way round.

    Results are not stored (``ignore_result`` on the tasks): the job's row holds its state,
    and with no result subscription a Redis outage cannot wedge the web process.
    """
    task = import_string(task_path)
    if settings.CELERY_TASK_ALWAYS_EAGER:
        task.apply_async(args=args)
        return
    with task.app.connection_for_write(transport_options=SEND_TRANSPORT_OPTIONS) as conn:
        task.apply_async(args=args, retry=False, connection=conn)


def job_queue_available() -> bool:
    """Return whether the job queue (the Celery broker) accepts connections now."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return True
    try:
        with current_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
    except Exception as exc:  # kombu/redis raise many kinds when the broker is down
        log.warning("job queue unavailable: %s", exc)
        return False
    return True


def attempts_exhausted_reason(attempts: int) -> str:
    """Return the reason recorded when a job's worker died on every attempt."""
    return _(
        "The worker stopped during this job %(n)d times, so it was not started again. "
        "Nothing was published. Start it again, or tell the operator if it keeps failing."
    ) % {"n": attempts}


def stale_running_reason(minutes: int) -> str:
    """Return the reason recorded for a job left running by a worker that died whole."""
    return _(
        "The worker stopped while running this job (no result after %(minutes)d minutes). "
        "Nothing was published. Start it again."
    ) % {"minutes": minutes}


def stale_queued_reason(minutes: int) -> str:
    """Return the reason recorded for a job that no worker started."""
    return _(
        "No worker started this job within %(minutes)d minutes. Nothing was published. "
        "Start it again."
    ) % {"minutes": minutes}


def _stale(now: datetime, running: str) -> Q:
    return Q(
        status=running, started_at__lt=now - timedelta(minutes=settings.EDC_JOB_STALE_MINUTES)
    ) | Q(
        status="queued",
        created_at__lt=now - timedelta(minutes=settings.EDC_JOB_QUEUED_STALE_MINUTES),
    )


def jobs_fail_stale(*, now: datetime | None = None) -> dict[str, list[int]]:
    """Fail report runs and releases whose worker died or never came; return their ids."""
    now = now or timezone.now()
    failed: dict[str, list[int]] = {"reports": [], "releases": []}
    for model, running, key in (
        (ReportRun, ReportRun.Status.RUNNING, "reports"),
        (DatasetRelease, DatasetRelease.Status.BUILDING, "releases"),
    ):
        stale = _stale(now, running)
        died = stale_running_reason(settings.EDC_JOB_STALE_MINUTES)
        never = stale_queued_reason(settings.EDC_JOB_QUEUED_STALE_MINUTES)
        for pk, status in model.objects.filter(stale).values_list("pk", "status"):
            # the same condition again in the UPDATE: a job that moved on meanwhile is kept
            updated = model.objects.filter(stale, pk=pk, status=status).update(
                status="failed", finished_at=now, error=died if status == running else never
            )
            if updated:
                failed[key].append(pk)
    for release in DatasetRelease.objects.filter(pk__in=failed["releases"]):
        release_discard_unpublished(
            Path(settings.MEDIA_ROOT), release.version, release.cut_at.isoformat()
        )
    if failed["reports"] or failed["releases"]:
        log.warning("failed stale jobs: %s", failed)
    return failed
