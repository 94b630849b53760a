"""Issue 16: every exported row carries the assessment date, the days from the visit's
anchor and an in-window flag (release files, API, report datasets); the codebook documents
them; the window is the protocol's, the same as the grid's, the worklist's and the check's."""

from __future__ import annotations

import csv
import datetime
import json
import random

import pandas as pd
import pyreadstat
import pytest
from django.test import Client
from django.utils import timezone

from analysis.datasets.builders import dataset_build
from analysis.models import DatasetRelease
from analysis.plans import get_plan
from analysis.releases.services import dataset_release_build, dataset_release_declare
from api.services import api_token_create
from tests.factories import SiteFactory, user_with_role
from tests.unit.analysis.test_report_datasets import complete_participant
from trial.edit_checks.timing import check_form_timing
from trial.models import FormInstance, PainVasData, Role, Visit
from trial.protocol import get_protocol
from trial.selectors.expected import VisitState
from trial.selectors.visits import participant_grid, visit_list_worklist
from trial.services.crfs import crf_save

pytestmark = pytest.mark.django_db
PROTOCOL = get_protocol("snrb_peld")
PLAN = get_plan("snrb_peld")
TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)
TIMING = ("assessment_date", "days_from_anchor", "in_window")


@pytest.fixture
def trial(settings, tmp_path):
    """Two participants with every form; the first one's 3-month VAS moved to day 70 (with
    a reason: outside the 76-104 day window)."""
    settings.MEDIA_ROOT = tmp_path
    actor = user_with_role(Role.INVESTIGATOR, site=None, username="inv")
    site = SiteFactory(code="S01")
    rng = random.Random(5)
    people = [complete_participant(actor, site, arm, rng) for arm in "SP"]
    early = people[0]
    visit = Visit.objects.get(participant=early, code="month_3")
    vas = PainVasData.objects.get(instance__visit=visit, instance__form_code="vas")
    crf_save(
        actor=actor,
        participant=early,
        form_code="vas",
        visit=visit,
        instance=vas.instance,
        answers={"assessment_date": early.surgery_date + 70 * DAY},
        complete=True,
        base_revision=vas.instance.revision,
        reason="assessed at an early clinic visit",
    )
    return actor, people


def test_report_datasets_carry_the_timing_of_each_visit(trial):
    _actor, (early, other) = trial
    data = dataset_build(plan=PLAN, population="itt")
    long = data.long.set_index(["participant_id", "visit"])
    row = long.loc[(early.trial_id, "month_3")]
    assert row["assessment_date"] == (early.surgery_date + 70 * DAY).isoformat()
    assert row["days_from_anchor"] == 70
    assert row["in_window"] is False
    fine = long.loc[(other.trial_id, "month_3")]
    assert (fine["days_from_anchor"], fine["in_window"]) == (90, True)
    assert long.loc[(early.trial_id, "admission")]["days_from_anchor"] == 0
    wide = data.wide.set_index("participant_id")
    assert wide.loc[early.trial_id, "in_window_month_3"] is False
    assert wide.loc[other.trial_id, "days_from_anchor_postop_day_3"] == 3


