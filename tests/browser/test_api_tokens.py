"""A statistician creates an API token on the account page, uses it, then revokes it."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

import pytest

from tests.browser.test_participant_journey import login, t
from tests.factories import user_with_role
from trial.models import AuditEvent, Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def api_call(url: str, token: str, **params: str) -> tuple[int, str]:
    data = urllib.parse.urlencode({"token": token, "format": "json", **params}).encode()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=30) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_statistician_creates_uses_and_revokes_a_token(page, live_server, language) -> None:
    # given a statistician on their account page
    user_with_role(Role.STATISTICIAN, site=None, username="stat")
    login(page, "stat", language)
    page.goto("/account/")
    # when they create a token, it is shown once with the API address
    page.get_by_role("button", name=t(language, "Create an API token")).click()
    token = page.locator("#api-token").inner_text().strip()
    url = page.locator("#api-url").inner_text().strip()
    assert len(token) == 32
    assert url == f"{live_server.url}/api/"
    # then it works as a REDCap token
    status, body = api_call(url, token, content="project")
    assert status == 200
    assert json.loads(body)["is_longitudinal"] == 1
    # and the account page lists it by its last characters only
    page.goto("/account/")
    table = page.locator("#api-token-table").inner_text()
    assert token[-4:] in table
    assert token not in page.content()
    # when they revoke it, it stops working
    page.get_by_role("button", name=t(language, "Revoke")).click()
    page.wait_for_load_state()
    assert t(language, "Revoked") in page.locator("#api-token-table").inner_text()
    status, body = api_call(url, token, content="project")
    assert status == 403
    assert "error" in json.loads(body)
    assert AuditEvent.objects.filter(object_type="api.apitoken").count() >= 3
