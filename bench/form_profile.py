"""Profile one nurse's SF-36 GET and POST in-process: wall time, SQL queries, cProfile.

Usage (after ``bench/prepare.py``, whose JSON ``bench/run.py`` leaves in
``var/bench/prepared.json``; the bench database's ``DATABASE_URL`` in the environment)::

    .venv/bin/python bench/form_profile.py var/bench/prepared.json [--requests 20] [--top 25]

Django's test client (no network, no gunicorn), ``DEBUG`` as the environment sets it. Three
untimed requests of each kind warm the process's caches; then ``--requests`` GETs and as
many saves (alternating between the two answer sets, so every save changes every item) are
timed, their SQL counted with ``CaptureQueriesContext`` and profiled with cProfile. Prints
the mean, median and least wall time (the trivial page ``/account/`` measured alike), the
queries of one request (with the SQL of the last save) and the functions with the most
cumulative time, as text. ``--top 0`` times without cProfile.
"""

import argparse
import cProfile
import io
import json
import os
import pstats
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


def save_data(client: Client, url: str, answers: dict, nurse: dict) -> dict:
    """The POST the browser sends: the answers, the revision the GET showed, a reason."""
    html = client.get(url).content.decode()
    marker = 'name="revision" value="'
    start = html.index(marker) + len(marker)
    revision = html[start : html.index('"', start)]
    data = {**answers, "revision": revision, "reason": "benchmark save", "complete": ""}
    data.update(nurse.get("form_fields", {}).get(url, {}))
    return data


class _NoProfile:
    def enable(self) -> None:
        pass

    def disable(self) -> None:
        pass


def measure(label: str, run, count: int, top: int, before=None) -> dict:
    """Time and profile ``run`` ``count`` times (``before`` runs untimed before each)."""
    profile = cProfile.Profile() if top else _NoProfile()
    times, queries = [], []
    sql: list[str] = []
    for _ in range(count):
        if before is not None:
            before()
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as captured:
            profile.enable()
            run()
            profile.disable()
        times.append((time.perf_counter() - started) * 1000)
        queries.append(len(captured))
        sql = [q["sql"] for q in captured.captured_queries]
    out = io.StringIO()
    if top:
        pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(top)
    return {
        "request": label,
        "mean_ms": round(sum(times) / len(times), 1),
        "median_ms": round(statistics.median(times), 1),
        "min_ms": round(min(times), 1),
        "queries": sorted(set(queries)),
        "sql": sql,
        "profile": out.getvalue(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prepared")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--top", type=int, default=25, help="0: time only, no cProfile")
    args = parser.parse_args()
    prepared = json.loads(Path(args.prepared).read_text())
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    nurse = prepared["nurses"][0]
    client = Client()
    client.force_login(get_user_model().objects.get(username=nurse["username"]))
    url = nurse["form_urls"][0]

    def get() -> None:
        response = client.get(url)
        assert response.status_code == 200, response.status_code  # noqa: S101

    def post() -> None:
        data = pending.pop()
        response = client.post(url, data)
        assert response.status_code == 302, response.content.decode()[-3000:]  # noqa: S101

    sets = prepared["answer_sets"]
    pending: list[dict] = []
    saved = [0]

    def prepare_save() -> None:  # the GET before a save, untimed; the other answer set
        saved[0] += 1
        pending.append(save_data(client, url, sets[saved[0] % 2], nurse))

    for _ in range(3):
        get()
        prepare_save()
        post()
    trivial_url = prepared["pages"]["trivial"]

    def trivial() -> None:
        response = client.get(trivial_url)
        assert response.status_code == 200, response.status_code  # noqa: S101

    results = [
        measure("trivial page", trivial, args.requests, args.top),
        measure("GET", get, args.requests, args.top),
        measure("POST", post, args.requests, args.top, before=prepare_save),
    ]
    for result in results:
        print(  # noqa: T201
            f"== {result['request']}: mean {result['mean_ms']} ms, "
            f"median {result['median_ms']} ms, min {result['min_ms']} ms"
        )
        print(f"   queries per request {result['queries']}")  # noqa: T201
        for statement in result["sql"]:
            print(f"   SQL {statement[:160] + ' … ' + statement[-120:]}")  # noqa: T201
        print(result["profile"])  # noqa: T201


if __name__ == "__main__":
    main()