def test_release_files_and_codebook_carry_the_new_columns(trial, tmp_path):
    actor, (early, _other) = trial
    release = dataset_release_declare(
        protocol_code="snrb_peld", actor=actor, reason="timing check", enqueue=False
    )
    release = dataset_release_build(release_id=release.pk)
    assert release.status == DatasetRelease.Status.READY, release.error
    folder = tmp_path / release.folder / "unblinded"
    long = pd.read_csv(folder / "long.csv", dtype=str)
    assert set(TIMING) <= set(long.columns)
    row = long[(long["participant_id"] == early.trial_id) & (long["visit"] == "month_3")]
    assert row["in_window"].tolist() == ["0"]
    assert row["days_from_anchor"].tolist() == ["70"]
    wide = pd.read_csv(folder / "wide.csv", dtype=str)
    assert {f"{t}_month_3" for t in TIMING} <= set(wide.columns)
    for suffix in ("sav", "dta"):
        reader = pyreadstat.read_sav if suffix == "sav" else pyreadstat.read_dta
        frame, _meta = reader(str(folder / f"long.{suffix}"))
        assert set(TIMING) <= set(frame.columns), suffix
    with open(folder / "codebook.csv", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    text = {tuple(r[:2]): " ".join(r) for r in rows[1:]}
    assert "window" in text[("long", "in_window")]
    assert "anchor" in text[("long", "days_from_anchor")]
    assert ("wide", "assessment_date_month_3") in text


def test_the_api_exports_the_form_timing(trial):
    _actor, (early, _other) = trial
    statistician = user_with_role(Role.STATISTICIAN, site=None, username="stat")
    _token, raw = api_token_create(actor=statistician, user=statistician, protocol_code="snrb_peld")
    response = Client().post(
        "/api/", {"token": raw, "content": "record", "format": "json", "records": early.trial_id}
    )
    body = b"".join(response.streaming_content) if response.streaming else response.content
    rows = {r["redcap_event_name"]: r for r in json.loads(body)}
    month_3 = rows["month_3_arm_1"]
    assert month_3["vas_days_from_anchor"] == "70"
    assert month_3["vas_in_window"] == "0"
    assert month_3["odi_in_window"] == "1"
    assert month_3["vas_assessment_date"] == (early.surgery_date + 70 * DAY).isoformat()


def test_one_window_everywhere(trial):
    """The protocol's 3-month window (day 76-104) is what the edit check, the grid, the
    worklist, the visit and the export use: each boundary day agrees across them."""
    actor, (early, _other) = trial
    definition = PROTOCOL.visit("month_3")
    start, end = definition.window(early.surgery_date)
    visit = Visit.objects.get(participant=early, code="month_3")
    assert (visit.window_start, visit.window_end) == (start, end)
    assert ((start - early.surgery_date).days, (end - early.surgery_date).days) == (76, 104)
    dates = {"admission_date": early.admission_date, "surgery_date": early.surgery_date}
    for day, inside in ((start - DAY, False), (start, True), (end, True), (end + DAY, False)):
        findings = check_form_timing(
            PROTOCOL,
            PROTOCOL.form("vas"),
            "month_3",
            {"assessment_date": day},
            today=end + 30 * DAY,
            **dates,
        )
        assert (not findings) is inside, day
        assert definition.timing(early.surgery_date, day).in_window is inside
    # the grid and the worklist date the window from the same stored visit
    grid = {r.visit.code: r for r in participant_grid(actor, early, TODAY)}
    assert (grid["month_3"].visit.window_start, grid["month_3"].visit.window_end) == (start, end)
    nurse = user_with_role(Role.RESEARCH_NURSE, site=early.site, username="nurse")
    Visit.objects.filter(pk=visit.pk).update(status=Visit.Status.SCHEDULED)
    for today, state in ((start - DAY, None), (start, "due"), (end, "due"), (end + DAY, "overdue")):
        listed = {
            group: [i["visit"].pk for i in items]
            for group, items in visit_list_worklist(nurse, "snrb_peld", today).items()
        }
        found = next((g for g, pks in listed.items() if visit.pk in pks), None)
        expected = state or "upcoming"
        assert found == expected, today
        row = {r.visit.code: r for r in participant_grid(actor, early, today)}["month_3"]
        assert row.state == (state or VisitState.SCHEDULED)
    # and the export's flag: the early VAS is flagged, and so is its form
    assert FormInstance.objects.get(visit=visit, form_code="vas").out_of_window is True
    long = dataset_build(plan=PLAN, population="itt").long.set_index(["participant_id", "visit"])
    assert long.loc[(early.trial_id, "month_3")]["in_window"] is False
