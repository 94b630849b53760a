"""The second trial in a browser, in Chinese: a nurse of both trials switches to the
rehabilitation trial, registers a patient there and enters the baseline EQ-5D-5L on the
form generated from its definition (EXP-013)."""

import re

import pytest
from django.utils import timezone

from tests.browser.test_participant_journey import login, submit, t
from tests.factories import SiteFactory, user_with_role
from tests.unit.trial.test_generated_instrument import DIMENSIONS
from trial.models import FormInstance, Membership, Participant, Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ZH = "zh-hans"
CODE = "rehab_ldh"


@pytest.mark.requirement("EXP-013")
def test_a_nurse_switches_to_the_second_trial_and_enters_an_eq5d5l_in_chinese(page):
    # given: a nurse of site S01 in both trials
    site = SiteFactory(code="S01")
    nurse = user_with_role(Role.RESEARCH_NURSE, site=site, username="nurse1")
    Membership.objects.create(user=nurse, protocol_code=CODE, site=site, role=Role.RESEARCH_NURSE)
    login(page, "nurse1", ZH)
    # when: she chooses the rehabilitation trial in the navigation
    page.locator("#trial-select").select_option(CODE)
    page.wait_for_load_state()
    assert page.locator("#trial-select").input_value() == CODE
    assert "经皮内镜腰椎间盘切除术后早期监督康复" in page.locator("main").inner_text()
    # and registers a patient there
    page.click("[data-nav=participants]")
    page.click("[data-testid=register]")
    today = timezone.localdate().isoformat()
    page.fill("input[name=screening_date]", today)
    # the registration page's date is the trial's registration anchor, not an admission
    assert page.locator("label[for=id_registration_date]").inner_text().startswith("登记日期")
    assert "入院" not in page.locator("main").inner_text()
    page.fill("input[name=registration_date]", today)
    page.fill("input[name=full_name]", "李康复")
    page.fill("input[name=hospital_number]", "R123456")
    submit(page, "Register for screening", ZH)
    trial_id = page.locator("[data-testid=trial-id]").inner_text()
    assert re.fullmatch(r"RH-S01-\d{4}", trial_id)  # numbered by the trial (its prefix)
    participant = Participant.objects.get(trial_id=trial_id)
    assert participant.protocol_code == CODE
    # then: its baseline visit lists the trial's own forms, the EQ-5D-5L among them
    body = page.locator("main").inner_text()
    assert "基线（随机化前）" in body
    assert "EQ-5D-5L 健康量表" in body
    # when: she enters the EQ-5D-5L (level 2 on every dimension, EQ VAS 70)
    page.goto(f"/participants/{trial_id}/visits/baseline/eq5d5l/")
    form = page.locator("[data-testid=crf-form]")
    assert form.get_by_text("行动能力（四处走动）").is_visible()
    page.fill("input[name=assessment_date]", today)
    for code in DIMENSIONS:
        page.locator(f"input[name={code}][value='2']").check()
    page.locator("input[name=eq_vas]").fill("70")
    page.get_by_role("button", name=t(ZH, "Save as complete")).click()
    page.wait_for_load_state()
    # then: saved in the trial, scored, the scores named in Chinese
    instance = FormInstance.objects.get(participant=participant, form_code="eq5d5l")
    assert instance.status == FormInstance.Status.COMPLETE
    page.goto(f"/participants/{trial_id}/visits/baseline/eq5d5l/")
    scores = page.locator("[data-testid=scores]").inner_text()
    assert "22222" in scores
    assert "水平总分（5–25）" in scores
    assert "70" in scores
