"""A nurse's data entry in Chinese on a tablet (820 x 1180): errors where the eye is, save
and next through the admission visit, query markers on the grid, a locked form read-only."""

import datetime
import random

import pytest
from django.utils import timezone

from tests.browser.test_participant_journey import fill, t
from tests.factories import (
    DEFAULT_PASSWORD,
    SiteFactory,
    allocated_participant,
    completed_form,
    consented_participant,
    user_with_role,
)
from trial.demo import demo_allocation_list, sample_answers
from trial.models import FormInstance, Role
from trial.protocol import get_protocol
from trial.services.data_management import crf_lock
from trial.services.queries import query_raise

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ZH = "zh-hans"
TABLET = {"width": 820, "height": 1180}
EDITABLE = (
    "[data-testid=crf-form] input:not([type=hidden]):not([disabled]), "
    "[data-testid=crf-form] select:not([disabled]), "
    "[data-testid=crf-form] textarea:not([disabled])"
)


@pytest.fixture
def site():
    return SiteFactory(code="S01")


@pytest.fixture
def nurse(site):
    return user_with_role(Role.RESEARCH_NURSE, site=site, username="nurse1")


@pytest.fixture
def tablet(page, settings):
    """A tablet-sized page that loads the real style sheets and scripts.

    With DEBUG off (services mode) the pages name hashed files of the manifest, which the
    live server's static handler (it reads the source folders) does not know: it answers
    404 and the page would run without Bootstrap and our scripts. Plain names here, so that
    "visible" and "focused" mean what a nurse sees.
    """
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    failed: list[str] = []
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    page.set_viewport_size(TABLET)
    yield page
    assert not failed, f"requests failed: {failed}"


def consented(nurse, site):
    admission = timezone.localdate() - datetime.timedelta(days=1)
    return consented_participant(nurse, site, admission_date=admission)


complete = completed_form


def login(page, username: str, language: str) -> None:
    """Log in as on a tablet: the language switcher sits in the collapsed navigation."""
    page.goto("/login/")
    page.locator(".navbar-toggler").click()
    page.select_option("#language-select", language)
    page.wait_for_load_state()
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.get_by_role("button", name=t(language, "Log in")).click()
    page.wait_for_url("**/home/")


def active_box_id(page) -> str:
    """The id of the field box (div_id_<name>) holding the focused element."""
    return page.evaluate(
        "() => { const box = document.activeElement.closest('[id^=div_id_]');"
        " return box ? box.id : ''; }"
    )


@pytest.mark.requirement("UXD-001")
def test_a_failed_save_of_the_baseline_form_shows_every_error_where_the_eye_is(tablet, nurse, site):
    page = tablet
    participant = consented(nurse, site)
    login(page, "nurse1", ZH)
    page.goto(f"/participants/{participant.trial_id}/visits/admission/baseline/")
    # when: the nurse saves the empty form as complete
    page.get_by_role("button", name=t(ZH, "Save as complete")).click()
    page.wait_for_load_state()
    # then: a banner and the status badge say the form was not saved
    banner = page.locator("main > .alert-danger").first
    assert banner.is_visible()
    assert "未保存" in banner.inner_text()
    badge = page.locator("[data-testid=form-status]")
    assert badge.get_attribute("data-save-failed") == "1"
    assert t(ZH, "not saved") in badge.inner_text()
    # and the summary sits above the form and links to each field in error
    summary = page.locator("[data-testid=error-summary]")
    assert summary.is_visible()
    form_top = page.locator("[data-testid=crf-form]").bounding_box()["y"]
    assert summary.bounding_box()["y"] < form_top
    links = summary.locator("a[data-field]")
    anchors = [a.get_attribute("href")[1:] for a in links.all()]
    assert len(anchors) >= 5
    # and every error message is visible next to its field (inline radio groups included)
    for anchor in anchors:
        box = page.locator(f"#{anchor}")
        error = page.locator(f"#{anchor} .invalid-feedback, #{anchor} + .invalid-feedback")
        if not error.count():  # inline choices: crispy puts the message after the group
            error = box.locator(
                "xpath=following-sibling::*[1][contains(@class,'invalid-feedback')]"
            )
        assert error.first.is_visible(), anchor
    inline = page.locator(".form-check-inline .is-invalid")
    assert inline.count() > 0  # the baseline form has inline radio groups in error
    feedback = page.locator("[data-testid=crf-form] .invalid-feedback")
    assert feedback.count() >= len(anchors)
    assert all(f.is_visible() for f in feedback.all())
    # and the first field in error has the focus
    assert active_box_id(page) == anchors[0]
    # and a link of the summary moves the focus to its field
    links.nth(2).click()
    assert active_box_id(page) == anchors[2]
    # and nothing was saved
    assert not FormInstance.objects.filter(participant=participant).exists()


