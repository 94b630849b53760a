"""ORM → tidy DataFrames for the report: the only place in ``analysis`` that reads the ORM.

Reads in bulk: one query for the participants (with allocation and eligibility joined) and
one per non-repeating form of the protocol, whatever the number of participants. Only
complete, non-voided forms enter the datasets.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

import numpy as np
import pandas as pd
from django.apps import apps
from django.db import connection
from django.db.models import DecimalField, FloatField, Q
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.utils import timezone

from analysis.datasets import columns as C
from analysis.plans import AnalysisPlan
from trial.models import FormInstance, Participant
from trial.protocol import Protocol, anchor_date_name, get_protocol
from trial.selectors.anchors import anchor_dates_by_participant

Population = Literal["itt", "pp"]
DATE = "assessment_date"  # each form frame's own date, whatever the form's date field is called


@dataclass(frozen=True)
class Dataset:
    """The report's data: wide and long frames of the population, and the screening log."""

    population: str
    wide: pd.DataFrame
    long: pd.DataFrame
    screening: pd.DataFrame
    scorer_versions: dict[str, list[str]] = field(default_factory=dict)
    dictionary: list[dict[str, str]] = field(default_factory=list)
    # The adverse-event log of the population (``columns.events_columns``): one row per
    # entry; None when the source holds no log (a release cut before logs were released).
    events: pd.DataFrame | None = field(default_factory=pd.DataFrame)

    @property
    def checksum(self) -> str:
        """SHA-256 of the canonical CSV bytes of the wide and long frames."""
        digest = hashlib.sha256()
        for frame in (self.wide, self.long):
            digest.update(canonical_csv(frame))
        return digest.hexdigest()


def canonical_csv(frame: pd.DataFrame) -> bytes:
    """Return the frame as UTF-8 CSV with fixed line endings and float precision.

    The bytes of ``frame.to_csv(index=False, lineterminator="\\n", float_format="%.10g")``:
    float columns are formatted beforehand, column at a time (pandas formats each value
    through several Python calls, which dominated the report job at 100,000 participants).
    """
    out = frame.copy(deep=False)  # copy-on-write: only the formatted columns are new
    for name in out.columns:
        column = out[name]
        if column.dtype.kind == "f":
            # NaN (v != v) is written as an empty field; "%" formats exactly as pandas does
            out[name] = ["" if v != v else "%.10g" % v for v in column.tolist()]  # noqa: UP031
    return out.to_csv(index=False, lineterminator="\n").encode()


def measure_visits(protocol: Protocol) -> dict[str, tuple[str, ...]]:
    """Return, per measure, the protocol visits whose forms collect it."""
    return C.measure_visits(protocol)


def _read_forms(
    protocol: Protocol, sites: tuple[str, ...]
) -> tuple[dict[str, pd.DataFrame], dict[str, list[str]]]:
    """One query per non-repeating form: complete, non-voided typed data, one frame per form.

    Only the columns the datasets use are read (the dictionary's variables in
    ``columns.wide_sources`` and the scorer version); scores come out of the JSON and
    decimals are read as floats by PostgreSQL, and rows go straight from the cursor into a
    frame (columns ``pk``, ``visit``, the fields, and ``scores.<key>``): no per-row JSON,
    Decimal or dict in Python.
    """
    frames: dict[str, pd.DataFrame] = {}
    versions: dict[str, list[str]] = {}
    for formdef in protocol.forms:
        if formdef.repeating:
            continue
        model = apps.get_model(formdef.model)
        fields, scores = _needed(protocol, formdef.code, model, formdef.date_field)
        query = (
            model.objects.filter(
                *([Q(instance__participant__site__code__in=sites)] if sites else []),
                instance__participant__protocol_code=protocol.code,
                instance__form_code=formdef.code,
                instance__is_voided=False,
                instance__invalid_at__isnull=True,  # an ePRO entry marked invalid stays out
                instance__status=FormInstance.Status.COMPLETE,
            )
            .annotate(**scores)
            .values_list("instance__participant_id", "instance__visit__code", *fields, *scores)
        )
        sql, params = query.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        names = ["pk", "visit", *fields, *(_column_name(n) for n in scores)]
        frame = pd.DataFrame.from_records(rows, columns=names)
        del rows
        frame["visit"] = frame["visit"].fillna("")
        frame[DATE] = _days(frame[formdef.date_field]) if formdef.date_field in frame else None
        frames[formdef.code] = frame
        found = sorted({v for v in frame["scorer_version"] if v})
        if found:
            versions[formdef.code] = found
    return frames, versions


