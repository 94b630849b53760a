"""The dashboard summary: the rollup of every dashboard count, refreshed in one go.

A Celery beat job refreshes it every ``EDC_DASHBOARD_REFRESH_SECONDS`` (60 by default), so
a dashboard request reads one small row instead of aggregating the whole trial. A request
that finds it missing, older than ``EDC_DASHBOARD_MAX_AGE_SECONDS`` (beat not running, as
in the embedded demo), from another day, or asked to refresh, computes it itself.
"""

import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from trial.models import DashboardSummary
from trial.protocol import get_protocol
from trial.selectors.dashboard_rollup import ROLLUP_VERSION, RollupFilter, dashboard_rollup

MIN_AGE = timedelta(seconds=10)


def dashboard_summary_refresh(*, protocol_code: str) -> DashboardSummary:
    """Compute the rollup of the whole trial and store it as the protocol's summary."""
    started, now = time.perf_counter(), timezone.now()
    data = dashboard_rollup(get_protocol(protocol_code), RollupFilter(protocol_code), now=now)
    fields = {
        "computed_at": now,
        "duration_ms": round(1000 * (time.perf_counter() - started)),
        "data": data,
    }
    try:
        with transaction.atomic():
            summary, _created = DashboardSummary.objects.update_or_create(
                protocol_code=protocol_code, defaults=fields
            )
    except IntegrityError:  # another request stored it first: ours is as fresh
        summary = DashboardSummary(protocol_code=protocol_code, **fields)
    return summary


def dashboard_summary_current(*, protocol_code: str, refresh: bool = False) -> DashboardSummary:
    """Return the protocol's summary, refreshing it first when it is stale or asked to."""
    summary = DashboardSummary.objects.filter(protocol_code=protocol_code).first()
    # a reader's "refresh now" is honoured once the summary is a few seconds old, so that
    # repeated clicks cannot keep the database recounting a large trial
    asked = refresh and summary is not None and timezone.now() - summary.computed_at > MIN_AGE
    if asked or summary is None or summary_is_stale(summary):
        summary = dashboard_summary_refresh(protocol_code=protocol_code)
    return summary


def summary_is_stale(summary: DashboardSummary, *, now: Any = None) -> bool:
    """Whether ``summary`` is too old, of another day, or of an older rollup layout."""
    now = now or timezone.now()
    max_age = timedelta(seconds=settings.EDC_DASHBOARD_MAX_AGE_SECONDS)
    return (
        now - summary.computed_at > max_age
        or summary.data.get("today") != timezone.localdate(now).isoformat()
        or summary.data.get("version") != ROLLUP_VERSION
    )
