"""The second trial (rehab_ldh) runs end to end through the same services as the seed: its
own schedule counted from randomization, a 2:1 list from its protocol, its own forms and the
generated EQ-5D-5L at every visit, a release and a report with its own tables; its blinded
assessor sees nothing of the arm-only adherence form."""

from __future__ import annotations

import datetime
import random
from collections import Counter

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from analysis.models import DatasetRelease, ReportRun
from analysis.releases.services import dataset_release_build, dataset_release_declare
from analysis.services import report_run_create, report_run_execute
from analysis.trial_plans import get_plan
from rehab_ldh.models import AdherenceData
from tests.factories import SiteFactory, completed_form, user_with_role
from trial.demo import sample_answers
from trial.models import Allocation, AllocationList, FormInstance, Participant, Role, Visit
from trial.protocol import get_protocol
from trial.selectors.dashboard import DashboardScope, measure_trend
from trial.selectors.dashboard_rollup import RollupFilter, dashboard_rollup
from trial.services.consent import consent_record
from trial.services.crfs import crf_save
from trial.services.eligibility import eligibility_record
from trial.services.participants import participant_register
from trial.services.randomization import (
    allocation_list_activate,
    allocation_list_generate,
    participant_randomize,
)

pytestmark = pytest.mark.django_db
CODE = "rehab_ldh"
TODAY = timezone.localdate()
REGISTERED = TODAY - datetime.timedelta(days=200)  # every follow-up (day 180) is due


def _randomized(nurse, site, number: int) -> Participant:
    protocol = get_protocol(CODE)
    participant = participant_register(
        actor=nurse,
        protocol_code=CODE,
        site=site,
        screening_date=REGISTERED,
        registration_date=REGISTERED,
        full_name=f"Rehab {number}",
    )
    eligibility_record(
        actor=nurse,
        participant=participant,
        assessed_date=REGISTERED,
        answers={c.code: c.kind == "inclusion" for c in protocol.criteria},
    )
    consent_record(
        actor=nurse,
        participant=participant,
        version=protocol.consent_versions[-1],
        consent_date=REGISTERED,
        obtained_by=nurse,
    )
    participant.refresh_from_db()
    for form in protocol.forms_for(protocol.visit("baseline"), None):
        completed_form(nurse, participant, "baseline", form.code, seed=number)
    at = timezone.make_aware(datetime.datetime.combine(REGISTERED, datetime.time(15)))
    participant_randomize(actor=nurse, participant=participant, allocated_at=at)
    participant.refresh_from_db()
    return participant


