"""Count the SQL queries of one request to each benchmarked page, in-process (JSON out).

Usage (``bench/run.py`` calls it after ``bench/prepare.py``, whose JSON it reads)::

    .venv/bin/python bench/queries.py PREPARED.json

It uses Django's test client and ``CaptureQueriesContext`` against the bench database
(no network, no gunicorn): the investigator's dashboard, the participant page, the
trivial page, and a nurse reading and saving an SF-36 (a real save, audited like any).
One untimed request first warms the caches of the process (protocol, translations).
"""

import json
import os
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
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402


def client_for(username: str) -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


def count(client: Client, method: str, url: str, data: dict | None = None) -> dict:
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        response = getattr(client, method)(url, data or {})
    took = (time.perf_counter() - started) * 1000
    expected = 302 if method == "post" else 200
    if response.status_code != expected:
        raise SystemExit(f"{method.upper()} {url}: {response.status_code}")
    return {"queries": len(queries), "ms": round(took, 1)}


def main() -> None:
    prepared = json.loads(Path(sys.argv[1]).read_text())
    setup_test_environment()  # responses carry their template context
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    pages = prepared["pages"]
    investigator = client_for(prepared["investigator"]["username"])
    nurse = prepared["nurses"][0]
    nurse_client = client_for(nurse["username"])
    out = {}
    for name in ("trivial", "dashboard", "participant"):
        investigator.get(pages[name])
        out[name] = count(investigator, "get", pages[name])
    if nurse["form_urls"]:
        url = nurse["form_urls"][-1]
        nurse_client.get(url)
        out["form_get"] = count(nurse_client, "get", url)
        response = nurse_client.get(url)
        revision = response.context["form"].initial.get("revision", 0)
        sets = prepared["answer_sets"]
        current = response.context["form"].initial.get("sf36_1")
        answers = sets[1] if current == sets[0]["sf36_1"] else sets[0]
        data = {**answers, "revision": revision, "reason": "benchmark save", "complete": ""}
        data.update(nurse.get("form_fields", {}).get(url, {}))
        out["form_save"] = count(nurse_client, "post", url, data)
    print(json.dumps(out))  # noqa: T201


if __name__ == "__main__":
    main()
