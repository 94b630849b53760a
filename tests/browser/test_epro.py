"""The patient's ePRO pages in a real browser: a phone, in Chinese, over two sessions.

A nurse's invitation (issued through the service), the patient answering VAS, ODI and
SF-36 on a phone (closing the browser half-way and resuming in a new one), and the nurse
seeing the submitted, scored forms. axe-core checks each page at phone and tablet sizes.
"""

import pytest
from django.utils import translation

from epro import services
from tests.browser.axe import assert_accessible
from tests.factories import DEFAULT_PASSWORD, SiteFactory, user_with_role
from tests.unit.epro.conftest import BIRTH_YEAR, epro_participant, month_3
from trial.models import FormInstance, OdiData, PainVasData, Role, Sf36Data

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
TABLET = {"width": 820, "height": 1180}


def t(language: str, message: str) -> str:
    with translation.override(language):
        return translation.gettext(message)


@pytest.fixture(autouse=True)
def _plain_static_names(settings):
    """The live server finds static files by their source names: the VAS script and the
    styles (which axe judges: contrast, target sizes) must load."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def device(browser, live_server):
    """Open new browser contexts (each a fresh browser: no cookies) that fail on any CSP
    refusal; ``device(viewport)`` returns a page, closed at the end of the test."""
    contexts, refused = [], []

    def open_page(viewport=PHONE, locale="zh-CN", javascript=True):
        context = browser.new_context(
            base_url=live_server.url,
            locale=locale,
            viewport=viewport,
            is_mobile=viewport is PHONE,
            has_touch=True,
            java_script_enabled=javascript,
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        tab = context.new_page()
        tab.on(
            "console",
            lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
        )
        tab.on("pageerror", lambda error: refused.append(f"script error: {error}"))
        return tab

    yield open_page
    for context in contexts:
        context.close()
    assert not refused, f"the Content-Security-Policy refused, or a script failed: {refused}"


@pytest.fixture
def world(db):
    site = SiteFactory(code="S01")
    nurse = user_with_role(Role.RESEARCH_NURSE, site=site, username="nurse")
    participant = epro_participant(nurse, site)
    visit = month_3(participant)
    invitation, token = services.invitation_issue(participant=participant, visit=visit, actor=nurse)
    return {"nurse": nurse, "participant": participant, "visit": visit, "token": token}


def open_link(page, token: str, *, pick_chinese: bool) -> None:
    page.goto(f"/p/{token}/")
    if pick_chinese:
        page.get_by_role("button", name="简体中文").click()
        page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    page.get_by_label(t("zh-hans", "To confirm it is you:"), exact=False).fill(BIRTH_YEAR)
    page.get_by_role("button", name=t("zh-hans", "Continue"), exact=True).click()
    page.wait_for_load_state()


def tap_vas(page, name: str, share: float) -> None:
    line = page.locator(f"[data-field='{name}'] [data-vas-line]")
    line.wait_for(state="visible")
    box = line.bounding_box()
    page.touchscreen.tap(box["x"] + box["width"] * share, box["y"] + box["height"] / 2)


def next_page(page, label: str = "Save and continue") -> None:
    page.get_by_role("button", name=t("zh-hans", label)).click()
    page.wait_for_load_state()


@pytest.mark.requirement("EPR-004", "EPR-005", "EPR-006", "EPR-007", "EPR-008")
def test_patient_answers_on_a_phone_in_chinese_over_two_sessions(device, world, live_server):
    # given an invitation; the patient opens the link on a phone and picks Chinese
    first = device()
    open_link(first, world["token"], pick_chinese=True)
    assert_accessible(first)
    # when: VAS, tapped on the line; no mark until the patient taps
    assert first.locator("[data-vas-mark]").first.is_hidden()
    assert_accessible(first)
    tap_vas(first, "leg_vas", 0.65)
    tap_vas(first, "back_vas", 0.3)
    leg = float(first.locator("input[name=leg_vas]").input_value())
    assert 6.0 <= leg <= 7.0
    assert first.locator("[data-field=leg_vas] [data-vas-mark]").is_visible()
    next_page(first)
    # ODI: half the page, then "save, finish later", and the browser is closed
    assert first.get_by_test_id("epro-progress").inner_text().startswith("第 2 份")
    for item in range(1, 6):
        first.locator(f"label[for=id_odi_{item}_1]").click()
    assert_accessible(first)
    next_page(first, "Save, finish later")
    first.context.close()

    # a new browser (Chinese by its own settings): the link again, resumes at the ODI
    second = device()
    open_link(second, world["token"], pick_chinese=False)
    assert "/q/odi/" in second.url
    assert second.locator("#id_odi_3_1").is_checked()
    for item in range(6, 11):
        second.locator(f"label[for=id_odi_{item}_2]").click()
    next_page(second)
    # SF-36: a missing answer is refused with a message on the page, nothing saved
    for item in range(1, 36):
        second.locator(f"label[for=id_sf36_{item}_1]").click()
    next_page(second, "Save and review")
    assert second.get_by_test_id("epro-field-error").count() == 1
    assert_accessible(second)
    second.locator("label[for=id_sf36_36_2]").click()
    next_page(second, "Save and review")
    second.get_by_role("button", name=t("zh-hans", "Submit my answers")).click()
    second.wait_for_load_state()
    assert second.get_by_test_id("epro-thanks").is_visible()
    assert_accessible(second)

    # then the forms are complete, scored and marked ePRO; the link shows only thanks
    forms = FormInstance.objects.filter(visit=world["visit"], source="epro", status="complete")
    assert sorted(forms.values_list("form_code", flat=True)) == ["odi", "sf36", "vas"]
    vas = PainVasData.objects.get(instance__visit=world["visit"])
    assert float(vas.leg_vas) == leg
    assert vas.scores["leg_vas"]["vas"] == leg
    assert OdiData.objects.get(instance__visit=world["visit"]).scores["percent"] == 30.0
    assert Sf36Data.objects.get(instance__visit=world["visit"]).scores
    second.goto(f"/p/{world['token']}/")
    assert second.get_by_test_id("epro-thanks").is_visible()
    # the nurse sees the scored forms on her pages
    nurse_sees_scores(device, world)


def nurse_sees_scores(device, world) -> None:
    page = device(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page.goto("/login/")
    page.fill("input[name=username]", "nurse")
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/home/")
    trial_id = world["participant"].trial_id
    for code in ("vas", "odi", "sf36"):
        page.goto(f"/participants/{trial_id}/visits/month_3/{code}/")
        assert page.get_by_test_id("scores").is_visible()


@pytest.mark.requirement("EPR-008")
def test_patient_pages_pass_axe_at_tablet_size_and_work_without_javascript(device, world):
    # given a clinic tablet with JavaScript off, in English
    tablet = device(viewport=TABLET, locale="en-GB", javascript=False)
    tablet.goto(f"/p/{world['token']}/")
    assert_accessible_without_js = tablet.locator("input[name=answer]").is_visible()
    assert assert_accessible_without_js
    tablet.fill("input[name=answer]", "1900")
    tablet.get_by_role("button", name="Continue", exact=True).click()
    assert tablet.get_by_test_id("epro-error").is_visible()
    tablet.fill("input[name=answer]", BIRTH_YEAR)
    tablet.get_by_role("button", name="Continue", exact=True).click()
    # when the VAS is typed (the line needs JavaScript: it stays hidden)
    assert tablet.locator("[data-vas-line]").first.is_hidden()
    tablet.fill("input[name=leg_vas]", "4.5")
    tablet.fill("input[name=back_vas]", "12")
    tablet.get_by_role("button", name="Save and continue").click()
    assert tablet.get_by_test_id("epro-field-error").count() == 1
    tablet.fill("input[name=back_vas]", "2")
    tablet.get_by_role("button", name="Save and continue").click()
    assert "/q/odi/" in tablet.url
    # then axe passes on each kind of page at tablet size (run in a JavaScript context)
    checker = device(viewport=TABLET, locale="en-GB")
    checker.goto(f"/p/{world['token']}/")
    assert_accessible(checker)
    checker.fill("input[name=answer]", BIRTH_YEAR)
    checker.get_by_role("button", name="Continue", exact=True).click()
    for code in ("vas", "odi", "sf36"):
        checker.goto(f"/p/q/{code}/")
        assert_accessible(checker)
    checker.goto("/p/no-such-token-at-all/")
    assert_accessible(checker)
