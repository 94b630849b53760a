"""A statistician starts a report, watches the progress bar and downloads XLSX and DOCX."""

from __future__ import annotations

import random

import openpyxl
import pypdfium2 as pdfium
import pytest
from docx import Document

from tests.browser.test_participant_journey import login
from tests.factories import SiteFactory, user_with_role
from tests.unit.analysis.test_report_datasets import complete_participant
from trial.models import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_statistician_runs_a_report_and_downloads_both_files(
    page, celery_worker, settings, tmp_path
) -> None:
    # given a small complete trial and a trial-wide statistician
    actor = user_with_role(Role.STATISTICIAN, site=None, username="stat")
    site = SiteFactory()
    rng = random.Random(5)
    for arm in "SP" * 5:
        complete_participant(actor, site, arm, rng)
    login(page, "stat", "en")
    # when the statistician starts a report
    page.goto("/reports/")
    page.select_option("select[name=population]", "itt")
    page.select_option("select[name=mode]", "paper")
    page.get_by_test_id("report-start").click()
    # then the progress bar reaches 100 % and Table 1 appears
    page.get_by_test_id("table1").wait_for(timeout=90_000)
    bar = page.get_by_test_id("report-progress-bar")
    assert bar.inner_text().strip() == "100 %"
    assert "S group (n = 5)" in page.get_by_test_id("table1").inner_text()
    # and both files download and open
    with page.expect_download() as xlsx_info:
        page.get_by_test_id("download-xlsx").click()
    xlsx_path = tmp_path / "report.xlsx"
    xlsx_info.value.save_as(xlsx_path)
    wb = openpyxl.load_workbook(xlsx_path)
    assert wb["inputs"]["A1"].value == "report"
    assert wb["table1"]["B2"].value.startswith("S group (n = 5)")
    with page.expect_download() as docx_info:
        page.get_by_test_id("download-docx").click()
    docx_path = tmp_path / "report.docx"
    docx_info.value.save_as(docx_path)
    assert any("Table 1" in p.text for p in Document(docx_path).paragraphs)
    with page.expect_download() as pdf_info:
        page.get_by_test_id("download-pdf").click()
    pdf_path = tmp_path / "report.pdf"
    pdf_info.value.save_as(pdf_path)
    pdf = pdfium.PdfDocument(pdf_path.read_bytes())
    assert sorted(round(v) for v in pdf[0].get_size()) == [595, 842]  # A4


def test_sample_size_page_shows_33_and_37_for_the_paper_inputs(page) -> None:
    user_with_role(Role.STATISTICIAN, site=None, username="stat2")
    login(page, "stat2", "en")
    page.goto("/reports/sample-size/")
    assert page.get_by_test_id("n-exact").inner_text() == "33"
    assert page.get_by_test_id("n-dropout-exact").inner_text() == "37"
    curve = page.get_by_test_id("power-curve").locator("img")
    assert curve.get_attribute("src").startswith("data:image/svg+xml;base64,")
    assert curve.evaluate("img => img.complete && img.naturalWidth > 0")  # drawn under the CSP
