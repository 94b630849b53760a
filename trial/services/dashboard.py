"""The dashboard summary and its day and month partitions, kept up to date cheaply.

A Celery beat job refreshes the summary every ``EDC_DASHBOARD_REFRESH_SECONDS`` (60 by
default), so a dashboard request reads one small row instead of aggregating the whole
trial. A request that finds it missing, older than ``EDC_DASHBOARD_MAX_AGE_SECONDS`` (beat
not running, as in the embedded demo), from another day, or asked to refresh, refreshes it
itself.

**Partitions.** Besides the summary, the rollup of each screening day and of each month is
stored (``DashboardPartition``): a screening-date filter sums them
(``trial.selectors.dashboard_partitions``). Every audited write that concerns a
participant leaves a ``DashboardChange`` marker in its own transaction
(``dashboard_note_change``, called by ``audit_record``). A refresh

1. takes the protocol's refresh lock (refreshes never interleave),
2. reads the markers of its own participants (every marker names its participant, so
   another trial's markers are left for that trial's refresh), and recounts only the
   screening days they name (one grouped query per section, for all those days at once),
3. adds each day's difference (new minus old) to its month and to the summary, stores
   the new days, deletes the markers it read,
4. recounts what is never partitioned: queries (aged by the clock) and the lists of
   overdue and upcoming visits.

A marker committed after step 2 read the markers is left for the next refresh; one
committed before it is seen, and so are its writes, since every count is a later
statement (PostgreSQL's read committed). So a refresh counts at least every write
committed before it started, and nothing is lost in between. Counts that depend on the
date (visit states, the recent randomization rate) change for every day at midnight: the
first refresh of a day, of a new rollup layout, or of an empty table rebuilds every
partition at once (the cost of the old full recount, once a day).
"""

import json
import time
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from trial.models import DashboardChange, DashboardPartition, DashboardSummary, Participant
from trial.protocol import get_protocol
from trial.selectors.dashboard_partitions import (
    PARTITIONED,
    add,
    month_start,
    rows_of,
    split_by_day,
    totals_of,
)
from trial.selectors.dashboard_rollup import (
    ROLLUP_VERSION,
    RollupFilter,
    dashboard_rollup,
    live_sections,
)

MIN_AGE = timedelta(seconds=10)
# markers one refresh takes at most (by key: a burst of writes, e.g. an import, is
# recounted over a few refreshes; those left wait, and deleting by key never drops one)
MARKER_BATCH = 5000
DAY, MONTH = DashboardPartition.Grain.DAY, DashboardPartition.Grain.MONTH


def dashboard_change_markers(
    obj: Any, changes: dict[str, Any] | None = None
) -> list[DashboardChange]:
    """Return the (unsaved) markers saying that the dashboard figures of ``obj``'s
    participant changed (and, for a moved screening date, the day it left)."""
    if isinstance(obj, Participant):
        old = (changes or {}).get("screening_date")
        markers = [DashboardChange(participant_id=obj.pk, day=obj.screening_date)]
        if old and old[0]:
            moved = old[0] if isinstance(old[0], date) else date.fromisoformat(str(old[0]))
            markers.append(DashboardChange(participant_id=obj.pk, day=moved))
        return markers
    participant_id = getattr(obj, "participant_id", None)
    if participant_id is None and hasattr(obj, "instance_id"):  # a CRF data row
        participant_id = obj.instance.participant_id
    return [] if participant_id is None else [DashboardChange(participant_id=participant_id)]


def dashboard_note_change(obj: Any, changes: dict[str, Any] | None = None) -> None:
    """Leave a marker that the dashboard figures of ``obj``'s participant changed; call it
    in the transaction of the write (``audit_record`` does; inside a write batch the
    markers are written with the batch's audit rows)."""
    if markers := dashboard_change_markers(obj, changes):
        DashboardChange.objects.bulk_create(markers)


def dashboard_summary_refresh(*, protocol_code: str, rebuild: bool = False) -> DashboardSummary:
    """Bring the protocol's partitions and summary up to date (recounting only the
    screening days with changes, or everything when ``rebuild`` or a new day needs it)."""
    started, now = time.perf_counter(), timezone.now()
    today = timezone.localdate(now).isoformat()
    with transaction.atomic():
        _lock(protocol_code)
        summary = DashboardSummary.objects.filter(protocol_code=protocol_code).first()
        markers = list(
            _markers_of(protocol_code).order_by("pk").values_list("pk", flat=True)[:MARKER_BATCH]
        )
        whole = (
            rebuild
            or summary is None
            or summary.data.get("today") != today
            or summary.data.get("version") != ROLLUP_VERSION
        )
        if whole:
            totals = _rebuild(protocol_code, now)
        else:
            assert summary is not None
            totals = _update(protocol_code, summary.data, markers, now)
        protocol = get_protocol(protocol_code)
        data = {
            "version": ROLLUP_VERSION,
            "today": today,
            **rows_of(totals),
            **live_sections(protocol, RollupFilter(protocol_code), now=now),
        }
        DashboardChange.objects.filter(pk__in=markers).delete()
        summary, _created = DashboardSummary.objects.update_or_create(
            protocol_code=protocol_code,
            defaults={
                "computed_at": now,
                "duration_ms": round(1000 * (time.perf_counter() - started)),
                "data": data,
            },
        )
    return summary


