"""ePRO, the staff side, in a real browser (Chinese): a nurse issues an invitation from the
participant page and sees its QR code and link once (e-mailed too), follows its status on
the grid and the worklist while the patient answers, and marks an ePRO entry invalid."""

import pytest
from django.core import mail

from epro import services
from epro.models import Invitation
from tests.browser.test_participant_journey import login, submit, t
from tests.factories import SiteFactory, user_with_role
from tests.unit.epro.conftest import PAGES, epro_participant
from tests.unit.epro_staff.conftest import with_email
from trial.models import FormInstance, Role

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.requirement("EPR-101", "EPR-103", "EPR-104"),
]
LANGUAGE = "zh-hans"


def _status(page, visit: str) -> str:
    badge = page.locator(f"[data-testid=epro-visit][data-visit={visit}] [data-testid=epro-status]")
    return badge.get_attribute("data-epro-status")


def test_a_nurse_issues_an_invitation_and_follows_it_to_submission(page):
    # given: a participant at the 3-month visit with an e-mail address
    site = SiteFactory(code="S01")
    nurse = user_with_role(Role.RESEARCH_NURSE, site=site, username="nurse1")
    person = with_email(epro_participant(nurse, site))
    page.goto("/login/", timeout=60_000)
    login(page, "nurse1", LANGUAGE)
    # when: she issues the 3-month invitation, e-mailing it too
    page.goto(f"/participants/{person.trial_id}/")
    month_3 = page.locator("[data-testid=epro-visit][data-visit=month_3]")
    month_3.locator("input[name=send_email]").check()
    month_3.get_by_role("button", name=t(LANGUAGE, "Issue ePRO invitation")).click()
    page.wait_for_load_state()
    # then: the QR code (drawn as an image) and the link, once; the mail went out
    qr = page.locator("[data-testid=epro-qr]")
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")
    link = page.locator("[data-testid=epro-link]").inner_text()
    assert link.startswith("http")
    assert "/p/" in link
    assert page.locator("[data-testid=epro-emailed]").is_visible()
    assert [m.to for m in mail.outbox] == [["patient@example.org"]]
    # the patient's link opens their page (no account)
    patient = page.context.browser.new_context(base_url=page.url.split("/participants")[0])
    patient_page = patient.new_page()
    patient_page.goto(link)
    assert patient_page.locator("input[name=answer], input").count() > 0
    patient.close()
    # when: back on the participant page the link is gone and the status reads "opened"
    page.get_by_role("link", name=t(LANGUAGE, "Back to the participant")).click()
    page.wait_for_load_state()
    assert link not in page.content()
    assert _status(page, "month_3") == "opened"
    # when: the patient answers and submits (the patient's pages are tested elsewhere)
    invitation = Invitation.objects.get(participant=person)
    for code in invitation.form_codes:
        services.page_save(invitation=invitation, form_code=code, data=PAGES[code])
    services.invitation_submit(invitation=invitation, user_agent="browser test")
    page.reload()
    # then: submitted, each form marked ePRO on the grid; the worklist no longer waits
    assert _status(page, "month_3") == "submitted"
    assert page.locator("tr[data-visit=month_3] [data-testid=epro-source]").count() == 3
    # when: she opens the VAS: read-only, and she marks it invalid with a reason
    page.click("tr[data-visit=month_3] a[data-form=vas]")
    page.wait_for_load_state()
    assert page.locator("[data-testid=participant-entry]").is_visible()
    assert page.locator("[data-testid=save-complete]").count() == 0
    page.fill("[data-testid=mark-invalid] input[name=reason]", "由家属代填")
    submit(page, "Mark entry invalid", LANGUAGE)
    # then
    assert "由家属代填" in page.locator("[data-testid=invalid-entry]").inner_text()
    entry = FormInstance.objects.get(participant=person, form_code="vas")
    assert entry.invalid_reason == "由家属代填"


def test_the_worklist_shows_the_invitation_status(page):
    # given
    site = SiteFactory(code="S01")
    nurse = user_with_role(Role.RESEARCH_NURSE, site=site, username="nurse1")
    person = epro_participant(nurse, site)
    from tests.unit.epro.conftest import month_3

    services.invitation_issue(participant=person, visit=month_3(person), actor=nurse)
    page.goto("/login/", timeout=60_000)
    login(page, "nurse1", LANGUAGE)
    # when
    page.goto("/worklist/")
    # then
    row = page.locator(f"tr[data-visit='{person.trial_id}:month_3']")
    assert row.locator("[data-testid=epro-status]").get_attribute("data-epro-status") == "issued"
