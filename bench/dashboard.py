"""Measure the server time of /dashboard/ (in-process Django test client) on the bench data.

Usage, after ``bench/synthetic.py N --reset`` filled the database::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/edc_bench DJANGO_SECRET_KEY=x \\
        .venv/bin/python bench/dashboard.py --requests 20

For an unblinded and a blinded trial-wide investigator it makes two warm-up requests and
then ``--requests`` timed ones, and prints the participants, the median and 95th
percentile server time and the number of SQL queries of one request, as a Markdown row.

The page reads the shared dashboard summary (``trial.services.dashboard``), which the
first warm-up request computes when it is missing or stale; the time the beat job spends
refreshing it is measured separately (``--refreshes`` runs: each after ``--changes``
participants were written, as change markers, so that it recounts their screening days),
and so is the daily rebuild of every partition (``--rebuilds``) and a page with a
screening-date filter (``--dated``), which sums the day and month partitions of its range.
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from trial.context import default_protocol_code  # noqa: E402
from trial.models import DashboardChange, Membership, Participant, Role  # noqa: E402
from trial.services.dashboard import dashboard_summary_refresh  # noqa: E402

URL = "/dashboard/"


def bench_user(name: str, roles: list[str]) -> Client:
    user, _created = get_user_model().objects.get_or_create(username=name)
    for role in roles:
        Membership.objects.get_or_create(
            user=user, protocol_code=default_protocol_code(), site=None, role=role
        )
    client = Client()
    client.force_login(user)
    return client


def measure(client: Client, requests: int, params: dict[str, str]) -> dict[str, float]:
    for _warm_up in range(2):
        assert client.get(URL, params).status_code == 200
    timings = []
    for _request in range(requests):
        started = time.perf_counter()
        response = client.get(URL, params)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    with CaptureQueriesContext(connection) as queries:
        client.get(URL, params)
    timings.sort()
    p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
    return {"median": statistics.median(timings), "p95": p95, "queries": len(queries)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--site", default="", help="also measure with this site filter")
    parser.add_argument("--refreshes", type=int, default=3, help="summary refreshes")
    parser.add_argument("--changes", type=int, default=100, help="participants changed before each")
    parser.add_argument("--rebuilds", type=int, default=1, help="rebuilds of every partition")
    parser.add_argument(
        "--dated", default="", help="also measure this date range, FROM:TO (computed live)"
    )
    parser.add_argument("--dated-requests", type=int, default=5)
    parser.add_argument("--json", dest="json_path", help="also write the rows here")
    args = parser.parse_args()
    rows: list[dict] = []
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    participants = Participant.objects.count()
    cases = {
        "unblinded": bench_user("bench-investigator", [Role.INVESTIGATOR]),
        "blinded": bench_user("bench-blinded", [Role.INVESTIGATOR, Role.OUTCOME_ASSESSOR]),
    }
    print("| participants | user | filter | median ms | p95 ms | queries |")  # noqa: T201
    print("|---:|---|---|---:|---:|---:|")  # noqa: T201
    rebuilds, refreshes = [], []
    for _run in range(args.rebuilds):
        started = time.perf_counter()
        dashboard_summary_refresh(protocol_code=default_protocol_code(), rebuild=True)
        rebuilds.append((time.perf_counter() - started) * 1000)
    if rebuilds:
        rows.append({"user": "", "filter": "rebuild", "median": statistics.median(rebuilds),
                     "p95": max(rebuilds), "queries": None})  # fmt: skip
        print(  # noqa: T201
            f"| {participants:,} | (first refresh of a day) | rebuild of every partition | "
            f"{statistics.median(rebuilds):.0f} | {max(rebuilds):.0f} | |"
        )
    dashboard_summary_refresh(protocol_code=default_protocol_code())  # now of today
    ids = list(Participant.objects.values_list("pk", flat=True))
    rng = random.Random(7)
    for _run in range(args.refreshes):
        changed = rng.sample(ids, min(args.changes, len(ids)))
        DashboardChange.objects.bulk_create([DashboardChange(participant_id=i) for i in changed])
        started = time.perf_counter()
        dashboard_summary_refresh(protocol_code=default_protocol_code())
        refreshes.append((time.perf_counter() - started) * 1000)
    if refreshes:
        rows.append({"user": "", "filter": f"refresh, {args.changes} changed",
                     "median": statistics.median(refreshes), "p95": max(refreshes),
                     "queries": None})  # fmt: skip
        print(  # noqa: T201
            f"| {participants:,} | (beat job) | summary refresh, {args.changes} participants "
            f"changed | {statistics.median(refreshes):.0f} | {max(refreshes):.0f} | |"
        )
    filters = [{}] + ([{"site": args.site}] if args.site else [])
    if args.dated:
        start, end = args.dated.split(":")
        filters.append({"date_from": start, "date_to": end})
    for label, client in cases.items():
        for params in filters:
            dated = "date_from" in params
            result = measure(client, args.dated_requests if dated else args.requests, params)
            shown = params.get("site") or (
                f"{params['date_from']} to {params['date_to']}" if params else "none"
            )
            rows.append({"user": label, "filter": "dated" if dated else shown, **result})
            print(  # noqa: T201
                f"| {participants:,} | {label} | {shown} | {result['median']:.0f} "
                f"| {result['p95']:.0f} | {result['queries']} |"
            )
    if args.json_path:
        Path(args.json_path).write_text(json.dumps({"participants": participants, "rows": rows}))


if __name__ == "__main__":
    main()
