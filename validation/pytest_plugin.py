"""pytest plugin: the ``requirement`` marker and the results file of every run.

``@pytest.mark.requirement("AUD-001", "AUD-002")`` declares that a test verifies those
requirements of docs/validation/requirements.toml. An id missing from the catalogue stops the
run at collection. At the end of every run (both modes, any selection) the outcome of each
marked test is written to ``validation.paths.results_path()`` with the commit and the
environment, for ``manage.py validation_report`` (``make validation``).

Loaded by ``-p validation.pytest_plugin`` in pyproject's addopts; imports no Django at load.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import sys
from typing import Any

import pytest

from validation.catalogue import CatalogueError, catalogue_load
from validation.paths import git_commit, git_dirty, results_path
from validation.results import outcome_merge, results_write

MARKER = "requirement"


def pytest_configure(config: pytest.Config) -> None:
    # The marker itself is registered in pyproject.toml (the suite runs --strict-markers).
    if not hasattr(config, "workerinput"):  # under xdist only the controller records
        config.pluginmanager.register(Recorder(), "validation-recorder")


def item_requirements(item: pytest.Item) -> list[str]:
    """Return the requirement ids the item's ``requirement`` markers declare, in order."""
    ids: list[str] = []
    for mark in item.iter_markers(MARKER):
        if not mark.args or not all(isinstance(a, str) for a in mark.args):
            raise pytest.UsageError(f"{item.nodeid}: @pytest.mark.{MARKER} needs id strings")
        ids.extend(a for a in mark.args if a not in ids)
    return ids


def _check_known(marked: dict[str, list[str]]) -> None:
    try:
        known = catalogue_load().ids
    except (OSError, CatalogueError) as exc:
        raise pytest.UsageError(f"requirement catalogue: {exc}") from exc
    unknown = sorted({(n, r) for n, ids in marked.items() for r in ids if r not in known})
    if unknown:
        lines = "\n".join(f"  {n}: {r}" for n, r in unknown)
        raise pytest.UsageError(f"requirement ids not in the catalogue:\n{lines}")


def _skip_reason(report: pytest.TestReport) -> str:
    reason = str(report.longrepr[2]) if isinstance(report.longrepr, tuple) else ""
    return reason.removeprefix("Skipped: ")


def _failure_line(report: pytest.TestReport) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None:
        return str(crash.message).splitlines()[0] if crash.message else ""
    lines = report.longreprtext.strip().splitlines() if report.longrepr else []
    return lines[-1] if lines else ""


def _database_vendor() -> str:
    try:
        from django.conf import settings

        engine = settings.DATABASES["default"]["ENGINE"]
    except Exception:  # noqa: BLE001 - Django not installed or not configured in this run
        return ""
    return engine.rsplit(".", 1)[-1]


def _django_version() -> str:
    try:
        import django
    except ImportError:  # pragma: no cover - Django is a dependency
        return ""
    return django.get_version()


class Recorder:
    """Collect the outcome of every marked test of this run; write them at the end."""

    def __init__(self) -> None:
        self.started_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        # The code under test is the checkout at the start (a commit made meanwhile is not).
        self.commit, self.dirty = git_commit(), git_dirty()
        self.requirements: dict[str, list[str]] = {}
        self.outcomes: dict[str, str] = {}
        self.messages: dict[str, str] = {}
        self.durations: dict[str, float] = {}
        self.collected: int | None = None

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        marked = {item.nodeid: item_requirements(item) for item in session.items}
        marked = {nodeid: ids for nodeid, ids in marked.items() if ids}
        if marked:
            _check_known(marked)
        self.requirements, self.collected = marked, len(session.items)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        nodeid = report.nodeid
        if nodeid not in self.requirements or (report.passed and report.when != "call"):
            return  # a passed setup or teardown says nothing; the call does
        if report.skipped or hasattr(report, "wasxfail"):
            outcome, message = "skipped", _skip_reason(report)  # an xfail verifies nothing
        elif report.failed:
            outcome = "failed" if report.when == "call" else "error"
            message = _failure_line(report)
        else:
            outcome, message = "passed", ""
        merged = outcome_merge(self.outcomes.get(nodeid), outcome)
        self.outcomes[nodeid] = merged
        if message and merged == outcome:
            self.messages[nodeid] = message[:500]
        self.durations[nodeid] = self.durations.get(nodeid, 0.0) + report.duration

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.collected is None or session.config.option.collectonly:
            return  # collection failed, or nothing ran: keep the previous run's results
        results_write(results_path(), self.results(session.config, int(exitstatus)))

    def results(self, config: pytest.Config, exitstatus: int) -> dict[str, Any]:
        tests = [
            {
                "nodeid": nodeid,
                "requirements": ids,
                "outcome": self.outcomes.get(nodeid, "not run"),
                "message": self.messages.get(nodeid, ""),
                "duration": round(self.durations.get(nodeid, 0.0), 3),
            }
            for nodeid, ids in self.requirements.items()
        ]
        return {
            "commit": self.commit,
            "working_tree_dirty": self.dirty,
            "started_at": self.started_at,
            "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "exit_status": exitstatus,
            "args": list(config.invocation_params.args),
            "collected": self.collected,
            "python": platform.python_version(),
            "django": _django_version(),
            "database": _database_vendor(),
            "services_required": os.environ.get("EDC_REQUIRE_SERVICES", "")
            not in ("", "0", "false", "False"),
            "platform": platform.platform(),
            "executable": sys.executable,
            "tests": tests,
        }
