"""Shared fixtures. Real services: PostgreSQL, Redis, a Celery worker, headless Chromium.

The one rule for services (``pytest_runtest_setup`` below): a test that needs PostgreSQL,
Redis, a Celery worker, Chromium or an external tool says so, either by a fixture of
``FIXTURE_SERVICES`` (``postgres``, ``redis_url``, ``celery_worker``, ``browser``/``page``, …)
or by ``@pytest.mark.services("postgres", "redis")``. When a service is not configured the
test is skipped with the reason (a laptop, ``make test`` with no environment); with
``EDC_REQUIRE_SERVICES=1`` (CI) it fails instead.
"""

import functools
import gc
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts"
WORKER_START_SECONDS = 180


def services_required() -> bool:
    return os.environ.get("EDC_REQUIRE_SERVICES", "") not in ("", "0", "false", "False")


def need(condition: bool, reason: str) -> None:
    """Skip (laptop) or fail (CI) when a real service the test needs is missing."""
    if condition:
        return
    if services_required():
        pytest.fail(f"EDC_REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)


# SERVICES: what each one needs, and the reason given when it is missing (None: available)
def _postgres_missing() -> str | None:
    from django.conf import settings

    if "postgresql" in settings.DATABASES["default"]["ENGINE"]:
        return None
    return "DATABASE_URL does not point at PostgreSQL"


@functools.cache
def _redis_missing() -> str | None:
    url = os.environ.get("REDIS_URL", "")
    if not url:
        return "REDIS_URL is not set"
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:  # pragma: no cover - environment dependent
        return f"Redis at {url} does not answer: {exc}"
    return None


def _tool_missing(command: str, package: str) -> str | None:
    if shutil.which(command):
        return None
    return f"{command} is not installed (Debian package {package})"


SERVICES = {
    "postgres": _postgres_missing,
    "redis": _redis_missing,
    # a real worker process shares the test database with the tests: PostgreSQL and Redis
    "worker": lambda: _postgres_missing() or _redis_missing(),
    "chromium": lambda: (
        None
        if chromium_path()
        else "Chromium is not installed (Debian package 'chromium', or set EDC_CHROMIUM)"
    ),
    "redis-server": lambda: _tool_missing("redis-server", "redis-server"),
    "gettext": lambda: _tool_missing("xgettext", "gettext"),
    "R": lambda: _tool_missing("Rscript", "r-base-core"),
}
# Fixtures that bring a service: a test using one needs that service, no marker needed.
FIXTURE_SERVICES = {
    "postgres": ("postgres",),
    "redis_url": ("redis",),
    "celery_worker": ("worker",),
    "job_worker": ("worker",),
    "job_worker_process": ("worker",),
    "database_proxy": ("postgres",),
    "web_server": ("postgres",),
    "private_redis": ("redis-server",),
    "browser": ("chromium",),
    "page": ("chromium",),
}


def needed_services(item: pytest.Item) -> list[str]:
    """The services ``item`` needs: its ``services`` markers, then those of its fixtures."""
    names = [name for mark in item.iter_markers("services") for name in mark.args]
    for fixture in getattr(item, "fixturenames", ()):
        names.extend(FIXTURE_SERVICES.get(fixture, ()))
    unknown = set(names) - set(SERVICES)
    if unknown:
        raise pytest.UsageError(f"{item.nodeid}: unknown service(s) {sorted(unknown)}")
    return list(dict.fromkeys(names))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "services(*names): needs these services (" + ", ".join(SERVICES) + "); skipped "
        "when one is missing, failed instead when EDC_REQUIRE_SERVICES=1",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip or fail, before any fixture runs, a test whose service is not configured."""
    for name in needed_services(item):
        reason = SERVICES[name]()
        if reason is None:
            continue
        if services_required():
            pytest.fail(f"EDC_REQUIRE_SERVICES=1 but {reason} (needed: {name})")
        # reported at the test's own line, as a skip marker would be (pytest's own switch)
        raise pytest.skip.Exception(f"{reason} (needed: {name})", _use_item_location=True)


def _uses_database(request) -> bool:
    return request.node.get_closest_marker("django_db") is not None or bool(
        {"db", "transactional_db"} & set(request.fixturenames)
    )


@pytest.fixture(autouse=True)
def _django_test_settings(request):
    """Fast hashing for tests that touch Django; pure tests (scoring, stats) skip this."""
    if not _uses_database(request):
        yield
        return
    settings = request.getfixturevalue("settings")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    yield
    from axes.models import AccessAttempt

    AccessAttempt.objects.all().delete()  # lockout counters must not leak between tests
    from epro.ratelimit import client_reset

    client_reset("127.0.0.1")  # nor the ePRO per-client failure count (a shared cache)


@pytest.fixture
def postgres(db):
    """The PostgreSQL connection (the test is skipped or failed first if there is none)."""
    from django.db import connection

    return connection


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The Redis of ``REDIS_URL`` (the test is skipped or failed first if it does not answer)."""
    return os.environ["REDIS_URL"]


def _worker_database_url(test_db_name: str) -> str:
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=f"/{test_db_name}"))


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker, redis_url):
    """A real ``celery worker`` process on Redis, using the test database."""
    from django.db import connection

    from config.celery import app

    with django_db_blocker.unblock():
        name = connection.settings_dict["NAME"]
    env = {**os.environ, "DATABASE_URL": _worker_database_url(name)}
    log = ARTIFACTS / "celery-worker.log"
    log.parent.mkdir(exist_ok=True)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "-n",
            "pytest@%h",
        ],
        cwd=REPO,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    # Under a loaded CI machine (both test modes, two cores) start-up has taken over 60 s.
    deadline = time.monotonic() + WORKER_START_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"Celery worker exited with {proc.returncode}; see {log}")
        if app.control.ping(timeout=1):
            break
    else:
        proc.terminate()
        pytest.fail(f"Celery worker did not answer within {WORKER_START_SECONDS} s; see {log}")
    yield proc
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


