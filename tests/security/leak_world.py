"""A generated one-site trial for the statistical blinding leak test.

At site RPT, ``2 * PER_ARM`` randomized participants, arms shuffled with a fixed seed. Every
participant has an admission VAS form and two log entries (a medication, an adverse event);
arm S also has its SNRB form (complete, verified, with a query raised by hand and one raised
by a soft edit check), arm-revealing free text ("ropivacaine + dexamethasone palmitate
(SNRB)", "pain after block") and an adverse event related to the block with a query on that
answer. Arm-independent life on top: queries, edits with a reason, missed visits, reviewed
free text, a dataset release. After ``since`` only the S participants' SNRB forms change,
plus a VAS edit of every fourth participant of either arm (for the API date filter).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from analysis.releases.services import dataset_release_build, dataset_release_declare
from api.services import api_token_create
from epro.services import invitation_issue
from tests.factories import SiteFactory, allocated_participant, user_with_role
from trial.demo import demo_allocation_list, sample_answers
from trial.models import FormInstance, Participant, Query, Role, Visit
from trial.protocol import get_protocol
from trial.services.blinding import crf_blinded_texts_review
from trial.services.crfs import crf_save
from trial.services.data_management import crf_verify
from trial.services.queries import query_raise
from trial.services.visits import visit_mark_missed

PER_ARM = 20
SEED = 15
PROTOCOL = get_protocol("snrb_peld")
REVEALING = {
    "S": ("ropivacaine + dexamethasone palmitate (SNRB)", "pain after block"),
    "P": ("paracetamol 500 mg", "transient dizziness"),
}


@dataclass
class LeakWorld:
    site: Any
    people: list[Participant]
    arms: dict[str, str]  # trial id -> arm
    assessor: Any
    token: str
    since: datetime
    users: dict[str, Any] = field(default_factory=dict)


def _save(actor: Any, participant: Participant, code: str, visit: Visit | None, **kw: Any):
    participant.refresh_from_db()
    return crf_save(actor=actor, participant=participant, form_code=code, visit=visit, **kw)


def _edit(actor: Any, instance: FormInstance, answers: dict[str, Any], reason: str) -> None:
    instance.refresh_from_db()
    _save(
        actor,
        instance.participant,
        instance.form_code,
        instance.visit,
        instance=instance,
        answers=answers,
        complete=True,
        base_revision=instance.revision,
        reason=reason,
    )


def _invite(nurse: Any, person: Participant, visit: Visit, *, rng: Any) -> None:
    """Record the year of birth (the identity question), then issue the visit's invitation."""
    person.refresh_from_db()
    baseline = sample_answers("baseline", person, visit_code="admission", rng=rng)
    admission = Visit.objects.get(participant=person, code="admission")
    _save(nurse, person, "baseline", admission, answers=baseline, complete=False)
    visit.refresh_from_db()
    invitation_issue(participant=person, visit=visit, actor=nurse)


def _person(i: int, arm: str, users: dict[str, Any], site: Any, rng: random.Random) -> Participant:
    nurse, dm = users["nurse"], users["dm"]
    person = allocated_participant(nurse, site, arm=arm)
    visits = {v.code: v for v in Visit.objects.filter(participant=person)}
    vas_answers = sample_answers("vas", person, visit_code="admission", rng=rng)
    vas = _save(nurse, person, "vas", visits["admission"], answers=vas_answers, complete=True)
    medication, term = REVEALING[arm]
    med = _save(nurse, person, "medication", None, complete=True, answers={
        **sample_answers("medication", person, visit_code=None, rng=rng),
        "drug": "other", "other_drug_name": medication,
    })  # fmt: skip
    ae = _save(nurse, person, "adverse_event", None, complete=True, answers={
        **sample_answers("adverse_event", person, visit_code=None, rng=rng),
        "term": term, "relation": "snrb" if arm == "S" else "peld",
        "description": f"{term}, resolved",
    })  # fmt: skip
    if arm == "S":
        snrb = _save(nurse, person, "snrb", visits["snrb"], complete=True,
                     answers=sample_answers("snrb", person, visit_code="snrb", rng=rng),
                     check_queries=(("volume_injected_ml", "volume", "Check the volume"),),
                     reason="confirmed with the anaesthetist")  # fmt: skip
        crf_verify(actor=dm, instance=snrb)
        query_raise(actor=dm, form_instance=snrb, field="needle", text="Confirm the needle")
        query_raise(actor=dm, form_instance=ae, field="relation", text="Related to the block?")
    if i % 3 == 0:
        query_raise(actor=dm, form_instance=vas, field="leg_vas", text="Please check")
    if i % 4 == 0:
        _edit(nurse, vas, {**vas_answers, "leg_vas": Decimal("3.5")}, "transcription error")
    if i % 5 == 0:
        visit_mark_missed(actor=nurse, visit=visits["month_3"], reason="lost to follow-up")
    _invite(nurse, person, visits["month_3"], rng=rng)  # an ePRO invitation for everyone
    if i % 4 == 1:  # reviewed wording, the same whatever the arm
        crf_blinded_texts_review(actor=nurse, instance=med, texts={"other_drug_name": "analgesic"})
        crf_blinded_texts_review(
            actor=nurse, instance=ae, texts={"term": "pain", "description": "pain, resolved"}
        )
    person.refresh_from_db()
    return person


def build_leak_world(per_arm: int = PER_ARM) -> LeakWorld:
    site = SiteFactory(code="RPT")
    users = {
        "statistician": user_with_role(Role.STATISTICIAN, site=None, username="leak-stat"),
        "nurse": user_with_role(Role.RESEARCH_NURSE, site=site, username="leak-nurse"),
        "dm": user_with_role(Role.DATA_MANAGER, site=None, username="leak-dm"),
        "assessor": user_with_role(Role.OUTCOME_ASSESSOR, site=site, username="leak-assessor"),
    }
    demo_allocation_list(actor=users["statistician"])
    rng = random.Random(SEED)
    arms = ["S"] * per_arm + ["P"] * per_arm
    rng.shuffle(arms)
    people = [_person(i, arm, users, site, rng) for i, arm in enumerate(arms)]
    declared = dataset_release_declare(
        protocol_code="snrb_peld", actor=users["statistician"], reason="interim", enqueue=False
    )
    dataset_release_build(release_id=declared.pk)
    time.sleep(1.1)  # the API's date filter counts in whole seconds
    since = timezone.now()
    for i, person in enumerate(people):
        if arms[i] == "S":  # a change the blinded reader may not know of
            snrb = FormInstance.objects.get(participant=person, form_code="snrb")
            answers = sample_answers("snrb", person, visit_code="snrb", rng=rng)
            _edit(users["nurse"], snrb, answers, "re-checked")
        if i % 4 == 2:  # a change anyone may know of, in both arms
            vas = FormInstance.objects.get(participant=person, form_code="vas")
            answers = sample_answers("vas", person, visit_code="admission", rng=rng)
            _edit(users["nurse"], vas, answers, "re-measured")
    assert Query.objects.filter(form_instance__form_code="snrb").exists()
    token = api_token_create(
        actor=users["assessor"], user=users["assessor"], protocol_code=PROTOCOL.code
    )[1]
    return LeakWorld(
        site=site,
        people=people,
        arms={p.trial_id: arm for p, arm in zip(people, arms, strict=True)},
        assessor=users["assessor"],
        token=token,
        since=since,
        users=users,
    )
