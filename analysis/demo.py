"""Synthetic trial data resembling the paper (77 participants: 38 S, 39 P), seeded.

Everything goes through the trial services (registration, eligibility, consent, allocation,
CRF saves), so the scores are computed by ``scoring`` from item-level answers chosen to hit
per-participant targets drawn around the paper's medians and quartiles; Table 1, 4 and 5
counts are the paper's exact counts. A few ineligible screenings feed the CONSORT diagram.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import scoring
from analysis import demo_targets as T
from trial.demo import assessment_day, sample_answers
from trial.models import Participant, Site, Visit
from trial.protocol import get_protocol
from trial.services.consent import consent_record
from trial.services.crfs import crf_save
from trial.services.eligibility import eligibility_record
from trial.services.participants import participant_register, participant_set_dates
from trial.services.randomization import allocation_record

PROTOCOL = "snrb_peld"
FIRST_ADMISSION = date(2023, 5, 4)
INELIGIBLE = 6
SCORE_KEY = {"odi": "percent", "joa": "total", "sf36": "raw_total_8scales"}


def draw(rng: random.Random, q: T.Quartiles) -> float:
    """Draw from the piecewise-linear distribution through (min, Q1, median, Q3, max)."""
    u = rng.random() * 4
    i = min(int(u), 3)
    return q[i] + (q[i + 1] - q[i]) * (u - i)


def ladder(name: str, rng: random.Random) -> list[tuple[float, dict[str, Any]]]:
    """Answer sets from the lowest to the highest score, one item step at a time."""
    items = scoring.INSTRUMENTS[name].items
    key = SCORE_KEY[name]
    middle = {i.id: list(i.allowed_values)[len(i.allowed_values) // 2] for i in items}
    order = {}
    for item in items:
        values = list(item.allowed_values)
        scores = [scoring.score(name, {**middle, item.id: v})[key] for v in values]
        order[item.id] = [v for _, v in sorted(zip(scores, values, strict=True))]
    position = dict.fromkeys(order, 0)
    steps = [i for i, vs in order.items() for _ in range(len(vs) - 1)]
    rng.shuffle(steps)
    out = []
    for item_id in [None, *steps]:
        if item_id is not None:
            position[item_id] += 1
        answers = {i: order[i][p] for i, p in position.items()}
        out.append((float(scoring.score(name, answers)[key]), answers))
    return out


def answers_for(name: str, target: float, rng: random.Random) -> dict[str, Any]:
    """Return item answers whose score is the closest reachable to ``target``."""
    return min(ladder(name, rng), key=lambda pair: abs(pair[0] - target))[1]


def _assigned(rng: random.Random, arm: str) -> dict[str, list[Any]]:
    out = {}
    for name, per_arm in T.COUNTS.items():
        values = [v for v, n in per_arm[arm].items() for _ in range(n)]
        rng.shuffle(values)
        out[name] = values
    return out


def _vas(rng: random.Random, arm: str, visit: str) -> dict[str, Decimal]:
    leg = draw(rng, T.CONTINUOUS[f"vas:{visit}"][arm])
    back = max(0.0, leg * rng.uniform(0.4, 0.9))
    return {"leg_vas": Decimal(f"{leg:.1f}"), "back_vas": Decimal(f"{back:.1f}")}


def _baseline(rng: random.Random, arm: str, k: int, cats: dict, admission: date) -> dict:
    mean, sd = T.BMI[arm]
    bmi = min(29.9, max(18.6, rng.gauss(mean, sd)))
    height = rng.uniform(1.55, 1.82)
    age = draw(rng, T.CONTINUOUS["age"][arm])
    return {
        "sex": cats["sex"][k],
        "date_of_birth": admission - timedelta(days=int(age * 365.25)),
        "height_cm": Decimal(f"{height * 100:.1f}"),
        "weight_kg": Decimal(f"{bmi * height * height:.1f}"),
        "herniation_level": cats["herniation_level"][k],
        "pfirrmann_grade": cats["pfirrmann_grade"][k],
        "leg_pain_duration_days": int(draw(rng, T.CONTINUOUS["duration"][arm])),
        **{f: cats[f][k] for f in ("numbness", "weakness", "back_pain", "hypertension",
                                   "diabetes")},
    }  # fmt: skip


def _answers(form: str, visit: str, arm: str, k: int, ctx: dict) -> dict[str, Any]:
    rng, cats, p = ctx["rng"], ctx["cats"][arm], ctx["participant"]
    if form == "vas":
        return _vas(rng, arm, visit)
    if form in SCORE_KEY:
        return answers_for(form, draw(rng, T.CONTINUOUS[f"{form}:{visit}"][arm]), rng)
    if form == "baseline":
        return _baseline(rng, arm, k, cats, p.admission_date)
    answers = sample_answers(form, p, visit_code=visit, rng=rng)
    if form == "peld":
        answers["duration_minutes"] = int(draw(rng, T.CONTINUOUS["surgery_minutes"][arm]))
        answers["blood_loss_ml"] = int(round(draw(rng, T.CONTINUOUS["blood_loss"][arm]), -1))
    elif form == "discharge":
        answers["discharge_date"] = p.admission_date + timedelta(days=ctx["stay"])
        answers["mri_date"] = answers["discharge_date"] - timedelta(days=1)
    elif form == "outcome":
        answers.update(_outcome(cats, k, answers))
    return answers


def _outcome(cats: dict, k: int, answers: dict) -> dict[str, Any]:
    recurrence = cats["recurrence_mri_confirmed"][k]
    return {
        "residual_low_back_pain": cats["residual_low_back_pain"][k],
        "recurrent_pain": cats["recurrent_pain"][k],
        "recurrence_mri_confirmed": recurrence,
        "recurrence_mri_date": answers["assessment_date"] - timedelta(days=7)
        if recurrence
        else None,
        "macnab": cats["macnab"][k],
    }


def _fill(actor: Any, participant: Participant, arm: str | None, k: int, ctx: dict,
          *, before_randomization: bool) -> None:  # fmt: skip
    protocol = get_protocol(participant.protocol_code)
    ctx["participant"] = participant
    for visit in Visit.objects.filter(participant=participant).order_by("order"):
        definition = protocol.visit(visit.code)
        if definition.before_randomization != before_randomization:
            continue
        for form in protocol.forms_for(definition, arm):
            answers = _answers(form.code, visit.code, arm or ctx["arm"], k, ctx)
            answers.setdefault(form.date_field, assessment_day(participant, visit.code))
            crf_save(actor=actor, participant=participant, form_code=form.code, visit=visit,
                     complete=True, answers=answers)  # fmt: skip
            participant.refresh_from_db()
            ctx["participant"] = participant


def _enrol(actor: Any, site: Site, number: int, admission: date, answers: dict) -> Participant:
    participant = participant_register(
        actor=actor, site=site, screening_date=admission, admission_date=admission,
        full_name=f"Report Demo {number}", phone="", hospital_number=f"R{number:05d}")  # fmt: skip
    eligibility_record(actor=actor, participant=participant, assessed_date=admission,
                       answers=answers)  # fmt: skip
    return participant


def demo_report_trial_load(*, actor: Any, site: Site, seed: int = 20230504) -> list[Participant]:
    """Create the paper-like demo trial at ``site`` (77 randomized + a few ineligible)."""
    rng = random.Random(seed)
    protocol = get_protocol(PROTOCOL)
    yes = {c.code: c.kind == "inclusion" for c in protocol.criteria}
    arms = ["S"] * T.N["S"] + ["P"] * T.N["P"]
    rng.shuffle(arms)
    cats = {arm: _assigned(rng, arm) for arm in T.N}
    seen = dict.fromkeys(T.N, 0)
    created = []
    for number, arm in enumerate(arms, start=1):
        admission = FIRST_ADMISSION + timedelta(days=int(number * 5.3))
        k, seen[arm] = seen[arm], seen[arm] + 1
        stay = int(round(draw(rng, T.CONTINUOUS["stay"][arm])))
        ctx = {"rng": rng, "cats": cats, "arm": arm, "stay": max(stay, 4)}
        p = _enrol(actor, site, number, admission, yes)
        consent_record(actor=actor, participant=p, version=protocol.consent_versions[-1],
                       consent_date=admission, obtained_by=actor)  # fmt: skip
        surgery = admission + timedelta(days=max(1, ctx["stay"] - 3))
        p = participant_set_dates(actor=actor, participant=p, admission_date=admission,
                                  surgery_date=surgery)  # fmt: skip
        _fill(actor, p, None, k, ctx, before_randomization=True)
        allocation_record(actor=actor, participant=p, arm=arm, randomization_number=f"{number:03d}")
        p.refresh_from_db()
        _fill(actor, p, arm, k, ctx, before_randomization=False)
        created.append(p)
    exclusions = [c.code for c in protocol.criteria if c.kind == "exclusion"]
    for i in range(INELIGIBLE):
        answers = {**yes, exclusions[i % len(exclusions)]: True}
        _enrol(actor, site, len(arms) + i + 1, FIRST_ADMISSION + timedelta(days=7 * i), answers)
    return created