# BROWSER
def chromium_path() -> str | None:
    candidate = os.environ.get("EDC_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    return candidate if Path(candidate).exists() else None


CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def browser():
    path = chromium_path()
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's loop + ORM
    from django.urls import get_resolver
    from playwright.sync_api import sync_playwright

    # Import every view now (scipy, pandas, matplotlib, reportlab: about 10 s on this machine),
    # not in the live server's first request, which a page's 10 s time-out would not survive.
    get_resolver().url_patterns  # noqa: B018
    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
        yield instance
        instance.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def page(request, browser, live_server, settings):
    """A fresh browser context per test; a failing test leaves a screenshot behind."""
    # With DEBUG off (services mode) pages name static files by their hashed names, which the
    # live server's static handler cannot serve: every browser test would run without CSS and
    # JavaScript. Source names keep both modes' pages whole; a missing file fails the test.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    context = browser.new_context(
        base_url=live_server.url, locale="en-GB", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(10_000)
    tab = context.new_page()
    # Every page of every browser test runs under the Content-Security-Policy: whatever it
    # refuses (an inline script, handler or style) is reported by Chromium on the console.
    refused: list[str] = []
    tab.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    missing: list[str] = []
    tab.on(
        "response",
        lambda response: (
            missing.append(f"{response.status} {response.url}")
            if response.status >= 400 and "/static/" in response.url
            else None
        ),
    )
    yield tab
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in request.node.nodeid)
        tab.screenshot(path=str(ARTIFACTS / f"{safe}.png"), full_page=True)
    context.close()
    assert not refused, f"the Content-Security-Policy refused: {refused}"
    assert not missing, f"static files the page asked for were not served: {missing}"


def pytest_unconfigure(config):
    """Let the live server's request threads end before the interpreter does.

    They are daemon threads, which the server does not join when it stops: one still
    serving a client's request or waiting on its kept-alive connection would run
    into interpreter shutdown, and its error output there aborts the process (``Fatal
    Python error: _enter_buffered_busy``), failing ``make test`` after every test passed.
    By now the browser and the server are closed, so these threads end within moments.
    """
    gc.collect()  # closes the sockets of HTTP clients left in reference cycles (keep-alive)
    deadline = time.monotonic() + 15
    left = [t for t in threading.enumerate() if t.daemon and "process_request_thread" in t.name]
    for thread in left:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    if any(thread.is_alive() for thread in left):
        # one is still blocked (a client's socket the process still holds): end the process
        # now with pytest's own exit status; the results and reports are already written
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(getattr(config, "edc_exitstatus", 1))


def pytest_sessionfinish(session, exitstatus):
    session.config.edc_exitstatus = int(exitstatus)
