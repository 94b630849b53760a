"""The traceability report: each requirement -> the tests that verify it -> their result.

A requirement is **failed** when one of its tests failed (or errored), **verified** when at
least one of its tests passed and none failed, and **unverified** otherwise (no test
declares it, or its tests were skipped or not run). Every requirement of the catalogue is
listed; none is hidden. Written as CSV (one row per requirement and test) and HTML.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
from dataclasses import dataclass
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from trial.spreadsheet import spreadsheet_text
from validation.catalogue import Catalogue, Requirement

VERIFIED, FAILED, UNVERIFIED = "verified", "failed", "unverified"
STATUSES = (FAILED, UNVERIFIED, VERIFIED)
CSV_COLUMNS = (
    "requirement_id",
    "area",
    "requirement",
    "status",
    "test",
    "test_outcome",
    "test_message",
    "commit",
)


@dataclass(frozen=True, slots=True)
class TestResult:
    nodeid: str
    outcome: str
    message: str = ""


@dataclass(frozen=True, slots=True)
class Traced:
    requirement: Requirement
    status: str
    tests: tuple[TestResult, ...]


def requirement_status(tests: tuple[TestResult, ...]) -> str:
    """Return failed, verified or unverified for the results of a requirement's tests."""
    outcomes = {t.outcome for t in tests}
    if outcomes & {"failed", "error"}:
        return FAILED
    return VERIFIED if "passed" in outcomes else UNVERIFIED


def trace(catalogue: Catalogue, results: dict[str, Any]) -> list[Traced]:
    """Return every requirement of ``catalogue`` in order, with its tests of ``results``."""
    by_requirement: dict[str, list[TestResult]] = {r.id: [] for r in catalogue.requirements}
    for test in results.get("tests", []):
        for rid in test.get("requirements", []):
            if rid in by_requirement:
                by_requirement[rid].append(
                    TestResult(
                        test["nodeid"], test.get("outcome", "not run"), test.get("message", "")
                    )
                )
    traced = []
    for requirement in catalogue.requirements:
        tests = tuple(sorted(by_requirement[requirement.id], key=lambda t: t.nodeid))
        traced.append(Traced(requirement, requirement_status(tests), tests))
    return traced


def summary(traced: list[Traced]) -> dict[str, int]:
    """Return how many requirements are failed, unverified and verified."""
    return {status: sum(t.status == status for t in traced) for status in STATUSES}


def report_csv(traced: list[Traced], commit: str) -> bytes:
    """Return the CSV: one row per requirement and test (a requirement without tests: one row)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for t in traced:
        r = t.requirement
        for test in t.tests or (TestResult("", "", ""),):
            row = (r.id, r.area, r.text, t.status, test.nodeid, test.outcome, test.message, commit)
            writer.writerow([spreadsheet_text(v) for v in row])
    return out.getvalue().encode("utf-8")


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def status_label(status: str) -> str:
    return {VERIFIED: _("verified"), FAILED: _("FAILED"), UNVERIFIED: _("UNVERIFIED")}[status]


def outcome_label(outcome: str) -> str:
    return {
        "passed": _("passed"),
        "failed": _("failed"),
        "error": _("error"),
        "skipped": _("skipped"),
        "not run": _("not run"),
    }.get(outcome, outcome)


_STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;color:#212529}
table{border-collapse:collapse;width:100%;table-layout:fixed}
col.rid{width:8.5em}col.area{width:10em}col.status{width:8em}col.text{width:35%}
th,td{border:1px solid #ccc;padding:.3em .5em;vertical-align:top;text-align:left}
th{background:#f1f3f5}
.status{font-weight:bold;white-space:nowrap}
.verified .status{color:#146c43}
.unverified .status,.unverified .rid{color:#fff;background:#d00000}
.failed .status,.failed .rid{color:#fff;background:#6a040f}
.unverified,.failed{background:#fde2e4}
.o-failed,.o-error{color:#b00020;font-weight:bold}.o-skipped,.o-not-run{color:#8a6d00}
code{font-size:.85em;overflow-wrap:anywhere}ul{margin:0;padding-left:1.2em}
dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}dt{font-weight:bold}
"""


def _tests_html(tests: tuple[TestResult, ...]) -> str:
    if not tests:
        none = _("No test of this run declares this requirement.")
        return f"<em>{html.escape(none)}</em>"
    items = []
    for t in tests:
        css = "o-" + t.outcome.replace(" ", "-")
        note = f" — {html.escape(t.message)}" if t.message else ""
        items.append(
            f"<li><code>{html.escape(t.nodeid)}</code> "
            f'<span class="{css}">{html.escape(outcome_label(t.outcome))}</span>'
            f"{note}</li>"
        )
    return "<ul>" + "".join(items) + "</ul>"


def report_html(traced: list[Traced], environment: list[tuple[str, str]]) -> bytes:
    """Return the HTML report: the environment, the counts, then every requirement."""
    counts = summary(traced)
    env = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in environment)
    head = (_("Requirement"), _("Area"), _("Text"), _("Status"), _("Tests and results of this run"))
    rows = "".join(
        f'<tr class="{t.status}" id="{html.escape(t.requirement.id)}">'
        f'<td class="rid">{html.escape(t.requirement.id)}</td>'
        f"<td>{html.escape(t.requirement.area)}</td><td>{html.escape(t.requirement.text)}</td>"
        f'<td class="status">{html.escape(status_label(t.status))}</td>'
        f"<td>{_tests_html(t.tests)}</td></tr>"
        for t in traced
    )
    title = html.escape(_("Validation traceability report"))
    counts_text = html.escape(
        _(
            "%(n)d requirements: %(verified)d verified, %(failed)d failed, "
            "%(unverified)d unverified."
        )
        % {"n": len(traced), **counts}
    )
    lang = html.escape(get_language() or "en")
    page = (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{title}</title><style>{_STYLE}</style></head><body><h1>{title}</h1>"
        f'<dl>{env}</dl><p class="summary">{counts_text}</p><table><colgroup>'
        '<col class="rid"><col class="area"><col class="text"><col class="status"><col>'
        "</colgroup><thead><tr>"
        + "".join(f"<th>{html.escape(h)}</th>" for h in head)
        + f"</tr></thead><tbody>{rows}</tbody></table></body></html>\n"
    )
    return page.encode("utf-8")
