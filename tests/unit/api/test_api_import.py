"""``POST /api/`` with ``content=record&action=import``: REDCap's parameters and answers."""

from __future__ import annotations

import json

import pytest

from api.models import ApiToken
from api.services import api_token_create, token_hash
from tests.unit.api.fixtures import post
from tests.unit.api.import_world import day, new_record
from trial.models import AuditEvent, PainVasData, Participant

pytestmark = [pytest.mark.django_db, pytest.mark.requirement("IMP-008")]
PROTOCOL = "snrb_peld"


def token_of(user) -> str:
    return api_token_create(actor=user, user=user, protocol_code=PROTOCOL)[1]


def send(client, token, data, **params):
    return post(client, token, content="record", action="import", data=data, **params)


def as_csv(rows: list[dict[str, str]]) -> str:
    header = list(rows[0])
    lines = [",".join(header)] + [",".join(r[h] for h in header) for r in rows]
    return "\n".join(lines) + "\n"


def as_xml(rows: list[dict[str, str]]) -> str:
    items = "".join(
        "<item>" + "".join(f"<{k}>{v}</{k}>" for k, v in r.items()) + "</item>" for r in rows
    )
    return f'<?xml version="1.0" encoding="UTF-8" ?><records>{items}</records>'


@pytest.mark.parametrize(
    ("fmt", "encode"), [("json", json.dumps), ("csv", as_csv), ("xml", as_xml)]
)
def test_each_format_imports_and_answers_the_count(client, world, fmt, encode) -> None:
    status, body = send(client, token_of(world.nurse), encode(new_record()), format=fmt)
    assert status == 200, body
    assert json.loads(body) == {"count": 1}
    assert PainVasData.objects.filter(instance__participant__trial_id="S01-0101").exists()


def test_return_content_ids_and_nothing(client, world) -> None:
    token = token_of(world.nurse)
    status, body = send(client, token, json.dumps(new_record()), format="json", returnContent="ids")
    assert (status, json.loads(body)) == (200, ["S01-0101"])
    status, body = send(
        client,
        token,
        json.dumps(new_record("S01-0102")),
        format="json",
        returnContent="nothing",
    )
    assert (status, body) == (200, "")
    status, body = send(
        client,
        token,
        as_csv(new_record("S01-0103")),
        format="csv",
        returnFormat="csv",
        returnContent="count",
    )
    assert (status, body) == (200, "1")


def test_eav_and_dates_in_another_format(client, world) -> None:
    flat = new_record()[0]
    mdy = {k: (f"{v[5:7]}/{v[8:10]}/{v[:4]}" if k.endswith("date") else v) for k, v in flat.items()}
    rows = [
        {"record": mdy["record_id"], "redcap_event_name": "admission_arm_1",
         "field_name": k, "value": v}
        for k, v in mdy.items() if k not in ("record_id", "redcap_event_name")
    ]  # fmt: skip
    status, body = send(
        client, token_of(world.nurse), json.dumps(rows), format="json", type="eav",
        dateFormat="MDY",
    )  # fmt: skip
    assert status == 200, body
    assert Participant.objects.get(trial_id="S01-0101").admission_date.isoformat() == day(2)


def test_bad_rows_answer_400_with_redcap_shaped_errors_and_write_nothing(client, world) -> None:
    rows = new_record() + new_record("S01-0102", vas_leg="12")
    token = token_of(world.nurse)
    before = AuditEvent.objects.count()
    status, body = send(client, token, json.dumps(rows), format="json")
    assert status == 400
    answer = json.loads(body)
    assert answer["errors"] == [
        {
            "record": "S01-0102",
            "redcap_event_name": "admission_arm_1",
            "field_name": "vas_leg",
            "value": "12",
            "message": answer["errors"][0]["message"],
        }
    ]
    assert answer["error"].startswith('"S01-0102","admission_arm_1","vas_leg","12","')
    assert not Participant.objects.filter(trial_id__in=["S01-0101", "S01-0102"]).exists()
    # the token's "last used" stamp is the only write (no audit row, no data)
    assert AuditEvent.objects.count() == before


def test_errors_in_the_callers_language(client, world) -> None:
    rows = [{"record_id": world.person.trial_id, "nosuch": "1"}]
    response = client.post(
        "/api/",
        {"token": token_of(world.nurse), "content": "record", "action": "import",
         "format": "json", "data": json.dumps(rows)},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )  # fmt: skip
    assert response.status_code == 400
    assert "数据字典" in response.json()["errors"][0]["message"]


def test_force_auto_number_is_refused(client, world) -> None:
    status, body = send(
        client, token_of(world.nurse), json.dumps(new_record()), format="json",
        forceAutoNumber="true",
    )  # fmt: skip
    assert status == 400
    assert "forceAutoNumber" in json.loads(body)["error"]
    assert not Participant.objects.filter(trial_id="S01-0101").exists()


def test_read_only_tokens_and_users_without_data_entry_are_refused(client, world) -> None:
    data = json.dumps(new_record())
    # a data manager (no data entry) and a token fixed to a release (read-only)
    status, _body = send(client, token_of(world.dm), data, format="json")
    assert status == 403
    raw = "AB" * 16
    ApiToken.objects.create(
        user=world.nurse,
        protocol_code=PROTOCOL,
        token_sha256=token_hash(raw),
        hint=raw[-4:],
        release_version=1,
    )
    status, body = send(client, raw, data, format="json")
    assert status == 403
    assert "release" in json.loads(body)["error"]
    assert not Participant.objects.filter(trial_id="S01-0101").exists()


def test_a_successful_import_is_audited_on_the_token(client, world) -> None:
    status, _body = send(client, token_of(world.nurse), json.dumps(new_record()), format="json")
    assert status == 200
    row = AuditEvent.objects.filter(object_type="api.apitoken", action="update").last()
    assert row.changes["api_content"][1] == "record import"
    assert row.changes["records"][1] == 1
    form_row = AuditEvent.objects.filter(object_type="trial.forminstance").last()
    assert form_row.changes["origin"][1].startswith("import api ")
    assert "sha256 " in form_row.changes["origin"][1]


def test_an_unknown_action_is_refused(client, world) -> None:
    status, body = post(client, token_of(world.nurse), content="record", action="delete")
    assert status == 400
    assert "action" in json.loads(body)["error"]
