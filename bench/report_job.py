"""Benchmark the report job (Tables 1–5) at several trial sizes, against the same
statistics computed on frames already in memory.

Usage (PostgreSQL; one database per size, created, migrated and filled unless reused)::

    DJANGO_SECRET_KEY=x EDC_HTTPS=0 .venv/bin/python bench/report_job.py \\
        --sizes 77,10000,100000 --json var/bench/report_job.json [--reuse] [--snapshot]

Size 77 is the paper-like demo trial (``manage.py demo_report_data``); other sizes are
``bench/synthetic.py N --reset`` (N registered participants, about 70 % randomized).
Each size's database is ``--db SIZE=URL`` or the template ``--db-template`` (default
``$BENCH_DATABASE_URL_TEMPLATE`` or ``postgres://postgres@127.0.0.1:5432/edc_bench_{label}``,
with ``{label}`` 77, 10k, 100k … and ``{size}`` the number).

Per size, fresh Python processes, one after the other:

* **job**: a ``ReportRun`` (ITT, correct mode, unblinded, all sites) executed by
  ``analysis.services.report_run_execute`` — what the Celery task runs: read the data,
  compute every table, the CONSORT flow and the figure, render XLSX and DOCX, save.
* **release** (untimed for the report): a dataset release of the same data is declared
  and built in-process (``dataset_release_build``), unless one is already published.
* **snapshot job**: the same ``ReportRun`` on that release (``data_source`` "snapshot"):
  the job reads the release's Parquet files instead of the database; the reading alone
  (``analysis.releases.reader.release_dataset``) is timed in the same process afterwards.
* **in memory**: the dataset is built first (not timed), then only the statistics and
  tables (``analysis.services.build_result``) are timed on the frames in memory.

Wall time is ``time.perf_counter``. Peak memory is the process's peak resident set size
(``getrusage(RUSAGE_SELF).ru_maxrss``, read in the process at the end): it includes the
interpreter, Django and the libraries (the ``baseline`` column is the RSS after start-up).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TEMPLATE = "postgres://postgres@127.0.0.1:5432/edc_bench_{label}"


def label(size: int) -> str:
    if size >= 1000 and size % 1000 == 0:
        return f"{size // 1000}k"
    return str(size)


def _maxrss_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# ---- child processes (run with DATABASE_URL set) ------------------------------------------


def _django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def child_job(*, snapshot: bool = False) -> dict[str, Any]:
    _django()
    from django.conf import settings
    from django.contrib.auth import get_user_model

    from analysis.models import DatasetRelease, ReportRun
    from analysis.services import report_run_execute
    from trial.context import default_protocol_code

    baseline = _maxrss_mib()
    user, _ = get_user_model().objects.get_or_create(username="bench")
    release = None
    if snapshot:
        release = DatasetRelease.objects.filter(status="ready").order_by("-version").first()
    run = ReportRun.objects.create(
        protocol_code=default_protocol_code(),
        created_by=user,
        population="itt",
        mode="correct",
        blinded_view=False,
        data_source="snapshot" if snapshot else "live",
        release=release,
        language="en",
    )
    started = time.perf_counter()
    run = report_run_execute(run_id=run.pk)
    seconds = time.perf_counter() - started
    row = {
        "status": run.status,
        "error": run.error,
        "seconds": seconds,
        "n": (run.inputs or {}).get("n"),
        "peak_rss_mib": _maxrss_mib(),
        "baseline_rss_mib": baseline,
    }
    if snapshot:
        from analysis.releases.reader import release_dataset

        folder = Path(settings.MEDIA_ROOT) / release.folder / "unblinded"
        started = time.perf_counter()
        release_dataset(folder, protocol_code=run.protocol_code, population="itt",
                        released=release.population)  # fmt: skip
        row["read_seconds"] = time.perf_counter() - started
    return row


def child_release() -> dict[str, Any]:
    """Publish a release of the size's data (once: an existing ready release is reused)."""
    _django()
    from django.conf import settings
    from django.contrib.auth import get_user_model

    from analysis.models import DatasetRelease
    from analysis.releases.services import dataset_release_build, dataset_release_declare
    from trial.context import default_protocol_code

    ready = DatasetRelease.objects.filter(status="ready").order_by("-version").first()
    if ready is not None and (Path(settings.MEDIA_ROOT) / ready.folder).is_dir():
        return {"status": "ready", "version": ready.version, "seconds": None}
    user, _ = get_user_model().objects.get_or_create(username="bench")
    started = time.perf_counter()
    release = dataset_release_declare(
        actor=user, protocol_code=default_protocol_code(), reason="benchmark", enqueue=False
    )
    release = dataset_release_build(release_id=release.pk)
    return {"status": release.status, "version": release.version, "error": release.error,
            "seconds": time.perf_counter() - started}  # fmt: skip


