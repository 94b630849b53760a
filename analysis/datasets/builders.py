"""ORM → tidy DataFrames for the report: the only place in ``analysis`` that reads the ORM.

Reads in bulk: one query for the participants (with allocation and eligibility joined) and
one per non-repeating form of the protocol, whatever the number of participants. Only
complete, non-voided forms enter the datasets.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal

import pandas as pd
from django.apps import apps
from django.db.models import Q

from analysis.datasets import columns as C
from analysis.plans import AnalysisPlan
from trial.models import FormInstance, Participant
from trial.protocol import Protocol, get_protocol

Population = Literal["itt", "pp"]
Records = dict[tuple[int, str, str], dict[str, Any]]  # (participant pk, visit, form) -> data


@dataclass(frozen=True)
class Dataset:
    """The report's data: wide and long frames of the population, and the screening log."""

    population: str
    wide: pd.DataFrame
    long: pd.DataFrame
    screening: pd.DataFrame
    scorer_versions: dict[str, list[str]] = field(default_factory=dict)
    dictionary: list[dict[str, str]] = field(default_factory=list)

    @property
    def checksum(self) -> str:
        """SHA-256 of the canonical CSV bytes of the wide and long frames."""
        digest = hashlib.sha256()
        for frame in (self.wide, self.long):
            digest.update(canonical_csv(frame))
        return digest.hexdigest()


def canonical_csv(frame: pd.DataFrame) -> bytes:
    """Return the frame as UTF-8 CSV with fixed line endings and float precision."""
    return frame.to_csv(index=False, lineterminator="\n", float_format="%.10g").encode()


