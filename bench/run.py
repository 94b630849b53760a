"""`make bench`: measure the EDC on one server, side by side, and write docs/benchmarks.md.

Usage::

    make bench SIZES=100,10000,100000          # or: .venv/bin/python bench/run.py --sizes …

For every size N it uses the database ``<prefix>_<label>`` (``edc_bench_100``,
``edc_bench_10k``, ``edc_bench_100k``; created and migrated if needed) on the PostgreSQL
server of ``BENCH_PG_URL`` (default: the server of ``DATABASE_URL``, else
``postgres://postgres@127.0.0.1:5432``), fills it with ``bench/synthetic.py N --reset``
(skipped with ``--keep-data`` when it already holds N participants), then starts gunicorn
(``--workers`` sync workers, DEBUG off, on ``BENCH_PORT``) and a Celery worker (solo pool,
so its peak memory is the job's) against ``REDIS_URL``, and measures:

1. HTTP load (``bench/load.py``): 1, 10 and 20 nurses each saving complete SF-36 forms of
   their own participants, against the same users loading ``/account/`` (the lightest
   authenticated page: session, user and memberships) — throughput and p50/p95;
2. ``/dashboard/`` and the participant page over HTTP (one investigator, sequential), and
   the SQL queries of one request (in-process test client, ``bench/queries.py``);
3. the report job (``bench/report_job.py``, with ``--report-sizes``), live and on a release;
4. at ``--release-size`` (default: the largest size): the dataset release through the
   worker, the worker's peak memory, and the same build phase by phase in a separate
   process against PostgreSQL's ``COPY … TO STDOUT`` of the same rows (``bench/release.py``).

Everything it started is stopped at the end. Results go to ``var/bench/<section>.json`` and
between the ``bench:<section>`` markers of ``docs/benchmarks.md`` (``--section``, default
``results``), so a partial re-run can land in its own section.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bench import load  # noqa: E402
from bench.markdown import number, replace_section, table  # noqa: E402

DATED = "2024-01-01:2024-12-31"  # the screening-date filter of the dashboard goal
PY = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv").exists() else sys.executable
BIN = Path(PY).parent


def label(size: int) -> str:
    """``100`` → ``100``, ``10000`` → ``10k``, ``100000`` → ``100k``, ``77`` → ``77``."""
    return f"{size // 1000}k" if size >= 1000 and size % 1000 == 0 else str(size)


def server_url() -> str:
    explicit = os.environ.get("BENCH_PG_URL")
    if explicit:
        return explicit.rstrip("/")
    parts = urlsplit(os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432")
    return urlunsplit((parts.scheme, parts.netloc, "", "", "")).rstrip("/")


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)  # noqa: T201


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.pg = server_url()
        self.processes: list[subprocess.Popen] = []
        self.media = Path(tempfile.mkdtemp(prefix="edc-bench-media-"))

    def env(self, db: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            DATABASE_URL=f"{self.pg}/{db}",
            REDIS_URL=self.args.redis,
            DJANGO_SECRET_KEY=os.environ.get("DJANGO_SECRET_KEY") or "bench-only-not-secret",
            DJANGO_DEBUG="0",
            EDC_HTTPS="0",
            EDC_MEDIA_ROOT=str(self.media / db),  # each database its own releases/v1…
            EDC_LOG_LEVEL="WARNING",
            PYTHONUNBUFFERED="1",
        )
        return env

    def py(self, db: str, *argv: str, capture: bool = True) -> str:
        done = subprocess.run(
            [PY, *argv], cwd=ROOT, env=self.env(db), check=False, text=True,
            stdout=subprocess.PIPE if capture else None, stderr=subprocess.PIPE,
        )  # fmt: skip
        if done.returncode:
            raise RuntimeError(f"{' '.join(argv)} failed:\n{done.stderr[-3000:]}")
        return done.stdout or ""

    def psql(self, db: str, sql: str) -> str:
        import psycopg

        with psycopg.connect(f"{self.pg}/{db}", autocommit=True) as conn:
            cursor = conn.execute(sql)
            row = cursor.fetchone() if cursor.description else None  # CREATE returns no rows
            return str(row[0]) if row else ""

    def ensure_db(self, db: str) -> None:
        exists = self.psql("postgres", f"SELECT count(*) FROM pg_database WHERE datname = '{db}'")
        if exists == "0":
            log(f"creating database {db}")
            self.psql("postgres", f'CREATE DATABASE "{db}"')
        self.py(db, "manage.py", "migrate", "--noinput", "-v0")

    def generate(self, db: str, size: int) -> float | None:
        if self.args.keep_data:
            have = self.psql(db, "SELECT count(*) FROM trial_participant")
            if have == str(size):
                log(f"{db}: keeping {size} participants")
                return None
        log(f"{db}: generating {size} participants")
        started = time.perf_counter()
        self.py(db, "bench/synthetic.py", str(size), "--reset")
        return time.perf_counter() - started

    # --- servers -------------------------------------------------------------------------
    def start(self, db: str) -> tuple[subprocess.Popen, subprocess.Popen]:
        env, logs = self.env(db), ROOT / "var" / "bench"
        logs.mkdir(parents=True, exist_ok=True)
        subprocess.run([str(BIN / "celery"), "-A", "config", "purge", "-f"], cwd=ROOT, env=env,
                       check=False, capture_output=True)  # fmt: skip
        web = subprocess.Popen(
            [str(BIN / "gunicorn"), "config.wsgi:application", "--bind",
             f"127.0.0.1:{self.args.port}", "--workers", str(self.args.workers),
             "--timeout", "120", "--error-logfile", str(logs / "gunicorn.log")],
            cwd=ROOT, env=env, start_new_session=True,
        )  # fmt: skip
        worker = subprocess.Popen(
            [str(BIN / "celery"), "-A", "config", "worker", "--pool=solo", "--loglevel=WARNING",
             "--without-gossip", "--without-mingle", "--without-heartbeat",
             "--hostname", f"bench-{self.args.port}@%h"],
            cwd=ROOT, env=env, start_new_session=True,
            stdout=(logs / "worker.log").open("w"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.processes += [web, worker]
        base = f"http://127.0.0.1:{self.args.port}"
        for _ in range(120):
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        else:
            raise RuntimeError("gunicorn did not answer /healthz")
        return web, worker

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        self.processes.clear()

    # --- measurements --------------------------------------------------------------------
    def http_load(self, prepared: dict) -> list[dict]:
        base = f"http://127.0.0.1:{self.args.port}"
        nurses = [load.User(**n) for n in prepared["nurses"]]
        out = []
        for users in self.args.users:
            for name, action in (
                ("trivial page", load.page_action(prepared["pages"]["trivial"])),
                ("SF-36 save", load.form_save_action(prepared["answer_sets"])),
            ):
                log(f"  {name}, {users} users, {self.args.duration:g} s")
                result = load.run(base, nurses[:users], action, name=name,
                                  duration=self.args.duration)  # fmt: skip
                out.append(result.summary())
        return out

    def pages(self, prepared: dict) -> list[dict]:
        base = f"http://127.0.0.1:{self.args.port}"
        investigator = load.User(**prepared["investigator"])
        out = []
        for name in ("dashboard", "participant"):
            url = prepared["pages"][name]
            log(f"  {name} page {url}")
            result = load.run(base, [investigator], load.page_action(url), name=name,
                              duration=self.args.page_seconds, warm_up=2)  # fmt: skip
            out.append(result.summary())
        return out

    def release(self, db: str, worker: subprocess.Popen) -> dict:
        log("  release through the worker (one process)")
        job = self.release_job(db, [worker.pid])
        log("  release through the worker (two processes)")
        two = self.restart_worker(db, worker, processes=2)
        job["two_processes"] = self.release_job(db, self.children(two))
        job["speed_up"] = round(job["wall_s"] / max(job["two_processes"]["wall_s"], 0.01), 2)
        log("  release phase by phase, and COPY")
        phases = json.loads(self.py(db, "bench/release.py", "phases"))
        return {"job": job, "phases": phases}

    def release_job(self, db: str, pids: list[int]) -> dict:
        """The release through the running worker; peak memory: the largest VmHWM of ``pids``
        (the solo worker, or each pool process), reset before the job."""
        for pid in pids:
            Path(f"/proc/{pid}/clear_refs").write_text("5")
        job = json.loads(self.py(db, "bench/release.py", "job"))
        peaks = []
        for pid in pids:
            status = Path(f"/proc/{pid}/status").read_text().splitlines()
            hwm = next(line for line in status if line.startswith("VmHWM"))
            peaks.append(int(hwm.split()[1]) / 1024)
        job["worker_peak_rss_mib"] = round(max(peaks), 1)
        job["worker_processes"] = len(pids)
        return job

    @staticmethod
    def children(worker: subprocess.Popen) -> list[int]:
        path = Path(f"/proc/{worker.pid}/task/{worker.pid}/children")
        for _ in range(100):
            pids = [int(pid) for pid in path.read_text().split()]
            if pids:
                return pids
            time.sleep(0.2)
        raise RuntimeError("the prefork worker started no pool process")

    def restart_worker(self, db: str, worker: subprocess.Popen, processes: int) -> subprocess.Popen:
        """Replace the solo worker by a prefork worker with ``processes`` pool processes."""
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=60)
        self.processes.remove(worker)
        logs = ROOT / "var" / "bench"
        new = subprocess.Popen(
            [str(BIN / "celery"), "-A", "config", "worker", "--pool=prefork",
             f"--concurrency={processes}", "--loglevel=WARNING", "--without-gossip",
             "--without-mingle", "--without-heartbeat",
             "--hostname", f"bench2-{self.args.port}@%h"],
            cwd=ROOT, env=self.env(db), start_new_session=True,
            stdout=(logs / "worker2.log").open("w"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.processes.append(new)
        name = f"bench2-{self.args.port}@{os.uname().nodename}"
        for _ in range(60):
            ping = subprocess.run(
                [str(BIN / "celery"), "-A", "config", "inspect", "ping", "-d", name, "-t", "2"],
                cwd=ROOT, env=self.env(db), check=False, capture_output=True, text=True,
            )  # fmt: skip
            if ping.returncode == 0 and "pong" in ping.stdout:
                break
        else:
            raise RuntimeError(f"the two-process worker did not answer; see {logs}/worker2.log")
        return new

    def report_job(self) -> dict | None:
        script = ROOT / "bench" / "report_job.py"
        if not script.exists() or not self.args.report_sizes:
            return None
        out = ROOT / "var" / "bench" / "report_job.json"
        log(f"report job at {self.args.report_sizes}")
        sizes = ",".join(str(s) for s in self.args.report_sizes)
        db = f"{self.args.db_prefix}_{label(self.args.report_sizes[-1])}"
        # the sizes' databases were filled by this run: reuse them; the job also on a release
        self.py(db, str(script), "--sizes", sizes, "--json", str(out), "--reuse", "--snapshot",
                capture=False)  # fmt: skip
        return json.loads(out.read_text())

    def size(self, size: int) -> dict:
        db = f"{self.args.db_prefix}_{label(size)}"
        self.ensure_db(db)
        generated = self.generate(db, size)
        prepared = json.loads(self.py(db, "bench/prepare.py", "--users", str(max(self.args.users))))
        result: dict[str, Any] = {"size": size, "database": db, "generate_s": generated}
        result["participants"] = prepared["participants"]
        result["queries"] = json.loads(self.py(db, "bench/queries.py", self.write(prepared)))
        _web, worker = self.start(db)
        try:
            if size in self.args.load_sizes:
                result["load"] = self.http_load(prepared)
            result["pages"] = self.pages(prepared)
            if size == self.args.release_size:
                result["release"] = self.release(db, worker)
        finally:
            self.stop()
        result["dashboard"] = self.dashboard(db)
        return result

    def dashboard(self, db: str) -> dict:
        """The dashboard at any filter, in-process (``bench/dashboard.py``): the daily
        rebuild, the beat job's refresh after 100 participants changed, and the page
        unfiltered, for one site and for a year of screening dates, blinded and not."""
        log(f"{db}: dashboard at any filter")
        out = ROOT / "var" / "bench" / f"dashboard_{db}.json"
        self.py(db, "bench/dashboard.py", "--requests", "10", "--site", "S01",
                "--dated", DATED, "--dated-requests", "5", "--json", str(out))  # fmt: skip
        return json.loads(out.read_text())

    def write(self, data: dict) -> str:
        path = ROOT / "var" / "bench" / "prepared.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data))
        return str(path)


def machine(pg: str) -> dict[str, str]:
    import psycopg

    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
    with psycopg.connect(f"{pg}/postgres") as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
    django = subprocess.run([PY, "-c", "import django; print(django.get_version())"],
                            capture_output=True, text=True, check=False).stdout.strip()  # fmt: skip
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": f"{os.cpu_count()} × {cpu}",
        "ram": f"{int(mem) / 2**20:.0f} GiB",
        "postgresql": version,
        "python": platform.python_version(),
        "django": django,
        "load_average": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


# --- the Markdown -------------------------------------------------------------------------
def render(results: dict) -> str:
    m, args = results["machine"], results["args"]
    parts = [
        f"### Run of {m['date']}",
        f"Command: `{results['command']}`",
        f"Machine: {m['cpu']}, {m['ram']} RAM, PostgreSQL {m['postgresql']}, Python "
        f"{m['python']}, Django {m['django']}; load average at the start {m['load_average']} "
        "(other work on the machine counts in these figures). Server: gunicorn "
        f"{args['workers']} sync workers (`DEBUG` off, `DATABASE_CONN_MAX_AGE` "
        f"{os.environ.get('DATABASE_CONN_MAX_AGE', '0')}), a Celery worker (solo pool), "
        "PostgreSQL and Redis on the same machine; the load driver runs there too.",
    ]
    loads = [(r["size"], row) for r in results["sizes"] for row in r.get("load", [])]
    if loads:
        rows = [
            [number(size), row["action"], row["users"], number(row["throughput"], 1),
             number(row["http_per_s"], 1), number(row["p50_ms"]), number(row["p95_ms"]),
             number(row["max_ms"]), row["errors"]]
            for size, row in loads
        ]  # fmt: skip
        parts += [
            "#### 1. Saving a complete SF-36 over HTTP, against the trivial page",
            f"Each user loops for {args['duration']:g} s. A save is the POST of all 36 answers "
            "(validation, scoring, the audited write, the visit status) answered by the "
            "redirect; before each save the user GETs the form (untimed but counted in "
            "HTTP req/s). The trivial page is `/account/`.",
            table(
                [
                    "participants",
                    "action",
                    "users",
                    "per s",
                    "HTTP req/s",
                    "p50 ms",
                    "p95 ms",
                    "max ms",
                    "errors",
                ],
                rows,
                "rlrrrrrrr",
            ),  # fmt: skip
        ]
    page_rows = []
    for r in results["sizes"]:
        for row in r.get("pages", []):
            q = r["queries"].get(row["action"], {})
            page_rows.append([number(r["participants"]), row["action"], row["requests"],
                              number(row["p50_ms"]), number(row["p95_ms"]),
                              q.get("queries", "—")])  # fmt: skip
        for name in ("form_get", "form_save", "trivial"):
            if name in r["queries"]:
                page_rows.append([number(r["participants"]), f"{name} (queries only)", "—",
                                  "—", "—", r["queries"][name]["queries"]])  # fmt: skip
    parts += [
        "#### 2. Dashboard and participant page",
        "Server time is the HTTP latency of one investigator's sequential requests to "
        f"gunicorn ({args['page_seconds']:g} s after two warm-up requests); the query count "
        "is one request's, counted in-process with Django's test client and "
        "`CaptureQueriesContext` (`bench/queries.py`).",
        table(
            ["participants", "page", "requests", "p50 ms", "p95 ms", "SQL queries"],
            page_rows,
            "rlrrrr",
        ),  # fmt: skip
    ]
    for r in results["sizes"]:
        if "release" not in r:
            continue
        job, ph = r["release"]["job"], r["release"]["phases"]
        parts += [
            f"#### 4–5. Dataset release at {number(r['participants'])} participants",
            f"Through the Celery worker: **{job['wall_s']:.1f} s** from the data cut to "
            f'"ready" (worker {job["worker_s"]:.1f} s), {number(job["participants_in_release"])} '
            f"randomized participants, worker peak memory **{job['worker_peak_rss_mib']:,.0f} "
            "MiB** (VmHWM of the solo-pool worker, reset before the job). With two worker "
            f"processes (prefork, concurrency 2): **{job['two_processes']['wall_s']:.1f} s** "
            f"(speed-up {job['speed_up']:.2f}×), peak memory of a pool process "
            f"{job['two_processes']['worker_peak_rss_mib']:,.0f} MiB.",
            f"Phase by phase in a separate process (`bench/release.py phases`, peak memory "
            f"{ph['peak_rss_mib']:,.0f} MiB): extraction (SQL + frames) {ph['extract_s']:.1f} s, "
            f"files {ph['files_s']:.1f} s, total {ph['total_s']:.1f} s.",
            table(
                ["phase", "seconds"], [[k, f"{v:.2f}"] for k, v in ph["phases_s"].items()], "lr"
            ),  # fmt: skip
            f"CSV extraction (extraction + writing `wide.csv` and `long.csv`): "
            f"**{ph['csv_extraction_s']:.1f} s**; PostgreSQL's `COPY (…) TO STDOUT WITH (FORMAT "
            f"csv)` of the same {ph['copy_statements']} SELECT statements the extraction runs "
            f"({ph['copy_mib']:,.0f} MiB): **{ph['copy_s']:.1f} s** — ratio "
            f"{ph['csv_extraction_s'] / max(ph['copy_s'], 0.01):.1f}×. The same two files "
            f"shaped and formatted by PostgreSQL (`analysis.datasets.sql`, what a release "
            f"uses): **{ph['sql_csv_extraction_s']:.1f} s** — ratio "
            f"{ph['sql_csv_extraction_s'] / max(ph['copy_s'], 0.01):.1f}×.",
        ]
    if results.get("report_job"):
        report = results["report_job"]
        parts += ["#### 3. Report job", report.get("markdown") or "```json\n"
                  + json.dumps(report, indent=1)[:4000] + "\n```"]  # fmt: skip
    if results.get("report_job_error"):
        parts += ["#### 3. Report job", f"Failed: `{results['report_job_error'][-500:]}`"]
    dash_rows = [
        [number(r["dashboard"]["participants"]), row["user"] or "(beat job)", row["filter"],
         number(row["median"]), number(row["p95"]),
         "—" if row["queries"] is None else row["queries"]]
        for r in results["sizes"] if r.get("dashboard") for row in r["dashboard"]["rows"]
    ]  # fmt: skip
    if dash_rows:
        parts += [
            "#### 6. Dashboard at any filter",
            "In-process (`bench/dashboard.py`, Django test client, after the servers "
            "stopped): the first refresh of a day (a rebuild of every partition), the beat "
            "job's refresh after 100 randomly chosen participants changed, and the page for "
            "a trial-wide investigator, unblinded and blinded, unfiltered, for site S01 and "
            f"for screening dates {DATED.replace(':', ' to ')} (`dated`).",
            table(
                ["participants", "user", "filter", "median ms", "p95 ms", "SQL queries"],
                dash_rows,
                "rllrrr",
            ),  # fmt: skip
        ]
    verdicts = goals(results)
    if verdicts:
        parts += [
            "#### Goals (issue 20), from this run",
            table(["goal", "measured", "verdict"], verdicts, "lll"),
        ]
    return "\n\n".join(parts)


def goals(results: dict) -> list[list[str]]:
    """One row per goal of issue 20 that this run measured: the figure and met or not (with
    the distance)."""
    rows: list[list[str]] = []

    def add(goal: str, value: float, limit: float, shown: str, higher: bool = False) -> None:
        met = value >= limit if higher else value <= limit
        distance = value / limit if not higher else limit / max(value, 1e-9)
        rows.append([goal, shown, "**met**" if met else f"not met ({distance:.1f}× off)"])

    sizes = {r["size"]: r for r in results["sizes"]}
    largest = sizes[max(sizes)] if sizes else None
    for size in sorted(sizes):
        load = {(row["action"], row["users"]): row for row in sizes[size].get("load", [])}
        page, save = load.get(("trivial page", 20)), load.get(("SF-36 save", 20))
        if page and save:
            ratio = save["throughput"] / max(page["throughput"], 1e-9)
            add(
                f"saves/s ≥ 50 % of trivial pages/s, 20 users ({number(size)})",
                ratio,
                0.5,
                f"{save['throughput']:.1f} vs {page['throughput']:.1f} = {ratio:.0%}",
                True,
            )
            p95 = save["p95_ms"] / max(page["p95_ms"], 1e-9)
            add(
                f"save p95 ≤ 1.5× trivial p95, 20 users ({number(size)})",
                p95,
                1.5,
                f"{save['p95_ms']:,.0f} vs {page['p95_ms']:,.0f} ms = {p95:.1f}×",
            )
    for size in sorted(sizes):
        release = sizes[size].get("release")
        if not release:
            continue
        job, ph = release["job"], release["phases"]
        if size >= 100_000:
            add(
                "release < 120 s at 100,000",
                job["wall_s"],
                120,
                f"{job['wall_s']:.1f} s (two processes {job['two_processes']['wall_s']:.1f} s)",
            )
            add(
                "release worker peak < 1 GiB at 100,000",
                job["worker_peak_rss_mib"],
                1024,
                f"{job['worker_peak_rss_mib']:,.0f} MiB",
            )
        copy = ph["sql_csv_extraction_s"] / max(ph["copy_s"], 0.01)
        add(
            f"CSV extraction ≤ 2× COPY ({number(size)})",
            copy,
            2,
            f"{ph['sql_csv_extraction_s']:.1f} s vs {ph['copy_s']:.1f} s = {copy:.2f}×",
        )
    for row in (results.get("report_job") or {}).get("results", []):
        add(
            f"report job ≤ 2× in-memory statistics ({number(row['size'])})",
            row["ratio"],
            2,
            f"{row['job']['seconds']:.1f} s vs {row['in_memory']['seconds']:.1f} s "
            f"= {row['ratio']:.2f}×",
        )
        if "snapshot_ratio" in row:
            add(
                f"report job on the release ≤ 2× in-memory ({number(row['size'])})",
                row["snapshot_ratio"],
                2,
                f"{row['snapshot_job']['seconds']:.1f} s, peak "
                f"{row['snapshot_job']['peak_rss_mib']:,.0f} MiB = {row['snapshot_ratio']:.2f}×",
            )
    if largest and largest.get("dashboard"):
        n = number(largest["dashboard"]["participants"])
        for row in largest["dashboard"]["rows"]:
            if row["filter"] == "dated":
                add(
                    f"date-filtered dashboard < 300 ms ({n}, {row['user']})",
                    row["median"],
                    300,
                    f"{row['median']:,.0f} ms median",
                )
            elif row["filter"].startswith("refresh"):
                add(
                    f"summary refresh < 1 s ({n}, {row['filter']})",
                    row["median"],
                    1000,
                    f"{row['median']:,.0f} ms median",
                )
    return rows


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    sizes = os.environ.get("BENCH_SIZE") or "100"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ints = lambda text: [int(x) for x in text.split(",") if x.strip()]  # noqa: E731
    parser.add_argument("--sizes", type=ints, default=ints(sizes))
    parser.add_argument("--users", type=ints, default=[1, 10, 20])
    parser.add_argument("--load-sizes", type=ints, help="sizes with the HTTP load (default all)")
    parser.add_argument("--release-size", type=int, help="default: the largest size; 0: none")
    parser.add_argument("--report-sizes", type=ints, default=[])
    parser.add_argument("--duration", type=float, default=15.0, help="seconds per load run")
    parser.add_argument("--page-seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", "8300")))
    parser.add_argument("--db-prefix", default=os.environ.get("BENCH_DB_PREFIX", "edc_bench"))
    parser.add_argument("--redis", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--keep-data", action="store_true", help="reuse a filled database")
    parser.add_argument("--docs", default=str(ROOT / "docs" / "benchmarks.md"))
    parser.add_argument("--section", default="results", help="docs section to (re)write")
    args = parser.parse_args(argv)
    args.load_sizes = args.load_sizes or args.sizes
    if args.release_size is None:
        args.release_size = max(args.sizes)
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    bench = Bench(args)
    results: dict[str, Any] = {
        "command": "bench/run.py " + " ".join(sys.argv[1:] if argv is None else argv),
        "machine": machine(bench.pg),
        "args": {k: v for k, v in vars(args).items() if k not in ("docs", "section")},
        "sizes": [],
    }
    out = ROOT / "var" / "bench" / f"{args.section}.json"
    try:
        for size in args.sizes:
            log(f"size {size}")
            results["sizes"].append(bench.size(size))
            out.write_text(json.dumps(results, indent=1, default=str))  # kept if a later step fails
        try:
            results["report_job"] = bench.report_job()
        except RuntimeError as exc:  # the sizes' figures are still written below
            log(f"report job failed: {exc}")
            results["report_job_error"] = str(exc)[-2000:]
    finally:
        bench.stop()
    out.write_text(json.dumps(results, indent=1, default=str))
    docs = Path(args.docs)
    text = docs.read_text(encoding="utf-8") if docs.exists() else "# Benchmarks\n"
    docs.write_text(replace_section(text, args.section, render(results)), encoding="utf-8")
    log(f"wrote {out} and {docs}")


if __name__ == "__main__":
    main()
