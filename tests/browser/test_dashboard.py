"""The dashboard read in the browser: by arm for the comparative roles (DMC member), pooled
for site staff (an unblinded investigator) and for blinded roles."""

import random
from collections import Counter

import pytest
from django.utils import timezone, translation

from tests.browser.test_participant_journey import login
from tests.factories import SiteFactory, user_with_role
from trial.demo import demo_allocation_list, demo_trial_load, sample_answers
from trial.models import Allocation, FormInstance, Membership, Participant, Role, Visit
from trial.protocol import get_protocol
from trial.services.crfs import crf_save
from trial.services.data_management import crf_lock, crf_verify
from trial.services.queries import query_raise

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PROTOCOL = get_protocol("snrb_peld")


@pytest.fixture(autouse=True)
def _plain_static_names(settings):
    """The live server finds static files by their source names; the charts need the JS."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def t(language: str, message: str) -> str:
    with translation.override(language):
        return translation.gettext(message)


def build_trial() -> None:
    """Two demo sites (twelve participants) and one serious adverse event."""
    statistician = user_with_role(Role.STATISTICIAN, site=None, username="stat1")
    sites = [SiteFactory(code="S01"), SiteFactory(code="S02")]
    demo_allocation_list(actor=statistician)
    for site in sites:
        demo_trial_load(actor=statistician, site=site)
    first = Participant.objects.filter(allocation__isnull=False).order_by("trial_id").first()
    answers = sample_answers("adverse_event", first, visit_code=None, rng=random.Random(3))
    answers.update(serious=True, clavien_dindo="IIIb")
    event = crf_save(
        actor=statistician,
        participant=first,
        form_code="adverse_event",
        answers=answers,
        complete=True,
    )
    # data management: one verified and locked form, one open query on it
    manager = user_with_role(Role.DATA_MANAGER, site=None, username="dm1")
    crf_verify(actor=manager, instance=event)
    crf_lock(actor=manager, instance=event)
    query_raise(actor=manager, form_instance=event, field="term", text="Spelling?")


def cell(page, table: str, row: str, key: str) -> str:
    return page.locator(f"[data-testid='{table}'] {row} [data-key='{key}']").first.inner_text()


def check_common_panels(page, language: str) -> None:
    totals = page.locator("[data-testid='enrolment-totals']")
    assert totals.locator("[data-key='screened']").inner_text() == "12"
    assert totals.locator("[data-key='randomized']").inner_text() == "6"
    assert totals.locator("[data-key='target']").inner_text() == str(PROTOCOL.target_sample_size)
    assert page.get_by_test_id("projection").get_attribute("data-date")  # a projected date
    reasons = page.locator("[data-testid='ineligibility-reasons'] tbody tr")
    assert reasons.count() == 1
    assert reasons.locator("td").inner_text() == "2"
    for site in ("S01", "S02"):
        assert cell(page, "enrolment-by-site", f"tr[data-site='{site}']", "screened") == "6"
    # every chart was drawn by the vendored Chart.js
    canvases = page.locator("canvas[data-chart]")
    assert canvases.count() >= 6
    for index in range(canvases.count()):
        assert canvases.nth(index).get_attribute("data-drawn") == "1"
    # completeness: the aggregate matches the form instances, the page shows everyone
    complete = FormInstance.objects.filter(visit__code="admission", form_code="vas")
    row = "tr[data-visit='admission'][data-form='vas']"
    assert cell(page, "completeness-matrix", row, "complete") == str(
        complete.filter(status="complete").count()
    )
    assert page.locator("[data-testid='participant-matrix'] tbody tr").count() == 12
    first = Participant.objects.order_by("trial_id").first()
    assert (
        page.locator(f"[data-testid='participant-matrix'] a:text-is('{first.trial_id}')").count()
        == 1
    )
    # follow-up, data quality, consort
    open_visits = Visit.objects.filter(status="scheduled", window_end__lt=timezone.localdate())
    overdue = sum(
        int(cell(page, "follow-up-by-site", f"tr[data-site='{s}']", "overdue"))
        for s in ("S01", "S02")
    )
    assert (
        overdue
        == open_visits.filter(
            participant__status__in=["consented", "randomized", "eligible", "screening"]
        ).count()
    )
    in_progress = FormInstance.objects.filter(status="in_progress", is_voided=False).count()
    assert cell(page, "quality-totals", "tr", "in_progress") == str(in_progress)
    assert cell(page, "quality-totals", "tr", "verified").startswith("1")
    assert cell(page, "quality-totals", "tr", "locked") == "1"
    site = FormInstance.objects.get(verified_at__isnull=False).participant.site.code
    assert cell(page, "quality-queries", f"tr[data-site='{site}']", "open_0") == "1"
    assert page.locator("[data-box='randomized'] [data-n]").inner_text() == "6"
    assert page.locator("[data-box='assessed'] [data-n]").inner_text() == "10"


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_dmc_member_reads_every_panel_by_arm(page, language):
    build_trial()
    user_with_role(Role.DMC_MEMBER, site=None, username="dmc1")
    login(page, "dmc1", language)
    page.goto("/dashboard/")
    assert page.locator("h1").inner_text().startswith(t(language, "Trial dashboard"))
    check_common_panels(page, language)
    arms = Counter(Allocation.objects.values_list("arm", flat=True))
    totals = page.locator("[data-testid='arm-balance'] tfoot td")
    assert [totals.nth(i).inner_text() for i in range(len(PROTOCOL.arms))] == [
        str(arms[a.code]) for a in PROTOCOL.arms
    ]
    serious_arm = Participant.objects.filter(form_instances__form_code="adverse_event").get()
    row = f"tr[data-group='{serious_arm.allocation.arm}']"
    assert cell(page, "safety-summary", row, "serious_events") == "1"
    for arm in PROTOCOL.arms:
        box = page.locator(f"[data-box='arm'][data-group='{arm.code}']")
        assert box.locator("[data-key='randomized']").inner_text() == str(arms[arm.code])
    assert page.locator("[data-testid='outcome-trend'] thead th").count() == 1 + len(PROTOCOL.arms)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_unblinded_investigator_sees_comparative_panels_pooled(page, language):
    build_trial()
    user_with_role(Role.INVESTIGATOR, site=None, username="inv1")
    login(page, "inv1", language)
    page.goto("/dashboard/")
    check_common_panels(page, language)
    # the allocation itself is not hidden from an unblinded investigator ...
    assert page.locator("[data-testid='arm-balance']").count() == 1
    # ... but outcomes, safety and follow-up are not compared by arm
    assert cell(page, "safety-summary", "tr[data-group='pooled']", "serious_events") == "1"
    assert page.locator("[data-testid='safety-summary'] tr[data-group]").count() == 1
    assert page.locator("[data-box='arm']").count() == 1
    assert (
        page.locator("[data-box='arm'][data-group='pooled'] [data-key='randomized']").inner_text()
        == "6"
    )
    assert page.locator("[data-testid='outcome-trend'] thead th").count() == 2
    pooled = t(language, "All participants (pooled)")
    assert pooled in page.get_by_test_id("outcome-trend").inner_text()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.requirement("BLD-004")
def test_blinded_investigator_sees_pooled_figures_only(page, language):
    build_trial()
    user = user_with_role(Role.INVESTIGATOR, site=None, username="inv2")
    Membership.objects.create(
        protocol_code="snrb_peld", user=user, site=None, role=Role.OUTCOME_ASSESSOR
    )
    login(page, "inv2", language)
    page.goto("/dashboard/")
    check_common_panels(page, language)
    assert page.get_by_test_id("pooled-allocation").is_visible()
    assert page.locator("[data-testid='arm-balance']").count() == 0
    assert cell(page, "safety-summary", "tr[data-group='pooled']", "serious_events") == "1"
    assert page.locator("[data-box='arm']").count() == 1
    body = page.locator("body").inner_text()
    for arm in PROTOCOL.arms:
        assert arm.label.in_language(language) not in body
    for definition in [v for v in PROTOCOL.visits if v.arms] + [
        f for f in PROTOCOL.forms if f.arms
    ]:
        assert definition.label.in_language(language) not in body


def test_bad_dates_show_a_clear_message(page):
    build_trial()
    user_with_role(Role.INVESTIGATOR, site=None, username="inv3")
    login(page, "inv3", "en")
    page.goto("/dashboard/?date_from=2025-05-01&date_to=2025-01-01")
    assert page.get_by_test_id("filter-errors").first.is_visible()
    assert (
        page.locator("[data-testid='enrolment-totals'] [data-key='screened']").inner_text() == "12"
    )
