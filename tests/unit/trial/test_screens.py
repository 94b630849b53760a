"""Every participant screen: site scoping, blinding, bad input changes nothing."""

import datetime
import random

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import SiteFactory, allocated_participant, register_participant, user_with_role
from trial.demo import sample_answers
from trial.models import AuditEvent, FormInstance, Role

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def s01():
    return SiteFactory(code="S01")


@pytest.fixture
def nurse(s01):
    return user_with_role(Role.RESEARCH_NURSE, site=s01, username="nurse1")


@pytest.fixture
def participant(nurse, s01):
    return allocated_participant(nurse, s01, arm="S")


def participant_urls(p):
    t = p.trial_id
    return [
        reverse("trial:participant-detail", args=[t]),
        reverse("trial:eligibility", args=[t]),
        reverse("trial:consent", args=[t]),
        reverse("trial:randomize", args=[t]),
        reverse("trial:unblinding-request", args=[t]),
        reverse("trial:dates", args=[t]),
        reverse("trial:identity", args=[t]),
        reverse("trial:end", args=[t]),
        reverse("trial:visit-missed", args=[t, "month_3"]),
        reverse("trial:crf-entry", args=[t, "admission", "vas"]),
        reverse("trial:crf-entry", args=[t, "snrb", "snrb"]),
        reverse("trial:crf-history", args=[t, "admission", "vas"]),
        reverse("trial:log-list", args=[t, "adverse_event"]),
        reverse("trial:log-new", args=[t, "adverse_event"]),
    ]


@pytest.mark.requirement("ACC-003")
def test_staff_of_another_site_never_reach_a_participant_screen(client, participant):
    # given: a nurse and an investigator of S02
    s02 = SiteFactory(code="S02")
    for role in (Role.RESEARCH_NURSE, Role.INVESTIGATOR):
        client.force_login(user_with_role(role, site=s02))
        # then: every screen answers 404, as if the participant did not exist
        for url in participant_urls(participant):
            assert client.get(url).status_code == 404, url
            assert client.post(url, {}).status_code == 404, url


@pytest.mark.requirement("ACC-003")
def test_participant_list_shows_only_the_users_sites(client, nurse, participant):
    other_site = SiteFactory(code="S02")
    other_nurse = user_with_role(Role.RESEARCH_NURSE, site=other_site)
    register_participant(other_nurse, other_site)
    client.force_login(nurse)
    listed = [
        p.trial_id for p in client.get(reverse("trial:participant-list")).context["participants"]
    ]
    assert listed == ["S01-0001"]


@pytest.mark.requirement("ACC-003")
def test_worklist_shows_only_the_users_sites(client, nurse, participant):
    other_site = SiteFactory(code="S02")
    other_nurse = user_with_role(Role.RESEARCH_NURSE, site=other_site)
    allocated_participant(other_nurse, other_site)
    client.force_login(nurse)
    groups = client.get(reverse("trial:worklist")).context["groups"]
    seen = {i["visit"].participant.trial_id for items in groups.values() for i in items}
    assert seen == {"S01-0001"}


@pytest.mark.requirement("BLD-001")
def test_blinded_assessor_sees_no_arm_and_no_arm_only_form(client, s01, participant):
    assessor = user_with_role(Role.OUTCOME_ASSESSOR, site=s01)
    client.force_login(assessor)
    page = client.get(reverse("trial:participant-detail", args=[participant.trial_id]))
    codes = [row.visit.code for row in page.context["rows"]]
    assert "snrb" not in codes
    assert b"Arm S" not in page.content
    assert b'data-form="snrb"' not in page.content
    url = reverse("trial:crf-entry", args=[participant.trial_id, "snrb", "snrb"])
    assert client.get(url).status_code == 404
    assert client.get(reverse("trial:allocation")).status_code == 404


def test_statistician_may_not_open_participant_pages(client, participant):
    client.force_login(user_with_role(Role.STATISTICIAN, site=None))
    assert client.get(reverse("trial:participant-list")).status_code == 403
    detail = reverse("trial:participant-detail", args=[participant.trial_id])
    assert client.get(detail).status_code == 403


@pytest.mark.parametrize(
    ("value", "field"),
    [("10.5", "leg_vas"), ("-1", "leg_vas"), ("6.55", "leg_vas"), ("abc", "back_vas")],
)
@pytest.mark.requirement("DEC-001")
def test_bad_vas_is_refused_with_a_message_and_saves_nothing(
    client, nurse, participant, value, field
):
    client.force_login(nurse)
    url = reverse("trial:crf-entry", args=[participant.trial_id, "admission", "vas"])
    data = {"leg_vas": "5.0", "back_vas": "2.0", "revision": "0", "complete": "1", field: value}
    response = client.post(url, data)
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert not FormInstance.objects.filter(participant=participant, form_code="vas").exists()


