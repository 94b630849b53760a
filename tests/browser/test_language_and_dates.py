"""The language follows the nurse to another tablet; dates are typed as YYYY-MM-DD in
Chinese whatever the browser's locale (L10N-001, L10N-002)."""

import pytest
from django.utils import translation

from accounts.models import User
from tests.factories import DEFAULT_PASSWORD, SiteFactory, user_with_role
from trial.models import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TABLET = {"width": 820, "height": 1180}
ZH = "zh-hans"


def t(language: str, message: str) -> str:
    """Return ``message`` as the catalogue translates it (tests never hard-code translations)."""
    with translation.override(language):
        return translation.gettext(message)


def _login(tab, username: str, language: str) -> None:
    tab.goto("/login/")
    tab.get_by_role("button", name=t(language, "Log in")).wait_for()
    tab.fill("input[name=username]", username)
    tab.fill("input[name=password]", DEFAULT_PASSWORD)
    tab.get_by_role("button", name=t(language, "Log in")).click()
    tab.wait_for_url("**/home/")


@pytest.mark.requirement("L10N-001", "L10N-002")
def test_language_is_kept_after_logging_in_on_another_tablet(page, browser, live_server):
    # given: a nurse who chooses Chinese on her first tablet
    user_with_role(Role.RESEARCH_NURSE, site=SiteFactory(code="S01"), username="tablet-nurse")
    page.set_viewport_size(TABLET)
    _login(page, "tablet-nurse", "en")
    # at tablet width the navigation is folded behind its toggle, as a nurse sees it
    page.locator(".navbar-toggler").click()
    page.select_option("#language-select", ZH)
    page.get_by_role("heading", name=t(ZH, "Your roles")).wait_for()
    assert User.objects.get(username="tablet-nurse").language == ZH
    # when: she logs in on another tablet whose browser speaks American English
    other = browser.new_context(base_url=live_server.url, locale="en-US", viewport=TABLET)
    other.set_default_timeout(20_000)
    try:
        tab = other.new_page()
        tab.goto("/login/")
        assert tab.locator("#language-select").input_value() == "en"
        _login(tab, "tablet-nurse", "en")
        # then: the pages are in Chinese
        assert tab.locator("#language-select").input_value() == ZH
        assert tab.locator("html").get_attribute("lang") == ZH
        tab.get_by_role("heading", name=t(ZH, "Your roles")).wait_for()
        # and a date is typed as YYYY-MM-DD, not in the browser's mm/dd/yyyy
        tab.goto("/participants/new/")
        date = tab.locator("input[name=screening_date]")
        assert date.get_attribute("type") == "text"
        assert date.get_attribute("placeholder") == "YYYY-MM-DD"
        date.fill("2026-12-01")
        assert date.evaluate("el => el.checkValidity()")
        date.fill("12/01/2026")
        assert not date.evaluate("el => el.checkValidity()")
    finally:
        other.close()
