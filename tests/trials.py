"""Test helpers that work for ANY protocol (issue 17: the cross-cutting tests run for every
trial the instance discovers).

Nothing here names a trial's forms, fields or visits: a participant is registered, found
eligible (every criterion of the protocol met), consented (its consent version), allocated
from a list of the protocol's arms (its ratio if it declares one, else 1:1) and every form
of every visit it is expected at is completed with answers generated from the entry form
class (choices: the first valid code; numbers: inside the field's bounds; dates: the
visit's target day from its anchor; instrument items: from the scoring definition). An
answer the form's edit checks refuse or warn about is replaced by the field's next
candidate, so a trial's own rules are obeyed without writing them down here.

``shaped_protocol`` is a test-only trial that differs from the seed in shape (three arms,
visits anchored on the randomization, an arm-only form inside a visit of every arm, an
arm-only visit, a subset of the forms), registered the way ``test_trial_context`` registers
its second trial.
"""

from __future__ import annotations

import dataclasses
import datetime
import math
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django import forms
from django.core.exceptions import FieldDoesNotExist
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone

from tests.factories import SiteFactory, register_participant, user_with_role
from trial.forms.crfs import NA_PREFIX
from trial.forms.registry import form_class_for
from trial.models import AllocationList, FormInstance, Participant, Role, Visit
from trial.protocol import (
    AnchorDef,
    AnchorEvent,
    Arm,
    Dashboard,
    DashboardMeasure,
    FormDef,
    Protocol,
    Text,
    VisitDef,
    get_protocol,
)
from trial.services.consent import consent_record
from trial.services.crfs import crf_save
from trial.services.eligibility import eligibility_record
from trial.services.participants import participant_set_dates
from trial.services.randomization import (
    allocation_list_activate,
    allocation_list_generate,
    participant_randomize,
)

SHAPED = "shape_test"  # the code of the test-only trial of another shape
SEED_CODE = "snrb_peld"
# Days from registration of each kind of anchor in a generated history: the system's
# randomization the day after registration, a date staff enter or a form records later.
RANDOMIZED_AFTER = 1
ENTERED_AFTER = 3
ROLES = (
    Role.RESEARCH_NURSE,
    Role.INVESTIGATOR,
    Role.DATA_MANAGER,
    Role.STATISTICIAN,
    Role.OUTCOME_ASSESSOR,
    Role.ADMINISTRATOR,
    Role.DMC_MEMBER,
)


# --- a test-only trial of another shape ---------------------------------------------------


def shaped_protocol() -> Protocol:
    """Three arms 1:1:1; visits anchored on registration and on the randomization; the
    seed's forms in part (the JOA only in arm A, inside a visit of every arm; a visit of
    arms A and C only) and EQ-5D-5L, which the seed lacks; the adverse-event log; another
    consent version."""
    seed = get_protocol(SEED_CODE)
    keep = ("baseline", "vas", "odi", "joa", "adverse_event")
    form_defs = []
    for code in keep:
        form = seed.form(code)
        if code == "joa":
            form = dataclasses.replace(form, arms=frozenset({"A"}))
        form_defs.append(form)
    # an instrument the seed lacks, of another shape: five coded items and a 0-100 number
    form_defs.append(
        FormDef("eq5d5l", Text("EQ-5D-5L", "EQ-5D-5L 健康量表"), "trial.Eq5d5lData",
                instrument="eq5d5l")
    )  # fmt: skip
    anchors = (
        AnchorDef("enrolment", Text("enrolment", "入组"), event=AnchorEvent.REGISTRATION),
        AnchorDef("randomization", Text("randomization", "随机"), event=AnchorEvent.RANDOMIZATION),
    )
    visits = (
        VisitDef(
            "enrolment",
            Text("Enrolment", "入组"),
            "enrolment",
            0,
            0,
            2,
            ("baseline", "vas"),
            before_randomization=True,
        ),  # fmt: skip
        VisitDef(
            "week_2", Text("Week 2", "第 2 周"), "randomization", 14, 3, 3, ("vas", "odi", "joa")
        ),  # fmt: skip
        VisitDef(
            "week_6",
            Text("Week 6 (arms A and C)", "第 6 周（A、C 组）"),
            "randomization",
            42,
            7,
            7,
            ("vas",),
            arms=frozenset({"A", "C"}),
        ),  # fmt: skip
    )
    arms = tuple(
        Arm(code, Text(f"{code}: arm {code}", f"{code} 组"), Text(f"Arm {code}", f"{code} 组"))
        for code in "ABC"
    )
    return dataclasses.replace(
        seed,
        code=SHAPED,
        version="0.1",
        title=Text("A trial of another shape (tests only)", "另一种结构的试验（仅供测试）"),
        arms=arms,
        anchors=anchors,
        visits=visits,
        forms=tuple(form_defs),
        criteria=seed.criteria[:2] + seed.criteria[-2:],
        consent_versions=("2.0",),
        target_sample_size=60,
        logs=("adverse_event",),
        epro=None,
        age=None,
        stratification_factors=(),
        dashboard=Dashboard(
            measures=(
                DashboardMeasure("vas_leg", "leg", Text("leg", "腿"), Text("Leg pain", "腿痛")),
            ),
            scale_max=10,
            events_form="adverse_event",
            serious_flag=seed.dashboard.serious_flag,
            grade=seed.dashboard.grade,
        ),
    )


