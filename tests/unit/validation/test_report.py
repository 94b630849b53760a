"""The traceability report: verified with test names, failed, unverified in red; stale refused."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re

import pytest
from django.core.management import CommandError, call_command

from validation.catalogue import CatalogueError, catalogue_load, catalogue_parse
from validation.paths import git_commit
from validation.report import FAILED, UNVERIFIED, VERIFIED, report_html, trace
from validation.results import results_write

PASS = "tests/unit/x.py::test_passes"
FAIL = "tests/unit/x.py::test_fails"
SKIP = "tests/unit/x.py::test_skips"


def results(commit: str, tests: list[tuple[str, list[str], str]]) -> dict:
    return {
        "commit": commit, "working_tree_dirty": False, "started_at": "2026-01-01T00:00:00+00:00",
        "finished_at": "2026-01-01T00:10:00+00:00", "exit_status": 1, "args": [],
        "collected": len(tests), "python": "3.11", "django": "5.2", "database": "sqlite3",
        "services_required": False, "platform": "Linux",
        "tests": [{"nodeid": n, "requirements": ids, "outcome": o, "message": "", "duration": 0}
                  for n, ids, o in tests],
    }  # fmt: skip


@pytest.fixture
def run(tmp_path):
    """Write a results file of this commit: AUD-001 passed, AUD-002 passed and failed,
    AUD-003 skipped, every other requirement without a test; then run the command."""
    path = tmp_path / "results.json"
    results_write(path, results(git_commit(), [
        (PASS, ["AUD-001", "AUD-002"], "passed"),
        (FAIL, ["AUD-002"], "failed"),
        (SKIP, ["AUD-003"], "skipped"),
    ]))  # fmt: skip
    out = tmp_path / "report"
    with pytest.raises(CommandError, match="1 requirement"):
        call_command("validation_report", results=path, out=out, stdout=io.StringIO())
    return out


def _rows(out) -> list[dict]:
    return list(csv.DictReader(io.StringIO((out / "traceability.csv").read_text("utf-8"))))


def _html_row(out, rid: str) -> str:
    page = (out / "traceability.html").read_text("utf-8")
    return re.search(rf'<tr class="[a-z]+" id="{rid}">.*?</tr>', page, re.S).group(0)


def test_every_requirement_is_listed_and_a_requirement_without_a_passing_test_is_unverified(run):
    # then every requirement of the catalogue has at least one row, in catalogue order
    rows = _rows(run)
    catalogue = catalogue_load()
    assert list(dict.fromkeys(r["requirement_id"] for r in rows)) == [
        r.id for r in catalogue.requirements
    ]
    status = {r["requirement_id"]: r["status"] for r in rows}
    assert status["AUD-003"] == UNVERIFIED  # only a skipped test
    assert status["RFC-001"] == UNVERIFIED  # no test in this run
    assert {r["test"] for r in rows if r["requirement_id"] == "RFC-001"} == {""}
    # and the HTML shows them red, as UNVERIFIED
    row = _html_row(run, "AUD-003")
    assert row.startswith('<tr class="unverified"')
    assert "UNVERIFIED" in row
    assert SKIP in row
    page = (run / "traceability.html").read_text("utf-8")
    assert re.search(r"\.unverified \.status[^{]*\{[^}]*background:#d00000", page)


def test_a_failing_test_fails_its_requirement_even_beside_a_passing_one(run):
    status = {r["requirement_id"]: r["status"] for r in _rows(run)}
    assert status["AUD-002"] == FAILED
    row = _html_row(run, "AUD-002")
    assert row.startswith('<tr class="failed"')
    assert "FAILED" in row
    assert FAIL in row


def test_a_verified_requirement_lists_its_passing_tests_by_name(run):
    rows = [r for r in _rows(run) if r["requirement_id"] == "AUD-001"]
    assert [(r["status"], r["test"], r["test_outcome"]) for r in rows] == [
        (VERIFIED, PASS, "passed")
    ]
    assert {r["commit"] for r in rows} == {git_commit()}
    assert PASS in _html_row(run, "AUD-001")


def test_the_report_names_the_commit_and_the_versions_and_its_evidence_checksums(run):
    page = (run / "traceability.html").read_text("utf-8")
    for text in (git_commit(), "Python", "Django", "SQLite", "Linux"):
        assert text in page
    evidence = json.loads((run / "evidence.json").read_text())
    assert evidence["commit"] == git_commit()
    assert evidence["summary"]["verified"] == 1
    assert (
        evidence["csv_sha256"]
        == hashlib.sha256((run / "traceability.csv").read_bytes()).hexdigest()
    )


def test_results_of_another_commit_are_refused_and_nothing_is_written(tmp_path):
    path = tmp_path / "results.json"
    results_write(path, results("0" * 40, [(PASS, ["AUD-001"], "passed")]))
    with pytest.raises(CommandError, match="run `make test` again"):
        call_command("validation_report", results=path, out=tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_missing_results_are_refused(tmp_path):
    with pytest.raises(CommandError, match="No test results"):
        call_command("validation_report", results=tmp_path / "none.json", out=tmp_path)


def test_html_escapes_what_it_shows():
    catalogue = catalogue_parse(
        {"areas": {"AUD": "Audit"}, "requirement": [{"id": "AUD-001", "text": "a <b> c"}]}
    )
    traced = trace(catalogue, results("c", [("t.py::test_<x>", ["AUD-001"], "passed")]))
    page = report_html(traced, [("Commit", "<c>")]).decode()
    for raw in ("<b>", "test_<x>", "<c>"):
        assert raw not in page


@pytest.mark.parametrize(
    ("entries", "problem"),
    [
        ([{"id": "AUD-1", "text": "x"}], "form"),
        ([{"id": "AUD-001", "text": "x"}, {"id": "AUD-001", "text": "y"}], "twice"),
        ([{"id": "ZZZ-001", "text": "x"}], "no area"),
        ([{"id": "AUD-001", "text": "  "}], "no text"),
        ([], "no requirement"),
    ],
)
def test_a_malformed_catalogue_is_refused(entries, problem):
    with pytest.raises(CatalogueError, match=problem):
        catalogue_parse({"areas": {"AUD": "Audit"}, "requirement": entries})


def test_the_catalogue_covers_every_area_of_the_issue():
    catalogue = catalogue_load()
    assert len(catalogue.requirements) >= 40
    names = {n.lower() for n in catalogue.areas.values()}
    for area in ("audit trail", "reason for change", "electronic signature", "locks",
                 "blinding", "randomization", "scoring", "access control", "queries", "api",
                 "jobs"):  # fmt: skip
        assert area in names
    assert {r.area for r in catalogue.requirements} == set(catalogue.areas.values())


def test_the_report_can_be_written_in_chinese(tmp_path):
    path = tmp_path / "results.json"
    results_write(path, results(git_commit(), [(PASS, ["AUD-001"], "passed")]))
    call_command("validation_report", results=path, out=tmp_path, language="zh-hans",
                 stdout=io.StringIO())  # fmt: skip
    page = (tmp_path / "traceability.html").read_text("utf-8")
    assert "验证追溯报告" in page
    assert "未验证" in page
