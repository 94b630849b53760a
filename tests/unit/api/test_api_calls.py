"""The REDCap export calls over live data: shapes, encodings, filters, values."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

import pytest
from django.test import Client

from api.calls import CALLS
from tests.unit.api.fixtures import post, post_json
from trial.models import BaselineData, FormInstance, OutcomeData, PainVasData

pytestmark = pytest.mark.django_db
LIST_CALLS = sorted(set(CALLS) - {"version", "project"})


@pytest.mark.parametrize("content", LIST_CALLS)
def test_every_export_call_answers_in_each_format(api_trial, client, content) -> None:
    reference = post_json(client, api_trial.tokens["stat"], content=content)
    parsers = {
        "csv": lambda body: list(csv.DictReader(io.StringIO(body))),
        "xml": lambda body: list(ET.fromstring(body.encode())),
    }
    for fmt, parse in parsers.items():
        # when the statistician calls it in csv and xml
        status, body = post(client, api_trial.tokens["stat"], content=content, format=fmt)
        # then each format parses to the same rows as json
        assert status == 200, body
        rows = parse(body)
        assert len(rows) == len(reference) > 0
        if fmt == "csv":
            assert rows == [{k: str(v) for k, v in r.items()} for r in reference]


def test_version_and_project_info(api_trial, client) -> None:
    status, version = post(client, api_trial.tokens["stat"], content="version")
    assert status == 200
    assert version.count(".") == 2
    info = post_json(client, api_trial.tokens["stat"], content="project")
    assert info["is_longitudinal"] == 1
    assert info["has_repeating_instruments_or_events"] == 1


def test_metadata_puts_the_record_id_first_and_declares_checkboxes(api_trial, client) -> None:
    # when the data dictionary is read
    metadata = post_json(client, api_trial.tokens["stat"], content="metadata")
    by_name = {row["field_name"]: row for row in metadata}
    # then the record id is the first field, on the first instrument
    assert metadata[0]["field_name"] == "record_id"
    assert metadata[0]["form_name"] == "enrolment"
    # and the CRF fields carry their types, choices and validation
    complications = by_name["serious_complications"]
    assert complications["field_type"] == "checkbox"
    assert "dural_tear, Dural tear" in complications["select_choices_or_calculations"]
    assert by_name["numbness"]["field_type"] == "yesno"
    assert by_name["vas_leg"]["text_validation_type_or_show_slider_number"] == "number"
    assert by_name["vas_leg"]["text_validation_max"] == "10.0"
    assert by_name["odi"]["field_type"] == "calc"
    assert by_name["arm"]["select_choices_or_calculations"].startswith("S, ")
    assert len(by_name) == len(metadata)
    # and checkbox choices are exported as name___code
    names = post_json(client, api_trial.tokens["stat"], content="exportFieldNames")
    exported = {r["export_field_name"] for r in names}
    assert "serious_complications___dural_tear" in exported
    assert "serious_complications" not in exported


def test_events_arm_and_form_event_mapping_follow_the_protocol(api_trial, client) -> None:
    token = api_trial.tokens["stat"]
    events = [e["unique_event_name"] for e in post_json(client, token, content="event")]
    assert events == [
        "admission_arm_1",
        "snrb_arm_1",
        "preop_arm_1",
        "surgery_arm_1",
        "postop_day_3_arm_1",
        "month_3_arm_1",
    ]
    assert post_json(client, token, content="arm") == [{"arm_num": 1, "name": "Arm 1"}]
    mapping = {
        (m["unique_event_name"], m["form"])
        for m in post_json(client, token, content="formEventMapping")
    }
    assert ("admission_arm_1", "enrolment") in mapping
    assert ("month_3_arm_1", "outcome") in mapping
    assert ("preop_arm_1", "vas") in mapping
    assert ("preop_arm_1", "odi") not in mapping
    repeating = post_json(client, token, content="repeatingFormsEvents")
    assert {r["form_name"] for r in repeating} == {"medication", "adverse_event"}


@pytest.mark.requirement("API-005")
def test_record_values_are_strings_equal_to_the_database(api_trial, client) -> None:
    # given a participant's stored answers
    person = api_trial.people[1]
    vas = PainVasData.objects.get(instance__participant=person, instance__visit__code="month_3")
    baseline = BaselineData.objects.get(instance__participant=person)
    # when their records are exported
    rows = post_json(
        client, api_trial.tokens["stat"], content="record", **{"records[0]": person.trial_id}
    )
    by_event = {r["redcap_event_name"]: r for r in rows}
    # then every value is a string and equals the stored value
    assert all(isinstance(v, str) for r in rows for v in r.values())
    assert by_event["month_3_arm_1"]["vas_leg"] == str(vas.leg_vas)
    assert by_event["admission_arm_1"]["bmi"] == str(baseline.bmi)
    assert by_event["admission_arm_1"]["numbness"] == ("1" if baseline.numbness else "0")
    assert by_event["admission_arm_1"]["arm"] == "P"
    assert by_event["admission_arm_1"]["record_id"] == person.trial_id
    assert by_event["admission_arm_1"]["baseline_complete"] == "2"
    assert by_event["admission_arm_1"]["outcome_complete"] == ""
    assert "snrb_arm_1" not in by_event  # an arm-P participant has no block
    outcome = OutcomeData.objects.get(instance__participant=person)
    ticked = set(outcome.serious_complications or [])
    for code in ("dural_tear", "other"):
        expected = "1" if code in ticked else "0"
        assert by_event["month_3_arm_1"][f"serious_complications___{code}"] == expected


def test_in_progress_form_is_exported_as_incomplete(api_trial, client) -> None:
    instance = FormInstance.objects.get(participant=api_trial.people[0], form_code="outcome")
    FormInstance.objects.filter(pk=instance.pk).update(status=FormInstance.Status.IN_PROGRESS)
    rows = post_json(
        client,
        api_trial.tokens["stat"],
        content="record",
        records=api_trial.people[0].trial_id,
        events="month_3_arm_1",
    )
    assert [r["outcome_complete"] for r in rows] == ["0"]


@pytest.mark.parametrize(
    "encoding",
    [
        {"fields[0]": "record_id", "fields[1]": "vas_leg"},
        {"fields[]": ["record_id", "vas_leg"]},
        {"fields": "record_id,vas_leg"},
        {"fields": ["record_id", "vas_leg"]},
    ],
)
def test_list_parameters_are_read_in_every_client_encoding(api_trial, client, encoding) -> None:
    rows = post_json(client, api_trial.tokens["stat"], content="record", **encoding)
    assert set(rows[0]) == {
        "record_id",
        "redcap_event_name",
        "redcap_repeat_instrument",
        "redcap_repeat_instance",
        "vas_leg",
    }
    assert any(r["vas_leg"] for r in rows)


@pytest.mark.parametrize("value", ["true", "True", "1"])
def test_booleans_are_read_as_true_true_or_1(api_trial, client, value) -> None:
    rows = post_json(
        client,
        api_trial.tokens["stat"],
        content="record",
        exportDataAccessGroups=value,
        fields="record_id",
    )
    assert {r["redcap_data_access_group"] for r in rows} == {"s01", "s02"}


def test_a_boolean_that_is_not_one_is_refused(api_trial, client) -> None:
    status, body = post(
        client,
        api_trial.tokens["stat"],
        content="record",
        format="json",
        exportDataAccessGroups="maybe",
    )
    assert status == 400
    assert "exportDataAccessGroups" in json.loads(body)["error"]


def test_filters_by_records_forms_and_events(api_trial, client) -> None:
    ids = [p.trial_id for p in api_trial.people[:2]]
    rows = post_json(
        client,
        api_trial.tokens["stat"],
        content="record",
        **{
            "records[0]": ids[0],
            "records[1]": ids[1],
            "forms[0]": "vas",
            "events[0]": "preop_arm_1",
            "events[1]": "month_3_arm_1",
        },
    )
    assert {(r["record_id"], r["redcap_event_name"]) for r in rows} == {
        (i, e) for i in ids for e in ("preop_arm_1", "month_3_arm_1")
    }
    assert "vas_complete" in rows[0]
    assert "odi_1" not in rows[0]


def test_raw_or_label(api_trial, client) -> None:
    person = api_trial.people[0]
    raw = post_json(
        client,
        api_trial.tokens["stat"],
        content="record",
        records=person.trial_id,
        fields="record_id,arm,numbness,baseline_complete",
    )
    label = post_json(
        client,
        api_trial.tokens["stat"],
        content="record",
        records=person.trial_id,
        fields="record_id,arm,numbness,baseline_complete",
        rawOrLabel="label",
    )
    assert raw[0]["arm"] == "S"
    assert label[0]["arm"] == "S: SNRB + PELD"
    assert label[0]["numbness"] in ("Yes", "No")
    assert label[0]["baseline_complete"] == "Complete"
    assert label[0]["redcap_event_name"] == "Admission"


def test_eav_export_lists_non_empty_values(api_trial, client) -> None:
    person = api_trial.people[1]
    eav = post_json(
        client, api_trial.tokens["stat"], content="record", type="eav", records=person.trial_id
    )
    flat = post_json(client, api_trial.tokens["stat"], content="record", records=person.trial_id)
    assert set(eav[0]) == {
        "record",
        "redcap_event_name",
        "redcap_repeat_instrument",
        "redcap_repeat_instance",
        "field_name",
        "value",
    }
    values = {(e["redcap_event_name"], e["field_name"]): e["value"] for e in eav}
    for row in flat:
        assert values.get((row["redcap_event_name"], "vas_leg"), "") == row["vas_leg"]
    assert values[("admission_arm_1", "arm")] == "P"
    assert all(e["value"] != "" for e in eav)


def test_repeating_log_entries_are_rows_of_their_own(api_trial, client) -> None:
    rows = post_json(
        client, api_trial.tokens["stat"], content="record", records=api_trial.people[0].trial_id
    )
    entries = [r for r in rows if r["redcap_repeat_instrument"] == "adverse_event"]
    assert len(entries) == 1
    assert entries[0]["redcap_repeat_instance"] == "1"
    assert entries[0]["relation"] == "snrb"
    assert entries[0]["redcap_event_name"] == "admission_arm_1"
    assert entries[0]["vas_leg"] == ""


def test_date_range_selects_records_changed_in_it(api_trial, client) -> None:
    token = api_trial.tokens["stat"]
    future = post_json(client, token, content="record", dateRangeBegin="2999-01-01 00:00:00")
    past = post_json(
        client,
        token,
        content="record",
        fields="record_id",
        dateRangeBegin="2000-01-01 00:00:00",
        dateRangeEnd="2999-01-01 00:00:00",
    )
    assert future == []
    assert {r["record_id"] for r in past} == {p.trial_id for p in api_trial.people}
    status, body = post(client, token, content="record", format="json", dateRangeBegin="soon")
    assert status == 400
    assert "dateRangeBegin" in json.loads(body)["error"]


def test_large_exports_stream_page_by_page_with_the_same_result(
    api_trial, client, settings, django_assert_max_num_queries
) -> None:
    # given a page size smaller than the trial
    token = api_trial.tokens["stat"]
    whole = post_json(client, token, content="record")
    settings.EDC_API_PAGE_SIZE = 2
    # when exported, the body is streamed and the queries are bounded per page
    response = Client().post("/api/", {"token": token, "content": "record", "format": "json"})
    assert response.streaming
    with django_assert_max_num_queries(3 * 15):
        body = b"".join(response.streaming_content)
    # then the rows are the same
    assert json.loads(body) == whole


def test_csv_label_headers_keep_every_column(api_trial, client) -> None:
    # when the CSV header shows labels (rawOrLabelHeaders=label)
    token = api_trial.tokens["stat"]
    params = {"content": "record", "format": "csv", "records": api_trial.people[0].trial_id}
    _status, raw = post(client, token, **params)
    _status, labelled = post(client, token, rawOrLabelHeaders="label", **params)
    raw_rows, label_rows = (
        list(csv.reader(io.StringIO(raw))),
        list(csv.reader(io.StringIO(labelled))),
    )
    # then only the header line changes, and every column keeps its values
    assert label_rows[1:] == raw_rows[1:]
    assert len(label_rows[0]) == len(raw_rows[0])
    assert "Event Name" in label_rows[0]
    forms = [i["instrument_name"] for i in post_json(client, token, content="instrument")]
    assert label_rows[0].count("Complete?") == len(forms) > 1
