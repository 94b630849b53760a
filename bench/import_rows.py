"""Import N rows through the import page's job against saving them through crf_save.

Usage::

    .venv/bin/python bench/import_rows.py --rows 50000 [--job-rows N] [--loop-rows N] [--no-dry-run]

Each row is one new record: its enrolment (screening and admission date) and its admission
pain VAS (date, leg and back score), in the flat export's shape. In a fresh database
(``<BENCH_DB_PREFIX>_import`` on the server of ``BENCH_PG_URL``/``DATABASE_URL``, dropped and
migrated first) each measurement runs in its own child process, so its peak memory is its
own:

* ``read``: the file side alone at ``--rows``: the CSV read back in chunks of 2,000 and
  mapped to variables — rows per second and peak RSS (the file is never held whole);
* ``job``: the CSV written to disk, uploaded through ``import_upload`` (stored as a file,
  SHA-256 on the way), the dry run and the commit through ``import_run`` (the Celery tasks'
  body, in-process: the broker adds nothing per row) — rows per second of each, peak RSS,
  on ``--job-rows`` rows (default ``--rows``);
* ``loop``: the nurse's path — for each row ``participant_register`` then ``crf_save`` of
  the VAS form, each its own transaction — on the first ``--loop-rows`` rows of other
  records (the loop's rate is flat in N, so a sample gives it; say so when quoting).

Prints one JSON object; ``--markdown`` also prints the docs table.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PY = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv").exists() else sys.executable
SITES = ("S01", "S02", "S03", "S04", "S05")
HEADER = (
    "record_id,redcap_event_name,screening_date,admission_date,vas_assessment_date,vas_leg,vas_back"
)


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def row_values(n: int, first: int = 0) -> tuple[str, str, str, float, float]:
    """The n-th row's record id, screening day, admission day and two VAS scores."""
    import datetime

    day = datetime.date(2024, 1, 1) + datetime.timedelta(days=n % 300)
    site, number = SITES[n % len(SITES)], first + n // len(SITES) + 1
    return f"{site}-{number:04d}", day.isoformat(), day.isoformat(), (n % 11) * 1.0, (n % 7) * 1.0


def write_csv(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER + "\n")
        for n in range(rows):
            record, screening, admission, leg, back = row_values(n)
            out.write(
                f"{record},admission_arm_1,{screening},{admission},{admission},{leg},{back}\n"
            )


def _users() -> tuple:
    from accounts.models import User
    from trial.context import default_protocol_code
    from trial.models import Membership, Role, Site

    for code in SITES:
        Site.objects.get_or_create(code=code, defaults={"name": code})
    manager, _ = User.objects.get_or_create(username="bench-dm")
    nurse, _ = User.objects.get_or_create(username="bench-nurse")
    code = default_protocol_code()
    Membership.objects.get_or_create(
        user=manager, protocol_code=code, site=None, role=Role.DATA_MANAGER
    )
    Membership.objects.get_or_create(
        user=nurse, protocol_code=code, site=None, role=Role.RESEARCH_NURSE
    )
    return manager, nurse


def child_job(rows: int) -> dict:
    _django()
    from django.core.files import File

    from imports.services import import_run, import_upload
    from trial.context import default_protocol_code

    manager, _nurse = _users()
    path = Path(os.environ["EDC_MEDIA_ROOT"]) / "bench-import.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_csv(path, rows)
    before = peak_rss_mib()
    started = time.perf_counter()
    with path.open("rb") as handle:
        job = import_upload(
            actor=manager,
            protocol_code=default_protocol_code(),
            upload=File(handle, name="bench-import.csv"),
        )
    upload_s = time.perf_counter() - started
    check_s = None
    if not os.environ.get("BENCH_IMPORT_NO_DRY_RUN"):
        job.status = "checking"
        job.save(update_fields=["status"])  # what import_check_start does, without its queue
        started = time.perf_counter()
        job = import_run(job_id=job.pk, dry_run=True)
        check_s = time.perf_counter() - started
        assert job.problem_count == 0, job.problems[:5]
    job.status = "queued"
    job.save(update_fields=["status"])  # what import_commit_start does, without its queue
    started = time.perf_counter()
    job = import_run(job_id=job.pk, dry_run=False)
    commit_s = time.perf_counter() - started
    assert job.status == "succeeded", job.error
    return {"rows": rows, "file_mib": round(path.stat().st_size / 2**20, 2),
            "upload_s": round(upload_s, 2), "dry_run_s": check_s and round(check_s, 1),
            "commit_s": round(commit_s, 1),
            "dry_run_rows_per_s": check_s and round(rows / check_s, 1),
            "commit_rows_per_s": round(rows / commit_s, 1),
            "rss_before_mib": round(before, 1), "peak_rss_mib": round(peak_rss_mib(), 1)}  # noqa: E501  # fmt: skip


