"""Time a dataset release on the bench database, against PostgreSQL's own COPY (JSON out).

Usage (``bench/run.py`` calls both, with the bench database's environment)::

    .venv/bin/python bench/release.py job      # through the Celery worker, as users do
    .venv/bin/python bench/release.py phases   # in this process, phase by phase, + COPY
    .venv/bin/python bench/release.py copy     # only the extraction + CSV against COPY

``job`` declares a data cut the way the web page does (queued on commit to the running
Celery worker) and waits until the release is ready: it prints the wall time from the
declaration to "ready" and the worker's own started → finished time. The worker's peak
memory is read by ``bench/run.py`` from ``/proc`` (the worker runs with the solo pool).

``phases`` runs the same build code in this process (the workflow's steps in a row) with a
timer around each step: extraction (``dataset_build``: the SQL reads and the wide/long
frames), the release frames (the blinded transform is made once per blinded part), the
staging pickle, every writer, the zips; it writes into a throw-away folder and publishes
nothing.
It then runs the very SQL statements the extraction ran (captured) as
``COPY (…) TO STDOUT WITH (FORMAT csv, HEADER)`` and reads every byte: that is the time
PostgreSQL needs to hand over the same rows, the floor of any extraction. "CSV extraction"
is the extraction plus writing ``wide.csv`` and ``long.csv``; "SQL CSV extraction" is the
same two files shaped and formatted by PostgreSQL (``analysis.datasets.sql``, what a
release uses on PostgreSQL), measured in the same run against the same COPY. Peak memory is
this process's maximum resident set size.
"""

import json
import os
import resource
import sys
import tempfile
import time
from collections import defaultdict
from functools import wraps
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

import analysis.releases.builder as B  # noqa: E402
import analysis.releases.writers as W  # noqa: E402
from analysis.datasets.builders import dataset_build  # noqa: E402
from analysis.datasets.sql import copy_dataset_csv  # noqa: E402
from analysis.models import DatasetRelease  # noqa: E402
from analysis.plans import get_plan  # noqa: E402
from analysis.releases.services import _meta, dataset_release_declare  # noqa: E402
from trial.context import default_protocol_code  # noqa: E402
from trial.protocol import get_protocol  # noqa: E402

TIMES: dict[str, float] = defaultdict(float)


def timed(module: object, name: str, label: str) -> None:
    """Replace ``module.name`` by a wrapper that adds its run time to ``TIMES[label]``."""
    original = getattr(module, name)

    @wraps(original)
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            TIMES[label] += time.perf_counter() - started

    setattr(module, name, wrapper)


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def selects(captured: list[dict]) -> list[str]:
    """The SELECTs the extraction ran, those behind a server-side cursor included."""
    out = []
    for query in captured:
        sql = query["sql"]
        if sql.startswith("DECLARE") and " FOR SELECT " in sql:
            sql = sql[sql.index(" FOR SELECT ") + len(" FOR ") :]
        if sql.startswith("SELECT"):
            out.append(sql)
    return out


def sql_csv_extraction(plan) -> tuple[float, float]:
    """The wide and long CSVs shaped and formatted by PostgreSQL (``analysis.datasets.sql``,
    what a release uses on PostgreSQL): (seconds, this process's peak MiB after it)."""
    with tempfile.TemporaryDirectory(prefix="bench-release-") as tmp:
        started = time.perf_counter()
        copy_dataset_csv(plan=plan, population="itt", folder=Path(tmp))
        return time.perf_counter() - started, peak_rss_mib()


def extraction_vs_copy() -> dict:
    """The CSV extraction (by COPY of the generated SELECTs, and by the Python builder +
    ``write_csv``) against a plain COPY of the SELECTs the Python builder runs (no files).

    The COPY path runs first, so the peak memory after it is its own (plus Django's)."""
    plan = get_plan(default_protocol_code())
    sql_csv, sql_peak = sql_csv_extraction(plan)
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as captured:
        data = dataset_build(plan=plan, population="itt")
    extract = time.perf_counter() - started
    with tempfile.TemporaryDirectory(prefix="bench-release-") as tmp:
        started = time.perf_counter()
        W.write_csv(data.wide, Path(tmp) / "wide.csv")
        W.write_csv(data.long, Path(tmp) / "long.csv")
        dataset_csv = time.perf_counter() - started
    statements = selects(captured.captured_queries)
    copy, copied = copy_seconds(statements)
    return {
        "extract_s": round(extract, 2),
        "csv_extraction_s": round(extract + dataset_csv, 2),
        "sql_csv_extraction_s": round(sql_csv, 2),
        "sql_csv_peak_rss_mib": round(sql_peak, 1),
        "copy_s": round(copy, 2),
        "copy_mib": round(copied / 2**20, 1),
        "copy_statements": len(statements),
        "peak_rss_mib": round(peak_rss_mib(), 1),
    }


