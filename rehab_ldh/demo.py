"""Demo data of the rehabilitation trial, entered through the services (``demo_setup``).

At each demo site: a few patients still in screening or ineligible, and the rest randomized
2:1 from the trial's sealed list (stratified by site), registered and randomized on days
spread over the last eight months, so that some have every follow-up and some only the
first. Pain, ODI and EQ-5D-5L improve after the operation, a little more in arm R; arm R's
adherence forms record the sessions attended; a few adverse events are logged.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from trial.demo import assessment_day, instrument_answers
from trial.models import AllocationList, FormInstance, Participant, Visit
from trial.protocol import get_protocol
from trial.services.consent import consent_record
from trial.services.crfs import crf_save
from trial.services.eligibility import eligibility_record
from trial.services.participants import participant_register
from trial.services.randomization import (
    allocation_list_activate,
    allocation_list_generate,
    participant_randomize,
)

from .protocol import CODE

PER_SITE = 12  # participants registered at each demo site
NOT_RANDOMIZED = 2  # of them: one still in screening, one ineligible
SPREAD_DAYS = 240  # registrations spread over this many days before today
# How far each visit has come from the baseline (0: none, 1: all the way); arm R gains more.
RECOVERY = {"baseline": 0.0, "week_2": 0.35, "week_6": 0.6, "month_3": 0.8, "month_6": 0.85}
PLANNED_SESSIONS = {"week_2": 4, "week_6": 8, "month_3": 12}  # two a week since last visit


def _arm(participant: Participant) -> str | None:
    allocation = getattr(participant, "allocation", None) if participant.pk else None
    return allocation.arm if allocation is not None else None


def _recovery(participant: Participant, visit_code: str | None) -> float:
    gain = RECOVERY.get(visit_code or "", 0.0)
    return min(gain * (1.1 if _arm(participant) == "R" else 0.9), 1.0)


def demo_answers(
    form_code: str, participant: Participant, visit_code: str | None, rng: random.Random
) -> dict[str, Any] | None:
    """Return plausible complete answers of one of the trial's forms at a visit."""
    day = assessment_day(participant, visit_code) or timezone.localdate()
    own = random.Random(f"{CODE}:{participant.pk or 0}")  # the participant's own levels
    recovery = _recovery(participant, visit_code)
    if form_code == "baseline":
        height = Decimal(f"{own.uniform(152, 184):.1f}")
        return {
            "assessment_date": day,
            "sex": own.choice(["male", "female"]),
            "date_of_birth": day - timedelta(days=365 * own.randint(24, 68) + own.randint(0, 364)),
            "height_cm": height,
            "weight_kg": Decimal(f"{float(height / 100) ** 2 * own.uniform(19.5, 29):.1f}"),
            "operated_level": own.choice(["L3-4", "L4-5", "L4-5", "L5-S1", "L5-S1"]),
            "days_surgery_to_randomization": own.randint(2, 6),
        }
    if form_code == "vas":
        out = {"assessment_date": day}
        for name, (low, high) in {"leg_vas": (3.0, 6.0), "back_vas": (2.5, 5.5)}.items():
            level = own.uniform(low, high) * (1 - recovery) * rng.uniform(0.85, 1.15)
            out[name] = Decimal(f"{min(max(level, 0.0), 10.0):.1f}")
        return out
    if form_code in ("odi", "eq5d5l"):
        instrument = get_protocol(participant.protocol_code).form(form_code).instrument
        better = min(0.25 + 0.6 * recovery + rng.uniform(-0.05, 0.05), 0.95)
        return {**instrument_answers(instrument, rng, better), "assessment_date": day}
    if form_code == "adherence":
        planned = PLANNED_SESSIONS.get(visit_code or "", 4)
        attended = max(planned - rng.choice([0, 0, 1, 1, 2, 3]), 0)
        return {"assessment_date": day, "sessions_planned": planned, "sessions_attended": attended}
    if form_code == "adverse_event":
        onset = min(day, timezone.localdate())
        return {
            "term": rng.choice(["Muscle soreness", "Transient leg numbness", "Wound itching"]),
            "onset_date": onset,
            "resolution_date": min(onset + timedelta(days=rng.randint(1, 7)), timezone.localdate()),
            "serious": False,
            "severity": 1,
            "outcome": "recovered",
            "relation": "rehabilitation" if _arm(participant) == "R" else "surgery",
        }
    return None


