"""A nurse enters an EQ-5D-5L in Chinese on the form generated from its definition (no
trial code of its own): five 5-level radio groups and the 0–100 VAS as a number input; a
VAS of 101 is refused next to the field, 80 is saved and scored (SCO-007).

EQ-5D-5L is on a test-only protocol (``eq5d_protocol``): the seed trial does not use it."""

import datetime

import pytest
from django.utils import timezone

from tests.browser.test_data_entry import login, tablet  # noqa: F401 (fixture)
from tests.browser.test_participant_journey import t
from tests.factories import SiteFactory, user_with_role
from tests.unit.trial.test_generated_instrument import DIMENSIONS, eq5d_protocol  # noqa: F401
from trial.models import FormInstance, Role
from trial.services.participants import participant_register

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ZH = "zh-hans"


@pytest.fixture
def site():
    return SiteFactory(code="S01")


@pytest.fixture
def nurse(site, eq5d_protocol):  # noqa: F811
    # roles are held per trial: the nurse works in the test protocol's trial
    return user_with_role(
        Role.RESEARCH_NURSE, site=site, username="nurse1", protocol_code=eq5d_protocol.code
    )


@pytest.mark.requirement("SCO-007")
def test_a_nurse_enters_an_eq5d5l_in_chinese(tablet, nurse, site, eq5d_protocol):  # noqa: F811
    page = tablet
    participant = participant_register(
        actor=nurse,
        site=site,
        screening_date=timezone.localdate(),
        registration_date=timezone.localdate() - datetime.timedelta(days=1),
        full_name="Li Si",
        protocol_code=eq5d_protocol.code,
    )
    login(page, "nurse1", ZH)
    page.goto(f"/participants/{participant.trial_id}/visits/admission/eq5d5l/")
    form = page.locator("[data-testid=crf-form]")
    # the generated form: the Chinese wording of the definition, five levels per dimension
    assert form.get_by_text("行动能力（四处走动）").is_visible()
    assert form.get_by_text("EQ VAS 健康量尺").is_visible()
    for code in DIMENSIONS:
        assert page.locator(f"input[type=radio][name={code}]").count() == 5
    vas = page.locator("input[name=eq_vas]")
    assert vas.get_attribute("type") == "number"
    assert (vas.get_attribute("min"), vas.get_attribute("max")) == ("0", "100")
    # when: every dimension at level 1 and a VAS of 101, saved as complete
    for code in DIMENSIONS:
        page.locator(f"input[name={code}][value='1']").check()
    vas.fill("101")
    page.get_by_role("button", name=t(ZH, "Save as complete")).click()
    page.wait_for_load_state()
    # then: refused, the message beside the VAS in Chinese, the answers kept
    error = page.locator("#div_id_eq_vas .invalid-feedback, #id_eq_vas_error")
    assert "请输入 0 至 100 之间的整数。" in error.first.inner_text()
    assert error.first.is_visible()
    assert page.locator("input[name=mobility][value='1']").is_checked()
    assert not FormInstance.objects.filter(participant=participant, form_code="eq5d5l").exists()
    # when: corrected to 80
    page.locator("input[name=eq_vas]").fill("80")
    page.get_by_role("button", name=t(ZH, "Save as complete")).click()
    page.wait_for_load_state()
    instance = FormInstance.objects.get(participant=participant, form_code="eq5d5l")
    assert instance.status == FormInstance.Status.COMPLETE
    # then: the scores the scorer computed, named in Chinese from the definition
    page.goto(f"/participants/{participant.trial_id}/visits/admission/eq5d5l/")
    scores = page.locator("[data-testid=scores]")
    assert scores.is_visible()
    text = scores.inner_text()
    assert "健康状态（五维描述编码）" in text
    assert "11111" in text
    assert "水平总分（5–25）" in text
    assert "EQ VAS（0–100）" in text
    assert "80" in text
