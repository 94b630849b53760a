"""Who may read what through the API: tokens, blinding, sites, errors, rate limit, audit."""

from __future__ import annotations

import csv
import io
import json
import time
import xml.etree.ElementTree as ET

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from api.calls import CALLS, REDCAP_VERSION
from api.models import ApiToken
from api.services import api_token_create, token_hash
from tests.factories import user_with_role
from tests.unit.api.fixtures import PROTOCOL, post, post_json
from trial.models import AuditEvent, Role

pytestmark = pytest.mark.django_db
# What would reveal the arm: the allocation field, the block's event and form, the AE relation.
REVEALING = (
    "arm",
    "snrb_arm_1",
    "snrb_complete",
    "relation",
    "volume_injected_ml",
    "SNRB + PELD",
    "PELD only",
)


@pytest.mark.parametrize("content", sorted(CALLS))
@pytest.mark.requirement("BLD-005")
def test_a_blinded_token_never_sees_the_allocation(api_trial, client, content) -> None:
    for fmt in ("json", "csv", "xml"):
        for extra in ({}, {"rawOrLabel": "label"}, {"type": "eav"}):
            # when the blinded assessor calls it, in each format, raw, labelled or as EAV
            status, body = post(
                client, api_trial.tokens["assessor"], content=content, format=fmt, **extra
            )
            # then nothing in the answer names or reveals the arm
            assert status == 200, body
            cells = _cells(fmt, body)
            for word in REVEALING:
                assert word not in cells, (fmt, extra, word)
                assert not any(word in cell for cell in cells if " " in word), (fmt, word)


def _cells(fmt: str, body: str) -> set[str]:
    """Return every key, tag and value of an answer."""
    if body == REDCAP_VERSION:
        return {body}
    if fmt == "json":
        data = json.loads(body)
        rows = data if isinstance(data, list) else [data] if isinstance(data, dict) else []
        return {str(x) for r in rows for kv in r.items() for x in kv} or {body}
    if fmt == "csv":
        return {cell for row in csv.reader(io.StringIO(body)) for cell in row}
    if body.lstrip().startswith("<"):
        return {x for e in ET.fromstring(body.encode()).iter() for x in (e.tag, e.text or "")}
    return {body}


@pytest.mark.requirement("BLD-005")
def test_a_blinded_token_cannot_ask_for_the_allocation_field(api_trial, client) -> None:
    status, body = post(
        client,
        api_trial.tokens["assessor"],
        content="record",
        format="json",
        fields="record_id,arm",
    )
    assert status == 400
    assert "arm" in json.loads(body)["error"]


def test_a_blinded_token_still_reads_the_unrevealing_data(api_trial, client) -> None:
    rows = post_json(client, api_trial.tokens["assessor"], content="record")
    assert {r["record_id"] for r in rows} == {p.trial_id for p in api_trial.people[:2]}
    assert any(r["vas_leg"] for r in rows)
    entries = [r for r in rows if r["redcap_repeat_instrument"] == "adverse_event"]
    assert entries
    assert "relation" not in entries[0]


@pytest.mark.requirement("API-003")
def test_another_sites_records_are_never_returned(api_trial, client) -> None:
    # given a nurse of site S02
    token = api_trial.tokens["nurse_b"]
    # when they export everything, or ask for an S01 record by id
    rows = post_json(client, token, content="record", fields="record_id")
    asked = post_json(client, token, content="record", records=api_trial.people[0].trial_id)
    dags = post_json(client, token, content="dag")
    # then only S02 records and S02's group come back
    assert {r["record_id"] for r in rows} == {api_trial.people[2].trial_id}
    assert asked == []
    assert [d["unique_group_name"] for d in dags] == ["s02"]


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"token": "0" * 32, "content": "record"}, 403),
        ({"token": "not-a-token", "content": "record"}, 403),
        ({"token": "", "content": "record"}, 403),
        ({"content": "delete_everything"}, 400),
        ({"content": "record", "format": "pdf"}, 400),
        ({"content": "record", "type": "wide"}, 400),
        ({"content": "record", "fields[0]": "no_such_field"}, 400),
        ({"content": "record", "forms[0]": "no_such_form"}, 400),
        ({"content": "record", "events[0]": "no_such_event_arm_1"}, 400),
        ({"content": "record", "filterLogic": "[age] > 30"}, 400),
        ({"content": "record", "release": "soon"}, 400),
        ({"content": "record", "release": "9"}, 404),
        ({"content": "exportFieldNames", "field": "no_such_field"}, 400),
    ],
)
@pytest.mark.requirement("API-004")
def test_bad_calls_get_an_error_status_and_a_json_error(api_trial, client, params, status) -> None:
    body = {"token": api_trial.tokens["stat"], "format": "json", **params}
    response = client.post("/api/", body)
    assert response.status_code == status
    assert set(response.json()) == {"error"}
    assert response.json()["error"]


