"""Demo trial data: participants at every stage of the journey, entered through the services.

Used by ``manage.py demo_setup`` (embedded demo only) and by tests that need a complete,
plausible form of each kind. Everything goes through the same services as a nurse's entry,
so the demo's audit trail is real.
"""

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

import scoring
from trial.context import default_protocol, default_protocol_code
from trial.discovery import contributions
from trial.models import (
    INSTRUMENT_MODELS,
    AllocationList,
    FormInstance,
    Participant,
    Site,
    Visit,
    site_today,
)
from trial.protocol import get_protocol
from trial.selectors.anchors import participant_anchor_dates
from trial.services.consent import consent_record
from trial.services.crfs import crf_save
from trial.services.eligibility import eligibility_record
from trial.services.participants import participant_register, participant_set_dates
from trial.services.randomization import (
    allocation_list_activate,
    allocation_list_generate,
    participant_randomize,
)

SURGERY_AFTER_ADMISSION = 3  # days, as in the demo trial's wards


def instrument_answers(name: str, rng: random.Random, better: float) -> dict[str, Any]:
    """Answers to every item, drawn towards the first printed answer as ``better`` grows.

    For ODI and JOA the first printed answer is the best; SF-36 items run both ways, so
    its demo answers are only roughly plausible. A numeric item (the EQ VAS) is drawn in
    its range towards the top as ``better`` grows.
    """
    answers: dict[str, Any] = {}
    for item in scoring.INSTRUMENTS[name].items:
        if item.kind == "decimal":
            low, high = item.min_value or Decimal(0), item.max_value or Decimal(100)
            share = Decimal(str(rng.betavariate(1 + 4 * better, 1 + 4 * (1 - better))))
            value = (low + (high - low) * share).quantize(Decimal(1).scaleb(-item.decimals))
            answers[item.id] = int(value) if item.decimals == 0 else value
            continue
        values = list(item.allowed_values)
        index = int(rng.betavariate(1 + 4 * (1 - better), 1 + 4 * better) * len(values))
        answers[item.id] = values[min(index, len(values) - 1)]
    return answers


def assessment_day(participant: Participant, visit_code: str | None) -> date | None:
    """Return the day a visit's assessment is done: its target day, never after today."""
    if visit_code is None:
        return None
    protocol = get_protocol(participant.protocol_code)
    definition = protocol.visit(visit_code)
    anchor = participant_anchor_dates(participant, protocol).get(definition.anchor)
    today = site_today(participant.site)
    return min(definition.target(anchor), today) if anchor else today


def sample_answers(
    form_code: str, participant: Participant, *, visit_code: str | None, rng: random.Random
) -> dict[str, Any]:
    """Return plausible complete answers of a form for the demo and for tests, dated on the
    visit's target day (never in the future).

    A trial's app may contribute its own answers (``DEMO_ANSWERS``, by protocol code); it
    returns None for a form it leaves to the answers below.
    """
    own = contributions("demo_answers").get(participant.protocol_code)
    if own is not None and (answers := own(form_code, participant, visit_code, rng)) is not None:
        return answers
    late = visit_code in ("postop_day_3", "month_3")
    better = 0.8 if late else 0.3
    anchors = participant_anchor_dates(participant)
    surgery = anchors.get("surgery") or timezone.localdate()
    admission = anchors.get("admission") or surgery - timedelta(days=3)
    day = assessment_day(participant, visit_code)
    dated = {"assessment_date": day} if day is not None else {}
    instrument = get_protocol(participant.protocol_code).form(form_code).instrument
    if instrument in INSTRUMENT_MODELS:  # a questionnaire of its own (ODI, SF-36, EQ-5D-5L)
        return {**instrument_answers(instrument, rng, better), **dated}
    if form_code == "vas":
        return {**pain_trajectory(participant, visit_code, rng), **dated}
    answers = _CLINICAL[form_code](rng, admission, surgery)
    if form_code in ("baseline", "discharge", "outcome") and day is not None:
        answers["assessment_date"] = day
    return answers


# Leg and back pain fall after treatment, never before it: each participant has an
# admission level; the SNRB arm's block lowers the pre-op level; surgery lowers it further
# by day 3 and more by 3 months. Fractions of the admission level, (low, high) per visit.
PAIN_AT_ADMISSION = {"leg_vas": (6.0, 8.8), "back_vas": (2.5, 6.0)}
PAIN_FRACTION = {
    "admission": (1.0, 1.0),
    "preop": (0.9, 1.0),
    "postop_day_3": (0.2, 0.45),
    "month_3": (0.05, 0.3),
}
BLOCK_FRACTION = (0.45, 0.7)  # pre-op pain after the nerve root block (arm-only SNRB visit)


