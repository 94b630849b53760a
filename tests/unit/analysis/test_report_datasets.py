"""Dataset builders read in bulk; the service records inputs; blinded runs are pooled."""

from __future__ import annotations

import datetime
import random

import pytest
from django.utils import timezone

from analysis.datasets.builders import dataset_build
from analysis.models import ReportRun
from analysis.plans import get_plan
from analysis.services import report_run_create
from tests.factories import SiteFactory, allocated_participant, user_with_role
from trial.demo import sample_answers
from trial.models import Role, Visit
from trial.protocol import get_protocol
from trial.services.crfs import crf_save

pytestmark = pytest.mark.django_db

PLAN = get_plan("snrb_peld")


def complete_participant(actor, site, arm: str, rng: random.Random):
    """An allocated participant operated 92 days ago with every visit form complete (demo
    answers, each dated on its visit's target day)."""
    surgery = timezone.localdate() - datetime.timedelta(days=92)
    p = allocated_participant(
        actor,
        site,
        arm=arm,
        admission_date=surgery - datetime.timedelta(days=3),
        surgery_date=surgery,
    )
    protocol = get_protocol(p.protocol_code)
    for visit in Visit.objects.filter(participant=p).order_by("order"):
        for form in protocol.forms_for(protocol.visit(visit.code), arm):
            p.refresh_from_db()
            answers = sample_answers(form.code, p, visit_code=visit.code, rng=rng)
            crf_save(actor=actor, participant=p, form_code=form.code, visit=visit,
                     complete=True, answers=answers)  # fmt: skip
    return p


@pytest.fixture
def small_trial():
    actor = user_with_role(Role.INVESTIGATOR, site=None)
    site = SiteFactory()
    rng = random.Random(3)
    people = [complete_participant(actor, site, arm, rng) for arm in "SPSPSP"]
    return actor, people


def test_dataset_build_uses_a_bounded_number_of_queries(
    small_trial, django_assert_max_num_queries
) -> None:
    # given six participants with complete data, when the datasets are built
    # (one query per form, and one for the adverse-event log: none per participant)
    with django_assert_max_num_queries(13):
        data = dataset_build(plan=PLAN, population="itt")
    # then one row per participant (wide) and per participant × visit (long)
    assert len(data.wide) == 6
    assert len(data.long) == 6 * 4
    assert {"participant_id", "arm", "visit"} <= set(data.long.columns)
    assert data.wide["vas_leg_admission"].notna().all()
    assert data.wide["per_protocol"].all()


def test_checksum_is_stable_for_the_same_data(small_trial) -> None:
    first = dataset_build(plan=PLAN, population="itt").checksum
    assert dataset_build(plan=PLAN, population="itt").checksum == first
    assert len(first) == 64


def test_report_run_records_inputs_and_files(small_trial, settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path
    actor, _ = small_trial
    run = report_run_create(
        protocol_code="snrb_peld", actor=actor, population="itt", mode="correct", blinded=False
    )
    from analysis.services import report_run_execute

    run = report_run_execute(run_id=run.pk)
    assert run.status == ReportRun.Status.SUCCEEDED, run.error
    assert run.inputs["n"] == 6
    assert run.inputs["population"] == "itt"
    assert {"python", "pandas", "scipy", "statsmodels"} <= set(run.inputs["software"])
    assert run.xlsx
    assert run.docx


@pytest.mark.requirement("BLD-004")
def test_blinded_report_has_no_arm_columns_anywhere(small_trial, settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path
    actor, _ = small_trial
    run = report_run_create(
        protocol_code="snrb_peld", actor=actor, population="itt", mode="correct", blinded=True
    )
    from analysis.services import report_run_execute

    run = report_run_execute(run_id=run.pk)
    assert run.status == ReportRun.Status.SUCCEEDED, run.error
    for table in run.result["tables"]:
        keys = {c["key"] for c in table["columns"]}
        assert not keys & {"S", "P", "p", "test"}, table["key"]
    assert set(run.result["consort"]["arms"]) == {"all"}
    assert [s["group"] for s in run.result["figures"][0]["series"]] == ["all"]
    import openpyxl

    wb = openpyxl.load_workbook(run.xlsx.path)
    text = " ".join(str(c.value) for ws in wb for row in ws.iter_rows() for c in row if c.value)
    assert "S group" not in text
    assert "P group" not in text
