"""One canonical name per variable (issue 17): the protocol's variable dictionary names each
captured item and stored score once, and the release codebook, both API dictionaries (live
and release mode) and the report's dataset columns all use that name; every column the
analysis plan names exists in the datasets."""

from __future__ import annotations

import csv
import random

import pytest

from analysis.datasets import columns as C
from analysis.datasets.builders import dataset_build
from analysis.models import DatasetRelease
from analysis.plans import get_plan
from analysis.releases.services import dataset_release_build, dataset_release_declare
from analysis.trial_plans import get_plan as trial_plan
from api.live_dictionary import live_project
from api.project import event_name
from api.release import release_project
from tests.factories import SiteFactory, user_with_role
from tests.unit.analysis.test_report_datasets import complete_participant
from trial.discovery import contributions
from trial.models import Role
from trial.protocol import get_protocol, protocols
from trial.protocol.dictionary import dictionary_of

PROTOCOL = get_protocol("snrb_peld")
PLAN = get_plan("snrb_peld")


@pytest.fixture
def released(settings, tmp_path):
    """A small trial with complete casebooks and its ready release v1."""
    settings.MEDIA_ROOT = tmp_path
    actor = user_with_role(Role.INVESTIGATOR, site=None)
    site = SiteFactory()
    rng = random.Random(5)
    for arm in "SP":
        complete_participant(actor, site, arm, rng)
    release = dataset_release_declare(
        protocol_code="snrb_peld", actor=actor, reason="names", enqueue=False
    )
    release = dataset_release_build(release_id=release.pk)
    assert release.status == DatasetRelease.Status.READY, release.error
    return release, tmp_path / release.folder


@pytest.mark.django_db
@pytest.mark.requirement("EXP-010")
def test_codebook_api_dictionaries_and_report_columns_use_the_dictionary_names(released):
    release, folder = released
    dictionary = dictionary_of(PROTOCOL)
    # the four consumers
    with (folder / "unblinded" / "codebook.csv").open(encoding="utf-8") as fh:
        codebook = [r["variable"] for r in csv.DictReader(fh) if r["frame"] == "wide"]
    live = {(f.form, f.source): f.name for f in live_project(PROTOCOL, blinded=False).fields}
    frozen = release_project(release, PROTOCOL, "unblinded").columns  # (event, field) -> column
    report = list(dataset_build(plan=PLAN, population="itt").wide.columns)
    assert codebook == report  # the release writes the report's wide columns, in order
    # every variable: the live API names it as the dictionary does
    for var in dictionary:
        assert live[(var.form, var.source)] == var.name, var
    # every variable of the datasets: the codebook, the report and the release API too
    carried = C.dataset_variables(PROTOCOL)
    assert {v.form for v in carried} >= {"baseline", "vas", "odi", "joa", "sf36", "outcome"}
    for var in carried:
        for column, visit in var.columns():
            assert column in codebook, column
            assert column in report, column
            assert frozen[(event_name(visit), var.name)] == column, (var.name, visit)
    # the leg-pain VAS value: one name, everywhere
    leg = dictionary.by_source("vas", "leg_vas")
    assert leg.name == "vas_leg"
    assert live[("vas", "leg_vas")] == "vas_leg"
    assert frozen[(event_name("postop_day_3"), "vas_leg")] == "vas_leg_postop_day_3"
    names = {*codebook, *live.values(), *(name for _e, name in frozen)}
    assert "leg_vas" not in names
    assert "vas" not in names


# every shipped protocol with its analysis plan (the system check gives every plan a protocol)
PLANNED = [p.code for p in protocols() if p.code in contributions("analysis_plans")]


@pytest.mark.requirement("EXP-010", "EXP-014")
@pytest.mark.parametrize("code", PLANNED)
def test_every_column_the_analysis_plan_names_is_a_dictionary_column(code: str) -> None:
    # the plan (pure) names columns as strings; each is a wide column the dictionary
    # generates, or the dataset's one derived column (the age from the date of birth)
    protocol, plan = get_protocol(code), trial_plan(code)
    generated = {c.name: c for c in C.variable_columns(protocol)}
    wide = {c.name for c in C.wide_columns(protocol)}
    dictionary = dictionary_of(protocol)
    age = C.age_column(protocol).name if protocol.age is not None else None
    assert plan.columns(), code
    for column in plan.columns():
        assert column in wide, column
        assert column in generated, column
        item = generated[column].item
        assert item == age or item in dictionary, column


@pytest.mark.requirement("EXP-010")
def test_the_seed_plan_names_its_outcomes_by_their_canonical_names() -> None:
    assert {"vas_leg_postop_day_3", "odi_month_3", "joa_admission", "sf36_total_month_3",
            "macnab", "surgery_minutes"} <= set(PLAN.columns())  # fmt: skip