def copy_seconds(statements: list[str]) -> tuple[float, int]:
    """Run each SELECT as COPY … TO STDOUT (CSV, header), read it all; (seconds, bytes)."""
    total = 0
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for sql in statements:
            with cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER)") as copy:
                for block in copy:
                    total += len(block)
    return time.perf_counter() - started, total


def phases() -> dict:
    plan = get_plan(default_protocol_code())
    protocol = get_protocol(default_protocol_code())
    for label, module, name in (
        ("csv", W, "write_csv"), ("sav", W, "write_sav"), ("dta", W, "write_dta"),
        ("parquet", W, "write_parquet"),
        ("xlsx", W, "write_xlsx"), ("codebook", W, "write_codebook_csv"),
        ("codebook", W, "write_codebook_html"), ("odm", B, "write_odm"),
        ("frames", B, "unblinded_frames"), ("frames", B, "blinded_frames"),
        ("checksum", B, "_frames_checksum"),
        ("manifest", B, "manifest_write"), ("diff", B, "release_diff"), ("zip", B, "_zip"),
    ):  # fmt: skip
        timed(module, name, label)
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as captured:
        data = dataset_build(plan=plan, population="itt")
    extract = time.perf_counter() - started
    statements = selects(captured.captured_queries)
    with tempfile.TemporaryDirectory(prefix="bench-release-") as tmp:
        started = time.perf_counter()
        built = B.release_build_files(
            data=data, protocol=protocol, media_root=Path(tmp), previous=None,
            meta=_meta(DatasetRelease(protocol_code=protocol.code, version=1, reason="bench",
                                      cut_at=timezone.now(), population="itt"), data, None),
        )  # fmt: skip
        files = time.perf_counter() - started
        folder = Path(tmp) / built.folder / "unblinded"
        sizes = {p.name: p.stat().st_size for p in folder.iterdir()}
        started = time.perf_counter()
        for name in ("wide", "long"):
            W.write_csv(data.wide if name == "wide" else data.long, Path(tmp) / f"{name}.csv")
        dataset_csv = time.perf_counter() - started
    copy, copied = copy_seconds(statements)
    counts = len(data.wide), len(data.long)
    del data, built
    sql_csv, _peak = sql_csv_extraction(plan)
    return {
        "participants_in_release": counts[0],
        "long_rows": counts[1],
        "extract_s": round(extract, 2),
        "files_s": round(files, 2),
        "total_s": round(extract + files, 2),
        "phases_s": {k: round(v, 2) for k, v in sorted(TIMES.items())},
        "csv_extraction_s": round(extract + dataset_csv, 2),
        "sql_csv_extraction_s": round(sql_csv, 2),
        "copy_s": round(copy, 2),
        "copy_mib": round(copied / 2**20, 1),
        "copy_statements": len(statements),
        "unblinded_file_mib": {k: round(v / 2**20, 2) for k, v in sorted(sizes.items())},
        "peak_rss_mib": round(peak_rss_mib(), 1),
    }


def job(timeout: float = 1800) -> dict:
    started = time.perf_counter()
    release = dataset_release_declare(
        actor="bench", protocol_code=default_protocol_code(), reason="benchmark data cut"
    )
    while True:
        release.refresh_from_db()
        if release.is_finished:
            break
        if time.perf_counter() - started > timeout:
            raise SystemExit(f"release v{release.version} not finished after {timeout} s")
        time.sleep(0.2)
    wall = time.perf_counter() - started
    if release.status != DatasetRelease.Status.READY:
        raise SystemExit(f"release v{release.version} failed: {release.error}")
    return {
        "version": release.version,
        "participants_in_release": release.n_participants,
        "wall_s": round(wall, 2),
        "worker_s": round((release.finished_at - release.started_at).total_seconds(), 2),
    }


def main() -> None:
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    modes = {"job": job, "phases": phases, "copy": extraction_vs_copy}
    if mode not in modes:
        sys.exit("usage: bench/release.py job|phases|copy")
    print(json.dumps(modes[mode]()))  # noqa: T201


if __name__ == "__main__":
    main()
