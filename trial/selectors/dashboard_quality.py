"""Data-quality figures of the dashboard: queries by age and site (one aggregate query)."""

from datetime import timedelta
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from trial.models import Query

from .dashboard import DashboardScope

AGE_BUCKETS = ((0, 7), (8, 30), (31, None))  # days open: 0–7, 8–30, more than 30


def queries_by_site_and_age(scope: DashboardScope) -> list[dict[str, Any]]:
    """Return, per site, open queries by age bucket and answered queries awaiting closure."""
    now = timezone.now()
    buckets = {}
    for low, high in AGE_BUCKETS:
        condition = Q(status=Query.Status.OPEN, raised_at__lte=now - timedelta(days=low))
        if high is not None:
            condition &= Q(raised_at__gt=now - timedelta(days=high + 1))
        buckets[f"open_{low}"] = Count("pk", filter=condition)
    rows = {
        r["form_instance__participant__site_id"]: r
        for r in Query.objects.filter(scope.q("form_instance__participant", dated=False))
        .values("form_instance__participant__site_id")
        .annotate(answered=Count("pk", filter=Q(status=Query.Status.ANSWERED)), **buckets)
    }
    keys = [*buckets, "answered"]
    return [
        {"site": code, **{k: rows.get(pk, {}).get(k, 0) for k in keys}} for pk, code in scope.sites
    ]
