"""The patient's pages through Django's test client: the journey and every abuse case."""

import datetime
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from epro import services
from epro.exceptions import IdentityMismatch
from epro.models import Invitation, PageDraft
from trial.models import AuditEvent, FormInstance

from .conftest import BIRTH_YEAR, PAGES, epro_participant, month_3

pytestmark = pytest.mark.django_db

UA = {"HTTP_USER_AGENT": "PatientPhone/1.0"}


@pytest.fixture
def issued(participant, visit, nurse):
    return services.invitation_issue(participant=participant, visit=visit, actor=nurse)


def verified(client, token, answer=BIRTH_YEAR):
    client.get(reverse("epro:start", args=[token]), **UA)
    return client.post(reverse("epro:identity"), {"answer": answer})


def state():
    """Everything a bad request must leave unchanged."""
    return (
        list(Invitation.objects.values_list("status", "failed_identity_attempts")),
        list(PageDraft.objects.values_list("form_code", "data", "complete")),
        FormInstance.objects.count(),
    )


@pytest.mark.requirement("EPR-004", "EPR-005", "EPR-007")
def test_patient_answers_every_page_and_submits(client, issued, visit):
    # given
    _, token = issued
    response = verified(client, token)
    assert response.url == reverse("epro:resume")
    # when
    for code in ("vas", "odi", "sf36"):
        page = client.get(reverse("epro:page", args=[code]))
        assert page.status_code == 200
        response = client.post(reverse("epro:page", args=[code]), {**PAGES[code], "next": ""})
        assert response.status_code == 302
    assert client.get(reverse("epro:resume")).url == reverse("epro:review")
    response = client.post(reverse("epro:review"), **UA)
    # then
    assert response.url == reverse("epro:done")
    assert client.get(response.url).status_code == 200
    assert set(
        FormInstance.objects.filter(visit=visit, source="epro").values_list("form_code", flat=True)
    ) == {"vas", "odi", "sf36"}


@pytest.mark.requirement("EPR-004")
def test_a_new_browser_resumes_at_the_first_unfinished_page(client, issued, django_user_model):
    from django.test import Client

    _, token = issued
    verified(client, token)
    client.post(reverse("epro:page", args=["vas"]), {**PAGES["vas"], "next": ""})
    client.post(reverse("epro:page", args=["odi"]), {"odi_1": "2", "save_later": ""})
    # a new browser: the link and the identity answer again, then where the patient left
    other = Client()
    verified(other, token)
    response = other.get(reverse("epro:resume"))
    assert response.url == reverse("epro:page", args=["odi"])
    page = other.get(response.url)
    assert (
        b'value="2" class="form-check-input" required id="id_odi_1_2" checked' in (page.content)
        or b"checked" in page.content
    )


@pytest.mark.requirement("EPR-002")
def test_unknown_expired_and_revoked_tokens_get_the_same_page(client, participant, visit, nurse):
    invitation, token = services.invitation_issue(participant=participant, visit=visit, actor=nurse)
    bodies = set()
    bodies.add(client.get(reverse("epro:start", args=["nope" * 11])).content)
    with time_machine.travel(invitation.expires_at + datetime.timedelta(minutes=1)):
        bodies.add(client.get(reverse("epro:start", args=[token])).content)
    services.invitation_revoke(invitation=invitation, actor=nurse, reason="lost phone")
    response = client.get(reverse("epro:start", args=[token]))
    bodies.add(response.content)
    assert response.status_code == 404
    assert len({_without_csrf(b) for b in bodies}) == 1


def _without_csrf(body: bytes) -> bytes:
    """The page without its CSRF token and the language form's return address (the URL)."""
    body = re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", body)
    return re.sub(rb'name="next" type="hidden" value="[^"]+"', b"", body)


@pytest.mark.requirement("EPR-002")
def test_a_client_guessing_tokens_is_rate_limited(client, issued, settings):
    settings.EPRO_FAILURE_LIMIT = 3
    from django.core.cache import cache

    cache.clear()
    _, token = issued
    for n in range(3):
        assert client.get(reverse("epro:start", args=[f"guess{n}" * 8])).status_code == 404
    # blocked now, even with the right token
    assert client.get(reverse("epro:start", args=[token])).status_code == 429
    cache.clear()


@pytest.mark.requirement("EPR-003", "EPR-007")
def test_wrong_identity_answer_gets_a_page_in_the_patients_language(client, issued):
    _, token = issued
    client.cookies["django_language"] = "zh-hans"
    response = verified(client, token, answer="1999")
    assert response.status_code == 400
    with translation.override("zh-hans"):
        expected = str(IdentityMismatch.default_message)
    with translation.override("en"):
        assert expected != str(IdentityMismatch.default_message)  # a Chinese text exists
    assert expected in response.content.decode()
    assert client.get(reverse("epro:resume")).status_code == 404  # not verified: nothing shown


