"""Every state-changing request needs the CSRF token: without it 403 and nothing changes."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import DEFAULT_PASSWORD
from tests.security.test_authorization_matrix import (
    POST_DATA,
    RULES,
    _url,
    fingerprint,
    pattern_names,
)
from tests.security.world import build_world
from trial.models import Query

pytestmark = pytest.mark.django_db
POST_ONLY_ACTIONS = {"trial:casebook", "trial:query-action"}  # their POST rule depends on a verb


def state_changing() -> list[str]:
    """Every pattern that accepts a state-changing POST, from the authorization table."""
    names = [name for name, rule in RULES.items() if rule.post is not None]
    return sorted({*names, *POST_ONLY_ACTIONS, "accounts:login", "accounts:logout"})


@pytest.mark.requirement("ACC-007")
def test_every_state_changing_post_without_a_token_is_refused(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    world = build_world(release=False)
    params = dict(pattern_names())
    client = Client(enforce_csrf_checks=True)
    manager = world.users["data_manager@trial"]
    assert len(state_changing()) > 25
    for signed_in in (False, True):
        if signed_in:
            client.force_login(manager)
        for name in state_changing():
            for fixed in RULES[name].kwargs if name in RULES else ({},):
                url = _url(name, params[name], world, "own", fixed)
                before = fingerprint()
                data = {**POST_DATA, "username": manager.username, "password": DEFAULT_PASSWORD}
                response = client.post(url, data)
                assert response.status_code == 403, (name, url, response.status_code)
                assert fingerprint() == before, (name, url)


@pytest.mark.requirement("ACC-007")
def test_with_the_token_the_same_requests_work(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    world = build_world(release=False)
    client = Client(enforce_csrf_checks=True)
    # sign in through the real form, with the token of the login page
    client.get(reverse("accounts:login"))
    token = client.cookies["csrftoken"].value
    nurse = world.users["research_nurse@site"]
    response = client.post(reverse("accounts:login"), {"username": nurse.username,
                           "password": DEFAULT_PASSWORD, "csrfmiddlewaretoken": token})  # fmt: skip
    assert response.status_code == 302
    # answer a query from the form page, with the token the page carries
    page = client.get(reverse("trial:crf-entry", args=[world.own.participant.trial_id,
                                                       "admission", "vas"]))  # fmt: skip
    token = page.context["csrf_token"]
    url = reverse("trial:query-action", args=[world.own.query.pk, "answer"])
    response = client.post(url, {"text": "Checked at source", "csrfmiddlewaretoken": str(token)})
    assert response.status_code == 302
    assert Query.objects.get(pk=world.own.query.pk).status == Query.Status.ANSWERED
    # the same without the token is refused
    url = reverse("trial:query-action", args=[world.own.query.pk, "close"])
    assert client.post(url, {"text": "x"}).status_code == 403


def test_a_query_action_never_redirects_off_site(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    world = build_world(release=False)
    client.force_login(world.users["research_nurse@site"])
    url = reverse("trial:query-action", args=[world.own.query.pk, "answer"])
    response = client.post(url, {"text": "ok", "next": "https://evil.example/phish"})
    assert response.status_code == 302
    assert response["Location"].startswith("/participants/S01-0001/")


@pytest.mark.requirement("DEC-007")
def test_a_nul_character_is_refused_with_a_message_and_changes_nothing(client, settings, tmp_path):
    from django.utils import translation
    from django.utils.translation import gettext

    settings.MEDIA_ROOT = tmp_path
    world = build_world(release=False)
    client.force_login(world.users["data_manager@trial"])
    before = fingerprint()
    for url, data in (
        (reverse("trial:query-raise", args=[world.own.form.pk]), {"text": "a\x00b"}),
        (reverse("trial:database-lock"), {"state": "frozen", "reason": "\x00"}),
    ):
        response = client.post(url, data)
        assert response.status_code == 400
        with translation.override("en"):
            assert gettext("Request not accepted") in response.content.decode()
    assert client.get(reverse("trial:participant-list") + "?q=%00").status_code == 400
    assert client.get("/participants/%00/").status_code == 400
    assert fingerprint() == before


def test_an_over_long_user_name_is_refused_by_the_login_form(client):
    from django.contrib.auth import get_user_model

    name = "x" * 5000
    response = client.post(reverse("accounts:login"), {"username": name, "password": "p"})
    assert response.status_code == 200
    assert response.context["form"].errors["username"]
    assert not get_user_model().objects.filter(username=name).exists()