@pytest.mark.requirement("API-004")
def test_errors_are_in_the_callers_language(api_trial, client) -> None:
    response = client.post(
        "/api/", {"token": "0" * 32, "content": "version"}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    with translation.override("zh-hans"):
        expected = gettext("You do not have permissions to use the API")
    assert response.json() == {"error": expected}


@pytest.mark.requirement("API-001")
def test_get_is_refused(api_trial, client) -> None:
    response = client.get("/api/")
    assert response.status_code == 405
    assert "error" in response.json()


@pytest.mark.requirement("API-001")
def test_revoked_tokens_and_inactive_users_are_refused(api_trial, client) -> None:
    # given the statistician gets a new token (the old one is revoked) and the nurse leaves
    user = api_trial.users["stat"]
    old = api_trial.tokens["stat"]
    _token, new = api_token_create(actor=user, user=user, protocol_code=PROTOCOL)
    nurse = api_trial.users["nurse_b"]
    nurse.is_active = False
    nurse.save(update_fields=["is_active"])
    # then only the new token works
    assert post(client, old, content="version")[0] == 403
    assert post(client, new, content="version")[0] == 200
    assert post(client, api_trial.tokens["nurse_b"], content="version")[0] == 403
    assert ApiToken.objects.filter(user=user, revoked_at__isnull=True).count() == 1


@pytest.mark.requirement("API-001")
def test_tokens_are_32_hex_characters_stored_only_as_a_hash(api_trial) -> None:
    raw = api_trial.tokens["stat"]
    assert len(raw) == 32
    int(raw, 16)
    token = ApiToken.objects.get(user=api_trial.users["stat"], revoked_at__isnull=True)
    assert token.token_sha256 == token_hash(raw)
    stored = json.dumps(list(ApiToken.objects.values()), default=str)
    assert raw not in stored
    assert raw.lower() not in stored


@pytest.mark.requirement("API-004")
def test_rate_limit_answers_429_with_a_json_error(api_trial, client, settings, monkeypatch) -> None:
    # given a limit of three calls a minute, all in one minute window
    settings.EDC_API_RATE_LIMIT = 3
    token = api_trial.tokens["stat"]
    window = int(time.time() // 60) + 10**6  # a window no earlier run has used
    monkeypatch.setattr("api.services.rate_window", lambda: window)
    for raw in (token, api_trial.tokens["dm"]):  # only these keys: Redis is shared
        pk = ApiToken.objects.get(token_sha256=token_hash(raw)).pk
        cache.delete(f"api-rate:{pk}:{window}")
    # when a fourth call comes in the same minute
    statuses = [post(client, token, content="version")[0] for _ in range(4)]
    # then it is refused with 429, and another token is not affected
    assert statuses == [200, 200, 200, 429]
    status, body = post(client, token, content="version")
    assert status == 429
    assert "3" in json.loads(body)["error"]
    assert post(client, api_trial.tokens["dm"], content="version")[0] == 200


@pytest.mark.requirement("API-002")
def test_every_call_is_audited_with_who_what_and_how_many(api_trial, client) -> None:
    before = AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).count()
    post_json(
        client,
        api_trial.tokens["stat"],
        content="record",
        fields="record_id",
        records=api_trial.people[0].trial_id,
    )
    post_json(client, api_trial.tokens["stat"], content="metadata")
    events = AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).order_by("id")
    assert events.count() == before + 2
    record, metadata = events[before], events[before + 1]
    assert record.actor == api_trial.users["stat"]
    assert record.object_type == "api.apitoken"
    assert record.changes["api_content"] == [None, "record"]
    assert record.changes["records"] == [None, 1]
    assert json.loads(record.changes["params"][1])["records"] == [api_trial.people[0].trial_id]
    assert metadata.changes["api_content"] == [None, "metadata"]
    assert api_trial.tokens["stat"] not in json.dumps(record.changes)


def test_api_token_command_prints_a_working_token(api_trial) -> None:
    out = io.StringIO()
    call_command("api_token", "dm", stdout=out)
    raw = out.getvalue().strip()
    assert post(Client(), raw, content="version")[0] == 200
    assert post(Client(), api_trial.tokens["dm"], content="version")[0] == 403
    assert AuditEvent.objects.filter(
        object_type="api.apitoken", action=AuditEvent.Action.CREATE
    ).exists()


def test_account_page_creates_a_token_shown_once_and_revokes_it(api_trial, client) -> None:
    # given the data manager on their account page
    user = api_trial.users["dm"]
    client.force_login(user)
    assert client.get("/account/").status_code == 200
    # when they create a token
    page = client.post("/account/api-token/")
    raw = page.context["raw"]
    # then it is shown once, works, and the account page shows only its last characters
    assert raw in page.content.decode()
    assert post(Client(), raw, content="version")[0] == 200
    account = client.get("/account/").content.decode()
    assert raw not in account
    assert raw[-4:] in account
    # and revoking it stops it
    token = ApiToken.objects.get(token_sha256=token_hash(raw))
    client.post(f"/account/api-token/{token.pk}/revoke/")
    assert post(Client(), raw, content="version")[0] == 403


def test_a_user_cannot_revoke_someone_elses_token(api_trial, client) -> None:
    client.force_login(api_trial.users["dm"])
    other = ApiToken.objects.get(user=api_trial.users["stat"], revoked_at__isnull=True)
    client.post(f"/account/api-token/{other.pk}/revoke/")
    other.refresh_from_db()
    assert other.revoked_at is None


def test_a_role_without_data_rights_is_refused(api_trial, client) -> None:
    # given an administrator (manages users, reads no trial data) with a token
    admin = user_with_role(Role.ADMINISTRATOR, site=None, username="admin")
    _token, raw = api_token_create(actor=admin, user=admin, protocol_code=PROTOCOL)
    # then every call is refused
    assert post(client, raw, content="metadata", format="json")[0] == 403
    assert post(client, raw, content="record", format="json")[0] == 403
