"""Fill a PostgreSQL database with N plausible synthetic participants, fast (COPY).

Usage (a dedicated, migrated database; never a real trial's)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/edc_bench DJANGO_SECRET_KEY=x \\
        .venv/bin/python bench/synthetic.py 100000 --reset

Each participant gets screening, eligibility (with failed criteria when ineligible),
consent, an allocation, the protocol's visits with windows from the admission and surgery
dates, and form instances at every visit that has happened (complete, in progress or not
started). Every form instance has its typed data row, as the CRF service would store it:
baseline (with the derived BMI), VAS, ODI, JOA and SF-36 item answers with the scores and
scorer version ``scoring`` gives for them, the SNRB (arm S), the PELD surgery, discharge
(with the derived length of stay), the 3-month outcome with its MacNab grade, concomitant
medication and adverse events (logs). Values are drawn around the paper's per-arm
quartiles and counts (``analysis.demo_targets``): baseline independently of the arm (it
is measured before randomization), later visits with the paper's arm effects (arm S:
lower post-operative VAS, better JOA, ODI and SF-36). A complete form has every answer; a
form in progress lacks some. Rows are written with ``COPY`` in the tables' own column
order; columns the generator does not know get the model field's default, so new
nullable or defaulted fields do not break it.

Scored instruments are answered from pools of item answer sets drawn once per run (each
scored by ``scoring.score``, the scorer the CRF service calls), picking the set whose
score is closest to the participant's drawn target: scores are exactly what a save of
those answers would store, at a fraction of the cost of scoring every form.
"""

import argparse
import bisect
import io
import json
import os
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import DatabaseError, connection, models  # noqa: E402
from django.utils import timezone  # noqa: E402

import scoring  # noqa: E402
from analysis import demo_targets as T  # noqa: E402
from analysis.demo import SCORE_KEY, ladder  # noqa: E402
from trial.context import default_protocol_code  # noqa: E402
from trial.edit_checks.baseline import compute_bmi  # noqa: E402
from trial.models import (  # noqa: E402
    AdverseEventData,
    Allocation,
    AnchorDate,
    BaselineData,
    Consent,
    DischargeData,
    EligibilityAssessment,
    FormInstance,
    JoaData,
    MedicationData,
    OdiData,
    OutcomeData,
    PainVasData,
    Participant,
    PeldData,
    Sf36Data,
    Site,
    SnrbData,
    Visit,
)
from trial.protocol import get_protocol  # noqa: E402

TABLES = (Participant, AnchorDate, EligibilityAssessment, Consent, Allocation, Visit, FormInstance)
DATA = {
    "baseline": BaselineData,
    "vas": PainVasData,
    "odi": OdiData,
    "joa": JoaData,
    "sf36": Sf36Data,
    "snrb": SnrbData,
    "peld": PeldData,
    "discharge": DischargeData,
    "outcome": OutcomeData,
    "medication": MedicationData,
    "adverse_event": AdverseEventData,
}
TABLES += tuple(DATA.values())
SITES = 10
DAYS_OF_RECRUITMENT = 3 * 365


MISSING = object()


class Sink:
    """Rows of one model, kept as COPY text; unknown columns get the field default."""

    def __init__(self, model: type[models.Model]) -> None:
        self.model = model
        self.fields = [f for f in model._meta.concrete_fields]
        self.attnames = [f.attname for f in self.fields]
        self.defaults = [_text(_default(f)) for f in self.fields]
        self.pk_name = model._meta.pk.attname
        self.buffer = io.StringIO()
        self.count = 0
        with connection.cursor() as cursor:
            cursor.execute(
                f'SELECT COALESCE(MAX("{model._meta.pk.column}"), 0) FROM "{self.table}"'
            )
            self.next_id = cursor.fetchone()[0] + 1

    @property
    def table(self) -> str:
        return self.model._meta.db_table

    def add(self, **values: Any) -> int:
        """Queue one row and return its primary key."""
        if self.pk_name not in values:
            values[self.pk_name] = self.next_id
            self.next_id += 1
        get = values.get
        row = [
            default if (value := get(name, MISSING)) is MISSING else _text(value)
            for name, default in zip(self.attnames, self.defaults, strict=True)
        ]
        self.buffer.write("\t".join(row) + "\n")
        self.count += 1
        return values[self.pk_name]

    def flush(self) -> None:
        columns = ", ".join(f'"{f.column}"' for f in self.fields)
        with connection.cursor() as cursor:
            with cursor.copy(f'COPY "{self.table}" ({columns}) FROM STDIN') as copy:
                copy.write(self.buffer.getvalue())
        self.buffer = io.StringIO()