def _fill_due_visits(actor: Any, participant: Participant, rng: random.Random) -> None:
    """Complete every form of every visit whose target day has come."""
    protocol = get_protocol(participant.protocol_code)
    participant.refresh_from_db()
    arm = _arm(participant)
    today = timezone.localdate()
    done = set(
        FormInstance.objects.filter(participant=participant, visit__isnull=False).values_list(
            "visit__code", "form_code"
        )
    )
    for visit in Visit.objects.filter(participant=participant).order_by("order"):
        if visit.target_date is None or visit.target_date > today:
            return
        for form in protocol.forms_for(protocol.visit(visit.code), arm):
            if (visit.code, form.code) in done:
                continue
            crf_save(
                actor=actor,
                participant=participant,
                form_code=form.code,
                visit=visit,
                complete=True,
                answers=demo_answers(form.code, participant, visit.code, rng) or {},
            )


def demo_allocation_list(*, actor: Any) -> AllocationList:
    """Generate and seal the trial's demo list once: 2:1 (the protocol's ratio), blocks of
    3 and 6, stratified by site, seed fixed."""
    active = AllocationList.objects.filter(
        protocol_code=CODE, status=AllocationList.Status.ACTIVE
    ).first()
    if active is not None:
        return active
    draft = allocation_list_generate(
        actor=actor,
        protocol_code=CODE,
        name="RL1 (3, 6)",
        factors=["site"],
        block_sizes=[3, 6],
        slots_per_stratum=60,
        seed=20250301,
    )
    return allocation_list_activate(actor=actor, allocation_list=draft)


def demo_load(*, actor: Any, sites: Any, statistician: Any, seed: int = 2025) -> None:
    """Load the trial's demo participants at each site (idempotent per site)."""
    protocol = get_protocol(CODE)
    demo_allocation_list(actor=statistician)
    rng, today = random.Random(seed), timezone.localdate()
    for site in sites:
        if Participant.objects.filter(site=site, protocol_code=CODE).exists():
            continue
        for number in range(1, PER_SITE + 1):
            registered = today - timedelta(days=int(SPREAD_DAYS * (PER_SITE - number) / PER_SITE))
            participant = participant_register(
                actor=actor,
                protocol_code=CODE,
                site=site,
                screening_date=registered,
                registration_date=registered,
                full_name=f"Rehab Demo {site.code}-{number}",
                hospital_number=f"R{number:05d}",
            )
            if number == PER_SITE:  # the newest: still in screening
                continue
            answers = {c.code: c.kind == "inclusion" for c in protocol.criteria}
            ineligible = number == PER_SITE - 1
            if ineligible:
                answers["instability"] = True
            eligibility_record(
                actor=actor, participant=participant, assessed_date=registered, answers=answers
            )
            if ineligible:
                continue
            consent_record(
                actor=actor,
                participant=participant,
                version=protocol.consent_versions[-1],
                consent_date=registered,
                obtained_by=actor,
            )
            _fill_due_visits(actor, participant, rng)  # the baseline forms
            at = timezone.make_aware(datetime.combine(registered, time(15, 0)))
            participant_randomize(actor=actor, participant=participant, allocated_at=at)
            _fill_due_visits(actor, participant, rng)
            if number % 4 == 1:  # a few adverse events
                participant.refresh_from_db()
                crf_save(
                    actor=actor,
                    participant=participant,
                    form_code="adverse_event",
                    complete=True,
                    answers=demo_answers("adverse_event", participant, "week_2", rng) or {},
                )
