"""The stale-job sweep as the beat runs it, with what releases need on top.

The lifecycle itself (queue, claim, progress, fail, attempts, the sweep of every job kind:
reports, releases and imports) is ``jobs.lifecycle``. A release failed by the sweep also
has its unpublished files removed here, since only ``analysis`` knows where they are.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from django.conf import settings

from analysis.models import DatasetRelease
from analysis.releases.builder import release_discard_unpublished
from jobs import lifecycle


def jobs_fail_stale(*, now: datetime | None = None) -> dict[str, list[int]]:
    """Fail every stale job (``jobs.lifecycle.jobs_fail_stale``), removing a failed
    release's unpublished files; return the failed ids by kind."""
    failed = lifecycle.jobs_fail_stale(now=now)
    for release in DatasetRelease.objects.filter(pk__in=failed.get(DatasetRelease.JOB_KIND, [])):
        release_discard_unpublished(
            Path(settings.MEDIA_ROOT),
            release.protocol_code,
            release.version,
            release.cut_at.isoformat(),
        )
    return failed