def _markers_of(protocol_code: str) -> QuerySet[DashboardChange]:
    """The markers this trial's refresh reads and then deletes: those of its participants
    (another trial's are left for that trial's refresh), and any naming no participant."""
    ours = Participant.objects.filter(pk=OuterRef("participant_id"), protocol_code=protocol_code)
    return DashboardChange.objects.filter(Q(participant_id=None) | Q(Exists(ours)))


def _lock(protocol_code: str) -> None:
    """Serialise refreshes of a protocol (SQLite serialises every write transaction)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s))", [f"dashboard:{protocol_code}"]
            )


def _rebuild(protocol_code: str, now: Any) -> Any:
    """Recount every partition; return the summary's totals."""
    protocol = get_protocol(protocol_code)
    where = RollupFilter(protocol_code, by_day=True)
    days = split_by_day(dashboard_rollup(protocol, where, now=now, partitioned_only=True))
    months: dict[date, list] = {}
    for (day, _site), data in days.items():
        months.setdefault(month_start(day), []).append(data)
    DashboardPartition.objects.filter(protocol_code=protocol_code).delete()
    month_rows = {m: rows_of(totals_of(parts)) for m, parts in months.items()}
    _store(
        protocol_code,
        [(DAY, d, site, data) for (d, site), data in days.items()]
        + [(MONTH, m, 0, data) for m, data in month_rows.items()],
    )
    return totals_of(month_rows.values())


def _store(protocol_code: str, rows: list[tuple[str, date, int, Any]]) -> None:
    """Insert partitions: with COPY on PostgreSQL (a bulk INSERT quotes every JSON text
    inside an array parameter, seconds for a large trial)."""
    if connection.vendor != "postgresql":
        DashboardPartition.objects.bulk_create(
            [
                DashboardPartition(
                    protocol_code=protocol_code, grain=grain, start=start, site_id=site, data=data
                )
                for grain, start, site, data in rows
            ],
            batch_size=500,
        )
        return
    table = DashboardPartition._meta.db_table
    with connection.cursor() as cursor:
        copy_sql = f'COPY "{table}" (protocol_code, grain, start, site_id, data) FROM STDIN'
        with cursor.copy(copy_sql) as copy:
            for grain, start, site, data in rows:
                copy.write_row((protocol_code, grain, start, site, json.dumps(data)))


def _changed(protocol_code: str, markers: list[int]) -> tuple[set[tuple[date, int]], set[date]]:
    """Return the (screening day, site pk) pairs and the whole days the markers name."""
    rows = DashboardChange.objects.filter(pk__in=markers)
    days = set(rows.exclude(day=None).values_list("day", flat=True))
    people = rows.exclude(participant_id=None).values("participant_id")
    pairs = set(
        Participant.objects.filter(protocol_code=protocol_code, pk__in=people).values_list(
            "screening_date", "site_id"
        )
    )
    return pairs, days


def _update(protocol_code: str, summary: dict[str, Any], markers: list[int], now: Any) -> Any:
    """Recount the (day, site) partitions the markers name; add the differences to their
    months and to the summary."""
    totals = totals_of([{k: summary[k] for k in PARTITIONED}])
    pairs, days = _changed(protocol_code, markers)
    if not pairs and not days:
        return totals
    protocol = get_protocol(protocol_code)
    # everyone screened on those (day, site) pairs and days: found by the screening-date
    # index, then counted by primary key (an OR of pairs would be checked on every row)
    screened = Participant.objects.filter(
        protocol_code=protocol_code, screening_date__in={d for d, _s in pairs} | days
    ).values_list("pk", "screening_date", "site_id")
    people = tuple(pk for pk, d, s in screened if d in days or (d, s) in pairs)
    where = RollupFilter(protocol_code, people=people, by_day=True)
    fresh = split_by_day(dashboard_rollup(protocol, where, now=now, partitioned_only=True))
    stored = DashboardPartition.objects.filter(protocol_code=protocol_code)
    named = Q(start__in=days) | Q(*[Q(start=d, site_id=s) for d, s in pairs], _connector=Q.OR)
    old = {(p.start, p.site_id): p for p in stored.filter(named, grain=DAY)}
    recounted = set(old) | set(fresh)
    touched = {month_start(d) for d, _site in recounted}
    months = {p.start: p for p in stored.filter(grain=MONTH, start__in=touched)}
    month_totals = {m: totals_of([p.data]) for m, p in months.items()}
    for key in recounted:
        month = month_totals.setdefault(month_start(key[0]), totals_of([]))
        before, after = old.get(key), fresh.get(key)
        for sign, part in ((-1, before.data if before else None), (+1, after)):
            if part is not None:
                add(totals, part, sign)
                add(month, part, sign)
    month_rows = {m: rows_of(t) for m, t in month_totals.items()}
    # replace the partitions recounted and their months, in two statements (a day or
    # month nobody is screened in any more has no partition)
    stored.filter(pk__in=[p.pk for p in old.values()] + [p.pk for p in months.values()]).delete()
    _store(
        protocol_code,
        [(DAY, d, site, data) for (d, site), data in fresh.items()]
        + [(MONTH, m, 0, data) for m, data in month_rows.items() if any(data.values())],
    )
    return totals


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