def _read_sources(protocol: Protocol, sites: tuple[str, ...]) -> dict[tuple, str]:
    """Return (participant pk, visit, form) -> who entered the complete form: ``staff``,
    ``epro`` or ``epro_invalid`` (one query over the forms whose source is released)."""
    rows = FormInstance.objects.filter(
        *([Q(participant__site__code__in=sites)] if sites else []),
        participant__protocol_code=protocol.code,
        form_code__in=C.source_forms(protocol),
        visit__isnull=False,
        is_voided=False,
        status=FormInstance.Status.COMPLETE,
    ).values_list("participant_id", "visit__code", "form_code", "source", "invalid_at")
    sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:  # plain tuples: no model machinery per row
        cursor.execute(sql, params)
        found = cursor.fetchall()
    return {
        (pk, visit, form): "epro_invalid" if invalid_at is not None else source
        for pk, visit, form, source, invalid_at in found
    }


def _column_name(annotation: str) -> str:
    if annotation.startswith("score_"):
        return "scores." + annotation.removeprefix("score_")
    return annotation.removeprefix("float_")


def _score_keys(protocol: Protocol, form: str) -> list[str]:
    return sorted(
        {
            c.source.removeprefix("scores.")
            for c in C.wide_sources(protocol).values()
            if c.form == form and c.source.startswith("scores.")
        }
    )


def _plain_fields(protocol: Protocol, form: str) -> set[str]:
    return {
        c.source
        for c in C.wide_sources(protocol).values()
        if c.form == form and not c.source.startswith("scores.")
    }


def _days(values: pd.Series) -> list[date | None]:
    """Return calendar days: dates as they are, aware datetimes on the local calendar."""
    out = []
    for value in values.tolist():
        if value is None or (isinstance(value, float) and value != value):
            out.append(None)
        elif isinstance(value, datetime):
            out.append(timezone.localdate(value) if timezone.is_aware(value) else value.date())
        else:
            out.append(value)
    return out


def _needed(
    protocol: Protocol, form: str, model: Any, date_field: str = ""
) -> tuple[list[str], dict[str, Any]]:
    """The plain columns and the score annotations of ``form`` that the datasets read."""
    wanted = _plain_fields(protocol, form) | {"scorer_version"}
    age = protocol.age
    wanted |= {age.field} if age is not None and form == age.form else set()
    wanted |= {date_field} if date_field else set()
    fields = [f.attname for f in model._meta.concrete_fields if f.attname in wanted]
    casts = {f.attname for f in model._meta.concrete_fields
             if f.attname in wanted and isinstance(f, DecimalField)}  # fmt: skip
    annotations: dict[str, Any] = {
        f"score_{key}": Cast(KeyTextTransform(key, "scores"), FloatField())
        for key in _score_keys(protocol, form)
    }
    annotations.update({f"float_{name}": Cast(name, FloatField()) for name in casts})
    return [f for f in fields if f not in casts], annotations


def _age(dob: date | None, on: date | None) -> float | None:
    if dob is None or on is None:
        return None
    return round((on - dob).days / 365.25, 2)


def _participant_rows(protocol: Protocol, sites: tuple[str, ...]) -> list[dict[str, Any]]:
    return list(
        Participant.objects.filter(protocol_code=protocol.code)
        .filter(*([Q(site__code__in=sites)] if sites else []))
        .order_by("trial_id")
        .values("pk", "trial_id", "site__code", "status", "end_reason", "screening_date",
                "allocation__arm", "allocation__historical_load",
                "eligibility__eligible",
                "eligibility__failed_criteria")
    )  # fmt: skip


_EPOCH = date(1970, 1, 1).toordinal()


def _day_numbers(days: list[date | None], missing: int) -> np.ndarray:
    """Return the days as proleptic ordinals (``date.toordinal``), ``missing`` for None."""
    return np.fromiter((missing if d is None else d.toordinal() for d in days), dtype=np.int64,
                       count=len(days))  # fmt: skip