@pytest.mark.requirement("UXD-002", "UXD-005", "UXD-006")
def test_save_and_next_through_the_whole_admission_visit(tablet, nurse, site):
    page = tablet
    demo_allocation_list(actor=user_with_role(Role.STATISTICIAN, site=None))
    participant = consented(nurse, site)
    protocol = get_protocol(participant.protocol_code)
    forms = [f.code for f in protocol.forms_for(protocol.visit("admission"), None)]
    login(page, "nurse1", ZH)
    # given: randomization is not offered yet, and the page says why
    page.goto(f"/participants/{participant.trial_id}/")
    assert page.locator("[data-testid=randomize-link]").count() == 0
    assert page.locator("[data-testid=randomize-blocked]").is_visible()
    page.goto(f"/participants/{participant.trial_id}/visits/admission/{forms[0]}/")
    rng = random.Random(11)
    for index, code in enumerate(forms):
        assert page.url.endswith(f"/visits/admission/{code}/"), (page.url, code)
        answers = sample_answers(code, participant, visit_code="admission", rng=rng)
        radios = page.locator("input[type=radio][value='2']")
        if code == "joa" and radios.count():
            # a number key picks the answer of that value on a scale's radio group
            name = radios.first.get_attribute("name")
            page.locator(f"input[type=radio][name='{name}']").first.focus()
            page.keyboard.press("2")
            assert page.locator(f"input[name='{name}'][value='2']").is_checked()
        fill(page, answers)
        page.get_by_role("button", name=t(ZH, "Save and next form")).click()
        page.wait_for_load_state()
        saved = FormInstance.objects.get(participant=participant, form_code=code)
        assert saved.status == "complete", code
        if index + 1 < len(forms):
            assert page.url.endswith(f"/visits/admission/{forms[index + 1]}/")
    # then: after the last form the participant's page opens, and randomization is offered
    assert page.url.endswith(f"/participants/{participant.trial_id}/")
    assert page.locator("[data-testid=randomize-link]").is_visible()
    assert page.locator("[data-testid=randomize-blocked]").count() == 0


@pytest.mark.requirement("UXD-003")
def test_the_grid_marks_a_form_with_open_queries(tablet, nurse, site):
    page = tablet
    participant = allocated_participant(nurse, site, arm="S")
    vas = complete(nurse, participant, "admission", "vas")
    manager = user_with_role(Role.DATA_MANAGER, site=site)
    query_raise(actor=manager, form_instance=vas, field="leg_vas", text="请核对原始记录")
    login(page, "nurse1", ZH)
    page.goto(f"/participants/{participant.trial_id}/")
    cell = page.locator("tr[data-visit=admission] a[data-form=vas]")
    marker = cell.locator("[data-testid=query-marker]")
    assert marker.is_visible()
    assert marker.get_attribute("data-count") == "1"
    assert "1" in marker.inner_text()
    assert page.locator("tr[data-visit=admission] [data-testid=query-marker]").count() == 1
    cell.click()
    assert "请核对原始记录" in page.locator("main").inner_text()


@pytest.mark.requirement("UXD-004")
def test_a_locked_form_is_shown_read_only(tablet, nurse, site):
    page = tablet
    participant = allocated_participant(nurse, site, arm="S")
    vas = complete(nurse, participant, "admission", "vas")
    crf_lock(actor=user_with_role(Role.DATA_MANAGER, site=site), instance=vas)
    login(page, "nurse1", ZH)
    page.goto(f"/participants/{participant.trial_id}/")
    assert page.locator("tr[data-visit=admission] a[data-form=vas] [data-testid=lock-icon]").count()
    page.goto(f"/participants/{participant.trial_id}/visits/admission/vas/")
    notice = page.locator("[data-testid=read-only]")
    assert notice.is_visible()
    assert "锁定" in notice.inner_text()
    assert page.locator(EDITABLE).count() == 0
    assert page.locator("[data-testid=crf-form] button[type=submit]").count() == 0