def shaped_plan(protocol: Protocol) -> Any:
    """An analysis plan with no tables for the test-only trial (the datasets need one)."""
    from analysis.plans import get_plan

    seed = get_plan(SEED_CODE)
    last = protocol.visits[-2]
    return dataclasses.replace(
        seed,
        protocol_code=protocol.code,
        arms=tuple(a.code for a in protocol.arms),
        arm_labels={},
        visit_labels={},
        baseline_visit=protocol.visits[0].code,
        tables=(),
        mixed_model=None,
        figures=(),
        treatment_forms={},
        per_protocol_form=(last.code, last.forms[0]),
    )


def register_shaped(monkeypatch: Any) -> Protocol:
    """Contribute the test-only trial (and its plan) for one test."""
    from trial import discovery

    protocol = shaped_protocol()
    for kind, value in (("protocols", protocol), ("analysis_plans", shaped_plan(protocol))):
        discovery.contributions(kind)  # discovered now; the test adds one more
        monkeypatch.setitem(discovery._found[kind], protocol.code, value)
    return protocol


def protocol_codes() -> list[str]:
    """Every discovered protocol's code (the shipped trials), then the test-only trial."""
    from trial.protocol import protocols

    return [*(p.code for p in protocols() if p.code != SHAPED), SHAPED]


@pytest.fixture(params=protocol_codes(), name="protocol")
def protocol_fixture(request, monkeypatch, settings, tmp_path) -> Protocol:
    """``protocol``: the trial under test, once per protocol (ids: protocol codes); the
    test-only trial is always registered too (as the instance's other trial, or as the
    trial under test). Import ``protocol_fixture`` to use it."""
    settings.MEDIA_ROOT = tmp_path
    register_shaped(monkeypatch)
    return get_protocol(request.param)


# --- the ratio and the list -------------------------------------------------------------


def arm_ratio(protocol: Protocol) -> list[int]:
    """The protocol's allocation ratio in arm order, if it declares one (a protocol field
    or an arm field whose name says ratio or weight); else 1:1:…"""
    for spec in dataclasses.fields(protocol):
        declared = getattr(protocol, spec.name)
        if spec.name.endswith("ratio") and declared:
            if isinstance(declared, dict):
                return [int(declared[a.code]) for a in protocol.arms]
            return [int(r) for r in declared]
    for spec in dataclasses.fields(protocol.arms[0]):
        if spec.name.endswith(("ratio", "weight")):
            return [int(getattr(a, spec.name)) for a in protocol.arms]
    return [1] * len(protocol.arms)