@pytest.mark.requirement("EPR-007")
def test_pages_need_the_link_and_identity_first(client, issued):
    for url in (reverse("epro:resume"), reverse("epro:page", args=["vas"]), reverse("epro:review")):
        assert client.get(url).status_code == 404
    _, token = issued
    client.get(reverse("epro:start", args=[token]))
    assert client.get(reverse("epro:page", args=["vas"])).status_code == 404


@pytest.mark.requirement("EPR-005", "EPR-007")
@pytest.mark.parametrize(
    ("code", "data"),
    [
        ("vas", {"leg_vas": "11", "back_vas": "2"}),
        ("vas", {"leg_vas": "-1", "back_vas": "2"}),
        ("vas", {"leg_vas": "abc", "back_vas": "2"}),
        ("vas", {"leg_vas": "5"}),
        ("odi", {**PAGES["odi"], "odi_3": "9"}),
        ("odi", {"odi_1": "1"}),
        ("sf36", {**PAGES["sf36"], "sf36_1": "0"}),
    ],
)
def test_out_of_range_and_missing_answers_change_nothing(client, issued, code, data):
    _, token = issued
    verified(client, token)
    before = state()
    response = client.post(reverse("epro:page", args=[code]), {**data, "next": ""})
    assert response.status_code == 400
    assert b'data-testid="epro-field-error"' in response.content
    assert state() == before


@pytest.mark.requirement("EPR-007")
def test_a_form_of_another_visit_or_not_invited_is_refused(client, issued):
    _, token = issued
    verified(client, token)
    before = state()
    for code in ("joa", "outcome", "baseline", "nope"):
        assert client.get(reverse("epro:page", args=[code])).status_code == 404
        assert client.post(reverse("epro:page", args=[code]), {"next": ""}).status_code == 400
    assert state() == before


@pytest.mark.requirement("EPR-007")
def test_another_participants_token_does_not_open_this_session(client, site, nurse, issued):
    # given a second participant with their own invitation
    other = epro_participant(nurse, site, birth=datetime.date(1950, 1, 1))
    _, other_token = services.invitation_issue(participant=other, visit=month_3(other), actor=nurse)
    _, token = issued
    verified(client, token)
    # when the browser opens the other link, it must answer that participant's question
    client.get(reverse("epro:start", args=[other_token]))
    assert client.get(reverse("epro:page", args=["vas"])).status_code == 404
    response = client.post(reverse("epro:identity"), {"answer": BIRTH_YEAR})
    assert response.status_code == 400


@pytest.mark.requirement("EPR-006")
def test_after_submission_the_link_shows_only_thanks(client, issued):
    _, token = issued
    verified(client, token)
    for code in ("vas", "odi", "sf36"):
        client.post(reverse("epro:page", args=[code]), {**PAGES[code], "next": ""})
    client.post(reverse("epro:review"))
    before = state()
    # replay of every request
    assert client.post(reverse("epro:review")).url == reverse("epro:done")
    response = client.post(reverse("epro:page", args=["vas"]), {**PAGES["vas"], "next": ""})
    assert response.url == reverse("epro:done")
    assert client.get(reverse("epro:page", args=["vas"])).url == reverse("epro:done")
    assert client.get(reverse("epro:start", args=[token])).url == reverse("epro:done")
    page = client.get(reverse("epro:done"))
    assert b"6.5" not in page.content
    assert state() == before
    assert AuditEvent.objects.filter(object_type="epro.invitation", changes__has_key="user_agent")


@pytest.mark.requirement("EPR-009")
def test_pages_show_no_participant_code_or_name(client, issued, participant):
    _, token = issued
    verified(client, token)
    for url in (reverse("epro:identity"), reverse("epro:page", args=["vas"])):
        body = client.get(url).content.decode()
        assert participant.trial_id not in body
        assert "Zhang San" not in body


@pytest.mark.requirement("EPR-004", "EPR-007")
def test_leaving_a_shared_tablet_keeps_the_answers_and_closes_the_session(client, issued):
    _, token = issued
    verified(client, token)
    response = client.post(reverse("epro:page", args=["vas"]), {"leg_vas": "3", "save_later": ""})
    assert b'data-testid="epro-leave"' in response.content
    client.post(reverse("epro:leave"))
    assert client.get(reverse("epro:page", args=["vas"])).status_code == 404
    assert PageDraft.objects.get(form_code="vas").data == {"leg_vas": "3"}
