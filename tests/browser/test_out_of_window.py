"""Issue 16, in Chinese: a nurse saves a 3-month form dated outside its window only with a
reason (a query opens, the form is flagged); a post-op form dated before the surgery is
refused outright."""

import datetime

import pytest
from django.utils import timezone

from tests.browser.test_participant_journey import login, submit, t
from tests.factories import SiteFactory, allocated_participant, user_with_role
from trial.models import FormInstance, Query, Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
LANGUAGE = "zh-hans"
TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)


def _login(page):
    page.goto("/login/", timeout=60_000)  # the first page of a live server can be slow
    login(page, "nurse1", LANGUAGE)


def _open_form(page, participant, visit_code, form_code):
    page.goto(f"/participants/{participant.trial_id}/")
    page.click(f"tr[data-visit={visit_code}] a[data-form={form_code}]")
    page.wait_for_load_state()


def test_out_of_window_override_needs_a_reason_and_opens_a_query_in_chinese(page):
    # given: a nurse and a participant operated 100 days ago
    site = SiteFactory(code="S01")
    nurse = user_with_role(Role.RESEARCH_NURSE, site=site, username="nurse1")
    surgery = TODAY - 100 * DAY
    person = allocated_participant(
        nurse, site, arm="P", admission_date=surgery - 3 * DAY, surgery_date=surgery
    )
    _login(page)
    # when: she dates the 3-month VAS on day 60 (the window opens on day 76)
    _open_form(page, person, "month_3", "vas")
    page.fill("input[name=assessment_date]", (surgery + 60 * DAY).isoformat())
    page.fill("input[name=leg_vas]", "2.5")
    page.fill("input[name=back_vas]", "1.0")
    submit(page, "Save as complete", LANGUAGE)
    # then: a warning in Chinese, and nothing is saved yet
    warning = page.locator("[data-testid=warnings]").inner_text()
    assert "超出本访视的时间窗" in warning
    assert not FormInstance.objects.filter(participant=person, form_code="vas").exists()
    # when: she confirms without a reason, nothing is saved either
    page.check("[data-testid=confirm-warnings]")
    submit(page, "Save as complete", LANGUAGE)
    assert not FormInstance.objects.filter(participant=person, form_code="vas").exists()
    # when: she confirms with a reason
    page.check("[data-testid=confirm-warnings]")
    page.fill("textarea[name=reason]", "患者提前复诊")
    submit(page, "Save as complete", LANGUAGE)
    # then: the form is complete, flagged, and a check query is open on its date
    assert page.locator("[data-testid=form-status]").get_attribute("data-status") == "complete"
    assert page.locator("[data-testid=out-of-window-badge]").inner_text() == t(
        LANGUAGE, "Dated outside the visit window"
    )
    instance = FormInstance.objects.get(participant=person, form_code="vas")
    assert instance.out_of_window is True
    query = Query.objects.get(form_instance=instance)
    assert (query.check_code, query.status) == ("assessment_outside_window", "open")
    # and the grid flags the form
    page.goto(f"/participants/{person.trial_id}/")
    assert page.locator("tr[data-visit=month_3] [data-testid=out-of-window]").count() == 1


def test_a_post_op_form_before_the_surgery_is_refused_in_chinese(page):
    site = SiteFactory(code="S01")
    nurse = user_with_role(Role.RESEARCH_NURSE, site=site, username="nurse1")
    surgery = TODAY - 10 * DAY
    person = allocated_participant(
        nurse, site, arm="P", admission_date=surgery - 3 * DAY, surgery_date=surgery
    )
    _login(page)
    _open_form(page, person, "postop_day_3", "vas")
    page.fill("input[name=assessment_date]", (surgery - DAY).isoformat())
    page.fill("input[name=leg_vas]", "2.5")
    page.fill("input[name=back_vas]", "1.0")
    submit(page, "Save as complete", LANGUAGE)
    assert "不能早于" in page.locator("[data-testid=crf-form]").inner_text()
    assert page.locator("[data-testid=confirm-warnings]").count() == 0
    assert not FormInstance.objects.filter(participant=person, form_code="vas").exists()