@pytest.mark.requirement("DEC-002")
def test_completing_needs_every_required_answer(client, nurse, participant):
    client.force_login(nurse)
    url = reverse("trial:crf-entry", args=[participant.trial_id, "admission", "vas"])
    response = client.post(url, {"leg_vas": "5.0", "revision": "0", "complete": "1"})
    assert "back_vas" in response.context["form"].errors
    draft = client.post(url, {"leg_vas": "5.0", "revision": "0", "draft": "1"})
    assert draft.status_code == 302
    instance = FormInstance.objects.get(participant=participant, form_code="vas")
    assert instance.status == "in_progress"


@pytest.mark.requirement("DEC-006")
def test_a_stale_form_post_is_refused_and_says_so(client, nurse, participant):
    client.force_login(nurse)
    url = reverse("trial:crf-entry", args=[participant.trial_id, "admission", "vas"])
    client.post(url, {"leg_vas": "5.0", "back_vas": "1.0", "revision": "0", "draft": "1"})
    client.post(url, {"leg_vas": "6.0", "back_vas": "1.0", "revision": "1", "draft": "1"})
    response = client.post(
        url, {"leg_vas": "7.0", "back_vas": "1.0", "revision": "1", "draft": "1"}
    )
    assert response.status_code == 200
    assert response.context["stale"] is True
    assert AuditEvent.objects.filter(object_type="trial.forminstance").count() == 2


@pytest.mark.requirement("DEC-001")
def test_future_dates_are_refused(client, nurse, participant):
    client.force_login(nurse)
    url = reverse("trial:crf-entry", args=[participant.trial_id, "postop_day_3", "discharge"])
    answers = sample_answers(
        "discharge", participant, visit_code="postop_day_3", rng=random.Random(1)
    )
    data = {k: ("" if v is None else ("True" if v is True else v)) for k, v in answers.items()}
    data.update(
        discharge_date=(TODAY + datetime.timedelta(days=3)).isoformat(), revision="0", draft="1"
    )
    response = client.post(url, data)
    assert "discharge_date" in response.context["form"].errors
    assert not FormInstance.objects.filter(participant=participant, form_code="discharge").exists()


@pytest.mark.requirement("ACC-006")
def test_identifying_data_are_shown_only_to_site_staff_with_the_right(client, s01, participant):
    manager = user_with_role(Role.DATA_MANAGER, site=None)
    client.force_login(manager)
    page = client.get(reverse("trial:participant-detail", args=[participant.trial_id]))
    assert page.context["identity"] is None
    assert b"Zhang San" not in page.content
    identity_url = reverse("trial:identity", args=[participant.trial_id])
    assert client.get(identity_url).status_code == 403


@pytest.mark.requirement("BLD-002")
def test_blinded_users_neither_see_nor_erase_an_arm_revealing_answer(
    client, s01, nurse, participant
):
    from trial.models import AdverseEventData
    from trial.services.crfs import crf_save

    answers = sample_answers("adverse_event", participant, visit_code=None, rng=random.Random(4))
    instance = crf_save(
        actor=nurse,
        participant=participant,
        form_code="adverse_event",
        answers={**answers, "relation": "snrb"},
        complete=True,
    )
    assessor = user_with_role(Role.OUTCOME_ASSESSOR, site=s01)
    client.force_login(assessor)
    url = reverse("trial:log-edit", args=[participant.trial_id, "adverse_event", 1])
    page = client.get(url)
    assert "relation" not in page.context["form"].fields
    # stored free text is withheld too (it may name the block): read as reviewed, never edited
    assert "term" not in page.context["form"].fields
    data = {
        k: ("" if v is None else ("True" if v is True else "False" if v is False else v))
        for k, v in answers.items()
        if k not in ("relation", "term", "description")
    }
    data.update(
        term="Overwritten",
        clavien_dindo="II",
        revision=str(instance.revision),
        reason="grading",
        complete="1",
    )
    assert client.post(url, data).status_code == 302
    saved = AdverseEventData.objects.get(instance=instance)
    assert (saved.clavien_dindo, saved.term, saved.relation) == ("II", answers["term"], "snrb")
    history = client.get(
        reverse("trial:log-history", args=[participant.trial_id, "adverse_event", 1])
    )
    assert b"snrb" not in history.content
