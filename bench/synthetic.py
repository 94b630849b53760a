"""Fill a PostgreSQL database with N plausible synthetic participants, fast (COPY).

Usage (a dedicated, migrated database; never a real trial's)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/edc_bench DJANGO_SECRET_KEY=x \\
        .venv/bin/python bench/synthetic.py 100000 --reset

Each participant gets screening, eligibility (with failed criteria when ineligible),
consent, an allocation, the protocol's visits with windows from the admission and surgery
dates, form instances at every visit that has happened (complete, in progress or missing),
VAS answers that fall after surgery, and now and then an adverse event. Rows are written
with ``COPY`` in the tables' own column order; columns the generator does not know get
the model field's default, so new nullable or defaulted fields do not break it.
"""

import argparse
import io
import json
import os
import random
import sys
import time
from datetime import date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, models  # noqa: E402
from django.utils import timezone  # noqa: E402

from trial.models import (  # noqa: E402
    AdverseEventData,
    Allocation,
    Consent,
    EligibilityAssessment,
    FormInstance,
    PainVasData,
    Participant,
    Site,
    Visit,
)
from trial.protocol import Anchor, get_protocol  # noqa: E402

TABLES = (Participant, EligibilityAssessment, Consent, Allocation, Visit, FormInstance)
TABLES += (PainVasData, AdverseEventData)
SITES = 10
DAYS_OF_RECRUITMENT = 3 * 365


class Sink:
    """Rows of one model, kept as COPY text; unknown columns get the field default."""

    def __init__(self, model: type[models.Model]) -> None:
        self.model = model
        self.fields = [f for f in model._meta.concrete_fields]
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
        pk_name = self.model._meta.pk.attname
        if pk_name not in values:
            values[pk_name] = self.next_id
            self.next_id += 1
        row = [
            _text(values[f.attname] if f.attname in values else _default(f)) for f in self.fields
        ]
        self.buffer.write("\t".join(row) + "\n")
        self.count += 1
        return values[pk_name]

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


class Generator:
    """Draw one participant's journey at a time into the sinks."""

    def __init__(self, n: int, seed: int) -> None:
        self.n, self.rng = n, random.Random(seed)
        self.protocol = get_protocol(settings.EDC_PROTOCOL)
        self.today = timezone.localdate()
        self.sinks = {model: Sink(model) for model in TABLES}
        self.user_id = _bench_user().pk
        self.sites = _sites(min(SITES, max(1, n // 10)))
        self.sequence = dict.fromkeys(self.sites, 0)

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
            admission_date=screened,
            surgery_date=surgery if stage == "randomized" else None,
            ended_date=ended,
            end_reason="synthetic" if ended else "",
            created_by_id=self.user_id,
        )
        arm = self._journey(pid, stage, screened)
        self._visits(pid, arm, screened, surgery, ended)

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
        self, pid: int, arm: str | None, admission: date, surgery: date, ended: date | None
    ) -> None:
        for order, visit in enumerate(self.protocol.visits_for(arm), start=1):
            anchor = admission if visit.anchor == Anchor.ADMISSION else surgery
            start, end = visit.window(anchor)
            status = self._visit_status(start, end, ended)
            vid = self.sinks[Visit].add(
                participant_id=pid,
                code=visit.code,
                order=order,
                target_date=visit.target(anchor),
                window_start=start,
                window_end=end,
                status=status,
            )
            if start <= self.today and status != "missed":
                for form in self.protocol.forms_for(visit, arm):
                    self._form(pid, vid, form.code, visit.code, arm, done=status == "done")
        if arm and self.rng.random() < 0.12:
            self._adverse_event(pid, surgery)

    def _visit_status(self, start: date, end: date, ended: date | None) -> str:
        if ended and start > ended:
            return "missed"
        if end < self.today:
            return self.rng.choices(["done", "missed", "scheduled"], [92, 3, 5])[0]
        return "scheduled"

    def _form(self, pid: int, vid: int, code: str, visit: str, arm: str | None, done: bool) -> None:
        draw = self.rng.random()
        if not done and draw < 0.4:
            return  # not started yet
        status = "complete" if done or draw > 0.7 else "in_progress"
        iid = self._instance(pid, vid, code, status)
        if code == "vas":
            late = visit not in ("admission", "preop")
            centre = (1.5 if arm == "S" else 2.2) if late else 7.0
            leg = min(max(self.rng.gauss(centre, 1.2), 0), 10)
            back = min(max(self.rng.gauss(centre - 1, 1.2), 0), 10)
            self.sinks[PainVasData].add(
                instance_id=iid, leg_vas=f"{leg:.1f}", back_vas=f"{back:.1f}"
            )

    def _instance(self, pid: int, vid: int | None, code: str, status: str, seq: int = 1) -> int:
        return self.sinks[FormInstance].add(
            participant_id=pid,
            visit_id=vid,
            form_code=code,
            seq=seq,
            status=status,
            created_by_id=self.user_id,
            updated_by_id=self.user_id,
        )

    def _adverse_event(self, pid: int, surgery: date) -> None:
        serious = self.rng.random() < 0.15
        iid = self._instance(pid, None, "adverse_event", "complete")
        self.sinks[AdverseEventData].add(
            instance_id=iid,
            term="Synthetic event",
            onset_date=min(surgery + timedelta(days=self.rng.randint(0, 30)), self.today),
            serious=serious,
            clavien_dindo="IIIb" if serious else "I",
            outcome="recovered",
            relation="unknown",
            action_taken="none",
        )

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
    generator = Generator(args.participants, args.seed)
    for number in range(1, args.participants + 1):
        generator.participant()
        if number % 10_000 == 0:
            generator.flush()
    generator.flush()
    fix_sequences()
    counts = {m.__name__: s.count for m, s in generator.sinks.items()}
    print(f"{counts} in {time.perf_counter() - started:.1f} s")  # noqa: T201


if __name__ == "__main__":
    main()
