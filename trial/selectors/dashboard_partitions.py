"""Day and month partitions of the dashboard rollup, and the arithmetic that keeps them.

Every partitioned section of the rollup (``PARTITIONED``) is a list of rows that are
counts (or exact decimal sums) grouped by a few keys: the rollup of any set of screening
days is the row-wise sum of the days' rollups, and a day's change is the difference of
its new and old rollup. ``trial.services.dashboard`` keeps one partition per screening
day and per month, and the summary, with these sums; a screening-date filter adds up the
whole months and edge days of its range (``partitions_rollup``) instead of recounting.

Queries (aged by the clock, not by screening day) and the lists of overdue and upcoming
visits (a first ``LIST_LIMIT``, which no sum gives) are never partitioned: the summary
refresh counts them for the whole trial, a date-filtered page for its own range. Adverse
events are partitioned by screening day for the summary; a date filter selects them by
onset, so a date-filtered page counts them itself.
"""

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from trial.models import DashboardPartition
from trial.protocol import Protocol

from .dashboard_rollup import RollupFilter, dated_sections

# the key columns of each partitioned section; every other column is a count or a sum
KEYS: dict[str, tuple[str, ...]] = {
    "people": ("site", "arm"),
    "reasons": ("site", "criterion"),
    "visits": ("site", "code", "arm"),
    "open_visits": ("site", "code"),
    "forms": ("site", "visit", "form_code", "status"),
    "ae": ("site", "arm"),
    "ae_grades": ("site", "arm", "grade"),
    "measures": ("site", "form_code", "visit", "arm"),
}
MONTH_ROW_KEYS = 3  # "months" rows are lists: [series, site pk, month, n]
PARTITIONED = (*KEYS, "months")
Rollup = dict[str, Any]
Totals = dict[str, dict[tuple, Any]]  # section -> row key -> {measure: value}


def month_start(day: date) -> date:
    return day.replace(day=1)


def split_by_day(data: Rollup) -> dict[tuple[date, int], Rollup]:
    """Return the rollup of each (screening day, site pk) of ``data`` (a rollup grouped
    ``by_day``; every row names its site)."""
    days: dict[tuple[date, int], Rollup] = {}

    def part(day: str, site: int) -> Rollup:
        key = (date.fromisoformat(day), site)
        return days.setdefault(key, {k: [] for k in PARTITIONED})

    for section in KEYS:
        for row in data[section]:
            row = dict(row)
            part(row.pop("day"), row["site"])[section].append(row)
    for *row, day in data["months"]:
        part(day, row[1])["months"].append(row)
    return days


def totals_of(parts: Iterable[Rollup]) -> Totals:
    """Return the row-wise sums of the partitioned sections of ``parts``."""
    totals: Totals = {k: {} for k in PARTITIONED}
    for data in parts:
        add(totals, data, +1)
    return totals


def add(totals: Totals, data: Rollup, sign: int) -> None:
    """Add (``sign`` +1) or subtract (-1) the rows of ``data`` to or from ``totals``."""
    for section, keys in KEYS.items():
        target = totals[section]
        measures: list[str] | None = None
        for row in data.get(section, ()):
            if measures is None:  # the same columns in every row of a section
                measures = [name for name in row if name not in keys]
            key = tuple([row[k] for k in keys])
            current = target.get(key)
            if current is None:
                if sign > 0:
                    target[key] = {m: row[m] for m in measures}
                else:
                    target[key] = {m: _plus(None, row[m], sign) for m in measures}
                continue
            for m in measures:
                value, total = row[m], current[m]
                if type(value) is int and type(total) is int:  # the common case, fast
                    current[m] = total + sign * value
                else:
                    current[m] = _plus(total, value, sign)
    months = totals["months"]
    for row in data.get("months", ()):
        key = tuple(row[:MONTH_ROW_KEYS])
        months[key] = {"n": _plus(months.get(key, {}).get("n"), row[MONTH_ROW_KEYS], sign)}


def _plus(total: Any, value: Any, sign: int) -> Any:
    """Return ``total + sign * value``: integers, or decimal strings (sums of a measure);
    None (a sum of nothing) adds nothing."""
    if value is None:
        return total
    if isinstance(value, str) or isinstance(total, str):
        return str(Decimal(total or 0) + sign * Decimal(value))
    return (total or 0) + sign * value


def _nonzero(measures: dict[str, Any]) -> bool:
    return any(v is not None and Decimal(v) != 0 for v in measures.values())


def rows_of(totals: Totals) -> Rollup:
    """Return ``totals`` as rollup sections (rows whose every figure is zero left out)."""
    data: Rollup = {}
    for section, keys in KEYS.items():
        data[section] = [
            {**dict(zip(keys, key, strict=True)), **measures}
            for key, measures in totals[section].items()
            if _nonzero(measures)
        ]
    data["months"] = [[*key, m["n"]] for key, m in totals["months"].items() if m["n"]]
    return data


def range_partitions(start: date, end: date) -> tuple[list[date], list[date]]:
    """Return the months wholly inside [start, end] and the days of its ragged edges."""
    months, days = [], []
    day = start
    while day <= end:
        first = month_start(day)
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        if day == first and last <= end:
            months.append(first)
            day = last + timedelta(days=1)
        else:
            days.append(day)
            day += timedelta(days=1)
    return months, days


def partitions_rollup(protocol_code: str, start: date | None, end: date | None) -> Rollup:
    """Return the partitioned sections of the rollup of everyone screened in [start, end]
    (either end open), summed from the stored month and day partitions."""
    stored = DashboardPartition.objects.filter(
        protocol_code=protocol_code, grain=DashboardPartition.Grain.DAY
    )  # days are stored per site too: a range's edge days read each of their sites
    bounds = stored.order_by("start").values_list("start", flat=True)
    first, last = bounds.first(), bounds.last()
    if first is None or last is None:
        return rows_of(totals_of([]))
    start, end = max(start or first, first), min(end or last, last)
    if start > end:
        return rows_of(totals_of([]))
    months, days = range_partitions(start, end)
    parts = DashboardPartition.objects.filter(
        protocol_code=protocol_code, grain=DashboardPartition.Grain.MONTH, start__in=months
    ) | stored.filter(start__in=days)
    return rows_of(totals_of(parts.values_list("data", flat=True).iterator()))


def dated_rollup(protocol: Protocol, where: RollupFilter, summary: Rollup) -> Rollup:
    """Return the rollup of a screening-date filter: the partitions of its range, the
    queries of ``summary`` (a date filter leaves them alone), and the visit lists and
    adverse events (by onset) of its sites and dates counted now."""
    return {
        "version": summary["version"],
        "today": summary["today"],
        **partitions_rollup(protocol.code, where.date_from, where.date_to),
        **dated_sections(protocol, where),
        "queries": summary["queries"],
    }