def child_read(rows: int) -> dict:
    """The file side alone: write N rows, read them back in chunks and map them."""
    _django()
    from imports.mapping import auto_map, mapped_rows, variables
    from imports.readers import iter_chunks, read_header
    from trial.context import default_protocol_code

    path = Path(os.environ["EDC_MEDIA_ROOT"]) / "bench-read.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_csv(path, rows)
    known = variables(default_protocol_code(), blinded=False)
    header = read_header(path, "csv")
    mapping = auto_map(header, known)
    before = peak_rss_mib()
    started, count = time.perf_counter(), 0
    for _line, chunk in iter_chunks(path, "csv", size=2000):
        count += len(mapped_rows(header, chunk, mapping, known))
    seconds = time.perf_counter() - started
    return {"rows": count, "file_mib": round(path.stat().st_size / 2**20, 2),
            "seconds": round(seconds, 2), "rows_per_s": round(count / seconds),
            "rss_before_mib": round(before, 1), "peak_rss_mib": round(peak_rss_mib(), 1)}  # noqa: E501  # fmt: skip


def child_stream(rows: int) -> dict:
    """The import's reading side at N rows, as the job runs it but writing nothing: the file
    read in chunks, mapped, and grouped into the importer's chunks of records; Python's
    peak allocation (tracemalloc) streaming, against the same rows held at once (what the
    importer kept before it streamed: every mapped row and every grouped record)."""
    _django()
    import tracemalloc

    from api.imports import CHUNK_RECORDS, ImportOptions, _Importer
    from imports.mapping import auto_map, mapped_rows, variables
    from imports.readers import iter_chunks, read_header
    from trial.context import default_protocol_code
    from trial.protocol import get_protocol

    manager, _nurse = _users()
    path = Path(os.environ["EDC_MEDIA_ROOT"]) / "bench-stream.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_csv(path, rows)
    known = variables(default_protocol_code(), blinded=False)
    header = read_header(path, "csv")
    mapping = auto_map(header, known)
    protocol = get_protocol(default_protocol_code())

    def mapped():
        for _line, chunk in iter_chunks(path, "csv", size=2000):
            yield from mapped_rows(header, chunk, mapping, known)

    out: dict = {"rows": rows, "file_mib": round(path.stat().st_size / 2**20, 2)}
    for mode in ("streamed", "held"):
        importer = _Importer(protocol, manager, ImportOptions())
        tracemalloc.start()
        started = time.perf_counter()
        if mode == "streamed":
            records = sum(len(c) for c in importer.group(mapped(), CHUNK_RECORDS))
        else:
            held = list(mapped())
            grouped = [r for c in importer.group(held, rows + 1) for r in c]
            records = len(grouped)
        seconds = time.perf_counter() - started
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        out[mode] = {"records": records, "seconds": round(seconds, 1),
                     "peak_python_mib": round(peak / 2**20, 1)}  # fmt: skip
    return out