def _with_anchor_dates(people: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add each participant's anchor dates (``p["anchors"]``: code -> date) from the one
    anchor table (``trial.selectors.anchors``)."""
    anchors = anchor_dates_by_participant([p["pk"] for p in people])
    for p in people:
        p["anchors"] = anchors[p["pk"]]
    return people


def _timing_columns(people: list[dict], frames: dict[str, pd.DataFrame], mv: dict,
                    protocol: Protocol) -> dict[str, list[Any]]:  # fmt: skip
    """Per timed visit: the assessment date (earliest of its complete forms), the days from
    the visit's anchor event and whether every form lies in the protocol's window.

    Worked out on arrays of day numbers for all participants at once (the visit's window in
    days from its anchor: ``VisitDef.window_days``).
    """
    dated = [f[["pk", "visit", DATE]] for f in frames.values() if DATE in f and len(f)]
    rows = pd.concat(dated) if dated else pd.DataFrame(columns=["pk", "visit", DATE])
    rows = rows[rows[DATE].notna() & (rows["visit"] != "")]
    n = len(people)
    where = pd.Index([p["pk"] for p in people]).get_indexer(rows["pk"])  # -1: not in people
    keep = where >= 0
    where, visits = where[keep], rows["visit"].to_numpy()[keep]
    none = np.iinfo(np.int64).max
    days = _day_numbers(rows[DATE].tolist(), none)[keep]
    columns: dict[str, list[Any]] = {}
    for code in C.timed_visits(protocol):
        definition = protocol.visit(code)
        anchors = [p["anchors"].get(definition.anchor) for p in people]
        anchor_days = _day_numbers(anchors, none)
        known = anchor_days != none
        anchor_days[~known] = 0
        at = visits == code
        who, day = where[at], days[at]
        first = np.full(n, none, dtype=np.int64)
        np.minimum.at(first, who, day)
        has = first != none
        low, high = definition.window_days()
        offset = day - anchor_days[who]
        outside = np.zeros(n, dtype=bool)
        np.logical_or.at(outside, who, (offset < low) | (offset > high))
        texts = (np.where(has, first, _EPOCH) - _EPOCH).astype("datetime64[D]").astype(str).tolist()
        columns[f"assessment_date_{code}"] = [
            t if h else None for t, h in zip(texts, has.tolist(), strict=True)
        ]
        timed = has & known
        columns[f"days_from_anchor_{code}"] = [
            int(g) if t else None for g, t in zip((first - anchor_days).tolist(),
                                                  timed.tolist(), strict=True)
        ]  # fmt: skip
        columns[f"in_window_{code}"] = [
            not o if t else None for o, t in zip(outside.tolist(), timed.tolist(), strict=True)
        ]
    return columns


def _everyone(people: list[dict], frames: dict[str, pd.DataFrame], mv: dict,
              plan: AnalysisPlan, protocol: Protocol,
              sources: dict[tuple, str]) -> dict[str, Any]:  # fmt: skip
    """The wide frame's columns for every registered participant, column by column.

    Each source column is the participant's value in the frame of its form (at its visit
    for the per-visit measures), looked up for all participants at once; a participant
    without that complete form gets a missing value.
    """
    pks = pd.Index([p["pk"] for p in people])
    n = len(pks)

    by_place: dict[tuple[str, str | None], pd.DataFrame] = {}

    def lookup(form: str, column: str, visit: str | None = None) -> Any:
        frame = frames.get(form)
        if frame is None or column not in frame:
            return [None] * n
        if (form, visit) not in by_place:  # one row per participant, once per form and visit
            if visit is not None:
                frame = frame[frame["visit"] == visit]
            by_place[form, visit] = frame.drop_duplicates("pk", keep="last").set_index("pk")
        return by_place[form, visit][column].reindex(pks).to_numpy()

    columns: dict[str, Any] = {
        "participant_id": [p["trial_id"] for p in people],
        "arm": [p["allocation__arm"] for p in people],
        "arm_historical": [
            None if p["allocation__arm"] is None else p["allocation__historical_load"] is not None
            for p in people
        ],
        "site": [p["site__code"] for p in people],
        "status": [p["status"] for p in people],
        "end_reason": [p["end_reason"] for p in people],
        "screening_date": _cell_values([p["screening_date"] for p in people], "str"),
    }
    for anchor in protocol.registration_anchors:
        columns[anchor_date_name(anchor.code)] = _cell_values(
            [p["anchors"].get(anchor.code) for p in people], "str"
        )
    for name, column in C.wide_sources(protocol).items():
        columns[name] = _cell_values(
            lookup(column.form, column.source, column.visit or None), column.dtype
        )
    columns.update(_timing_columns(people, frames, mv, protocol))
    by_place: dict[tuple[str, str], dict[int, str]] = {}
    for (pk, visit, form), source in sources.items():
        by_place.setdefault((visit, form), {})[pk] = source
    pk_list = pks.tolist()
    for form in C.source_forms(protocol):
        for visit in C.form_visits(protocol, form):
            found = by_place.get((visit, form), {})
            columns[f"{C.source_column(form)}_{visit}"] = [found.get(pk) for pk in pk_list]
    if protocol.age is not None:  # the age at the anchor's date, from the date of birth
        births, at = lookup(protocol.age.form, protocol.age.field), protocol.age.anchor
        columns[protocol.age.name] = [
            _age(None if pd.isna(dob) else dob, p["anchors"].get(at))
            for dob, p in zip(births, people, strict=True)
        ]
    has_form = {form: set(frame["pk"]) for form, frame in frames.items()}
    visit, form = plan.per_protocol_form
    at_visit = (
        set(frames[form].loc[frames[form]["visit"] == visit, "pk"]) if form in frames else set()
    )
    received, per_protocol = [], []
    for p in people:
        arm, pk = p["allocation__arm"], p["pk"]
        got = arm is not None and all(
            pk in has_form.get(f, ()) for f in plan.treatment_forms.get(arm, ())
        )
        received.append(got)
        per_protocol.append(got and pk in at_visit)
    columns["received_allocated"], columns["per_protocol"] = received, per_protocol
    return columns


def _cell_values(values: Any, dtype: str) -> list[Any]:
    """Return a column's cells as the dataset holds them: codes and text as str (a choice
    stored as a number is written as its code), date-times as local ISO text, days as dates."""
    out = []
    for value in list(values):
        if value is None or (not isinstance(value, list | dict) and pd.isna(value)):
            out.append(None)
        elif isinstance(value, np.datetime64):  # naive UTC from a datetime64 column
            moment = pd.Timestamp(value).tz_localize("UTC").to_pydatetime()
            out.append(_cell_values([moment], dtype)[0])
        elif isinstance(value, datetime):
            local = timezone.localtime(value) if timezone.is_aware(value) else value
            out.append(local.strftime("%Y-%m-%d %H:%M") if dtype == "str" else local)
        elif isinstance(value, date) and dtype == "str":
            out.append(value.isoformat())
        elif dtype == "str" and not isinstance(value, str):
            out.append(str(value))
        elif dtype == "list" and isinstance(value, str):  # a JSON list read as its text
            out.append(json.loads(value))
        else:
            out.append(value)
    return out


def long_frame_visits(protocol: Protocol, mv: dict | None = None) -> list:
    """The visits of the long frame: those collecting any measure, in protocol order."""
    mv = measure_visits(protocol) if mv is None else mv
    return [v for v in protocol.visits if any(v.code in vs for vs in mv.values())]


def _long_frame(wide: pd.DataFrame, protocol: Protocol, mv: dict) -> pd.DataFrame:
    """One row per participant × visit collecting any measure, participants in wide order."""
    visits = long_frame_visits(protocol, mv)
    n = len(wide)
    parts = []
    for order, visit in enumerate(visits):
        part = {
            "participant_id": wide["participant_id"].to_numpy(),
            "arm": wide["arm"].to_numpy(),
            "visit": [visit.code] * n,
            "visit_order": np.full(n, float(order)),
        }
        for m in (*C.timing_columns(protocol), *C.measures(protocol)):
            column = f"{m.name}_{visit.code}"
            part[m.name] = wide[column].to_numpy() if column in wide else [None] * n
        for form in C.source_forms(protocol):
            name = C.source_column(form)
            column = f"{name}_{visit.code}"
            part[name] = wide[column].to_numpy() if column in wide else [None] * n
        parts.append(pd.DataFrame(part, index=np.arange(n) * len(visits) + order))
    columns = [c.name for c in C.long_columns(protocol)]
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.concat(parts).sort_index().reset_index(drop=True)[columns]


def dataset_build(
    *, plan: AnalysisPlan, population: Population, sites: tuple[str, ...] = ()
) -> Dataset:
    """Build the wide, long and screening frames of ``population`` (itt or pp) in bulk.

    ``sites`` limits the data to those site codes (all sites when empty).
    """
    if population not in ("itt", "pp"):
        raise ValueError("population must be 'itt' or 'pp'")
    protocol = get_protocol(plan.protocol_code)
    mv = measure_visits(protocol)
    frames, versions = _read_forms(protocol, sites)
    people = _with_anchor_dates(_participant_rows(protocol, sites))
    all_cols = [c.name for c in C.wide_columns(protocol)]
    sources = _read_sources(protocol, sites)
    everyone = pd.DataFrame(
        _everyone(people, frames, mv, plan, protocol, sources), columns=all_cols
    )
    del frames
    screening = _screening(everyone, people)
    wide = everyone[everyone["arm"].notna()]
    del everyone  # the randomized rows are a new frame: never hold every row twice
    if population == "pp":
        wide = wide[wide["per_protocol"]]
    wide = wide.sort_values("participant_id").reset_index(drop=True)
    long = _long_frame(wide, protocol, mv)
    events = _events_frame(protocol, people, wide)
    return Dataset(population, _typed(wide, C.wide_columns(protocol)),
                   _typed(long, C.long_columns(protocol)), screening, versions,
                   C.column_dictionary(protocol), events)  # fmt: skip


def _events_frame(protocol: Protocol, people: list[dict], wide: pd.DataFrame) -> pd.DataFrame:
    """Return the population's adverse-event log (``columns.events_columns``): every
    complete, non-voided entry of the protocol's log form, one row per entry, in
    participant and entry order (one query)."""
    cols = C.events_columns(protocol)
    if not cols:
        return pd.DataFrame()
    formdef = protocol.form(C.events_form(protocol))
    model = apps.get_model(formdef.model)
    items = [c for c in cols if c.source]
    ids = {p["pk"]: p["trial_id"] for p in people}
    rows = (
        model.objects.filter(
            instance__participant__protocol_code=protocol.code,
            instance__form_code=formdef.code,
            instance__is_voided=False,
            instance__status=FormInstance.Status.COMPLETE,
        )
        .order_by("instance__participant__trial_id", "pk")
        .values_list("instance__participant_id", *(c.source for c in items))
    )
    arms = dict(zip(wide["participant_id"], wide["arm"], strict=True))
    records = []
    for pk, *values in rows:
        pid = ids.get(pk)
        if pid in arms:  # the population's participants only
            records.append([pid, arms[pid], *(_plain(v) for v in values)])
    frame = pd.DataFrame.from_records(records, columns=[c.name for c in cols])
    return _typed(frame, cols).reset_index(drop=True)


def _plain(value: Any) -> Any:
    """Return a log value as the datasets hold it: dates as ISO text, decimals as floats."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def _screening(everyone: pd.DataFrame, people: list[dict]) -> pd.DataFrame:
    frame = everyone[["participant_id", "arm", "status", "received_allocated", "per_protocol",
                      "end_reason"]]  # fmt: skip
    frame["eligible"] = [p["eligibility__eligible"] for p in people]
    frame["failed_criteria"] = [p["eligibility__failed_criteria"] or [] for p in people]
    return frame[[c.name for c in C.SCREENING]]


def _typed(frame: pd.DataFrame, cols: tuple[C.Column, ...]) -> pd.DataFrame:
    """Return the frame with each column in its declared type, built at once (one block
    per type, not one insert per column: the wide frame has hundreds of columns)."""
    out = {}
    for c in cols:
        column = frame[c.name]
        if c.dtype == "float":
            out[c.name] = pd.to_numeric(column, errors="coerce").astype(float)
        elif c.dtype in ("str", "bool"):
            out[c.name] = column.astype(object).where(column.notna(), None)
        else:
            out[c.name] = column
    return pd.DataFrame(out, index=frame.index, columns=[c.name for c in cols])