def child_memory() -> dict[str, Any]:
    _django()
    from analysis.datasets.builders import dataset_build
    from analysis.plans import get_plan
    from analysis.render.docx import render_docx
    from analysis.render.xlsx import render_xlsx
    from analysis.services import build_result, json_safe
    from analysis.tables import TableContext
    from trial.context import default_protocol_code

    baseline = _maxrss_mib()
    plan = get_plan(default_protocol_code())
    started = time.perf_counter()
    data = dataset_build(plan=plan, population="itt")
    read = time.perf_counter() - started
    ctx = TableContext(plan, mode="correct", pooled=False)
    started = time.perf_counter()
    result = build_result(data, plan, ctx, lambda percent, message: None)
    stats_seconds = time.perf_counter() - started
    started = time.perf_counter()
    result = json_safe(result)
    meta = {"run_id": 0, "inputs": {}, "language": "en"}
    render_xlsx(result, meta), render_docx(result, meta)
    render = time.perf_counter() - started
    return {
        "n": len(data.wide),
        "read_seconds": read,
        "seconds": stats_seconds,
        "render_seconds": render,
        "peak_rss_mib": _maxrss_mib(),
        "baseline_rss_mib": baseline,
    }


# ---- the orchestrating process -------------------------------------------------------------


def _run(cmd: list[str], env: dict[str, str], *, quiet: bool = False) -> str:
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")
    if not quiet:
        print(out.stdout.strip()[-500:], file=sys.stderr)  # noqa: T201
    return out.stdout


def _admin_url(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/postgres")), parts.path.lstrip("/")


def _database_exists(url: str) -> bool:
    import psycopg

    admin, name = _admin_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()


def _has_participants(env: dict[str, str]) -> bool:
    code = "from trial.models import Participant; print(Participant.objects.count())"
    try:
        out = subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT,
                             env=env, capture_output=True, text=True, check=True)  # fmt: skip
    except subprocess.CalledProcessError:
        return False
    return int(out.stdout.strip().splitlines()[-1] or 0) > 0


def _recreate(url: str) -> None:
    import psycopg
    from psycopg import sql

    admin, name = _admin_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def prepare(size: int, env: dict[str, str], *, reuse: bool) -> dict[str, Any]:
    """Create, migrate and fill the size's database unless it can be reused."""
    url = env["DATABASE_URL"]
    if reuse and _database_exists(url) and _has_participants(env):
        return {"generated": False}
    _recreate(url)
    py = sys.executable
    _run([py, "manage.py", "migrate", "--noinput", "-v0"], env, quiet=True)
    started = time.perf_counter()
    if size == 77:
        code = ("from django.contrib.auth import get_user_model; "
                "get_user_model().objects.create_superuser('bench-admin', None, None)")  # fmt: skip
        _run([py, "manage.py", "shell", "-c", code], env, quiet=True)
        _run([py, "manage.py", "demo_report_data", "--user", "bench-admin"], env)
    else:
        _run([py, "bench/synthetic.py", str(size), "--reset"], env)
    return {"generated": True, "generate_seconds": time.perf_counter() - started}


def _child(kind: str, env: dict[str, str]) -> dict[str, Any]:
    out = _run([sys.executable, __file__, "--child", kind], env, quiet=True)
    return json.loads(out.strip().splitlines()[-1])


def _media(name: str) -> Path:
    """Each database its own media folder (two sizes' first releases are both v1): the
    folder `make bench` gave that database (``$EDC_MEDIA_ROOT`` is ``<run>/<database>``
    there), whose releases are then reused, else a folder of its own."""
    given = os.environ.get("EDC_MEDIA_ROOT")
    if given and (Path(given).parent / name).is_dir():
        return Path(given).parent / name
    return Path(given or tempfile.gettempdir()) / f"report-{name}"


