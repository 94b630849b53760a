"""Write the traceability report of the last test run (``make validation``)."""

from __future__ import annotations

import datetime as dt
import json
import platform
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.utils import translation
from django.utils.translation import gettext as _

from validation.catalogue import CatalogueError, catalogue_load
from validation.evidence import package_version
from validation.paths import (
    EVIDENCE_JSON,
    REPORT_CSV,
    REPORT_HTML,
    git_commit,
    git_dirty,
    results_path,
    validation_dir,
)
from validation.report import report_csv, report_html, sha256_bytes, summary, trace
from validation.results import results_read


def postgresql_version() -> str:
    """Return the server version of the configured PostgreSQL database, or ""."""
    if connection.vendor != "postgresql":
        return ""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            return str(cursor.fetchone()[0])
    except Exception:  # noqa: BLE001 - the server is down: say so rather than fail the report
        return _("configured but not reachable")


def _environment(results: dict[str, Any], commit: str, generated_at: str) -> list[tuple[str, str]]:
    database = results.get("database") or "?"
    if database == "postgresql":
        database = f"PostgreSQL {postgresql_version()}".strip()
    elif database == "sqlite3":
        database = _("SQLite (PostgreSQL not configured)")
    dirty = results.get("working_tree_dirty")
    args = " ".join(results.get("args", [])) or _("(whole suite)")
    return [
        (_("Software"), f"trialedc {package_version()}"),
        (_("Commit"), commit + (" " + _("(uncommitted changes when tested)") if dirty else "")),
        (_("Report written"), generated_at),
        (_("Tests run"), f"{results.get('started_at', '')} – {results.get('finished_at', '')}"),
        (_("pytest arguments"), args),
        (_("Tests collected"), str(results.get("collected", ""))),
        (_("pytest exit status"), str(results.get("exit_status", ""))),
        (_("Services required"), _("yes") if results.get("services_required") else _("no")),
        (_("Python"), results.get("python", "")),
        (_("Django"), results.get("django", "")),
        (_("Database"), database),
        (_("Platform"), results.get("platform", "")),
    ]


class Command(BaseCommand):
    help = "Write the validation traceability report (HTML and CSV) from the last test run."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--results",
            type=Path,
            default=None,
            help="Results file of the test run (default: the last run's).",
        )
        parser.add_argument(
            "--out",
            type=Path,
            default=None,
            help="Folder for the report (default: var/validation).",
        )
        parser.add_argument(
            "--language",
            default=None,
            help="Language of the HTML report (en or zh-hans; default: the site's).",
        )
        parser.add_argument(
            "--allow-stale",
            action="store_true",
            help="Accept results of another commit (the report says so).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = options["results"] or results_path()
        out = options["out"] or validation_dir()
        try:
            catalogue = catalogue_load()
            results = results_read(path)
        except FileNotFoundError as exc:
            raise CommandError(f"No test results at {path}: run `make test` first.") from exc
        except (OSError, ValueError, CatalogueError) as exc:
            raise CommandError(str(exc)) from exc
        commit = git_commit()
        if results.get("commit") != commit and not options["allow_stale"]:
            raise CommandError(
                f"The test results in {path} are of commit {results.get('commit') or '?'}, "
                f"this checkout is {commit or '?'}: run `make test` again."
            )
        with translation.override(options["language"] or settings.LANGUAGE_CODE):
            self._write(catalogue, results, results.get("commit") or "", out)

    def _write(self, catalogue: Any, results: dict[str, Any], commit: str, out: Path) -> None:
        """Write the report of ``commit``: the commit the tests ran on, not the checkout's."""
        generated_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        traced = trace(catalogue, results)
        counts = summary(traced)
        csv_bytes = report_csv(traced, commit)
        environment = _environment(results, commit, generated_at)
        if commit != git_commit():
            environment.insert(2, (_("Checkout when the report was written"), git_commit()))
        html_bytes = report_html(traced, environment)
        out.mkdir(parents=True, exist_ok=True)
        (out / REPORT_CSV).write_bytes(csv_bytes)
        (out / REPORT_HTML).write_bytes(html_bytes)
        evidence = {
            "commit": commit,
            "working_tree_dirty": bool(results.get("working_tree_dirty") or git_dirty()),
            "generated_at": generated_at,
            "software_version": package_version(),
            "python": platform.python_version(),
            "summary": counts,
            "csv_sha256": sha256_bytes(csv_bytes),
            "html_sha256": sha256_bytes(html_bytes),
        }
        (out / EVIDENCE_JSON).write_text(json.dumps(evidence, indent=2) + "\n", encoding="utf-8")
        self.stdout.write(
            f"{len(traced)} requirements: {counts['verified']} verified, "
            f"{counts['failed']} failed, {counts['unverified']} unverified.\n"
            f"{out / REPORT_HTML}\n{out / REPORT_CSV}"
        )
        if counts["failed"]:
            raise CommandError(f"{counts['failed']} requirement(s) failed: see {out / REPORT_HTML}")
