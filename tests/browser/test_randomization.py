"""The statistician seals a list, a nurse randomizes, an unblinding request is approved."""

import pytest

from tests.browser.test_participant_journey import login
from tests.factories import SiteFactory, user_with_role
from tests.unit.trial.test_randomization_services import ready_participant
from trial.models import AllocationList, Role, UnblindingRequest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_list_sealing_randomization_and_unblinding_to_approval(browser, live_server):
    # given: a site with a nurse, an investigator, a statistician and a ready participant
    site = SiteFactory(code="S01")
    nurse = user_with_role(Role.RESEARCH_NURSE, site=site, username="nurse1")
    user_with_role(Role.INVESTIGATOR, site=site, username="inv1")
    user_with_role(Role.STATISTICIAN, site=None, username="stat1")
    participant = ready_participant(nurse, site)

    def as_user(username):
        context = browser.new_context(base_url=live_server.url)
        page = context.new_page()
        page.set_default_timeout(10_000)
        login(page, username, "en")
        return context, page

    # when: the statistician generates and seals a stratified list
    context, page = as_user("stat1")
    page.click("[data-nav=allocation]")
    page.get_by_role("link", name="Generate a permuted-block list").click()
    page.fill("input[name=name]", "Main list")
    page.check("input[name=factors][value=site]")
    page.fill("input[name=slots_per_stratum]", "20")
    page.fill("input[name=seed]", "12345")
    page.get_by_role("button", name="Generate list").click()
    page.click("[data-testid=activate]")
    commitment = page.locator("[data-testid=commitment]").inner_text()
    assert len(commitment) == 64
    assert commitment == AllocationList.objects.get().commitment
    page.click("[data-testid=verify]")
    assert page.locator("[data-testid=verified]").get_attribute("class").count("alert-success")
    context.close()

    # and the nurse randomizes the participant
    context, page = as_user("nurse1")
    page.goto(f"/participants/{participant.trial_id}/")
    page.click("[data-testid=randomize-link]")
    page.click("[data-testid=randomize]")
    page.wait_for_load_state()
    assert page.locator("[data-testid=status]").get_attribute("data-status") == "randomized"
    context.close()

    # and the investigator asks for emergency unblinding
    context, page = as_user("inv1")
    page.goto(f"/participants/{participant.trial_id}/")
    page.click("[data-testid=request-unblinding]")
    page.fill("textarea[name=reason]", "Severe reaction; treating team needs the drugs given")
    page.get_by_role("button", name="Request unblinding").click()
    context.close()

    # then: the statistician approves it and the log shows the decision and the arm
    context, page = as_user("stat1")
    page.click("[data-nav=unblinding]")
    page.fill("textarea[name=note]", "Approved by phone with the PI")
    page.click("[data-testid=approve]")
    row = page.locator("[data-testid=unblinding-log] tr[data-request]").first
    assert row.get_attribute("data-status") == "approved"
    context.close()
    request = UnblindingRequest.objects.get()
    assert request.status == "approved"
    assert request.decided_by.username == "stat1"
    context, page = as_user("inv1")
    page.goto("/unblinding/")
    arm = page.locator("[data-testid=unblinding-log] [data-testid=arm]").first.inner_text()
    assert arm == participant.allocation.arm
    context.close()