def measure(size: int, url: str, *, reuse: bool, with_snapshot: bool) -> dict[str, Any]:
    name = _admin_url(url)[1]
    env = {**os.environ, "DATABASE_URL": url, "EDC_MEDIA_ROOT": str(_media(name))}
    row: dict[str, Any] = {"size": size, "database": name}
    row.update(prepare(size, env, reuse=reuse))
    row["job"] = _child("job", env)
    if row["job"]["status"] != "succeeded":
        sys.exit(f"report job failed at {size}: {row['job']['error']}")
    row["in_memory"] = _child("memory", env)
    row["ratio"] = row["job"]["seconds"] / max(row["in_memory"]["seconds"], 1e-9)
    if with_snapshot:
        row["release"] = _child("release", env)
        if row["release"]["status"] != "ready":
            sys.exit(f"release failed at {size}: {row['release'].get('error')}")
        row["snapshot_job"] = _child("snapshot", env)
        if row["snapshot_job"]["status"] != "succeeded":
            sys.exit(f"report job on the release failed at {size}: "
                     f"{row['snapshot_job']['error']}")  # fmt: skip
        row["snapshot_ratio"] = row["snapshot_job"]["seconds"] / max(
            row["in_memory"]["seconds"], 1e-9
        )
    return row


def markdown(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| participants registered | ITT n | report job s | job peak RSS MiB "
        "| in-memory stats + tables s | job / in-memory | dataset read s | render s "
        "| in-memory peak RSS MiB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        job, mem = r["job"], r["in_memory"]
        lines.append(
            f"| {r['size']:,} | {job['n']:,} | {job['seconds']:.1f} | {job['peak_rss_mib']:.0f} "
            f"| {mem['seconds']:.1f} | {r['ratio']:.2f} | {mem['read_seconds']:.1f} "
            f"| {mem['render_seconds']:.1f} | {mem['peak_rss_mib']:.0f} |"
        )
    snapshots = [r for r in rows if "snapshot_job" in r]
    if snapshots:
        lines += [
            "",
            "| participants registered | ITT n | report job on the release s | peak RSS MiB "
            "| of which Parquet read s | in-memory stats + tables s | job on release / in-memory |",
            "|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in snapshots:
            job, mem = r["snapshot_job"], r["in_memory"]
            lines.append(
                f"| {r['size']:,} | {job['n']:,} | {job['seconds']:.1f} "
                f"| {job['peak_rss_mib']:.0f} | {job['read_seconds']:.2f} | {mem['seconds']:.1f} "
                f"| {r['snapshot_ratio']:.2f} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="77,10000,100000")
    parser.add_argument("--json", dest="json_path", help="write the figures here")
    parser.add_argument(
        "--reuse", action="store_true", help="reuse a database that already has participants"
    )
    parser.add_argument("--db", action="append", default=[], metavar="SIZE=URL")
    template = os.environ.get("BENCH_DATABASE_URL_TEMPLATE", DEFAULT_TEMPLATE)
    parser.add_argument("--db-template", default=template)
    parser.add_argument(
        "--snapshot", action="store_true",
        help="also publish a release and run the report job on it (reading its Parquet)",
    )  # fmt: skip
    parser.add_argument("--child", choices=["job", "memory", "release", "snapshot"],
                        help=argparse.SUPPRESS)  # fmt: skip
    args = parser.parse_args()
    if args.child:
        children = {"job": child_job, "memory": child_memory, "release": child_release,
                    "snapshot": lambda: child_job(snapshot=True)}  # fmt: skip
        result = children[args.child]()
        print(json.dumps(result))  # noqa: T201
        return
    urls = dict(item.split("=", 1) for item in args.db)
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        url = urls.get(str(size)) or args.db_template.format(size=size, label=label(size))
        rows.append(measure(size, url, reuse=args.reuse, with_snapshot=args.snapshot))
        print(f"{size}: done", file=sys.stderr)  # noqa: T201
    table = markdown(rows)
    print(table)  # noqa: T201
    if args.json_path:
        Path(args.json_path).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json_path).write_text(json.dumps({
            "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                        "platform": platform.platform()},
            "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "results": rows, "markdown": table}, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
