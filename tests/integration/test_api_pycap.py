"""The real REDCap client (PyCap, from PyPI) against a live server, over live data and over a
locked release built by the real release builder.

Done-when of the API issue: PyCap reads metadata, events, the form-event mapping and
records (all and filtered) and gets the same values as the release's CSV; a blinded token
never sees the allocation.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from redcap import Project
from requests import RequestException

from analysis.releases.services import dataset_release_build, dataset_release_declare
from api.services import api_token_create
from tests.unit.api.fixtures import PROTOCOL, make_trial
from trial.models import Membership, PainVasData, Role

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
META_COLUMNS = {"redcap_event_name", "redcap_repeat_instrument", "redcap_repeat_instance"}


@pytest.fixture
def released(settings, tmp_path):
    """The small trial and its release v1, built in this process into a temporary folder."""
    settings.MEDIA_ROOT = tmp_path
    trial = make_trial()
    release = dataset_release_declare(
        protocol_code="snrb_peld", actor=trial.users["dm"], reason="API test", enqueue=False
    )
    release = dataset_release_build(release_id=release.pk)
    assert release.status == "ready", release.error
    return trial, Path(tmp_path) / release.folder


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def expected_cells(project: Project, rows: list[dict[str, str]]) -> dict[tuple, str]:
    """Map the release CSV to (record, event, field) -> value, from what PyCap read.

    A per-visit measure is released as ``<field>_<visit>`` and read at that visit's event; any
    other field is released under its own name at the first event of its form (the enrolment
    form also carries the per-visit timing columns, so it is mapped to every visit's event).
    """
    mapping = project.export_instrument_event_mappings()
    events_of: dict[str, list[str]] = {}
    for m in mapping:
        events_of.setdefault(m["form"], []).append(m["unique_event_name"])
    first_event = mapping[0]["unique_event_name"]
    out = {}
    for row in rows:
        cells = {}
        for field in project.metadata[1:]:
            name, form = field["field_name"], field["form_name"]
            for event in events_of[form]:
                per_visit = f"{name}_{event.removesuffix('_arm_1')}"
                if per_visit in row:
                    cells[(row["participant_id"], event, name)] = row[per_visit]
                elif event == events_of[form][0]:
                    cells[(row["participant_id"], event, name)] = row[name]
        # the record id is in the first event's row and in every row with a value (an event
        # of another arm's form, such as the SNRB, has no row)
        events = {first_event} | {k[1] for k, v in cells.items() if v != ""}
        out.update({(row["participant_id"], e, "record_id"): row["participant_id"] for e in events})
        out.update(cells)
    return out


def assert_same_as_csv(records: list[dict], expected: dict[tuple, str]) -> int:
    """Every exported value equals the CSV's; every non-empty CSV value is exported."""
    seen = 0
    exported = set()
    fields = {k[2] for k in expected}  # a data field may end in "_complete" too
    for rec in records:
        for name, value in rec.items():
            if name in META_COLUMNS or (name.endswith("_complete") and name not in fields):
                continue
            key = (rec["record_id"], rec["redcap_event_name"], name)
            # a field not collected at this event is blank in its row
            assert value == expected.get(key, ""), (key, value, expected.get(key))
            exported.add(key)
            seen += 1
    missing = {k for k, v in expected.items() if v != "" and k not in exported}
    assert not missing, sorted(missing)[:5]
    return seen


@pytest.mark.requirement("API-005")
def test_pycap_reads_the_release_with_the_csv_values(released, live_server) -> None:
    # given a statistician's token and PyCap pointed at the live server's /api/
    trial, folder = released
    project = Project(f"{live_server.url}/api/", trial.tokens["stat"], params={"release": 1})
    # when PyCap reads the dictionary, events, mapping and all records
    assert project.def_field == "record_id"
    assert project.is_longitudinal
    events = [e["unique_event_name"] for e in project.export_events()]
    assert {"admission_arm_1", "preop_arm_1", "postop_day_3_arm_1", "month_3_arm_1"} <= set(events)
    wide = read_csv(folder / "unblinded" / "wide.csv")
    expected = expected_cells(project, wide)
    records = project.export_records()
    # then every value is the release CSV's value
    assert {r["record_id"] for r in records} == {row["participant_id"] for row in wide}
    assert assert_same_as_csv(records, expected) > len(wide) * 20
    assert {r["arm"] for r in records if r["arm"]} == {"S", "P"}
    # and filtered exports are the matching subset
    first = wide[0]["participant_id"]
    subset = project.export_records(
        records=[first],
        fields=["record_id", "vas_leg", "arm"],
        events=["admission_arm_1", "month_3_arm_1"],
    )
    assert {(r["record_id"], r["redcap_event_name"]) for r in subset} == {
        (first, "admission_arm_1"),
        (first, "month_3_arm_1"),
    }
    asked = {
        k: v
        for k, v in expected.items()
        if k[0] == first
        and k[1] in ("admission_arm_1", "month_3_arm_1")
        and k[2] in ("record_id", "vas_leg", "arm")
    }
    assert assert_same_as_csv(subset, asked) >= 3
    month_3 = next(r for r in subset if r["redcap_event_name"] == "month_3_arm_1")
    assert month_3["vas_leg"] == wide[0]["vas_leg_month_3"] != ""


def test_a_token_bound_to_a_release_reads_it_without_a_parameter(released, live_server) -> None:
    trial, folder = released
    user = trial.users["stat"]
    _token, raw = api_token_create(actor=user, user=user, protocol_code=PROTOCOL, release_version=1)
    project = Project(f"{live_server.url}/api/", raw)
    assert "release v1" in project.export_project_info()["project_title"]
    wide = read_csv(folder / "unblinded" / "wide.csv")
    assert assert_same_as_csv(project.export_records(), expected_cells(project, wide)) > 0


@pytest.mark.requirement("API-005")
def test_pycap_reads_live_data_as_entered(released, live_server) -> None:
    # given a value changed after the release was cut
    trial, _folder = released
    person = trial.people[0]
    vas = PainVasData.objects.get(instance__participant=person, instance__visit__code="preop")
    PainVasData.objects.filter(pk=vas.pk).update(leg_vas="9.9")
    live = Project(f"{live_server.url}/api/", trial.tokens["stat"])
    frozen = Project(f"{live_server.url}/api/", trial.tokens["stat"], params={"release": "1"})
    # when both are read with PyCap
    ask = {"records": [person.trial_id], "events": ["preop_arm_1"]}
    now = live.export_records(fields=["record_id", "vas_leg"], **ask)
    then = frozen.export_records(fields=["record_id", "vas_leg"], **ask)
    # then live data shows the change and the release does not
    assert now[0]["vas_leg"] == "9.9"
    assert then[0]["vas_leg"] == format(float(vas.leg_vas), "g")
    # and PyCap's other export calls answer
    assert str(live.export_version()) == "14.0.0"
    assert {d["unique_group_name"] for d in live.export_dags()} == {"s01", "s02"}
    assert live.export_field_names()[0]["export_field_name"] == "record_id"
    assert {r["form_name"] for r in live.export_repeating_instruments_events()} == {
        "medication",
        "adverse_event",
    }
    eav = live.export_records(record_type="eav", **ask)
    assert {"record", "field_name", "value"} <= set(eav[0])


@pytest.mark.requirement("BLD-005")
def test_a_blinded_token_never_sees_the_allocation_through_pycap(released, live_server) -> None:
    # given the blinded assessor's token, on live data and on the release
    trial, folder = released
    token = trial.tokens["assessor"]
    user = trial.users["assessor"]
    live = Project(f"{live_server.url}/api/", token)
    # when PyCap reads the live project
    fields = {f["field_name"] for f in live.metadata}
    forms = {m["form"] for m in live.export_instrument_event_mappings()}
    records = live.export_records()
    # then there is no allocation, no block form and no AE relation anywhere
    assert "arm" not in fields
    assert "relation" not in fields
    assert "snrb" not in forms
    assert all("arm" not in r and "relation" not in r for r in records)
    assert "snrb_arm_1" not in {r["redcap_event_name"] for r in records}
    # and without the release right, release mode is refused
    denied = Project(f"{live_server.url}/api/", token, params={"release": 1})
    with pytest.raises(RequestException, match="permissions"):
        denied.export_records()
    # when a blinded user who may read releases reads one, it is the blinded variant
    Membership.objects.create(
        protocol_code="snrb_peld", user=user, site=trial.site_a, role=Role.DATA_MANAGER
    )
    released_records = denied.export_records()
    blinded = read_csv(folder / "blinded" / "wide.csv")
    expected = expected_cells(denied, [r for r in blinded if r["site"] == "S01"])
    assert assert_same_as_csv(released_records, expected) > 0
    assert {r["arm"] for r in released_records if r["arm"]} <= {"A", "B"}
    assert not {f["field_name"] for f in denied.metadata} & {"relation", "snrb_volume_ml"}
    assert "snrb" not in {m["form"] for m in denied.export_instrument_event_mappings()}
