"""The paper-like demo trial (77 participants: 38 S, 39 P) whose report reproduces the paper.

Everything goes through the trial services (registration, eligibility, consent, allocation,
CRF saves), so every score is computed by ``scoring`` from item-level answers. The values
are constructed, not drawn: ``analysis.demo_solver`` places each continuous row's order
statistics so that the report prints the paper's quartiles and centre and its test gives the
paper's P value (``analysis.demo_targets``); Table 1, 4 and 5 counts are the paper's exact
counts. The seed (``demo_targets.SEED``) only orders who gets which value, how a
participant's scores line up across visits and the free text; two loads with the same seed
give identical data. Dates run from May 2023 to July 2024 as in the paper: consent and
randomization on the admission day, surgery after it, visits from the surgery date.
A few ineligible screenings feed the CONSORT diagram.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import itertools
import json
import math
import random
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
from django.utils import timezone

import scoring
from analysis import demo_solver
from analysis import demo_targets as T
from analysis.demo_solver import Row, Solution, solve, solve_mean_sd
from trial.context import default_protocol_code
from trial.demo import assessment_day, sample_answers
from trial.edit_checks.baseline import compute_bmi
from trial.models import Participant, Site, Visit
from trial.protocol import get_protocol
from trial.services.consent import consent_record
from trial.services.crfs import crf_save
from trial.services.eligibility import eligibility_record
from trial.services.participants import participant_register, participant_set_dates
from trial.services.randomization import allocation_record

PROTOCOL = "snrb_peld"
FIRST_ADMISSION = date(2023, 5, 4)
LAST_ADMISSION = date(2024, 7, 19)
INELIGIBLE = 6
SCORE_KEY = {"odi": "percent", "joa": "total", "sf36": "raw_total_8scales"}
# Items whose contributions to the score interact (bodily pain: item 22's recode depends on
# item 21); they are enumerated together, every other item adds its own contribution.
JOINT = {"sf36": (("sf36_21", "sf36_22"),)}
# Repeated measures: the dataset column prefix, the form, and whether a higher value is worse.
MEASURES = {"vas_leg": ("vas", True), "joa": ("joa", False), "odi": ("odi", True),
            "sf36_total": ("sf36", False)}  # fmt: skip
# The solver's output, stored so that a load does not recompute it (``solved()``,
# ``answers_for``); regenerate with ``manage.py demo_report_data --store-solution``.
SOLUTION_FILE = Path(__file__).with_name("demo_solution.json")
STORE_COMMAND = "python manage.py demo_report_data --store-solution"


@functools.cache
def _reachable(name: str) -> tuple[dict[str, Any], list[dict[float, tuple[float, dict]]]]:
    """Return the base answers and, per item group, score → (previous score, change).

    Dynamic programming over the items: every score a complete answer set can reach is a
    key of the last layer; walking the layers back gives its answers.
    """
    items = scoring.INSTRUMENTS[name].items
    key = SCORE_KEY[name]
    base = {i.id: list(i.allowed_values)[0] for i in items}
    base_score = float(scoring.score(name, base)[key])
    joint = JOINT.get(name, ())
    grouped = {i for group in joint for i in group}
    groups = [*joint, *((i.id,) for i in items if i.id not in grouped)]
    allowed = {i.id: list(i.allowed_values) for i in items}
    layers: list[dict[float, tuple[float, dict]]] = []
    states = [round(base_score, 6)]
    for group in groups:
        options = []
        for combo in itertools.product(*(allowed[i] for i in group)):
            change = dict(zip(group, combo, strict=True))
            options.append((float(scoring.score(name, {**base, **change})[key]) - base_score,
                            change))  # fmt: skip
        layer: dict[float, tuple[float, dict]] = {}
        for value in states:
            for delta, change in options:
                layer.setdefault(round(value + delta, 6), (value, change))
        layers.append(layer)
        states = sorted(layer)
    return base, layers


def ladder(name: str, rng: random.Random) -> list[tuple[float, dict[str, Any]]]:
    """Answer sets from the lowest to the highest score, one item step at a time.

    (The synthetic benchmark data, ``bench/synthetic.py``, draws its answer pools from it.)
    """
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


def score_grid(name: str) -> tuple[float, ...]:
    """Every score of instrument ``name`` that some complete answer set has."""
    return tuple(sorted(_reachable(name)[1][-1]))


def answers_for(name: str, target: float) -> dict[str, Any]:
    """Return complete item answers whose score is exactly ``target`` (a grid value)."""
    stored = _stored()
    answers = stored["answers"].get(name, {}).get(_score_key(target)) if stored else None
    if answers is None:
        answers = _walk_back(name, target)
    answers = dict(answers)
    got = float(scoring.score(name, answers)[SCORE_KEY[name]])
    if abs(got - target) > 1e-6:
        raise ValueError(f"{name}: answers score {got}, not {target}")
    return answers


def _walk_back(name: str, target: float) -> dict[str, Any]:
    base, layers = _reachable(name)
    answers, value = dict(base), round(float(target), 6)
    for layer in reversed(layers):
        value, change = layer[value]
        answers.update(change)
    return answers


def _score_key(value: float) -> str:
    return repr(round(float(value), 6))


def _rows() -> tuple[Row, ...]:
    rows = []
    for row in (*T.TABLE1, *T.TABLE2, *T.TABLE3):
        if not row.grid:  # a score whose grid is what the instrument's items can reach
            row = replace(row, grid=score_grid(MEASURES[_measure_key(row.key)][0]))
        rows.append(row)
    return tuple(rows)


def _solve_all() -> dict[str, Solution]:
    out = {}
    for row in _rows():
        out[row.key] = (solve_mean_sd if row.arms["S"].sd else solve)(row, T.N)
    return out


@functools.cache
def solved() -> dict[str, Solution]:
    """The constructed values of every continuous row (deterministic, cached).

    Read from ``SOLUTION_FILE`` when its fingerprint is that of today's inputs, else solved.
    """
    stored = _stored()
    if stored is None:
        return _solve_all()
    return {
        key: Solution(
            values={arm: np.array(v, dtype=float) for arm, v in row["values"].items()},
            p_value=math.nan if row["p_value"] is None else row["p_value"],
            test=row["test"],
            mismatches=tuple(row["mismatches"]),
        )
        for key, row in stored["rows"].items()
    }


def solution_fingerprint() -> str:
    """sha256 of everything the solved values and answers depend on: the targets, the
    solver, the report's statistics, the scoring instruments and this module's solving code."""
    digest = hashlib.sha256()
    root = Path(__file__).resolve().parent.parent
    files = [Path(T.__file__), Path(demo_solver.__file__),
             *sorted((root / "analysis" / "stats").glob("*.py")),
             *sorted((root / "scoring").glob("*.py")),
             *sorted((root / "scoring" / "instruments").glob("*.py"))]  # fmt: skip
    for path in files:
        digest.update(path.resolve().relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    for function in (_reachable, _walk_back, _score_key, score_grid, _rows, _solve_all,
                     _measure_key, solution_data):  # fmt: skip
        digest.update(inspect.getsource(function).encode())
    digest.update(repr((SCORE_KEY, JOINT, MEASURES, T.N)).encode())
    return digest.hexdigest()


def solution_data() -> dict[str, Any]:
    """Solve afresh and return what ``SOLUTION_FILE`` stores (JSON-ready)."""
    solution = _solve_all()
    rows, answers = {}, {}
    for key, sol in solution.items():
        rows[key] = {
            "values": {arm: [float(v) for v in vs] for arm, vs in sol.values.items()},
            "p_value": None if math.isnan(sol.p_value) else float(sol.p_value),
            "test": sol.test,
            "mismatches": list(sol.mismatches),
        }
        name = MEASURES.get(_measure_key(key), ("",))[0]
        if name in SCORE_KEY:  # a score built from item answers: the answers of its values
            per = answers.setdefault(name, {})
            for vs in sol.values.values():
                for v in vs:
                    per.setdefault(_score_key(v), _walk_back(name, float(v)))
    answers = {name: dict(sorted(per.items(), key=lambda kv: float(kv[0])))
               for name, per in sorted(answers.items())}  # fmt: skip
    return {"fingerprint": solution_fingerprint(), "rows": rows, "answers": answers}


def solution_json(data: dict[str, Any]) -> str:
    """``data`` as JSON with one row (or one instrument's score) per line."""

    def block(mapping: dict[str, Any], indent: str) -> str:
        inner = ",\n".join(f"{indent} {json.dumps(k)}: {json.dumps(v)}" for k, v in mapping.items())
        return "{\n" + inner + "\n" + indent + "}"

    answers = {name: block(per, "  ") for name, per in data["answers"].items()}
    answers_text = "{\n" + ",\n".join(f"  {json.dumps(k)}: {v}" for k, v in answers.items())
    return (f'{{\n "fingerprint": {json.dumps(data["fingerprint"])},\n'
            f' "rows": {block(data["rows"], " ")},\n'
            f' "answers": {answers_text}\n }}\n}}\n')  # fmt: skip


def store_solution(path: Path = SOLUTION_FILE) -> Path:
    """Solve and write ``SOLUTION_FILE`` (``manage.py demo_report_data --store-solution``)."""
    path.write_text(solution_json(solution_data()))
    _stored.cache_clear()
    solved.cache_clear()
    return path


@functools.cache
def _stored() -> dict[str, Any] | None:
    """The stored solution, or None when missing or made from other inputs."""
    try:
        data = json.loads(SOLUTION_FILE.read_text())
    except (OSError, ValueError):
        return None
    return data if data.get("fingerprint") == solution_fingerprint() else None


def _assigned(rng: random.Random, arm: str) -> dict[str, list[Any]]:
    out = {}
    for name, per_arm in T.COUNTS.items():
        values = [v for v, n in per_arm[arm].items() for _ in range(n)]
        rng.shuffle(values)
        out[name] = values
    return out


def _measure_key(column: str) -> str:
    for prefix in MEASURES:
        if column.startswith(prefix + "_"):
            return prefix
    return ""


def _per_participant(rng: random.Random) -> dict[str, dict[str, list[float]]]:
    """Spread each row's sorted values over the participants of each arm.

    Table 1 rows are shuffled. A repeated measure follows one latent severity per
    participant (with some noise per visit), so a participant's pain falls after treatment
    and the scales agree with each other.
    """
    solution = solved()
    severity = {arm: [rng.random() for _ in range(n)] for arm, n in T.N.items()}
    out: dict[str, dict[str, list[float]]] = {arm: {} for arm in T.N}
    for key, sol in solution.items():
        prefix = _measure_key(key)
        for arm, values in sol.values.items():
            n = T.N[arm]
            if not prefix:
                order = list(range(n))
                rng.shuffle(order)
            else:
                worse = MEASURES[prefix][1]
                noisy = [s + rng.gauss(0, 0.12) for s in severity[arm]]
                order = sorted(range(n), key=lambda k: noisy[k], reverse=not worse)
            column = [0.0] * n
            for value, k in zip(np.sort(values), order, strict=True):
                column[k] = float(value)
            out[arm][key] = column
    return out


def _height_weight(rng: random.Random, bmi: float) -> tuple[Decimal, Decimal]:
    """Return a height and weight whose BMI (as the EDC computes it) is ``bmi``."""
    start = rng.randint(1550, 1820)
    for tenth in itertools.chain(range(start, 1900), range(start, 1450, -1)):
        height = Decimal(tenth) / 10
        weight = Decimal(f"{bmi * float(height / 100) ** 2:.1f}")
        if compute_bmi(height, weight) == Decimal(f"{bmi:.1f}"):
            return height, weight
    raise ValueError(f"no height and weight for BMI {bmi}")


def _baseline(ctx: dict, admission: date) -> dict:
    rng, cats, k, v = ctx["rng"], ctx["cats"], ctx["k"], ctx["values"]
    height, weight = _height_weight(rng, v["bmi"][k])
    return {
        "sex": cats["sex"][k],
        "date_of_birth": admission - timedelta(days=round(v["age_years"][k] * 365.25)),
        "height_cm": height,
        "weight_kg": weight,
        "herniation_level": cats["herniation_level"][k],
        "pfirrmann_grade": cats["pfirrmann_grade"][k],
        "leg_pain_duration_days": int(v["leg_pain_duration_days"][k]),
        **{f: cats[f][k] for f in ("numbness", "weakness", "back_pain", "hypertension",
                                   "diabetes")},
    }  # fmt: skip


def _answers(form: str, visit: str, ctx: dict) -> dict[str, Any]:
    rng, cats, p, k, v = ctx["rng"], ctx["cats"], ctx["participant"], ctx["k"], ctx["values"]
    if form == "vas":
        leg = v[f"vas_leg_{visit}"][k]
        back = round(leg * rng.uniform(0.4, 0.9), 1)
        return {"leg_vas": Decimal(f"{leg:.1f}"), "back_vas": Decimal(f"{back:.1f}")}
    column = {"odi": "odi", "joa": "joa", "sf36": "sf36_total"}.get(form)
    if column:
        return answers_for(form, v[f"{column}_{visit}"][k])
    if form == "baseline":
        return _baseline(ctx, p.admission_date)
    answers = sample_answers(form, p, visit_code=visit, rng=rng)
    if form == "peld":
        answers["duration_minutes"] = int(v["surgery_minutes"][k])
        answers["blood_loss_ml"] = int(v["blood_loss_ml"][k])
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


def _fill(actor: Any, participant: Participant, arm: str | None, ctx: dict,
          *, before_randomization: bool) -> None:  # fmt: skip
    protocol = get_protocol(participant.protocol_code)
    dating = {anchor.form for anchor in protocol.anchors if anchor.form}  # move the anchors
    ctx["participant"] = participant
    for visit in Visit.objects.filter(participant=participant).order_by("order"):
        definition = protocol.visit(visit.code)
        if definition.before_randomization != before_randomization:
            continue
        for form in protocol.forms_for(definition, arm):
            answers = _answers(form.code, visit.code, ctx)
            answers.setdefault(form.date_field, assessment_day(participant, visit.code))
            crf_save(actor=actor, participant=participant, form_code=form.code, visit=visit,
                     complete=True, answers=answers)  # fmt: skip
            if form.code in dating:  # the form recorded an anchor date: read it back
                participant.refresh_from_db()
                ctx["participant"] = participant


def _enrol(actor: Any, site: Site, number: int, admission: date, answers: dict) -> Participant:
    participant = participant_register(
        actor=actor, protocol_code=default_protocol_code(), site=site, screening_date=admission,
        registration_date=admission, full_name=f"Report Demo {number}", phone="",
        hospital_number=f"R{number:05d}")  # fmt: skip
    eligibility_record(actor=actor, participant=participant, assessed_date=admission,
                       answers=answers)  # fmt: skip
    return participant


def admission_dates(count: int) -> list[date]:
    """Admissions spread evenly from May 2023 to July 2024 (the paper's enrolment period)."""
    span = (LAST_ADMISSION - FIRST_ADMISSION).days
    return [FIRST_ADMISSION + timedelta(days=round(i * span / (count - 1))) for i in range(count)]


def surgery_day(admission: date, stay: int) -> date:
    """PELD 1–4 days after admission (the S group's SNRB the day before), ≥ 3 days before
    discharge (the post-op day 3 visit is in hospital)."""
    return admission + timedelta(days=min(max(1, stay - 3), 4))


def demo_report_trial_load(*, actor: Any, site: Site, seed: int = T.SEED) -> list[Participant]:
    """Create the paper-like demo trial at ``site`` (77 randomized + a few ineligible)."""
    rng = random.Random(seed)
    protocol = get_protocol(PROTOCOL)
    yes = {c.code: c.kind == "inclusion" for c in protocol.criteria}
    arms = ["S"] * T.N["S"] + ["P"] * T.N["P"]
    rng.shuffle(arms)
    cats = {arm: _assigned(rng, arm) for arm in T.N}
    values = _per_participant(rng)
    seen = dict.fromkeys(T.N, 0)
    created = []
    local = timezone.get_current_timezone()
    for number, (arm, admission) in enumerate(zip(arms, admission_dates(len(arms)),
                                                  strict=True), start=1):  # fmt: skip
        k, seen[arm] = seen[arm], seen[arm] + 1
        stay = int(values[arm]["length_of_stay_days"][k])
        ctx = {"rng": rng, "cats": cats[arm], "values": values[arm], "k": k, "stay": stay}
        p = _enrol(actor, site, number, admission, yes)
        consent_record(actor=actor, participant=p, version=protocol.consent_versions[-1],
                       consent_date=admission, obtained_by=actor)  # fmt: skip
        p = participant_set_dates(actor=actor, participant=p, admission_date=admission,
                                  surgery_date=surgery_day(admission, stay))  # fmt: skip
        _fill(actor, p, None, ctx, before_randomization=True)
        randomized = datetime.combine(admission, time(16, 0), tzinfo=local)
        allocation_record(actor=actor, participant=p, arm=arm, allocated_at=randomized,
                          randomization_number=f"{number:03d}")  # fmt: skip
        p.refresh_from_db()
        _fill(actor, p, arm, ctx, before_randomization=False)
        created.append(p)
    exclusions = [c.code for c in protocol.criteria if c.kind == "exclusion"]
    for i, day in enumerate(admission_dates(INELIGIBLE + 2)[1:-1]):
        answers = {**yes, exclusions[i % len(exclusions)]: True}
        _enrol(actor, site, len(arms) + i + 1, day + timedelta(days=2), answers)
    return created