def child_loop(rows: int) -> dict:
    _django()
    import datetime

    from trial.context import default_protocol_code
    from trial.models import Site, Visit
    from trial.services.crfs import crf_save
    from trial.services.participants import participant_register

    _manager, nurse = _users()
    sites = {s.code: s for s in Site.objects.all()}
    # the loop's records are numbered after the job's (never one the job imported)
    loop_first = int(os.environ.get("BENCH_LOOP_FIRST", "5000"))
    before = peak_rss_mib()
    started = time.perf_counter()
    for n in range(rows):
        record, screening, admission, leg, back = row_values(n, first=loop_first)
        day = datetime.date.fromisoformat(admission)
        participant = participant_register(
            actor=nurse, protocol_code=default_protocol_code(), site=sites[record[:3]],
            screening_date=day, registration_date=day, full_name="", site_sequence=int(record[4:]),
        )  # noqa: E501  # fmt: skip
        visit = Visit.objects.get(participant=participant, code="admission")
        crf_save(actor=nurse, participant=participant, form_code="vas", visit=visit,
                 answers={"assessment_date": day, "leg_vas": leg, "back_vas": back},
                 complete=True)  # noqa: E501  # fmt: skip
    seconds = time.perf_counter() - started
    return {"rows": rows, "seconds": round(seconds, 1), "rows_per_s": round(rows / seconds, 1),
            "rss_before_mib": round(before, 1), "peak_rss_mib": round(peak_rss_mib(), 1)}  # noqa: E501  # fmt: skip


def database_url() -> str:
    explicit = os.environ.get("BENCH_PG_URL")
    parts = urlsplit(
        explicit or os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432"
    )
    name = f"{os.environ.get('BENCH_DB_PREFIX', 'edc_bench')}_import"
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", "", ""))


def reset(url: str, env: dict) -> None:
    import psycopg

    admin, name = url.rsplit("/", 1)
    with psycopg.connect(f"{admin}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    subprocess.run([PY, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)


def child(kind: str, rows: int, env: dict) -> dict:
    done = subprocess.run([PY, __file__, "--child", kind, "--rows", str(rows)], cwd=ROOT, env=env,
                          check=True, text=True, stdout=subprocess.PIPE)  # noqa: E501  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--job-rows", type=int, default=None)
    parser.add_argument("--loop-rows", type=int, default=None)
    parser.add_argument("--child", choices=("job", "loop", "read", "stream"))
    parser.add_argument(
        "--no-dry-run",
        action="store_true",
        help="commit the job without its dry run (half the time at 50,000 rows)",
    )
    args = parser.parse_args()
    if args.child:
        run = {"job": child_job, "loop": child_loop, "read": child_read,
               "stream": child_stream}[args.child]  # fmt: skip
        result = run(args.rows)
        print(json.dumps(result))  # noqa: T201
        return
    url = database_url()
    media = ROOT / "var" / "bench" / "import-media"
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_DEBUG": "0", "EDC_HTTPS": "0",
           "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY") or "bench-only-not-secret",
           "EDC_MEDIA_ROOT": str(media), "EDC_LOG_LEVEL": "WARNING"}  # noqa: E501  # fmt: skip
    if args.no_dry_run:
        env["BENCH_IMPORT_NO_DRY_RUN"] = "1"
    reset(url, env)
    load = os.getloadavg()
    read = child("read", args.rows, env)
    stream = child("stream", args.rows, env)
    job = child("job", args.job_rows or args.rows, env)
    job_records = (args.job_rows or args.rows) // len(SITES) + 1
    env["BENCH_LOOP_FIRST"] = str(max(5000, job_records + 1000))
    loop = child("loop", args.loop_rows or args.rows, env)
    print(json.dumps({"load_average_before": [round(x, 1) for x in load],  # noqa: T201
                      "load_average_after": [round(x, 1) for x in os.getloadavg()],
                      "cpus": os.cpu_count(), "read": read, "stream": stream, "job": job,
                      "loop": loop,
                      "commit_vs_loop": round(job["commit_rows_per_s"] / loop["rows_per_s"], 2)},
                     indent=1))  # noqa: E501  # fmt: skip


if __name__ == "__main__":
    main()
