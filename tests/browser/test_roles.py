"""Every demo role logs in, in both languages, and sees exactly its navigation."""

import pytest
from django.utils import translation

from tests.factories import DEFAULT_PASSWORD, SiteFactory, user_with_role
from trial.models import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EXPECTED_NAV = {
    Role.RESEARCH_NURSE: ["home", "participants", "worklist", "queries", "sites"],
    Role.INVESTIGATOR: [
        "home",
        "participants",
        "worklist",
        "dashboard",
        "reports",
        "queries",
        "sites",
    ],
    Role.DATA_MANAGER: [
        "home",
        "participants",
        "dashboard",
        "releases",
        "queries",
        "database",
        "imports",
        "audit",
        "sites",
    ],
    Role.STATISTICIAN: ["home", "dashboard", "reports", "releases", "allocation", "unblinding"],
    Role.OUTCOME_ASSESSOR: ["home", "participants", "worklist", "queries"],
    Role.ADMINISTRATOR: ["home", "historical", "audit", "sites", "admin"],
    Role.DMC_MEMBER: ["home", "dashboard", "reports"],
}


TRIAL_WIDE = {Role.DATA_MANAGER, Role.STATISTICIAN, Role.ADMINISTRATOR, Role.DMC_MEMBER}


def t(language: str, message: str) -> str:
    """Return ``message`` as the catalogue translates it (tests never hard-code translations)."""
    with translation.override(language):
        return translation.gettext(message)


def _login(page, username: str, language: str) -> None:
    page.goto("/login/")
    if language != "en":
        page.select_option("#language-select", language)
        page.wait_for_load_state()
    page.get_by_role("button", name=t(language, "Log in")).wait_for()
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.get_by_role("button", name=t(language, "Log in")).click()
    page.wait_for_url("**/home/")


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("role", list(EXPECTED_NAV))
def test_each_role_sees_its_navigation_in_each_language(page, role, language):
    # given
    site = SiteFactory(code="S01")
    username = f"{role}-user"
    user_with_role(
        role,
        site=None if role in TRIAL_WIDE else site,
        username=username,
        is_staff=role == Role.ADMINISTRATOR,
    )
    # when
    _login(page, username, language)
    # then
    nav = page.locator("[data-testid=main-nav] a").evaluate_all(
        "links => links.map(a => a.dataset.nav)"
    )
    assert nav == EXPECTED_NAV[role]
    assert page.locator("html").get_attribute("lang") == language
    assert page.get_by_role("heading", name=t(language, "Your roles")).is_visible()
    assert page.locator(f"[data-role={role}]").count() == 1
    blinded = page.locator("[data-testid=blinded-badge]").count()
    assert blinded == (1 if role == Role.OUTCOME_ASSESSOR else 0)
    # and logging out returns to the login page
    page.click("[data-testid=user-menu]")
    page.click("[data-testid=logout]")
    page.wait_for_url("**/login/")


def test_language_switch_persists_across_pages(page):
    user_with_role(Role.RESEARCH_NURSE, site=SiteFactory(code="S01"), username="n1")
    _login(page, "n1", "en")
    page.select_option("#language-select", "zh-hans")
    page.wait_for_load_state()
    label = t("zh-hans", "Sites and staff")
    assert label != "Sites and staff"
    page.get_by_role("link", name=label).click()
    assert page.get_by_role("heading", name=label).is_visible()


@pytest.mark.requirement("ACC-002")
def test_lockout_message_is_shown_in_the_browser(page, settings):
    user_with_role(Role.RESEARCH_NURSE, site=SiteFactory(code="S01"), username="n1")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        page.goto("/login/")
        page.fill("input[name=username]", "n1")
        page.fill("input[name=password]", "wrong-password")
        page.get_by_role("button", name="Log in").click()
    assert page.locator("[data-testid=locked-out]").is_visible()


def test_navigation_is_usable_on_a_tablet(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 768, "height": 1024})
    page = context.new_page()
    user_with_role(Role.RESEARCH_NURSE, site=SiteFactory(code="S01"), username="n1")
    _login(page, "n1", "en")
    page.get_by_role("button", name="Toggle navigation").click()
    page.get_by_role("link", name="Sites and staff").click()
    page.wait_for_url("**/sites/")
    context.close()


@pytest.mark.requirement("ACC-009")
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_user_of_two_trials_switches_between_them(page, monkeypatch, language):
    import dataclasses

    from trial import discovery
    from trial.models import Membership
    from trial.protocol import Text, get_protocol

    # given: a second (test-only) trial and an investigator of both
    seed = get_protocol("snrb_peld")
    other = dataclasses.replace(seed, code="second_trial", title=Text("Second trial", "第二项试验"))
    discovery.contributions("protocols")
    monkeypatch.setitem(discovery._found["protocols"], other.code, other)
    user = user_with_role(Role.INVESTIGATOR, site=None, username="inv-both")
    Membership.objects.create(
        user=user, protocol_code=other.code, site=None, role=Role.INVESTIGATOR
    )
    _login(page, "inv-both", language)
    # when: the trial is chosen in the navigation
    select = page.locator("#trial-select")
    assert select.input_value() == "snrb_peld"
    select.select_option("second_trial")
    # then: its dashboard, and the choice stays
    page.wait_for_url("**/dashboard/")
    assert page.locator("#trial-select").input_value() == "second_trial"
    message = t(language, "You are now working in %(trial)s.") % {
        "trial": other.title.in_language(language)
    }
    assert message in page.locator("main").inner_text()
    page.goto("/participants/")
    assert page.locator("#trial-select").input_value() == "second_trial"