def _default(field: models.Field) -> Any:
    if field.has_default():
        return field.get_default()
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return NOW
    return None if field.null else ""


def _text(value: Any) -> str:
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dict | list):
        return json.dumps(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).replace("\\", "\\\\").replace("\t", " ").replace("\n", " ")


NOW = timezone.now()
LADDERS = 40  # answer paths per scored instrument (a few thousand distinct answer sets)
INCOMPLETE_AT_DONE_VISIT = 0.03  # share of forms still in progress at a visit that is done
ROOT_OF_LEVEL = {"L2-3": "L3", "L3-4": "L4", "L4-5": "L5", "L5-S1": "S1"}


def quantile(q: T.Quartiles, u: float) -> float:
    """The piecewise-linear quantile through (min, Q1, median, Q3, max) at ``u`` in [0, 1)."""
    x = u * 4
    i = min(int(x), 3)
    return q[i] + (q[i + 1] - q[i]) * (x - i)


class Pool:
    """Item answer sets of one scored instrument, sorted by the score the paper reports.

    Each set's scores are ``scoring.score`` of its answers, serialised once.
    """

    def __init__(self, name: str, rng: random.Random) -> None:
        self.name = name
        self.version = scoring.INSTRUMENTS[name].version
        distinct: dict[tuple, tuple[float, dict[str, Any]]] = {}
        for _ in range(LADDERS):
            for value, answers in ladder(name, rng):
                distinct.setdefault(tuple(sorted(answers.items())), (value, answers))
        ordered = sorted(distinct.values(), key=lambda entry: entry[0])
        self.keys = [value for value, _answers in ordered]
        self.answers = [answers for _value, answers in ordered]
        self.scores = [json.dumps(scoring.score(name, a)) for a in self.answers]

    def pick(self, target: float, rng: random.Random) -> dict[str, Any]:
        """Answers (with scores and version) whose score is the nearest reachable to target."""
        i = bisect.bisect_left(self.keys, target)
        if i == len(self.keys) or (i > 0 and target - self.keys[i - 1] < self.keys[i] - target):
            i -= 1
        low = bisect.bisect_left(self.keys, self.keys[i])
        high = bisect.bisect_right(self.keys, self.keys[i])
        k = rng.randrange(low, high)
        return {**self.answers[k], "scores": self.scores[k], "scorer_version": self.version}


class Categories:
    """Draw a categorical answer with the paper's per-arm counts (or both arms pooled)."""

    def __init__(self) -> None:
        self.table: dict[tuple[str, str | None], tuple[list[Any], list[int]]] = {}
        for name, per_arm in T.COUNTS.items():
            pooled: dict[Any, int] = {}
            for arm, counts in per_arm.items():
                self.table[name, arm] = (list(counts), list(counts.values()))
                for value, n in counts.items():
                    pooled[value] = pooled.get(value, 0) + n
            self.table[name, None] = (list(pooled), list(pooled.values()))

    def __call__(self, rng: random.Random, name: str, arm: str | None) -> Any:
        values, weights = self.table[name, arm]
        return rng.choices(values, weights)[0]