def pain_trajectory(
    participant: Participant, visit_code: str | None, rng: random.Random
) -> dict[str, Decimal]:
    """Return a participant's leg and back VAS at a visit, on a plausible course.

    The admission level is the participant's own (seeded by the participant), so every visit
    of one participant follows one course whatever order the forms are entered in.
    """
    own = random.Random(participant.pk or 0)
    protocol = get_protocol(participant.protocol_code)
    allocation = getattr(participant, "allocation", None) if participant.pk else None
    arm = allocation.arm if allocation is not None else None
    blocked = arm is not None and any(
        v.arms and arm in v.arms and v.target_day < 0 for v in protocol.visits_for(arm)
    )
    low, high = PAIN_FRACTION.get(visit_code or "", (1.0, 1.0))
    if visit_code == "preop" and blocked:
        low, high = BLOCK_FRACTION
    out = {}
    for name, (lowest, highest) in PAIN_AT_ADMISSION.items():
        level = own.uniform(lowest, highest)
        value = min(max(level * rng.uniform(low, high), 0.0), 10.0)
        out[name] = Decimal(f"{value:.1f}")
    return out


def _baseline(rng: random.Random, admission: date, surgery: date) -> dict[str, Any]:
    height = Decimal(f"{rng.uniform(155, 182):.1f}")
    return {
        "sex": rng.choice(["male", "female"]),
        "date_of_birth": admission - timedelta(days=365 * rng.randint(30, 75)),
        "height_cm": height,
        "weight_kg": Decimal(f"{float(height / 100) ** 2 * rng.uniform(20, 28.5):.1f}"),
        "herniation_level": rng.choice(["L3-4", "L4-5", "L4-5", "L5-S1"]),
        "pfirrmann_grade": rng.choice(["II", "III", "III", "IV"]),
        "leg_pain_duration_days": rng.randint(90, 1500),
        "numbness": rng.random() < 0.6,
        "weakness": rng.random() < 0.3,
        "back_pain": rng.random() < 0.15,
        "hypertension": rng.random() < 0.45,
        "diabetes": rng.random() < 0.18,
    }


def _snrb(rng: random.Random, admission: date, surgery: date) -> dict[str, Any]:
    day = surgery - timedelta(days=1)
    return {
        "performed_at": timezone.make_aware(datetime.combine(day, time(15, 30))),
        "level": "L4-5",
        "root": "L5",
        "side": rng.choice(["left", "right"]),
        "ct_guided": True,
        "needle": "20G × 100 mm",
        "local_anaesthetic": "1% lidocaine",
        "drug_1_name": "ropivacaine",
        "drug_1_concentration_pct": Decimal("0.75"),
        "drug_1_volume_ml": Decimal("1.0"),
        "drug_2_name": "dexamethasone palmitate",
        "drug_2_concentration_pct": None,
        "drug_2_volume_ml": Decimal("1.0"),
        "drug_3_name": "normal saline",
        "drug_3_concentration_pct": Decimal("0.9"),
        "drug_3_volume_ml": Decimal("4.0"),
        "volume_injected_ml": Decimal("2.0"),
        "aspiration_negative": True,
        "immediate_reaction": "none",
        "reaction_details": "",
    }


def _peld(rng: random.Random, admission: date, surgery: date) -> dict[str, Any]:
    return {
        "surgery_date": surgery,
        "surgeon": "Dr Demo",
        "approach": "transforaminal",
        "anaesthesia": "local",
        "foraminoplasty": True,
        "annuloplasty": True,
        "duration_minutes": rng.randint(60, 130),
        "blood_loss_ml": rng.choice([0, 10, 20, 50]),
        "intraoperative_events": "none",
        "event_details": "",
    }


def _discharge(rng: random.Random, admission: date, surgery: date) -> dict[str, Any]:
    return {
        "discharge_date": surgery + timedelta(days=3),
        "mri_done": True,
        "mri_date": surgery + timedelta(days=2),
        "decompression_complete": True,
    }


def _outcome(rng: random.Random, admission: date, surgery: date) -> dict[str, Any]:
    return {
        "assessment_date": surgery + timedelta(days=90),
        "residual_low_back_pain": False,
        "recurrent_pain": rng.random() < 0.15,
        "recurrence_mri_confirmed": False,
        "recurrence_mri_date": None,
        "had_serious_complication": False,
        "serious_complications": [],
        "serious_complication_details": "",
        "macnab": rng.choice(["excellent", "excellent", "good", "fair"]),
    }


def _medication(rng: random.Random, admission: date, surgery: date) -> dict[str, Any]:
    return {
        "drug": "etoricoxib",
        "other_drug_name": "",
        "dose_mg": Decimal("60"),
        "frequency_per_day": 1,
        "route": "oral",
        "start_date": admission,
        "stop_date": surgery - timedelta(days=1),
        "ongoing": False,
    }


