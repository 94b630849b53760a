"""The abstract job row: when it was queued, started and finished, attempts, error.

Each concrete job (``ReportRun``, ``DatasetRelease``, ``ImportJob``) keeps its own
``status`` field and names, on the class, which of its statuses a worker owns or will own
(``JOB_ACTIVE``), which one means success (``JOB_SUCCEEDED``) and its key in the stale
sweep's answer (``JOB_KIND``). ``jobs.lifecycle`` does the rest.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _


class Job(models.Model):
    """A background job's row: its state is here, never in a Celery result backend."""

    JOB_KIND: ClassVar[str]
    JOB_ACTIVE: ClassVar[tuple[str, ...]]
    JOB_SUCCEEDED: ClassVar[str]
    JOB_FAILED: ClassVar[str] = "failed"

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error = models.TextField(_("error"), blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        abstract = True
