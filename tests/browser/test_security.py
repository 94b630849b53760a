"""In the browser: report site scoping, the query filter's message, the e-signature lockout and
the security headers (every browser test also fails on a CSP refusal: tests/conftest.py)."""

from random import Random

import pytest
from django.core.files.base import ContentFile
from django.utils import translation

from analysis.models import ReportRun
from tests.browser.test_participant_journey import login
from tests.factories import SiteFactory, allocated_participant, user_with_role
from trial.demo import sample_answers
from trial.forms.queries import OLDER_THAN_MAX_DAYS
from trial.models import Role, Visit
from trial.services.crfs import crf_save

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def t(language: str, message: str) -> str:
    with translation.override(language):
        return translation.gettext(message)


def _run(creator, sites: list[str]) -> ReportRun:
    run = ReportRun.objects.create(
        protocol_code="snrb_peld", created_by=creator, population="itt", mode="correct",
        blinded_view=True, sites=sites, status=ReportRun.Status.SUCCEEDED, progress=100,
    )  # fmt: skip
    run.xlsx.save(f"r{run.pk}.xlsx", ContentFile(b"PK\x03\x04 xlsx"))
    return run


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_site_investigator_reports_on_own_site_only(page, language):
    s01 = SiteFactory(code="S01")
    SiteFactory(code="S02")
    statistician = user_with_role(Role.STATISTICIAN, site=None, username="stat")
    own, other, every = (
        _run(statistician, ["S01"]),
        _run(statistician, ["S02"]),
        _run(statistician, []),
    )
    user_with_role(Role.INVESTIGATOR, site=s01, username="inv")
    login(page, "inv", language)
    response = page.goto("/reports/")
    assert "no-store" in response.headers["cache-control"]
    assert "script-src 'self' 'nonce-" in response.headers["content-security-policy"]
    # only the own site is offered, and only the own site's run is listed
    boxes = page.locator("input[name=sites]")
    assert boxes.evaluate_all("inputs => inputs.map(i => i.value)") == ["S01"]
    runs = page.get_by_test_id("report-runs")
    assert runs.locator(f"a[href='/reports/{own.pk}/']").count() == 1
    for hidden in (other, every):
        assert runs.locator(f"a[href='/reports/{hidden.pk}/']").count() == 0
        assert page.goto(f"/reports/{hidden.pk}/").status == 404
        assert page.goto(f"/reports/{hidden.pk}/download/xlsx/").status == 404
    assert page.goto(f"/reports/{own.pk}/").status == 200
    assert page.get_by_test_id("pooled-note").count() == 0  # the note is on the list page
    page.goto("/reports/")
    note = t(language, "Reports show pooled results for your role: while the trial runs, "
                       "results by arm are only for the roles the protocol allows to see "
                       "comparative data.")  # fmt: skip
    assert page.get_by_test_id("pooled-note").inner_text() == note


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_overflowing_query_filter_shows_a_message(page, language):
    SiteFactory(code="S01")
    user_with_role(Role.DATA_MANAGER, site=None, username="dm")
    login(page, "dm", language)
    response = page.goto("/queries/?older_than=99999999999999999999")
    assert response.status == 200
    message = t(language, "Enter a whole number of days from 0 to %(max)s.") % {
        "max": OLDER_THAN_MAX_DAYS
    }
    assert page.get_by_test_id("filter-error").inner_text() == message
    assert "is-invalid" in page.locator("#older_than").get_attribute("class")
    assert page.get_by_test_id("query-table").is_visible()  # the list is still shown


@pytest.mark.requirement("SIG-003")
def test_signature_password_failures_lock_the_investigator_out(page, settings):
    site = SiteFactory(code="S01")
    investigator = user_with_role(Role.INVESTIGATOR, site=site, username="inv")
    participant = allocated_participant(investigator, site, arm="S")
    visit = Visit.objects.get(participant=participant, code="admission")
    answers = sample_answers("vas", participant, visit_code="admission", rng=Random(1))
    form = crf_save(actor=investigator, participant=participant, form_code="vas", visit=visit,
                    complete=True, answers=answers)  # fmt: skip
    login(page, "inv", "en")
    url = f"/participants/{participant.trial_id}/visits/admission/vas/"
    for _ in range(settings.AXES_FAILURE_LIMIT):
        page.goto(url)
        page.fill("form[action$='/sign/'] input[name=password]", "wrong-password")
        page.locator("form[action$='/sign/'] button[type=submit]").click()
        page.wait_for_load_state()
    assert page.get_by_test_id("locked-out").is_visible()
    page.goto(url)
    page.fill("form[action$='/sign/'] input[name=password]", "correct-horse-battery-42")
    page.locator("form[action$='/sign/'] button[type=submit]").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("locked-out").is_visible()
    form.refresh_from_db()
    assert form.signed_at is None