def _plain(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else value


def measure_visits(protocol: Protocol) -> dict[str, tuple[str, ...]]:
    """Return, per measure, the protocol visits whose forms collect it."""
    return {
        m.name: tuple(v.code for v in protocol.visits if C.MEASURE_FORM[m.name] in v.forms)
        for m in C.MEASURES
    }


def _read_forms(protocol: Protocol, sites: tuple[str, ...]) -> tuple[Records, dict[str, list[str]]]:
    """One query per non-repeating form: complete, non-voided typed data keyed by visit.

    Only the columns the frames use are read (a score is read as its own JSON key), and
    rows are streamed from a server-side cursor, so memory stays proportional to the
    participants, not to every answer of every form.
    """
    records: Records = {}
    versions: dict[str, set[str]] = {}
    for formdef in protocol.forms:
        if formdef.repeating:
            continue
        model = apps.get_model(formdef.model)
        rows = model.objects.filter(
            *([Q(instance__participant__site__code__in=sites)] if sites else []),
            instance__participant__protocol_code=protocol.code,
            instance__form_code=formdef.code,
            instance__is_voided=False,
            instance__status=FormInstance.Status.COMPLETE,
        ).values("instance__participant_id", "instance__visit__code",
                 *_field_names(model, formdef.code))  # fmt: skip
        for row in rows.iterator(chunk_size=READ_CHUNK):
            key = (row.pop("instance__participant_id"), row.pop("instance__visit__code") or "",
                   formdef.code)  # fmt: skip
            records[key] = row
            if row.get("scorer_version"):
                versions.setdefault(formdef.code, set()).add(row["scorer_version"])
    return records, {k: sorted(v) for k, v in versions.items()}


READ_CHUNK = 10_000


def _field_names(model: Any, form_code: str) -> list[str]:
    """The columns of ``form_code`` the frames read, scores as ``scores__<key>``."""
    wanted = {"scorer_version", *(["date_of_birth"] if form_code == "baseline" else [])}
    for form, source in C.SOURCES.values():
        if form == form_code:
            wanted.add(source.replace(".", "__", 1) if source.startswith("scores.") else source)
    columns = [f.attname for f in model._meta.concrete_fields if f.attname in wanted]
    return columns + sorted(w for w in wanted if w.startswith("scores__"))


def _read(record: dict[str, Any] | None, source: str) -> Any:
    if record is None:
        return None
    return _plain(record.get(source.replace(".", "__", 1)))


def _age(dob: date | None, on: date | None) -> float | None:
    if dob is None or on is None:
        return None
    return round((on - dob).days / 365.25, 2)


def _participant_rows(protocol: Protocol, sites: tuple[str, ...]) -> list[dict[str, Any]]:
    return list(
        Participant.objects.filter(protocol_code=protocol.code)
        .filter(*([Q(site__code__in=sites)] if sites else []))
        .order_by("trial_id")
        .values("pk", "trial_id", "site__code", "status", "end_reason", "admission_date",
                "allocation__arm", "eligibility__eligible", "eligibility__failed_criteria")
    )  # fmt: skip


def _flow(pk: int, arm: str | None, plan: AnalysisPlan, index: dict) -> tuple[bool, bool]:
    if arm is None:
        return False, False
    received = all((pk, form) in index for form in plan.treatment_forms.get(arm, ()))
    visit, form = plan.per_protocol_form
    return received, received and (pk, visit, form) in index["by_visit"]


def _wide_row(p: dict, records: Records, index: dict, mv: dict, plan: AnalysisPlan) -> dict:
    pk, arm = p["pk"], p["allocation__arm"]
    row: dict[str, Any] = {"participant_id": p["trial_id"], "arm": arm, "site": p["site__code"],
                           "status": p["status"], "end_reason": p["end_reason"]}  # fmt: skip
    for name, (form, source) in C.SOURCES.items():
        if name in mv:
            for visit in mv[name]:
                row[f"{name}_{visit}"] = _read(records.get((pk, visit, form)), source)
        else:
            row[name] = _read(index.get((pk, form)), source)
    baseline = index.get((pk, "baseline"))
    row["age_years"] = _age(baseline and baseline.get("date_of_birth"), p["admission_date"])
    row["received_allocated"], row["per_protocol"] = _flow(pk, arm, plan, index)
    return row


def _long_frame(wide: pd.DataFrame, protocol: Protocol, mv: dict) -> pd.DataFrame:
    """One row per participant and measured visit, participant by participant, column-wise.

    Built from whole columns (no per-row dicts), so 100,000 participants stay cheap.
    """
    visits = [v for v in protocol.visits if any(v.code in vs for vs in mv.values())]
    names = [c.name for c in C.long_columns()]
    if wide.empty or not visits:
        return pd.DataFrame([], columns=names)
    parts = []
    for order, visit in enumerate(visits):
        part = {"participant_id": wide["participant_id"].to_numpy(),
                "arm": wide["arm"].to_numpy(), "visit": visit.code,
                "visit_order": float(order)}  # fmt: skip
        for m in C.MEASURES:
            column = f"{m.name}_{visit.code}"
            part[m.name] = wide[column].to_numpy() if column in wide.columns else None
        frame = pd.DataFrame(part, columns=names)
        frame.index = range(order, order + len(visits) * len(wide), len(visits))
        parts.append(frame)
    return pd.concat(parts).sort_index().reset_index(drop=True)


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
    records, versions = _read_forms(protocol, sites)
    index: dict[Any, Any] = {(pk, form): rec for (pk, _v, form), rec in records.items()}
    index["by_visit"] = set(records)  # (pk, visit, form) of every complete form
    people = _participant_rows(protocol, sites)
    rows = [_wide_row(p, records, index, mv, plan) for p in people]
    all_cols = [c.name for c in C.wide_columns(mv)]
    everyone = pd.DataFrame(rows, columns=all_cols)
    screening = _screening(everyone, people)
    wide = everyone[everyone["arm"].notna()]
    if population == "pp":
        wide = wide[wide["per_protocol"]]
    wide = wide.sort_values("participant_id").reset_index(drop=True)
    long = _long_frame(wide, protocol, mv)
    return Dataset(population, _typed(wide, C.wide_columns(mv)), _typed(long, C.long_columns()),
                   screening, versions, C.column_dictionary(mv))  # fmt: skip


def _screening(everyone: pd.DataFrame, people: list[dict]) -> pd.DataFrame:
    frame = everyone[["participant_id", "arm", "status", "received_allocated", "per_protocol",
                      "end_reason"]].copy()  # fmt: skip
    frame["eligible"] = [p["eligibility__eligible"] for p in people]
    frame["failed_criteria"] = [p["eligibility__failed_criteria"] or [] for p in people]
    return frame[[c.name for c in C.SCREENING]]


def _typed(frame: pd.DataFrame, cols: tuple[C.Column, ...]) -> pd.DataFrame:
    out = frame.copy()
    for c in cols:
        if c.dtype == "float":
            out[c.name] = pd.to_numeric(out[c.name], errors="coerce").astype(float)
        elif c.dtype in ("str", "bool"):
            out[c.name] = out[c.name].astype(object).where(out[c.name].notna(), None)
    return out
