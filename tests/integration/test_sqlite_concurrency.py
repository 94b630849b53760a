"""The SQLite demo's own server (``make run``: threaded runserver) takes concurrent saves.

The test server cannot show this (tests/integration/test_bench_load.py says why): over an
in-memory SQLite database it shares one connection between its threads. Here the demo's
set-up runs for real: a migrated SQLite file, ``manage.py runserver`` (one thread per
request, one connection per thread), nurses saving forms at the same moment.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request

import pytest

from bench.load import User, form_save_action, run
from tests.conftest import ARTIFACTS, REPO
from tests.factories import DEFAULT_PASSWORD

NURSES = 3
SETUP = f"""
from trial.models import Role
from tests.factories import SiteFactory, allocated_participant, user_with_role
from trial.demo import assessment_day
site = SiteFactory(code="C01")
for n in range({NURSES}):
    nurse = user_with_role(Role.RESEARCH_NURSE, site=site, username=f"nurse-{{n}}")
    participant = allocated_participant(nurse, site)
    print("TRIAL-ID", participant.trial_id, assessment_day(participant, "admission"))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def sqlite_demo_server(tmp_path):
    """A migrated SQLite file with nurses and participants, served by runserver."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", DJANGO_DEBUG="1",
               DJANGO_SECRET_KEY="sqlite-concurrency-test", EDC_HTTPS="0")  # fmt: skip
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], cwd=REPO, env=env, check=True)
    made = subprocess.run([*manage, "shell", "-c", SETUP], cwd=REPO, env=env, check=True,
                          capture_output=True, text=True)  # fmt: skip
    trial_ids = [  # (trial id, admission assessment date inside the window)
        tuple(line.split()[1:3]) for line in made.stdout.splitlines() if line.startswith("TRIAL-ID")
    ]
    port = free_port()
    log = ARTIFACTS / "sqlite-runserver.log"
    log.parent.mkdir(exist_ok=True)
    proc = subprocess.Popen([*manage, "runserver", f"127.0.0.1:{port}", "--noreload"],
                            cwd=REPO, env=env, stdout=log.open("wb"),
                            stderr=subprocess.STDOUT)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120  # a loaded machine starts Django slowly
    while True:
        try:
            urllib.request.urlopen(f"{base}/healthz", timeout=5).read()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"runserver did not answer; see {log}")
            time.sleep(0.3)
    yield base, trial_ids, tmp_path / "db.sqlite3"
    proc.terminate()
    proc.wait(timeout=20)


def answer_sets() -> list[dict]:
    import scoring

    items = scoring.INSTRUMENTS["sf36"].items
    return [{i.id: i.allowed_values[k] for i in items} for k in (0, -1)]


def test_nurses_saving_at_once_on_the_sqlite_demo_all_succeed_and_are_audited(
    sqlite_demo_server,
) -> None:
    # given three nurses, each with a randomized participant, on the demo's server
    base, trial_ids, database = sqlite_demo_server
    urls = [
        (f"/participants/{trial_id}/visits/admission/sf36/", day) for trial_id, day in trial_ids
    ]
    users = [User(f"nurse-{n}", DEFAULT_PASSWORD, [url], {url: {"assessment_date": day}})
             for n, (url, day) in enumerate(urls)]  # fmt: skip
    assert len(users) == NURSES
    # when they all save their SF-36 again and again at the same time
    saves = run(base, users, form_save_action(answer_sets()), name="save", duration=3.0)
    # then no save failed (no nested transaction, no "database is locked")
    assert saves.errors == []
    assert saves.summary()["requests"] >= NURSES
    # and every save is one revision with its audit row
    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT id, revision FROM trial_forminstance WHERE form_code = 'sf36'")
        revisions = dict(rows.fetchall())
        assert len(revisions) == NURSES
        for pk, revision in revisions.items():
            (audited,) = db.execute(
                "SELECT count(*) FROM trial_auditevent "
                "WHERE object_type = 'trial.forminstance' AND object_id = ?",
                (str(pk),),
            ).fetchone()
            assert audited == revision
    assert sum(revisions.values()) == saves.summary()["requests"] + NURSES  # + warm-up saves
