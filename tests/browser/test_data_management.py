"""A soft-check override opens a query; it is answered and closed; the form is locked and
signed — the data-management walk in the browser."""

import random

import pytest

from tests.browser.test_participant_journey import fill, login, submit
from tests.factories import DEFAULT_PASSWORD, SiteFactory, allocated_participant, user_with_role
from trial.demo import sample_answers
from trial.models import FormInstance, Query, Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.requirement("DEC-003")
def test_soft_override_query_answer_close_lock_and_signature(browser, live_server):
    site = SiteFactory(code="S01")
    nurse = user_with_role(Role.RESEARCH_NURSE, site=site, username="nurse1")
    user_with_role(Role.DATA_MANAGER, site=None, username="dm1")
    user_with_role(Role.INVESTIGATOR, site=site, username="inv1")
    participant = allocated_participant(nurse, site, arm="P")
    url = f"/participants/{participant.trial_id}/visits/admission/baseline/"

    def as_user(username):
        context = browser.new_context(base_url=live_server.url)
        page = context.new_page()
        page.set_default_timeout(10_000)
        login(page, username, "en")
        page.goto(url)
        return context, page

    # the nurse saves a BMI above the eligibility bound: a warning, then a reasoned override
    context, page = as_user("nurse1")
    answers = sample_answers("baseline", participant, visit_code="admission", rng=random.Random(3))
    fill(page, {**answers, "height_cm": "170", "weight_kg": "95"})
    submit(page, "Save as complete", "en")
    assert page.locator("[data-testid=warnings]").is_visible()
    assert not FormInstance.objects.filter(form_code="baseline").exists()
    page.check("[data-testid=confirm-warnings]")
    page.fill("textarea[name=reason]", "Weighed twice on the ward scale")
    submit(page, "Save as complete", "en")
    query = page.locator("[data-testid=form-queries] li[data-query]").first
    assert query.get_attribute("data-status") == "open"
    # and answers the query
    query.locator("input[name=text]").fill("BMI confirmed by a second measurement")
    query.locator("[data-testid=answer-query]").click()
    page.wait_for_load_state()
    context.close()
    assert Query.objects.get().status == "answered"

    # the data manager closes it and locks the form
    context, page = as_user("dm1")
    page.locator("[data-testid=close-query]").click()
    page.wait_for_load_state()
    page.click("[data-testid=lock]")
    page.wait_for_load_state()
    assert page.locator("[data-testid=locked-badge]").is_visible()
    assert page.locator("[data-testid=save-complete]").count() == 0
    context.close()

    # the investigator signs it by re-entering the password
    context, page = as_user("inv1")
    page.fill("#sign-password", DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign", exact=True).click()
    page.wait_for_load_state()
    assert page.locator("[data-testid=signed-badge]").is_visible()
    context.close()
    instance = FormInstance.objects.get(form_code="baseline")
    assert Query.objects.get().status == "closed"
    assert instance.locked_at is not None
    assert instance.signed_by.username == "inv1"