@pytest.fixture
def world(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    site = SiteFactory(code="S01")
    nurse = user_with_role(Role.RESEARCH_NURSE, site=site, protocol_code=CODE)
    statistician = user_with_role(Role.STATISTICIAN, site=None, protocol_code=CODE)
    draft = allocation_list_generate(
        actor=statistician,
        protocol_code=CODE,
        name="RL",
        factors=[],
        block_sizes=[3],
        slots_per_stratum=12,
        seed=7,
    )
    allocation_list_activate(actor=statistician, allocation_list=draft)
    participants = [_randomized(nurse, site, n) for n in range(1, 10)]
    protocol = get_protocol(CODE)
    for participant in participants:
        arm = participant.allocation.arm
        for visit in protocol.visits_for(arm)[1:]:
            for form in protocol.forms_for(visit, arm):
                completed_form(nurse, participant, visit.code, form.code, seed=participant.pk)
        participant.refresh_from_db()
        crf_save(
            actor=nurse,
            participant=participant,
            form_code="adverse_event",
            complete=True,
            answers=sample_answers(
                "adverse_event", participant, visit_code="week_2", rng=random.Random(1)
            ),
        )
    return {"site": site, "nurse": nurse, "statistician": statistician, "people": participants}


@pytest.mark.requirement("EXP-013")
def test_the_second_trial_runs_its_whole_journey_through_the_services(world) -> None:
    people, protocol = world["people"], get_protocol(CODE)
    # the list took its 2:1 ratio from the protocol, and blocks of 3 allocate exactly 6:3
    assert list(AllocationList.objects.get(protocol_code=CODE).ratio) == [2, 1]
    arms = Counter(Allocation.objects.filter(participant__in=people).values_list("arm", flat=True))
    assert arms == {"R": 6, "U": 3}
    # follow-up counts from randomization (day 0), not from registration
    first = people[0]
    week_2 = Visit.objects.get(participant=first, code="week_2")
    assert week_2.target_date == REGISTERED + datetime.timedelta(days=14)
    assert Visit.objects.get(participant=first, code="month_6").target_date == (
        REGISTERED + datetime.timedelta(days=180)
    )
    # every form of every visit is complete, the generated EQ-5D-5L scored on save
    expected = sum(
        len(protocol.forms_for(v, p.allocation.arm))
        for p in people
        for v in protocol.visits_for(p.allocation.arm)
    )
    saved = FormInstance.objects.filter(participant__in=people, visit__isnull=False)
    assert saved.filter(status=FormInstance.Status.COMPLETE).count() == expected == saved.count()
    eq5d = saved.filter(form_code="eq5d5l").first()
    data = apps.get_model("trial.Eq5d5lData").objects.get(instance=eq5d)
    assert 5 <= data.scores["level_sum"] <= 25
    assert len(data.scores["profile"]) == 5
    # only arm R has adherence forms
    adherence_arms = set(
        AdherenceData.objects.values_list("instance__participant__allocation__arm", flat=True)
    )
    assert adherence_arms == {"R"}
    # the dashboard follows the ODI (a stored score) and the EQ VAS by visit and arm
    where = RollupFilter(protocol_code=CODE)
    scope = DashboardScope(protocol=protocol, blinded=False, today=TODAY, comparative=True,
                           sites=((world["site"].pk, "S01"),))  # fmt: skip
    trend = measure_trend(scope, dashboard_rollup(protocol, where))
    month_3 = {r["arm"]: r for r in trend if r["visit"] == "month_3"}
    odi = [
        d.scores["percent"]
        for d in apps.get_model("trial.OdiData").objects.filter(
            instance__visit__code="month_3", instance__participant__allocation__arm="R"
        )
    ]
    assert month_3["R"]["n"] == 6
    assert month_3["R"]["odi"] == pytest.approx(sum(odi) / len(odi), abs=0.05)
    assert 0 <= month_3["U"]["eqvas"] <= 100
    # the release is built from the trial's own dictionary
    actor = world["statistician"]
    release = dataset_release_declare(
        protocol_code=CODE, actor=actor, reason="interim", enqueue=False
    )
    release = dataset_release_build(release_id=release.pk)
    assert release.status == DatasetRelease.Status.READY, release.error
    # and the report on it produces the plan's own tables, titled by the plan
    created = report_run_create(protocol_code=CODE, actor=actor, population="itt",
                                mode="correct", blinded=False, release=release)  # fmt: skip
    run = report_run_execute(run_id=created.pk)
    assert run.status == ReportRun.Status.SUCCEEDED, run.error
    plan = get_plan(CODE)
    titles = [t["title"]["en"] for t in run.result["tables"]]
    assert titles[: len(plan.tables)] == [t.title.en for t in plan.tables]
    assert titles[1] == "Table 2. Primary outcome: Oswestry Disability Index by visit"
    assert [t["title"]["zh"] for t in run.result["tables"]][2].startswith("表 3 次要结局")
    # the unequal arms are counted as they are
    consort = run.result["consort"]
    assert consort["randomized"] == 9
    assert {arm: flow["allocated"] for arm, flow in consort["arms"].items()} == {"R": 6, "U": 3}


@pytest.mark.requirement("BLD-001")
def test_the_blinded_assessor_sees_nothing_of_the_adherence_form(world, client) -> None:
    site = world["site"]
    assessor = user_with_role(Role.OUTCOME_ASSESSOR, site=site, protocol_code=CODE)
    investigator = user_with_role(Role.INVESTIGATOR, site=site, protocol_code=CODE)
    arm_r = next(p for p in world["people"] if p.allocation.arm == "R")
    arm_u = next(p for p in world["people"] if p.allocation.arm == "U")

    def page(user, participant, *path):
        client.force_login(user)
        client.post(reverse("trial:trial-switch"), {"protocol": CODE})
        if path:
            url = reverse("trial:crf-entry", args=(participant.trial_id, *path))
        else:
            url = reverse("trial:participant-detail", args=(participant.trial_id,))
        return client.get(url)

    # the unblinded investigator sees the adherence form of an arm-R participant
    assert "Rehabilitation adherence" in page(investigator, arm_r).content.decode()
    # the assessor sees it nowhere: the participant pages of both arms look alike
    for participant in (arm_r, arm_u):
        body = page(assessor, participant).content.decode()
        assert "Rehabilitation adherence" not in body
        assert "adherence" not in body
    # and the form itself answers as it does for an arm-U participant (who has none)
    r = page(assessor, arm_r, "week_2", "adherence")
    u = page(assessor, arm_u, "week_2", "adherence")
    assert r.status_code == u.status_code == 404