def _adverse_event(rng: random.Random, admission: date, surgery: date) -> dict[str, Any]:
    onset = min(surgery, timezone.localdate())  # an event is never recorded ahead of time
    return {
        "term": "Transient dizziness",
        "onset_date": onset,
        "resolution_date": onset,
        "serious": False,
        "clavien_dindo": "I",
        "outcome": "recovered",
        "relation": "peld",
        "action_taken": "none",
        "description": "",
    }


_CLINICAL = {
    "baseline": _baseline,
    "snrb": _snrb,
    "peld": _peld,
    "discharge": _discharge,
    "outcome": _outcome,
    "medication": _medication,
    "adverse_event": _adverse_event,
}


def _all_yes(protocol: Any) -> dict[str, bool]:
    return {c.code: c.kind == "inclusion" for c in protocol.criteria}


def _fill_visits(actor: Any, participant: Participant, rng: random.Random, until: str) -> None:
    protocol = get_protocol(participant.protocol_code)
    arm = participant.allocation.arm if hasattr(participant, "allocation") else None
    done = set(
        FormInstance.objects.filter(participant=participant, visit__isnull=False).values_list(
            "visit__code", "form_code"
        )
    )
    for visit in Visit.objects.filter(participant=participant).order_by("order"):
        for form in protocol.forms_for(protocol.visit(visit.code), arm):
            if (visit.code, form.code) in done:
                continue
            participant.refresh_from_db()
            crf_save(
                actor=actor,
                participant=participant,
                form_code=form.code,
                visit=visit,
                complete=True,
                answers=sample_answers(form.code, participant, visit_code=visit.code, rng=rng),
            )
        if visit.code == until:
            return


def demo_trial_load(*, actor: Any, site: Site, seed: int = 2024) -> list[Participant]:
    """Create demo participants at each stage of the journey (idempotent per site)."""
    if site.participants.exists():
        return list(site.participants.all())
    rng, today = random.Random(seed), timezone.localdate()
    protocol = default_protocol()  # the demo loads the instance's default trial
    visits = protocol.visits
    stages = [
        ("screening", None),
        ("ineligible", None),
        ("consented", None),
        ("randomized", visits[0]),
        ("randomized", visits[-2]),
        ("randomized", visits[-1]),
    ]
    created = []
    for number, (stage, until) in enumerate(stages, start=1):
        after_surgery = until is not None and until.anchor == "surgery"
        back = until.target_day + SURGERY_AFTER_ADMISSION + 2 if after_surgery else 1
        admitted = today - timedelta(days=max(back, 1))
        participant = participant_register(
            actor=actor,
            protocol_code=protocol.code,
            site=site,
            screening_date=admitted,
            registration_date=admitted,
            full_name=f"Demo Patient {site.code}-{number}",
            phone="",
            hospital_number=f"H{number:05d}",
        )
        created.append(participant)
        if stage == "screening":
            continue
        answers = _all_yes(protocol)
        if stage == "ineligible":
            exclusion = next(c for c in protocol.criteria if c.kind == "exclusion")
            answers[exclusion.code] = True
        eligibility_record(
            actor=actor, participant=participant, assessed_date=admitted, answers=answers
        )
        if stage == "ineligible":
            continue
        consent_record(
            actor=actor,
            participant=participant,
            version=protocol.consent_versions[-1],
            consent_date=admitted,
            obtained_by=actor,
        )
        if stage == "consented":
            continue
        participant_set_dates(
            actor=actor,
            participant=participant,
            admission_date=admitted,
            surgery_date=admitted + timedelta(days=SURGERY_AFTER_ADMISSION),
        )
        _fill_visits(actor, participant, rng, visits[0].code)
        # the demo's history: randomized on the day of admission, after consent and the
        # admission forms, days before the surgery (not on the day the demo was loaded)
        randomized_at = timezone.make_aware(datetime.combine(admitted, time(16, 0)))
        participant_randomize(actor=actor, participant=participant, allocated_at=randomized_at)
        participant.refresh_from_db()
        _fill_visits(actor, participant, rng, until.code)
    return created


def demo_allocation_list(*, actor: Any) -> AllocationList:
    """Generate and seal the demo's allocation list once (stratified by site, seed fixed)."""
    active = AllocationList.objects.filter(
        protocol_code=default_protocol_code(), status=AllocationList.Status.ACTIVE
    ).first()
    if active is not None:
        return active
    draft = allocation_list_generate(
        actor=actor,
        protocol_code=default_protocol_code(),
        name="R1 (2, 4, 6)",  # a list code and its block sizes: the same in every language
        factors=["site"],
        block_sizes=[2, 4, 6],
        slots_per_stratum=120,
        seed=20230501,
    )
    return allocation_list_activate(actor=actor, allocation_list=draft)
