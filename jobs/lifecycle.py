"""One job lifecycle for reports, dataset releases and imports.

queue   the service creates or resets the row (``job_queued_fields``) and sends the task on
        commit (``job_enqueue``: one connection attempt, so a request made while the broker
        is down fails fast and the job is failed with the reason);
claim   the worker takes the row (``job_claim``): one more attempt, started now; a task
        redelivered after its worker process died starts again from scratch, at most
        ``EDC_JOB_MAX_ATTEMPTS`` times, then the job is failed;
progress single-row updates outside any transaction (``job_progress``);
end     the service records success itself; ``job_fail`` records a failure (never over a
        success);
sweep   ``jobs_fail_stale`` (beat) fails every job "running" longer than any healthy job
        can (its worker died whole) or queued with no worker ever taking it, for every
        concrete ``jobs.models.Job`` the app registry knows.

A worker *process* killed mid-job is handled by Celery (``task_acks_late`` and
``task_reject_on_worker_lost``): the job is redelivered and claimed again.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from celery import current_app
from django.apps import apps
from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from jobs.models import Job

log = logging.getLogger(__name__)

# Sending a job from a web request: one connection attempt, no retry loop, so a request
# made while the broker is down answers in well under a second instead of hanging.
SEND_TRANSPORT_OPTIONS = {"max_retries": 1, "interval_start": 0, "interval_step": 0}


def job_send(task: Any, *args: Any) -> None:
    """Queue ``task(*args)`` or raise at once when the broker cannot be reached.

    ``task`` may be named by its dotted path (``app.tasks.name``): a service queues its
    task by name, so a tasks module imports its services, never the other way round.

    Results are not stored (``ignore_result`` on the tasks): the job's row holds its state,
    and with no result subscription a Redis outage cannot wedge the web process.
    """
    if isinstance(task, str):
        task = import_string(task)
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


def job_queued_fields() -> dict[str, Any]:
    """Return the lifecycle fields of a job (re)queued now: no attempt, no outcome yet."""
    return {"queued_at": timezone.now(), "attempts": 0, "error": "", "started_at": None,
            "finished_at": None}  # fmt: skip


def job_fail(model: type[Job], pk: int, reason: str) -> Job:
    """Mark the job failed with ``reason`` (shown to the user); a success is never undone."""
    model.objects.filter(pk=pk).exclude(status=model.JOB_SUCCEEDED).update(
        status=model.JOB_FAILED, error=reason[:5000], finished_at=timezone.now()
    )
    return model.objects.get(pk=pk)


def job_enqueue(model: type[Job], pk: int, task: Any, *args: Any) -> None:
    """Send ``task(*args)`` for the job ``pk``; fail the job at once if the queue is down."""
    try:
        job_send(task, *args)
    except Exception as exc:  # kombu/redis raise many kinds when the broker is down
        if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
            raise
        log.warning("%s %s could not be queued: %s", model.JOB_KIND, pk, exc)
        job_fail(model, pk, _("The job queue is unavailable: %(error)s") % {"error": exc})


def job_claim(
    model: type[Job], pk: int, *, waiting: tuple[str, ...], running: str, **fields: Any
) -> Job:
    """Start one more attempt of the job, or fail it when its attempts are used up.

    ``waiting`` are the statuses a worker may take the job from; a job still ``running``
    among them was being run by a worker process that died (Celery redelivers the task
    after ``task_reject_on_worker_lost``), and it starts again from scratch. ``fields`` are
    set with the claim (e.g. the progress message). The caller goes on only when the
    returned job's status is ``running``.
    """
    claimed = model.objects.filter(
        pk=pk, status__in=waiting, attempts__lt=settings.EDC_JOB_MAX_ATTEMPTS
    ).update(status=running, attempts=F("attempts") + 1, started_at=timezone.now(), error="",
             finished_at=None, **fields)  # fmt: skip
    job = model.objects.get(pk=pk)
    if not claimed and job.status in waiting:
        job = job_fail(model, pk, attempts_exhausted_reason(job.attempts))
    return job


def job_progress(model: type[Job], pk: int, **fields: Any) -> None:
    """Record progress on the job's row at once (a single-row update, no transaction)."""
    model.objects.filter(pk=pk).update(**fields)


def job_models() -> list[type[Job]]:
    """Return every concrete job model of the installed apps."""
    return [m for m in apps.get_models() if issubclass(m, Job)]


def _stale(model: type[Job], now: datetime) -> Q:
    queued_before = now - timedelta(minutes=settings.EDC_JOB_QUEUED_STALE_MINUTES)
    never_started = Q(started_at__isnull=True) & (
        Q(queued_at__lt=queued_before) | Q(queued_at__isnull=True, created_at__lt=queued_before)
    )
    died = Q(started_at__lt=now - timedelta(minutes=settings.EDC_JOB_STALE_MINUTES))
    return Q(status__in=model.JOB_ACTIVE) & (died | never_started)


def jobs_fail_stale(*, now: datetime | None = None) -> dict[str, list[int]]:
    """Fail every job whose worker died or never came; return their ids by kind.

    A job is stale when it was started longer ago than any healthy job can run
    (``EDC_JOB_STALE_MINUTES``) or queued longer ago than a worker takes to start it
    (``EDC_JOB_QUEUED_STALE_MINUTES``) without being started.
    """
    now = now or timezone.now()
    died = stale_running_reason(settings.EDC_JOB_STALE_MINUTES)
    never = stale_queued_reason(settings.EDC_JOB_QUEUED_STALE_MINUTES)
    failed: dict[str, list[int]] = {}
    for model in job_models():
        stale = _stale(model, now)
        failed[model.JOB_KIND] = []
        rows = model.objects.filter(stale).values_list("pk", "status", "started_at")
        for pk, status, started_at in rows:
            # the same condition again in the UPDATE: a job that moved on meanwhile is kept
            updated = model.objects.filter(stale, pk=pk, status=status).update(
                status=model.JOB_FAILED, finished_at=now,
                error=never if started_at is None else died,
            )  # fmt: skip
            if updated:
                failed[model.JOB_KIND].append(pk)
    if any(failed.values()):
        log.warning("failed stale jobs: %s", failed)
    return failed