def allocation_list(actor: Any, protocol: Protocol, *, blocks: int = 1, seed: int = 17):
    """Generate and seal a permuted-block list of the protocol's arms (by site when the
    protocol stratifies by site), block size one full ratio."""
    ratio = arm_ratio(protocol)
    divisor = math.gcd(*ratio)
    ratio = [r // divisor for r in ratio]
    size = sum(ratio)
    factors = [f.code for f in protocol.stratification_factors if f.code == "site"]
    draft = allocation_list_generate(
        actor=actor,
        protocol_code=protocol.code,
        name=f"L-{protocol.code}",
        factors=factors,
        ratio=ratio,
        block_sizes=[size],
        slots_per_stratum=size * blocks,
        seed=seed,
    )
    return allocation_list_activate(actor=actor, allocation_list=draft)


def active_list(protocol: Protocol) -> AllocationList | None:
    return AllocationList.objects.filter(
        protocol_code=protocol.code, status=AllocationList.Status.ACTIVE
    ).first()


# --- people -------------------------------------------------------------------------------


@dataclasses.dataclass
class TrialStaff:
    """One user per role of the trial: at the site (``<role>@site``) and trial-wide."""

    protocol: Protocol
    site: Any
    users: dict[str, Any]

    @property
    def nurse(self) -> Any:
        return self.users[f"{Role.RESEARCH_NURSE}@site"]

    @property
    def statistician(self) -> Any:
        return self.users[f"{Role.STATISTICIAN}@trial"]

    @property
    def assessor(self) -> Any:
        return self.users[f"{Role.OUTCOME_ASSESSOR}@site"]

    @property
    def manager(self) -> Any:
        return self.users[f"{Role.DATA_MANAGER}@trial"]


def trial_staff(protocol: Protocol, *, site_code: str = "S01") -> TrialStaff:
    site = SiteFactory(code=site_code)
    users = {}
    for role in ROLES:
        tag = f"{protocol.code[:6]}-{role}"
        users[f"{role}@site"] = user_with_role(
            role, site=site, username=f"{tag}-{site_code}", protocol_code=protocol.code
        )
        users[f"{role}@trial"] = user_with_role(
            role, site=None, username=f"{tag}-all", protocol_code=protocol.code
        )
    return TrialStaff(protocol, site, users)


def history_span(protocol: Protocol) -> int:
    """Days between registration and the end of the last visit's window, so that a
    participant registered that long ago is expected at every visit today."""
    offsets = {a.code: _anchor_offset(a) for a in protocol.anchors}
    return max(offsets[v.anchor] + v.target_day + v.window_after for v in protocol.visits) + 1


def _anchor_offset(anchor: AnchorDef) -> int:
    if anchor.event is AnchorEvent.REGISTRATION:
        return 0
    if anchor.event is AnchorEvent.RANDOMIZATION:
        return RANDOMIZED_AFTER
    return ENTERED_AFTER


def enrolled_participant(
    actor: Any, site: Any, protocol: Protocol, *, registered: datetime.date | None = None
) -> Participant:
    """Register, find eligible (every criterion met) and consent a participant; set the
    anchor dates staff enter (``ENTERED_AFTER`` days after registration)."""
    registered = registered or timezone.localdate() - datetime.timedelta(
        days=history_span(protocol)
    )
    participant = register_participant(
        actor, site, protocol_code=protocol.code, registration_date=registered,
        screening_date=registered,
    )  # fmt: skip
    eligibility_record(
        actor=actor,
        participant=participant,
        assessed_date=registered,
        answers={c.code: c.kind == "inclusion" for c in protocol.criteria},
    )
    consent_record(
        actor=actor,
        participant=participant,
        version=protocol.consent_versions[-1],
        consent_date=registered,
        obtained_by=actor,
    )
    entered = {
        f"{a.code}_date": registered + datetime.timedelta(days=ENTERED_AFTER)
        for a in protocol.anchors
        if a.entered and a.event is not AnchorEvent.REGISTRATION
    }
    if entered:
        participant_set_dates(actor=actor, participant=participant, **entered)
    participant.refresh_from_db()
    return participant


def randomized_participant(
    actor: Any, site: Any, protocol: Protocol, *, complete: bool = True, logs: bool = True
) -> Participant:
    """A participant taken through the journey: enrolled, every pre-randomization form
    completed, randomized from the active list (made if there is none) and, with
    ``complete``, every form of every visit and one entry of each log completed."""
    participant = enrolled_participant(actor, site, protocol)
    complete_visits(actor, participant, before_randomization=True)
    if active_list(protocol) is None:
        allocation_list(actor, protocol, blocks=40)
    registered = participant.screening_date
    allocated_at = timezone.make_aware(
        datetime.datetime.combine(
            registered + datetime.timedelta(days=RANDOMIZED_AFTER), datetime.time(10, 0)
        )
    )
    participant_randomize(actor=actor, participant=participant, allocated_at=allocated_at)
    participant.refresh_from_db()
    if complete:
        complete_visits(actor, participant)
        if logs:
            for form in protocol.log_forms(participant.allocation.arm):
                complete_form(actor, participant, None, form)
    participant.refresh_from_db()
    return participant


def expected_forms(participant: Participant) -> Iterator[tuple[Visit, FormDef]]:
    """Every (visit, form) the participant is expected to complete, in visit order."""
    protocol = get_protocol(participant.protocol_code)
    allocation = getattr(participant, "allocation", None)
    arm = allocation.arm if allocation is not None else None
    for visit in Visit.objects.filter(participant=participant).order_by("order"):
        for form in protocol.forms_for(protocol.visit(visit.code), arm):
            yield visit, form


def complete_visits(
    actor: Any, participant: Participant, *, before_randomization: bool = False
) -> list[FormInstance]:
    protocol = get_protocol(participant.protocol_code)
    done = []
    for visit, form in list(expected_forms(participant)):
        if before_randomization and not protocol.visit(visit.code).before_randomization:
            continue
        if FormInstance.objects.filter(visit=visit, form_code=form.code).exists():
            continue
        done.append(complete_form(actor, participant, visit, form))
    return done


def complete_form(
    actor: Any, participant: Participant, visit: Visit | None, form: FormDef
) -> FormInstance:
    participant.refresh_from_db()
    answers = valid_answers(participant, visit, form)
    return crf_save(
        actor=actor,
        participant=participant,
        form_code=form.code,
        visit=visit,
        answers=answers,
        complete=True,
    )


# --- answers generated from the form class ------------------------------------------------

MAX_ROUNDS = 30
TEXT = "Generated answer"


def assessment_day(participant: Participant, visit: Visit | None) -> datetime.date:
    """The visit's target day from its anchor (today for a log), never after today."""
    from trial.demo import assessment_day as target_day  # generic: reads the protocol

    today = timezone.localdate()
    day = target_day(participant, visit.code if visit is not None else None)
    return min(day or today, today)


def _bounds(field: forms.Field, model_field: Any) -> tuple[Any, Any]:
    """The lowest and highest value the form field or its model field's validators allow."""
    low, high = field.min_value, field.max_value
    for validator in getattr(model_field, "validators", ()):
        if isinstance(validator, MinValueValidator):
            low = validator.limit_value if low is None else max(low, validator.limit_value)
        elif isinstance(validator, MaxValueValidator):
            high = validator.limit_value if high is None else min(high, validator.limit_value)
    return low, high


def _number_candidates(field: forms.Field, model_field: Any) -> list[Any]:
    low, high = _bounds(field, model_field)
    places = getattr(field, "decimal_places", None)
    if low is None and high is None:
        low, high = 0, 10
    elif low is None:
        low = min(0, high)
    elif high is None:
        high = low + 10
    values = [(Decimal(str(low)) + Decimal(str(high))) / 2, Decimal(str(low)), Decimal(str(high))]
    values += [
        Decimal(str(low)) + (Decimal(str(high)) - Decimal(str(low))) * k / 8 for k in (1, 3, 5, 7)
    ]
    out = []
    for value in values:
        if isinstance(field, forms.IntegerField):
            value = int(value.to_integral_value())
        elif places is not None:
            value = value.quantize(Decimal(1).scaleb(-places))
        out.append(str(value))
    return list(dict.fromkeys(out))


def _date_candidates(day: datetime.date) -> list[datetime.date]:
    back = (0, 1, 2, 3, 7, 30, 365 * 40)
    return [day - datetime.timedelta(days=d) for d in back]


def field_candidates(field: forms.Field, day: datetime.date, model_field: Any = None) -> list[Any]:
    """The values tried for a form field, in order: what a careful nurse would enter first."""
    if isinstance(field, forms.MultipleChoiceField):
        codes = [str(v) for v, _label in field.choices if v not in ("", None)]
        return [[], codes[:1]]
    if isinstance(field, forms.ChoiceField):
        codes = [str(v) for v, _label in field.choices if v not in ("", None)]
        return codes or [""]
    if isinstance(field, forms.DateTimeField):
        return [f"{d.isoformat()} 10:00" for d in _date_candidates(day)]
    if isinstance(field, forms.DateField):
        return [d.isoformat() for d in _date_candidates(day)]
    if isinstance(field, forms.IntegerField | forms.DecimalField | forms.FloatField):
        return _number_candidates(field, model_field)
    if isinstance(field, forms.NullBooleanField):  # a yes/no answer: "on" would read as unknown
        return ["false", "true"]
    if isinstance(field, forms.BooleanField):
        return ["", "on"]
    if isinstance(field, forms.CharField):
        return ["", TEXT[: field.max_length or len(TEXT)]]
    raise TypeError(f"no generated answer for {type(field).__name__}")


def _model_field(model: Any, name: str) -> Any:
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def valid_answers(participant: Participant, visit: Visit | None, form: FormDef) -> dict[str, Any]:
    """Complete answers of ``form`` that its entry form accepts with no edit-check finding
    (hard or soft), generated from the form class: each field's first candidate, replaced
    by its next one while the form refuses it or warns about it."""
    form_class = form_class_for(form.model)
    day = assessment_day(participant, visit)
    kwargs = {"participant": participant, "visit": visit, "formdef": form, "completing": True}
    fields = {
        name: field
        for name, field in form_class(**kwargs).fields.items()
        if not name.startswith(NA_PREFIX) and name not in ("revision", "reason")
    }
    model = form_class._meta.model
    candidates = {
        name: field_candidates(field, day, _model_field(model, name))
        for name, field in fields.items()
    }
    for values in candidates.values():  # a conditional item: left empty, at last
        if "" not in values and [] not in values:
            values.append("")
    if form.date_field in candidates:  # the form's own day: the visit's target, first
        candidates[form.date_field] = candidates[form.date_field][:1] * 2
    chosen = dict.fromkeys(candidates, 0)
    for _round in range(MAX_ROUNDS):
        data = {name: candidates[name][i] for name, i in chosen.items()}
        entry = form_class(data, **kwargs)
        valid = entry.is_valid()
        wrong = set(entry.errors) | {f.field for f in entry.soft_findings}
        wrong.discard(None)
        if valid and not wrong:
            answers = entry.answers()
            answers.pop("not_answered", None)
            return answers
        movable = [
            name for name in wrong if name in chosen and chosen[name] + 1 < len(candidates[name])
        ]
        if not movable:
            break
        for name in movable:
            chosen[name] += 1
    raise AssertionError(
        f"no valid answers generated for {form.code}: {dict(entry.errors)} "
        f"{[f.code for f in entry.soft_findings]}"
    )


def security_trials() -> list[Any]:
    """The discovered protocols as test parameters for the long security sweeps (the leak
    crawl, the authorization matrix): the instance's default trial in both modes, every
    other trial on PostgreSQL only (CI's services mode), so that a new user's ``make test``
    stays short while CI sweeps every trial."""
    from django.conf import settings

    from trial.protocol import protocols

    return [
        pytest.param(p.code)
        if p.code == settings.EDC_PROTOCOL
        else pytest.param(p.code, marks=pytest.mark.services("postgres"))
        for p in protocols()
    ]
