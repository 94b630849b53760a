"""The participant's schedule-dates page offers the anchor dates its own protocol lets staff
enter (it named the seed trial's admission and surgery, and failed for any other trial)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import SiteFactory, register_participant, user_with_role
from trial.forms.participants import DatesForm
from trial.models import AuditEvent, Role
from trial.protocol import get_protocol, protocols
from trial.selectors.anchors import participant_anchor_dates

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def entered(code: str) -> list[str]:
    return [f"{a.code}_date" for a in get_protocol(code).anchors if a.entered]


@pytest.mark.requirement("WFL-011")
@pytest.mark.parametrize("code", [p.code for p in protocols()])
def test_the_form_offers_the_entered_anchors_of_the_trial(code):
    protocol = get_protocol(code)
    form = DatesForm(anchors=protocol.anchors)
    assert [name for name in form.fields if name != "reason"] == entered(code)


@pytest.mark.requirement("WFL-011")
@pytest.mark.parametrize("code", [p.code for p in protocols()])
def test_a_nurse_corrects_the_registration_day_of_her_trial(client, settings, code):
    # pages name static files by their source names (no manifest is built for tests)
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # given: a nurse of the trial and a participant registered two days ago
    site = SiteFactory(code="S01")
    nurse = user_with_role(Role.RESEARCH_NURSE, site=site, username="n1", protocol_code=code)
    registered = TODAY - datetime.timedelta(days=2)
    participant = register_participant(
        nurse, site, protocol_code=code, admission_date=registered, screening_date=registered
    )
    client.force_login(nurse)
    url = reverse("trial:dates", args=[participant.trial_id])
    page = client.get(url)
    assert page.status_code == 200
    names = entered(code)
    for name in names:
        assert f'name="{name}"' in page.content.decode()
    first = get_protocol(code).anchors[0]
    assert f"{first.code}_date" in names  # both trials let staff correct the first anchor
    # when: she moves it one day earlier, with a reason
    moved = registered - datetime.timedelta(days=1)
    response = client.post(url, {f"{first.code}_date": moved.isoformat(), "reason": "typo"})
    # then: saved and audited on the participant, old and new
    assert response.status_code == 302
    assert participant_anchor_dates(participant)[first.code] == moved
    change = AuditEvent.objects.filter(object_type="trial.participant").latest("pk")
    assert change.reason == "typo"
    assert f"{first.code}_date" in change.changes


@pytest.mark.requirement("WFL-011")
def test_a_date_before_an_earlier_anchor_or_a_registration_in_the_future_is_refused():
    # the seed lets staff enter its registration (admission) and its planned surgery
    anchors = get_protocol("snrb_peld").anchors
    first, second = [f"{a.code}_date" for a in anchors if a.entered][:2]
    form = DatesForm(
        {first: TODAY.isoformat(), second: (TODAY - datetime.timedelta(days=1)).isoformat()},
        anchors=anchors,
    )
    assert not form.is_valid()
    assert list(form.errors) == [second]
    future = (TODAY + datetime.timedelta(days=1)).isoformat()
    form = DatesForm({first: future}, anchors=anchors)
    assert not form.is_valid()
    assert list(form.errors) == [first]
    assert DatesForm({second: future}, anchors=anchors).is_valid()  # a planned day
