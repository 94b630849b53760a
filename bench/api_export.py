"""Measure a full REDCap record export through /api/ on the bench data (in-process client).

Usage, after ``bench/synthetic.py N --reset`` filled the database::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/edc_bench DJANGO_SECRET_KEY=x \\
        .venv/bin/python bench/api_export.py --formats json csv --page-size 500

For a trial-wide statistician's token it exports every record once per format (after one
warm-up call on a single record) and prints, as Markdown rows: participants, format, page
size, bytes, seconds, rows per second, SQL queries, and the growth of the process's peak
resident memory during the export (the body is consumed chunk by chunk and discarded, as a
client reading the stream would).
"""

import argparse
import os
import resource
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

from api.services import api_token_create  # noqa: E402
from trial.context import default_protocol_code  # noqa: E402
from trial.models import Membership, Participant, Role  # noqa: E402


def bench_token() -> str:
    user, _created = get_user_model().objects.get_or_create(username="bench_api_stat")
    Membership.objects.get_or_create(
        user=user, protocol_code=default_protocol_code(), site=None, role=Role.STATISTICIAN
    )
    return api_token_create(actor=user, user=user, protocol_code=default_protocol_code())[1]


def export(client: Client, token: str, fmt: str, **extra: str) -> tuple[int, int]:
    response = client.post("/api/", {"token": token, "content": "record", "format": fmt, **extra})
    size = lines = 0
    for chunk in response.streaming_content:
        size += len(chunk)
        lines += chunk.count(b"\n") if fmt == "csv" else chunk.count(b'"record_id"')
    return size, lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--formats", nargs="+", default=["json", "csv"])
    parser.add_argument("--page-size", type=int, default=500)
    args = parser.parse_args()
    settings.EDC_API_RATE_LIMIT = 10**9
    settings.EDC_API_PAGE_SIZE = args.page_size
    token, client = bench_token(), Client()
    n = Participant.objects.count()
    first = Participant.objects.order_by("trial_id").values_list("trial_id", flat=True).first()
    export(client, token, "json", records=first)  # warm-up: imports, catalogues, connection
    print("| participants | format | page | MB | s | rows/s | queries | peak RSS growth MB |")  # noqa: T201
    print("|---:|---|---:|---:|---:|---:|---:|---:|")  # noqa: T201
    for fmt in args.formats:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            size, rows = export(client, token, fmt)
        seconds = time.perf_counter() - started
        growth = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
        rows -= 1 if fmt == "csv" else 0
        row = (n, fmt, args.page_size, f"{size / 1e6:.1f}", f"{seconds:.1f}",
               f"{rows / seconds:.0f}", len(queries), f"{growth:.0f}")  # fmt: skip
        print("| " + " | ".join(map(str, row)) + " |")  # noqa: T201


if __name__ == "__main__":
    main()
