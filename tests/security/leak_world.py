"""Generated one-site trials for the statistical blinding leak test, one per protocol.

``build_leak_world(code)`` builds the world of any discovered protocol. The seed trial's is
written by hand (below); every other trial's is generated from its protocol alone
(``_generic_world``, described there), so a trial added later is swept with no edit.

The seed's world:

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
from datetime import datetime, timedelta
from datetime import time as dt_time
from decimal import Decimal
from typing import Any

from django.utils import timezone, translation

from analysis.releases.services import dataset_release_build, dataset_release_declare
from api.services import api_token_create
from epro.models import Invitation
from epro.services import invitation_issue
from tests.factories import SiteFactory, allocated_participant, user_with_role
from tests.trials import (
    ENTERED_AFTER,
    RANDOMIZED_AFTER,
    arm_ratio,
    complete_form,
    complete_visits,
    enrolled_participant,
    expected_forms,
    field_candidates,
    valid_answers,
)
from trial.demo import demo_allocation_list, sample_answers
from trial.exceptions import TrialError
from trial.forms.registry import form_class_for
from trial.models import FormInstance, Participant, Query, Role, Visit
from trial.protocol import AnchorEvent, FormDef, Protocol, VisitDef, get_protocol
from trial.services.blinding import crf_blinded_texts_review
from trial.services.crfs import crf_save
from trial.services.data_management import crf_verify
from trial.services.queries import query_raise
from trial.services.randomization import allocation_record
from trial.services.visits import visit_mark_missed

PER_ARM = 20
SEED = 15
SEED_CODE = "snrb_peld"
PROTOCOL = get_protocol(SEED_CODE)
REVEALING = {
    "S": ("ropivacaine + dexamethasone palmitate (SNRB)", "pain after block"),
    "P": ("paracetamol 500 mg", "transient dizziness"),
}


@dataclass(frozen=True)
class LeakPlan:
    """What the sweep asks of every participant (the same slots for everyone)."""

    visits: tuple[str, ...]  # visit codes of the visit-bound patterns
    visit_forms: tuple[tuple[str, str], ...]  # (visit, form) of the form-bound patterns
    logs: tuple[str, ...]  # the logs written to (log-new, log-void)
    targets: tuple[tuple[str, str, int], ...]  # (visit or "log", form, seq) of POST targets
    both_languages: frozenset[str]  # slot keys asked in Simplified Chinese too


# The seed's: the VAS at admission (with data), the arm-only SNRB visit and form, and the
# 3-month VAS (never started; its visit missed for some); writes on the adverse event (a
# blinded answer).
SEED_PLAN = LeakPlan(
    visits=("admission", "snrb", "month_3"),
    visit_forms=(("admission", "vas"), ("snrb", "snrb"), ("month_3", "vas")),
    logs=("adverse_event",),
    targets=(("snrb", "snrb", 1), ("log", "adverse_event", 1)),
    both_languages=frozenset({
        "trial:participant-detail",
        "trial:crf-entry/admission/vas",
        "trial:log-list/adverse_event",
        "trial:log-edit/adverse_event/1",
        "trial:log-history/medication/1",
    }),
)  # fmt: skip


@dataclass
class LeakWorld:
    site: Any
    people: list[Participant]
    arms: dict[str, str]  # trial id -> arm
    assessor: Any
    token: str
    since: datetime
    users: dict[str, Any] = field(default_factory=dict)
    protocol: Protocol = PROTOCOL
    plan: LeakPlan = SEED_PLAN

    @property
    def first_arm(self) -> str:
        """The arm counted against all others (the protocol's first)."""
        return self.protocol.arms[0].code

    def arm_size(self, arm: str) -> int:
        return sum(1 for a in self.arms.values() if a == arm)


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


def build_leak_world(code: str = SEED_CODE, per_arm: int = PER_ARM) -> LeakWorld:
    """The world of the trial ``code``; ``per_arm``: participants per unit of the ratio."""
    if code == SEED_CODE:
        return _seed_world(per_arm)
    return _generic_world(get_protocol(code), per_arm)


def _seed_world(per_arm: int) -> LeakWorld:
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


# EVERY OTHER TRIAL: generated from its protocol
#
# At site RPT, participants in the protocol's ratio (2 x ``per_arm`` in all, shuffled with a
# fixed seed), all registered the same day, long enough ago that every visit holding an
# arm-only form (or arm-only itself) is due: each is enrolled, its pre-randomization forms
# completed, allocated the day after registration (visits anchored on randomization follow),
# and every form of every due visit it is expected at completed — arm-only forms included,
# so an arm's participants have more forms, expected forms and completed forms than the
# other's. Every third participant leaves the last due visit unstarted (the arm-only forms
# are then overdue for one arm only); every sixth completes that visit's forms of every arm
# only (its arm-only form left unstarted, for that arm's participants). One entry of each
# log: its blinded answers given an arm-dependent choice, its free text naming the arm
# ("R: supervised rehabilitation (R)").
# Queries on every arm-only form and on the blinded answer; the first arm-only form
# verified; arm-independent life on top (queries, edits with a reason, a missed visit,
# reviewed free text, an ePRO invitation for everyone, a dataset release). After ``since``
# only the arm-only forms change, plus an edit of every fourth participant of any arm.


def _offset(protocol: Protocol, anchor: str) -> int:
    """Days from registration to the anchor in a generated history (tests/trials.py)."""
    definition = next(a for a in protocol.anchors if a.code == anchor)
    if definition.event is AnchorEvent.REGISTRATION:
        return 0
    if definition.event is AnchorEvent.RANDOMIZATION:
        return RANDOMIZED_AFTER
    return ENTERED_AFTER


def _revealing_visits(protocol: Protocol) -> list[VisitDef]:
    return [v for v in protocol.visits if v.arms or any(protocol.form(f).arms for f in v.forms)]


def _arm_only_forms(protocol: Protocol) -> list[tuple[str, str]]:
    """(visit, form) of every arm-only form, and the first form of every arm-only visit."""
    found = []
    for visit in protocol.visits:
        for form in visit.forms:
            if protocol.form(form).arms or (visit.arms and form == visit.forms[0]):
                found.append((visit.code, form))
    return found


def _days_ago(protocol: Protocol) -> int:
    """How long ago everyone was registered: every revealing visit's target day is past."""
    after = [v for v in protocol.visits if not v.before_randomization]
    chosen = _revealing_visits(protocol) or after[:1]
    return max(_offset(protocol, v.anchor) + v.target_day for v in chosen) + 2


def _due(protocol: Protocol, visit: VisitDef) -> bool:
    return _offset(protocol, visit.anchor) + visit.target_day <= _days_ago(protocol)


def _changed(participant: Participant, visit: Visit | None, form: FormDef) -> dict[str, Any]:
    """Valid answers of ``form`` with one number other than the generated one."""
    answers = valid_answers(participant, visit, form)
    form_class = form_class_for(form.model)
    entry = form_class(participant=participant, visit=visit, formdef=form, completing=True)
    day = timezone.localdate()
    for name, value in answers.items():
        if isinstance(value, bool) or not isinstance(value, int | Decimal):
            continue
        if name not in entry.fields:
            continue
        for other in field_candidates(entry.fields[name], day):
            if Decimal(str(other)) != Decimal(str(value)):
                trial = {**answers, name: type(value)(other)}
                if form_class({**_as_data(trial)}, participant=participant, visit=visit,
                              formdef=form, completing=True).is_valid():  # fmt: skip
                    return trial
    raise AssertionError(f"no other valid number for {form.code}")


def _as_data(answers: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for name, value in answers.items():
        if value is None:
            out[name] = ""
        elif isinstance(value, list | tuple):
            out[name] = [str(v) for v in value]
        elif isinstance(value, bool):
            out[name] = "true" if value else "false"
        else:
            out[name] = str(value)
    return out


def _edit_generated(actor: Any, instance: FormInstance, reason: str) -> None:
    instance.refresh_from_db()
    person = instance.participant
    form = get_protocol(person.protocol_code).form(instance.form_code)
    _edit(actor, instance, _changed(person, instance.visit, form), reason)


def _revealing_log(actor: Any, person: Participant, form: FormDef, arm: str) -> FormInstance:
    """A log entry whose blinded answers and free text depend on the arm."""
    protocol = get_protocol(person.protocol_code)
    index = [a.code for a in protocol.arms].index(arm)
    answers = valid_answers(person, None, form)
    entry = form_class_for(form.model)(participant=person, visit=None, formdef=form)
    for name in form.blinded_fields:
        codes = [str(v) for v, _label in getattr(entry.fields[name], "choices", ()) if v]
        if codes:
            answers[name] = codes[index % len(codes)]
    with translation.override("en"):
        label = str(protocol.arms[index].label)
    for name in form.free_text_fields:
        answers[name] = f"{label} ({arm})"[: entry.fields[name].max_length or 200]
    return _save(actor, person, form.code, None, answers=answers, complete=True)


def _first_field(instance: FormInstance) -> str:
    person = instance.participant
    form = get_protocol(person.protocol_code).form(instance.form_code)
    answers = valid_answers(person, instance.visit, form)
    return next(n for n in answers if n not in (form.date_field, *form.blinded_fields))


def _generic_person(
    i: int, arm: str, users: dict[str, Any], site: Any, protocol: Protocol
) -> tuple[Participant, dict[str, FormInstance]]:
    """One participant of the generated world; returns it and its notable entries."""
    nurse, dm = users["nurse"], users["dm"]
    registered = timezone.localdate() - timedelta(days=_days_ago(protocol))
    person = enrolled_participant(nurse, site, protocol, registered=registered)
    complete_visits(nurse, person, before_randomization=True)
    allocated_at = timezone.make_aware(
        datetime.combine(registered + timedelta(days=RANDOMIZED_AFTER), dt_time(10, 0))
    )
    number = f"R{person.pk:04d}"
    allocation_record(
        actor=nurse, participant=person, arm=arm, randomization_number=number,
        allocated_at=allocated_at,
    )  # fmt: skip
    person.refresh_from_db()
    due = [v for v in protocol.visits if not v.before_randomization and _due(protocol, v)]
    skipped = due[-1].code if i % 3 == 1 and len(due) > 1 else None
    # every sixth: the last due visit's forms of every arm only (an arm-only form inside it
    # left unstarted: the visit is still due for that arm's participants alone)
    partial = due[-1].code if i % 6 == 2 else None
    saved: dict[tuple[str, str], FormInstance] = {}
    for visit, form in list(expected_forms(person)):
        definition = protocol.visit(visit.code)
        if definition.before_randomization or definition not in due or visit.code == skipped:
            continue
        if visit.code == partial and form.arms and not definition.arms:
            continue
        saved[(visit.code, form.code)] = complete_form(nurse, person, visit, form)
    logs = {form.code: _revealing_log(nurse, person, form, arm) for form in
            protocol.log_forms(arm)}  # fmt: skip
    arm_only = [saved[k] for k in _arm_only_forms(protocol) if k in saved]
    for n, instance in enumerate(arm_only):
        if n == 0 and instance.status == FormInstance.Status.COMPLETE:
            crf_verify(actor=dm, instance=instance)
        query_raise(actor=dm, form_instance=instance, field=_first_field(instance),
                    text="Confirm this answer")  # fmt: skip
    for code, entry in logs.items():
        for name in protocol.form(code).blinded_fields:
            query_raise(actor=dm, form_instance=entry, field=name, text="Related to what?")
    common = next(v for k, v in saved.items() if k not in _arm_only_forms(protocol))
    if i % 3 == 0:
        query_raise(actor=dm, form_instance=common, field=_first_field(common), text="Check")
    if i % 4 == 0:
        _edit_generated(nurse, common, "transcription error")
    later = [v for v in Visit.objects.filter(participant=person).order_by("order")
             if not _due(protocol, protocol.visit(v.code))]  # fmt: skip
    if later and i % 5 == 0:
        visit_mark_missed(actor=nurse, visit=later[-1], reason="lost to follow-up")
    if protocol.epro is not None:
        for visit in later:  # the first visit still open with something to complete
            try:
                invitation_issue(participant=person, visit=visit, actor=nurse)
                break
            except TrialError:
                continue
    if i % 4 == 1:  # reviewed wording, the same whatever the arm
        for code, entry in logs.items():
            texts = {name: "reviewed" for name in protocol.form(code).free_text_fields}
            if texts:
                crf_blinded_texts_review(actor=nurse, instance=entry, texts=texts)
    person.refresh_from_db()
    return person, {"common": common, **{f"arm-only {n}": x for n, x in enumerate(arm_only)}}


def _generic_plan(protocol: Protocol, people: list[Participant]) -> LeakPlan:
    common = next(
        (v.code, f)
        for v in protocol.visits
        if not v.before_randomization and not v.arms and _due(protocol, v)
        for f in v.forms
        if not protocol.form(f).arms
    )
    arm_only = _arm_only_forms(protocol)
    invited = dict(
        Invitation.objects.filter(participant__in=people).values_list("visit__code", "pk")
    )
    later = [v for v in protocol.visits if not _due(protocol, v) and not v.arms]
    last = [(v.code, v.forms[0]) for v in [*later[:1], *later[-1:]]]
    visit_forms = tuple(dict.fromkeys([common, *arm_only, *last]))
    visits = tuple(dict.fromkeys(
        [protocol.visits[0].code, *(v for v, _f in visit_forms), *invited]
    ))  # fmt: skip
    revealing = [f for f in protocol.logs if protocol.form(f).blinded_fields]
    logs = tuple(revealing or protocol.logs[:1])
    log = logs[0]
    return LeakPlan(
        visits=visits,
        visit_forms=visit_forms,
        logs=logs,
        targets=(*((v, f, 1) for v, f in arm_only), ("log", log, 1)),
        both_languages=frozenset({
            "trial:participant-detail",
            f"trial:crf-entry/{common[0]}/{common[1]}",
            f"trial:log-list/{log}",
            f"trial:log-edit/{log}/1",
            f"trial:log-history/{log}/1",
        }),
    )  # fmt: skip


def _generic_world(protocol: Protocol, per_arm: int) -> LeakWorld:
    site = SiteFactory(code="RPT")
    code = protocol.code
    users = {
        "statistician": user_with_role(Role.STATISTICIAN, site=None, username="leak-stat",
                                       protocol_code=code),
        "nurse": user_with_role(Role.RESEARCH_NURSE, site=site, username="leak-nurse",
                                protocol_code=code),
        "dm": user_with_role(Role.DATA_MANAGER, site=None, username="leak-dm",
                             protocol_code=code),
    }  # fmt: skip
    blinded = sorted(protocol.blinded_roles)
    for role in blinded:
        users[role] = user_with_role(role, site=site, username=f"leak-{role}", protocol_code=code)
    ratio = arm_ratio(protocol)
    unit = max(1, 2 * per_arm // sum(ratio))
    arms = [a.code for a, r in zip(protocol.arms, ratio, strict=True) for _ in range(r * unit)]
    rng = random.Random(SEED)
    rng.shuffle(arms)
    made = [_generic_person(i, arm, users, site, protocol) for i, arm in enumerate(arms)]
    people = [person for person, _entries in made]
    declared = dataset_release_declare(
        protocol_code=code, actor=users["statistician"], reason="interim", enqueue=False
    )
    dataset_release_build(release_id=declared.pk)
    time.sleep(1.1)  # the API's date filter counts in whole seconds
    since = timezone.now()
    for i, (_person, entries) in enumerate(made):
        for key, instance in entries.items():  # a change the blinded reader may not know of
            if key.startswith("arm-only") and instance.status == FormInstance.Status.COMPLETE:
                _edit_generated(users["nurse"], instance, "re-checked")
        if i % 4 == 2:  # a change anyone may know of, in every arm
            _edit_generated(users["nurse"], entries["common"], "re-measured")
    assessor = users[blinded[0]]
    token = api_token_create(actor=assessor, user=assessor, protocol_code=code)[1]
    return LeakWorld(
        site=site,
        people=people,
        arms={p.trial_id: arm for p, arm in zip(people, arms, strict=True)},
        assessor=assessor,
        token=token,
        since=since,
        users=users,
        protocol=protocol,
        plan=_generic_plan(protocol, people),
    )
