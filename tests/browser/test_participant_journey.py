"""A nurse screens a patient and enters every form of every visit, in both languages."""

import datetime
import random
import re

import pytest
from django.utils import timezone, translation

from tests.factories import DEFAULT_PASSWORD, SiteFactory, user_with_role
from trial.demo import demo_allocation_list, sample_answers
from trial.models import AuditEvent, FormInstance, Participant, Role
from trial.protocol import get_protocol

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def t(language: str, message: str) -> str:
    with translation.override(language):
        return translation.gettext(message)


def fill(page, answers: dict) -> None:
    """Enter answers into a form the way a person would: click radios, type values."""
    for name, value in answers.items():
        if value is None or value == "":
            continue
        if isinstance(value, list):
            for code in value:
                page.check(f"input[name='{name}'][value='{code}']")
            continue
        field = page.locator(f"[name='{name}']").first
        kind = field.get_attribute("type") or field.evaluate("e => e.tagName.toLowerCase()")
        if kind == "radio":
            page.check(f"input[name='{name}'][value='{value}']")
        elif kind == "datetime-local":
            field.fill(value.astimezone().strftime("%Y-%m-%dT%H:%M"))
        elif kind == "select":
            field.select_option(str(value))
        else:
            field.fill(value.isoformat() if hasattr(value, "isoformat") else str(value))


def login(page, username: str, language: str) -> None:
    page.goto("/login/")
    if language != "en":
        page.select_option("#language-select", language)
        page.wait_for_load_state()
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.get_by_role("button", name=t(language, "Log in")).click()
    page.wait_for_url("**/home/")


def submit(page, button: str, language: str) -> None:
    page.get_by_role("button", name=t(language, button)).click()
    page.wait_for_load_state()


def answer_eligibility(page, protocol, language):
    page.fill("input[name=assessed_date]", ADMISSION.isoformat())
    for criterion in protocol.criteria:
        answer = "yes" if criterion.kind == "inclusion" else "no"
        page.check(f"input[name='c_{criterion.code}'][value='{answer}']")
    submit(page, "Record eligibility", language)


