"""The language follows the nurse to another tablet; dates are typed as YYYY-MM-DD in
Chinese whatever the browser's locale (L10N-001, L10N-002)."""

import pytest
from django.utils import translation

from tests.factories import DEFAULT_PASSWORD, SiteFactory, user_with_role
from trial.models import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TABLET = {"width": 820, "height": 1180}


def t(language: str, message: str) -> str:
    with translation.override(language):
        return translation.gettext(message)


def _login(tab, username: str) -> None:
    tab.goto("/login/")
    tab.fill("input[name=username]", username)
    tab.fill("input[name=password]", DEFAULT_PASSWORD)
    tab.locator("form button[type=submit]").last.click()
    tab.wait_for_url("**/home/")


@pytest.mark.requirement("L10N-001", "L10N-002")
def test_language_is_kept_after_logging_in_on_another_tablet(page, browser, live_server):
    # given: a nurse who chooses Chinese on her first tablet
    user_with_role(Role.RESEARCH_NURSE, site=SiteFactory(code="S01"), username="tablet-nurse")
    page.set_viewport_size(TABLET)
    _login(page, "tablet-nurse")
    page.select_option("#language-select", "zh-hans")
    page.wait_for_load_state()
    page.get_by_text(t("zh-hans", "Your roles")).first.wait_for()
    # when: she logs in on another tablet whose browser speaks American English
    other = browser.new_context(base_url=live_server.url, locale="en-US", viewport=TABLET)
    other.set_default_timeout(10_000)
    try:
        tab = other.new_page()
        tab.goto("/login/")
        assert tab.locator("#language-select").input_value() == "en"
        _login(tab, "tablet-nurse")
        # then: the pages are in Chinese
        assert tab.locator("#language-select").input_value() == "zh-hans"
        tab.get_by_text(t("zh-hans", "Your roles")).first.wait_for()
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
