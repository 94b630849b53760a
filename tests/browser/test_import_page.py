"""A data manager imports a spreadsheet in Chinese: upload, map, dry run errors, corrected
file, commit with progress, result."""

from __future__ import annotations

import pytest

from tests.browser.test_participant_journey import login
from tests.factories import SiteFactory, user_with_role
from tests.unit.imports.test_import_services import enrolment_csv
from trial.models import Participant, Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def upload(page, path) -> None:
    page.goto("/data/imports/")
    page.set_input_files("input[name=file]", str(path))
    page.get_by_role("button", name="上传").click()
    page.get_by_test_id("import-mapping").wait_for()


def map_record_column_and_check(page) -> None:
    # the column "记录" matched no variable: the data manager maps it to record_id
    page.get_by_label("记录").select_option("record_id")
    page.get_by_test_id("import-mapping-save").click()
    page.get_by_text("对应关系已保存").wait_for()
    page.get_by_test_id("import-check").click()


@pytest.mark.requirement("IMP-101", "IMP-102", "IMP-103")
def test_data_manager_imports_a_file_in_chinese(page, celery_worker, tmp_path) -> None:
    SiteFactory(code="S01")
    user_with_role(Role.DATA_MANAGER, site=None, username="dm")
    bad, good = tmp_path / "第一版.csv", tmp_path / "更正版.csv"
    bad.write_bytes(enrolment_csv(["S01-0001", "S01-0002"], bad="2020-02-30"))
    good.write_bytes(enrolment_csv(["S01-0001", "S01-0002"]))
    login(page, "dm", "zh-hans")
    # the first file: the dry run shows each bad cell, nothing is written
    upload(page, bad)
    map_record_column_and_check(page)
    problems = page.get_by_test_id("import-problems")
    problems.wait_for(timeout=90_000)
    assert "admission_date" in problems.inner_text()
    assert "记录" in problems.inner_text()  # the column of the file, next to the variable
    assert "错误" in page.get_by_test_id("import-problem-count").inner_text()
    assert not Participant.objects.exists()
    # the corrected file: a clean dry run, then the import with its progress and result
    upload(page, good)
    map_record_column_and_check(page)
    page.get_by_test_id("import-clean").wait_for(timeout=90_000)
    assert "2" in page.get_by_test_id("import-summary").inner_text()
    page.get_by_test_id("import-commit-button").click()
    page.get_by_test_id("import-progress").wait_for()
    page.get_by_test_id("import-done").wait_for(timeout=90_000)
    assert "已导入 2 条记录" in page.get_by_test_id("import-done").inner_text()
    assert page.get_by_test_id("import-status").inner_text() == "已导入"
    assert Participant.objects.count() == 2