TODAY = timezone.localdate()
SURGERY = TODAY - datetime.timedelta(days=92)
ADMISSION = SURGERY - datetime.timedelta(days=3)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_nurse_takes_a_patient_from_screening_to_the_3_month_visit(page, language):
    # given: a nurse of site S01
    site = SiteFactory(code="S01")
    user_with_role(Role.RESEARCH_NURSE, site=site, username="nurse1")
    demo_allocation_list(actor=user_with_role(Role.STATISTICIAN, site=None))
    protocol = get_protocol("snrb_peld")
    login(page, "nurse1", language)
    # when: she registers a patient for screening
    page.click("[data-nav=participants]")
    page.click("[data-testid=register]")
    page.fill("input[name=screening_date]", ADMISSION.isoformat())
    page.fill("input[name=admission_date]", ADMISSION.isoformat())
    page.fill("input[name=full_name]", "王小明")
    page.fill("input[name=hospital_number]", "H123456")
    submit(page, "Register for screening", language)
    trial_id = page.locator("[data-testid=trial-id]").inner_text()
    assert re.fullmatch(r"S01-\d{4}", trial_id)
    assert page.locator("[data-testid=status]").get_attribute("data-status") == "screening"
    # and records eligibility, consent, the surgery date and the allocation
    page.get_by_role("link", name=t(language, "Eligibility")).click()
    answer_eligibility(page, protocol, language)
    assert page.locator("[data-testid=status]").get_attribute("data-status") == "eligible"
    page.get_by_role("link", name=t(language, "Record consent")).click()
    page.fill("input[name=consent_date]", ADMISSION.isoformat())
    page.check("input[name=confirm]")
    submit(page, "Record consent", language)
    assert page.locator("[data-testid=status]").get_attribute("data-status") == "consented"
    page.get_by_role("link", name=t(language, "Schedule dates")).first.click()
    page.fill("input[name=surgery_date]", SURGERY.isoformat())
    submit(page, "Save", language)
    # and completes the admission forms, then randomizes
    participant = Participant.objects.get(trial_id=trial_id)
    rng = random.Random(7)
    for visit, form in protocol.pre_randomization_forms():
        enter_form(page, participant, visit.code, form.code, rng, language)
    page.goto(f"/participants/{trial_id}/")
    page.click("[data-testid=randomize-link]")
    page.click("[data-testid=randomize]")
    page.wait_for_load_state()
    assert page.locator("[data-testid=status]").get_attribute("data-status") == "randomized"
    participant.refresh_from_db()
    arm = participant.allocation.arm
    assert f"{t(language, 'Arm')} {arm}" in page.locator("[data-testid=allocation]").inner_text()
    # and enters every form of every visit of the arm
    for visit in protocol.visits_for(arm):
        for form in protocol.forms_for(visit, arm):
            if visit.before_randomization:
                continue
            enter_form(page, participant, visit.code, form.code, rng, language)
    for log in protocol.logs:
        page.goto(f"/participants/{trial_id}/logs/{log}/new/")
        fill(page, sample_answers(log, participant, visit_code=None, rng=rng))
        submit(page, "Save as complete", language)
        assert page.locator("[data-testid=form-status]").get_attribute("data-status") == "complete"
    # then: every visit is done, every form complete, and every write was audited
    page.goto(f"/participants/{trial_id}/")
    states = page.locator("[data-testid=grid] tr[data-visit]").evaluate_all(
        "rows => rows.map(r => r.dataset.state)"
    )
    assert states == ["done"] * len(protocol.visits_for(arm))
    instances = FormInstance.objects.filter(participant=participant)
    assert instances.count() == sum(
        len(protocol.forms_for(v, arm)) for v in protocol.visits_for(arm)
    ) + len(protocol.logs)
    assert all(i.status == "complete" for i in instances)
    audited = set(
        AuditEvent.objects.filter(object_type="trial.forminstance").values_list(
            "object_id", flat=True
        )
    )
    assert audited == {str(i.pk) for i in instances}


def enter_form(page, participant, visit_code, form_code, rng, language):
    page.goto(f"/participants/{participant.trial_id}/")
    page.click(f"tr[data-visit={visit_code}] a[data-form={form_code}]")
    participant.refresh_from_db()
    fill(page, sample_answers(form_code, participant, visit_code=visit_code, rng=rng))
    submit(page, "Save as complete", language)
    status = page.locator("[data-testid=form-status]")
    assert status.get_attribute("data-status") == "complete", (visit_code, form_code)


@pytest.mark.requirement("AUD-001", "RFC-001")
def test_form_history_shows_old_and_new_values_with_the_reason(page):
    site = SiteFactory(code="S01")
    nurse = user_with_role(Role.RESEARCH_NURSE, site=site, username="nurse1")
    from tests.factories import allocated_participant

    participant = allocated_participant(nurse, site, arm="P")
    login(page, "nurse1", "en")
    page.goto(f"/participants/{participant.trial_id}/visits/admission/vas/")
    fill(page, {"assessment_date": participant.admission_date, "leg_vas": "6.5", "back_vas": "2.0"})
    submit(page, "Save as complete", "en")
    page.fill("input[name=leg_vas]", "5.5")
    submit(page, "Save changes", "en")
    assert page.locator(".invalid-feedback, .alert-danger").first.is_visible()
    page.fill("input[name=leg_vas]", "5.5")
    page.fill("textarea[name=reason]", "transcription error")
    submit(page, "Save changes", "en")
    page.get_by_role("link", name="History").click()
    rows = page.locator("[data-testid=history] tbody tr")
    assert rows.count() == 2
    assert "6.5 → 5.5" in rows.nth(1).inner_text()
    assert "transcription error" in rows.nth(1).inner_text()
