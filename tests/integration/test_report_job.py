"""A report on a small complete trial runs through a real Celery worker (Redis, PostgreSQL)."""

from __future__ import annotations

import random
import time

import openpyxl
import pypdfium2 as pdfium
import pytest
from docx import Document

from analysis.models import ReportRun
from analysis.services import report_run_create
from tests.factories import SiteFactory, user_with_role
from tests.unit.analysis.test_report_datasets import complete_participant
from trial.models import Role

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def wait_finished(run_id: int, timeout: float = 120) -> ReportRun:
    """Poll the run until the worker finishes it, remembering the progress values seen."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = ReportRun.objects.get(pk=run_id)
        if run.is_finished:
            return run
        time.sleep(0.3)
    pytest.fail(f"report {run_id} did not finish within {timeout} s")


@pytest.mark.requirement("JOB-001")
def test_report_runs_through_a_real_worker(celery_worker) -> None:
    # given a small trial with complete data (10 per arm)
    actor = user_with_role(Role.STATISTICIAN, site=None)
    site = SiteFactory()
    rng = random.Random(11)
    for arm in "SP" * 10:
        complete_participant(actor, site, arm, rng)
    # when a report is started (the task is queued on commit)
    run = report_run_create(
        protocol_code="snrb_peld", actor=actor, population="itt", mode="correct", blinded=False
    )
    run = wait_finished(run.pk)
    # then the worker produced the tables and both files, and recorded its inputs
    assert run.status == ReportRun.Status.SUCCEEDED, run.error
    assert run.progress == 100
    assert [t["key"] for t in run.result["tables"]] == [
        "table1", "table2", "table3", "table4", "table5", "adjusted"
    ]  # fmt: skip
    assert run.inputs["n"] == 20
    assert len(run.inputs["checksum_sha256"]) == 64
    table1 = run.result["tables"][0]
    assert {c["key"] for c in table1["columns"]} >= {"S", "P", "p", "test"}
    wb = openpyxl.load_workbook(run.xlsx.open("rb"))
    assert wb["table1"]["B2"].value.startswith("S group (n = 10)")
    doc = Document(run.docx.open("rb"))
    assert any("Table 1" in p.text for p in doc.paragraphs)
    pdf = pdfium.PdfDocument(run.pdf.open("rb").read())
    assert round(pdf[0].get_size()[0]) in (595, 842)  # A4, portrait or landscape
    assert "Table 1." in "".join(page.get_textpage().get_text_range() for page in pdf)


def test_report_with_an_empty_population_fails_with_the_reason(celery_worker) -> None:
    actor = user_with_role(Role.STATISTICIAN, site=None)
    run = report_run_create(
        protocol_code="snrb_peld", actor=actor, population="pp", mode="correct", blinded=False
    )
    run = wait_finished(run.pk)
    assert run.status == ReportRun.Status.FAILED
    assert run.error