class Generator:
    """Draw one participant's journey at a time into the sinks."""

    def __init__(self, n: int, seed: int) -> None:
        self.n, self.rng = n, random.Random(seed)
        self.protocol = get_protocol(default_protocol_code())
        self.today = timezone.localdate()
        self.sinks = {model: Sink(model) for model in TABLES}
        self.user_id = _bench_user().pk
        self.sites = _sites(min(SITES, max(1, n // 10)))
        self.sequence = dict.fromkeys(self.sites, 0)
        pool_rng = random.Random(seed + 1)
        self.pools = {name: Pool(name, pool_rng) for name in SCORE_KEY}
        self.vas_scores = {
            f"{v / 10:.1f}": scoring.score("vas", {"vas": Decimal(v) / 10}) for v in range(101)
        }
        self.versions = {name: scoring.INSTRUMENTS[name].version for name in ("vas", "macnab")}
        self.macnab_scores = {
            c.value: json.dumps(scoring.score("macnab", {"macnab": c.value}))
            for c in scoring.INSTRUMENTS["macnab"].items[0].choices
        }
        self.categories = Categories()
        self.complications = [c.code for c in self.protocol.complications]

    def participant(self) -> None:
        rng, sink = self.rng, self.sinks
        site_id, code = rng.choice(list(self.sites.items()))
        self.sequence[site_id] += 1
        screened = self.today - timedelta(days=rng.randint(0, DAYS_OF_RECRUITMENT))
        surgery = screened + timedelta(days=3)
        stage = self._stage()
        status = {"screening": "screening", "ineligible": "ineligible", "eligible": "eligible"}
        status = status.get(stage, "consented" if stage == "consented" else "randomized")
        ended = None
        if stage == "randomized" and rng.random() < 0.06:
            status = rng.choice(["withdrawn", "lost_to_follow_up"])
            ended = min(surgery + timedelta(days=rng.randint(5, 80)), self.today)
        pid = sink[Participant].add(
            trial_id=f"{code}-{self.sequence[site_id]:06d}",
            site_id=site_id,
            site_sequence=self.sequence[site_id],
            protocol_code=self.protocol.code,
            status=status,
            screening_date=screened,
            ended_date=ended,
            end_reason="synthetic" if ended else "",
            created_by_id=self.user_id,
        )
        anchors = {"admission": screened, "surgery": surgery if stage == "randomized" else None}
        for anchor, day in anchors.items():  # the seed trial's anchors (``AnchorDate`` rows)
            if day is not None:
                source = "registration" if anchor == "admission" else "entered"
                sink[AnchorDate].add(participant_id=pid, code=anchor, date=day, source=source)
        arm = self._journey(pid, stage, screened)
        # Baseline is measured before randomization: its values follow one of the paper's
        # arms drawn independently of the allocation, so the arms are alike at baseline.
        profile = {
            "admission": screened,
            "surgery": surgery,
            "base": rng.choice(["S", "P"]),
            "serious": arm is not None and rng.random() < 0.02,
            "level": self.categories(rng, "herniation_level", None),
        }
        profile["stay"] = max(4, round(quantile(T.CONTINUOUS["stay"][arm or "P"], rng.random())))
        self._visits(pid, arm, stage, profile, ended)
        if arm:
            self._logs(pid, arm, profile)

    def _stage(self) -> str:
        draw = self.rng.random()
        for stage, limit in (("screening", 0.05), ("ineligible", 0.2), ("eligible", 0.25)):
            if draw < limit:
                return stage
        return "consented" if draw < 0.3 else "randomized"

    def _journey(self, pid: int, stage: str, day: date) -> str | None:
        if stage == "screening":
            return None
        failed = []
        if stage == "ineligible":
            failed = self.rng.sample(
                [c.code for c in self.protocol.criteria], self.rng.randint(1, 2)
            )
        self.sinks[EligibilityAssessment].add(
            participant_id=pid,
            assessed_date=day,
            eligible=not failed,
            failed_criteria=failed,
            assessed_by_id=self.user_id,
        )
        if stage in ("ineligible", "eligible"):
            return None
        self.sinks[Consent].add(
            participant_id=pid, version="1.0", consent_date=day, obtained_by_id=self.user_id
        )
        if stage == "consented":
            return None
        arm = self.rng.choice([a.code for a in self.protocol.arms])
        at = timezone.make_aware(datetime.combine(day + timedelta(days=1), clock(10)))
        self.sinks[Allocation].add(
            participant_id=pid,
            arm=arm,
            randomization_number=f"R{pid:07d}",
            allocated_at=at,
            allocated_by_id=self.user_id,
        )
        return arm

    def _visits(
        self, pid: int, arm: str | None, stage: str, profile: dict, ended: date | None
    ) -> None:
        for order, visit in enumerate(self.protocol.visits_for(arm), start=1):
            if visit.anchor == "admission":
                anchor = profile["admission"]
            else:  # dated once the surgery is scheduled, that is once randomized
                anchor = profile["surgery"] if arm else None
            if anchor is None:
                self.sinks[Visit].add(
                    participant_id=pid, code=visit.code, order=order, status="scheduled"
                )
                continue
            start, end = visit.window(anchor)
            target = visit.target(anchor)
            if stage in ("screening", "ineligible", "eligible"):
                status = "missed" if stage == "ineligible" else "scheduled"
            else:
                status = self._visit_status(start, end, ended)
            vid = self.sinks[Visit].add(
                participant_id=pid,
                code=visit.code,
                order=order,
                target_date=target,
                window_start=start,
                window_end=end,
                status=status,
            )
            started = stage in ("screening", "consented", "randomized")
            if start <= self.today and status != "missed" and started:
                when = min(target, self.today)
                for form in self.protocol.forms_for(visit, arm):
                    self._form(pid, vid, form.code, visit.code, arm, status == "done", when,
                               profile)  # fmt: skip

    def _visit_status(self, start: date, end: date, ended: date | None) -> str:
        if ended and start > ended:
            return "missed"
        if end < self.today:
            return self.rng.choices(["done", "missed", "scheduled"], [92, 3, 5])[0]
        return "scheduled"

    def _form(self, pid: int, vid: int | None, code: str, visit: str, arm: str | None,
              done: bool, when: date, profile: dict, seq: int = 1) -> None:  # fmt: skip
        draw = self.rng.random()
        if done:
            status = "in_progress" if draw < INCOMPLETE_AT_DONE_VISIT else "complete"
        elif draw < 0.4:
            return  # not started yet
        else:
            status = "complete" if draw > 0.7 else "in_progress"
        iid = self._instance(pid, vid, code, status, when, seq)
        values = getattr(self, f"_{code}")(visit, arm, profile, when)
        if "assessment_date" in self.sinks[DATA[code]].attnames:  # every form is dated
            values.setdefault("assessment_date", when)
        if status == "in_progress":
            values = self._partial(code, values)
        self.sinks[DATA[code]].add(instance_id=iid, **values)

    def _instance(self, pid: int, vid: int | None, code: str, status: str, when: date,
                  seq: int = 1) -> int:  # fmt: skip
        at = datetime.combine(when, clock(12), tzinfo=UTC)
        return self.sinks[FormInstance].add(
            participant_id=pid,
            visit_id=vid,
            form_code=code,
            seq=seq,
            status=status,
            created_at=at,
            updated_at=at,
            created_by_id=self.user_id,
            updated_by_id=self.user_id,
        )

    def _partial(self, code: str, values: dict[str, Any]) -> dict[str, Any]:
        """A form in progress: about half of the answers given, scored as the service would.

        Answers left blank are left out of the row (the column default: null or blank).
        """
        from trial.services.crfs import crf_score

        given = {
            k: v
            for k, v in values.items()
            if k not in ("scores", "scorer_version") and self.rng.random() < 0.5
        }
        if code == "baseline":
            given["bmi"] = compute_bmi(given.get("height_cm"), given.get("weight_kg"))
        elif code == "discharge" and "discharge_date" not in given:
            given["length_of_stay_days"] = None
        answers = {
            k: (Decimal(v) if code == "vas" and isinstance(v, str) else v) for k, v in given.items()
        }
        meta = ("scores", "scorer_version")
        blank = {k: None for k in values if k not in given and k not in meta}
        scores, version = crf_score(self.protocol.form(code), {**answers, **blank})
        return {**given, "scores": scores, "scorer_version": version}

    def _arm(self, visit: str, arm: str | None, profile: dict) -> str:
        return profile["base"] if visit == "admission" or arm is None else arm

    def _vas(self, visit: str, arm: str | None, profile: dict, when: date) -> dict[str, Any]:
        q = T.CONTINUOUS[f"vas:{visit}"][self._arm(visit, arm, profile)]
        leg = min(quantile(q, self.rng.random()), 10.0)
        leg_text = f"{leg:.1f}"
        back_text = f"{max(0.0, float(leg_text) * self.rng.uniform(0.4, 0.9)):.1f}"
        scores = {"leg_vas": self.vas_scores[leg_text], "back_vas": self.vas_scores[back_text]}
        return {"leg_vas": leg_text, "back_vas": back_text, "scores": json.dumps(scores),
                "scorer_version": self.versions["vas"]}  # fmt: skip

    def _instrument(self, name: str, visit: str, arm: str | None, profile: dict) -> dict:
        q = T.CONTINUOUS[f"{name}:{visit}"][self._arm(visit, arm, profile)]
        return self.pools[name].pick(quantile(q, self.rng.random()), self.rng)

    def _odi(self, visit: str, arm: str | None, profile: dict, when: date) -> dict[str, Any]:
        return self._instrument("odi", visit, arm, profile)

    def _joa(self, visit: str, arm: str | None, profile: dict, when: date) -> dict[str, Any]:
        return self._instrument("joa", visit, arm, profile)

    def _sf36(self, visit: str, arm: str | None, profile: dict, when: date) -> dict[str, Any]:
        return self._instrument("sf36", visit, arm, profile)

    def _baseline(self, visit: str, arm: str | None, profile: dict, when: date) -> dict:
        rng, cat, base = self.rng, self.categories, profile["base"]
        mean, sd = T.BMI[base]
        bmi = min(29.9, max(18.6, rng.gauss(mean, sd)))
        height = rng.uniform(1.55, 1.82)
        age = quantile(T.CONTINUOUS["age"][base], rng.random())
        height_text, weight_text = f"{height * 100:.1f}", f"{bmi * height * height:.1f}"
        return {
            "sex": cat(rng, "sex", None),
            "date_of_birth": profile["admission"] - timedelta(days=int(age * 365.25)),
            "height_cm": height_text,
            "weight_kg": weight_text,
            "bmi": compute_bmi(height_text, weight_text),
            "herniation_level": profile["level"],
            "pfirrmann_grade": cat(rng, "pfirrmann_grade", None),
            "leg_pain_duration_days": int(quantile(T.CONTINUOUS["duration"][base], rng.random())),
            **{name: cat(rng, name, None)
               for name in ("numbness", "weakness", "back_pain", "hypertension", "diabetes")},
        }  # fmt: skip

    def _snrb(self, visit: str, arm: str | None, profile: dict, when: date) -> dict[str, Any]:
        day = profile["surgery"] - timedelta(days=1)
        return {
            "performed_at": datetime.combine(day, clock(15, 30), tzinfo=UTC),
            "level": profile["level"],
            "root": ROOT_OF_LEVEL[profile["level"]],
            "side": self.rng.choice(["left", "right"]),
            "ct_guided": True,
            "drug_1_name": "ropivacaine",
            "drug_1_concentration_pct": "0.75",
            "drug_1_volume_ml": "1.0",
            "drug_2_name": "dexamethasone palmitate",
            "drug_2_volume_ml": "1.0",
            "drug_3_name": "normal saline",
            "drug_3_concentration_pct": "0.90",
            "drug_3_volume_ml": "4.0",
            "volume_injected_ml": "2.0",
            "aspiration_negative": True,
            "immediate_reaction": "none" if self.rng.random() < 0.95 else "transient_numbness",
        }

    def _peld(self, visit: str, arm: str | None, profile: dict, when: date) -> dict[str, Any]:
        rng, q = self.rng, T.CONTINUOUS
        minutes = max(10, round(quantile(q["surgery_minutes"][arm], rng.random())))
        event = "none" if rng.random() < 0.97 else rng.choice(["dural_tear", "nerve_root_injury"])
        return {
            "surgery_date": profile["surgery"],
            "surgeon": rng.choice(["Surgeon A", "Surgeon B", "Surgeon C"]),
            "approach": "transforaminal" if rng.random() < 0.9 else "interlaminar",
            "anaesthesia": "local",
            "foraminoplasty": rng.random() < 0.8,
            "annuloplasty": rng.random() < 0.6,
            "duration_minutes": minutes,
            "blood_loss_ml": int(round(quantile(q["blood_loss"][arm], rng.random()), -1)),
            "intraoperative_events": event,
        }

    def _discharge(self, visit: str, arm: str | None, profile: dict, when: date) -> dict:
        discharge = profile["admission"] + timedelta(days=profile["stay"])
        return {
            "discharge_date": discharge,
            "length_of_stay_days": profile["stay"],
            "mri_done": True,
            "mri_date": discharge - timedelta(days=1),
            "decompression_complete": self.rng.random() < 0.97,
        }

    def _outcome(self, visit: str, arm: str | None, profile: dict, when: date) -> dict:
        rng, cat = self.rng, self.categories
        recurrence = cat(rng, "recurrence_mri_confirmed", arm)
        macnab = cat(rng, "macnab", arm)
        serious = profile["serious"]
        return {
            "assessment_date": when,
            "residual_low_back_pain": cat(rng, "residual_low_back_pain", arm),
            "recurrent_pain": recurrence or cat(rng, "recurrent_pain", arm),
            "recurrence_mri_confirmed": recurrence,
            "recurrence_mri_date": when - timedelta(days=7) if recurrence else None,
            "had_serious_complication": serious,
            "serious_complications": [rng.choice(self.complications)] if serious else [],
            "macnab": macnab,
            "scores": self.macnab_scores[macnab],
            "scorer_version": self.versions["macnab"],
        }

    def _medication(self, visit: str, arm: str | None, profile: dict, when: date) -> dict:
        return {
            "drug": "etoricoxib",
            "dose_mg": "60.00",
            "frequency_per_day": 1,
            "route": "oral",
            "start_date": profile["admission"],
            "stop_date": profile["surgery"] - timedelta(days=1),
            "ongoing": False,
        }

    def _adverse_event(self, visit: str, arm: str | None, profile: dict, when: date) -> dict:
        serious = profile["serious"]
        onset = min(profile["surgery"] + timedelta(days=self.rng.randint(0, 30)), self.today)
        return {
            "term": "Synthetic serious event" if serious else "Transient dizziness",
            "onset_date": onset,
            "resolution_date": min(onset + timedelta(days=self.rng.randint(0, 14)), self.today),
            "serious": serious,
            "clavien_dindo": "IIIb" if serious else "I",
            "outcome": "recovered",
            "relation": "snrb" if arm == "S" and self.rng.random() < 0.3 else "peld",
            "action_taken": "reoperation" if serious else "none",
        }

    def _logs(self, pid: int, arm: str, profile: dict) -> None:
        """Concomitant medication (most) and adverse events (some; every serious one)."""
        if profile["surgery"] > self.today:
            return
        when = profile["admission"]
        if self.rng.random() < 0.7:
            self._form(pid, None, "medication", "", arm, True, when, profile)
        if profile["serious"] or self.rng.random() < 0.1:
            when = min(profile["surgery"] + timedelta(days=1), self.today)
            self._form(pid, None, "adverse_event", "", arm, True, when, profile)

    def flush(self) -> None:
        for sink in self.sinks.values():
            sink.flush()


def _bench_user() -> Any:
    user, _created = get_user_model().objects.get_or_create(username="bench")
    return user


def _sites(count: int) -> dict[int, str]:
    sites = [
        Site.objects.get_or_create(code=f"S{i:02d}", defaults={"name": f"Site {i}"})[0]
        for i in range(1, count + 1)
    ]
    return {s.pk: s.code for s in sites}


def reset() -> None:
    """Empty the participant tables (and everything hanging off them) in this database."""
    tables = ", ".join(f'"{m._meta.db_table}"' for m in TABLES)
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {tables} CASCADE")


def fix_sequences() -> None:
    with connection.cursor() as cursor:
        for model in TABLES:
            if isinstance(model._meta.pk, models.AutoField | models.BigAutoField):
                table, column = model._meta.db_table, model._meta.pk.column
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', '{column}'), "
                    f'COALESCE(MAX("{column}"), 1)) FROM "{table}"'
                )
            cursor.execute(f'ANALYZE "{model._meta.db_table}"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("participants", type=int)
    parser.add_argument("--reset", action="store_true", help="empty the trial tables first")
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench/synthetic.py needs PostgreSQL (DATABASE_URL)")
    started = time.perf_counter()
    if args.reset:
        reset()
    checks = "skipped" if _skip_foreign_key_checks() else "checked"
    generator = Generator(args.participants, args.seed)
    copying = 0.0
    for number in range(1, args.participants + 1):
        generator.participant()
        if number % 10_000 == 0:
            mark = time.perf_counter()
            generator.flush()
            copying += time.perf_counter() - mark
    mark = time.perf_counter()
    generator.flush()
    fix_sequences()
    copying += time.perf_counter() - mark
    counts = {m.__name__: s.count for m, s in generator.sinks.items()}
    total = time.perf_counter() - started
    print(f"{counts} in {total:.1f} s ({copying:.1f} s in COPY and ANALYZE, "  # noqa: T201
          f"foreign keys {checks})")  # fmt: skip


def _skip_foreign_key_checks() -> bool:
    """Load without per-row foreign-key triggers when the role may (a superuser).

    The generator writes parents before children with keys it assigned itself, so the
    checks would only cost time; other roles load with the checks.
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
    except DatabaseError:
        return False
    return True


if __name__ == "__main__":
    main()
