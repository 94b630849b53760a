"""Live records, read page by page: a bounded number of queries per page of participants.

Each page reads its participants (keyset on the trial id), their non-voided form instances
and, per form model, the typed data of those instances. Nothing holds more than one page.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from django.apps import apps
from django.db.models import Q, QuerySet
from django.utils import timezone

from api.live_dictionary import ENTRY, TIMING
from api.project import ENROLMENT, Project
from trial.blinding import BlindingPolicy
from trial.models import FormInstance, Participant
from trial.protocol import anchor_date_name, get_protocol
from trial.selectors.anchors import anchor_dates_by_participant

PARTICIPANT_VALUES = (
    "pk",
    "protocol_code",
    "trial_id",
    "site__code",
    "status",
    "screening_date",
    "allocation__arm",
    "allocation__historical_load",
)


@dataclass
class RawRow:
    """One flat row before formatting: python values keyed by field name."""

    record: str
    event: str
    dag: str
    repeat_instrument: str = ""
    repeat_instance: str = ""
    values: dict[str, Any] = field(default_factory=dict)
    complete: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class LiveFilter:
    sites: tuple[str, ...]
    records: tuple[str, ...] | None = None
    date_begin: datetime | None = None
    date_end: datetime | None = None
    blinded: bool = False


def participant_queryset(protocol_code: str, flt: LiveFilter) -> QuerySet[Participant]:
    """Return the participants a token may read, filtered as asked, ordered by trial id.

    The date range counts only the changes the reader may know of: a blinded reader's
    filter never sees a change to a form hidden by blinding.
    """
    qs = Participant.objects.filter(protocol_code=protocol_code, site__code__in=flt.sites)
    if flt.records is not None:
        qs = qs.filter(trial_id__in=flt.records)
    if flt.date_begin or flt.date_end:
        visible = [f.code for f in BlindingPolicy(get_protocol(protocol_code), flt.blinded).forms()]
        changed = Q()
        for prefix in ("", "form_instances__"):
            part = Q(**{f"{prefix}form_code__in": visible}) if prefix else Q()
            if flt.date_begin:
                part &= Q(**{f"{prefix}updated_at__gte": flt.date_begin})
            if flt.date_end:
                part &= Q(**{f"{prefix}updated_at__lte": flt.date_end})
            changed |= part
        qs = qs.filter(pk__in=Participant.objects.filter(changed).values("pk"))
    return qs.order_by("trial_id")


def _data_by_instance(project: Project, instances: list[dict]) -> dict[int, dict]:
    """One query per form model: the typed data of the page's instances."""
    by_form: dict[str, list[int]] = {}
    for inst in instances:
        by_form.setdefault(inst["form_code"], []).append(inst["pk"])
    out: dict[int, dict] = {}
    for instrument in project.instruments:
        ids = by_form.get(instrument.name)
        if not ids or not instrument.model:
            continue
        model = apps.get_model(instrument.model)
        for row in model.objects.filter(instance_id__in=ids).values():
            out[row["instance_id"]] = row
    return out


def _timing(form: str, visit: str | None, person: dict, data: dict) -> dict[str, Any]:
    """Return the form's days from its visit's anchor and whether it lies in the window."""
    if not visit:
        return {}
    protocol = get_protocol(person["protocol_code"])
    definition, formdef = protocol.visit(visit), protocol.form(form)
    anchor = person["anchors"].get(definition.anchor)
    day = data.get(formdef.date_field)
    if isinstance(day, datetime):
        day = timezone.localdate(day) if timezone.is_aware(day) else day.date()
    timing = definition.timing(anchor, day)
    return {"days_from_anchor": timing.days_from_anchor, "in_window": timing.in_window}


def entry_source(inst: dict) -> str:
    """Return who entered an entry: staff, epro, or epro_invalid (marked invalid)."""
    return "epro_invalid" if inst.get("invalid_at") is not None else inst.get("source") or ""


def _values(
    project: Project,
    form: str,
    data: dict | None,
    timing: dict | None = None,
    entry: dict | None = None,
) -> dict[str, Any]:
    if data is None:
        return {}
    out = {}
    for f in project.instrument(form).fields:
        if f.source.startswith(TIMING):
            out[f.name] = (timing or {}).get(f.source.removeprefix(TIMING))
        elif f.source.startswith(ENTRY):
            out[f.name] = (entry or {}).get(f.source.removeprefix(ENTRY))
        elif f.source.startswith("scores."):
            value: Any = data.get("scores") or {}
            for part in f.source.split(".")[1:]:
                value = value.get(part) if isinstance(value, dict) else None
            out[f.name] = value
        else:
            out[f.name] = data.get(f.source)
    return out


def _participant_rows(
    project: Project,
    person: dict,
    instances: list[dict],
    data: dict[int, dict],
    policy: BlindingPolicy | None = None,
) -> Iterator[RawRow]:
    first = project.events[0]
    visit_event = {e.visit: e for e in project.events}
    dag = (person["site__code"] or "").lower()
    base: dict[str, RawRow] = {}
    repeats: dict[str, list[RawRow]] = {}
    for inst in instances:
        instrument = project.instrument(inst["form_code"])
        event = first if instrument.repeating else visit_event.get(inst["visit__code"] or "")
        if event is None or inst["form_code"] not in event.forms:
            continue  # a visit or form this user may not see
        done = "2" if inst["status"] == FormInstance.Status.COMPLETE else "0"
        row_data = data.get(inst["pk"])
        timing = _timing(inst["form_code"], inst["visit__code"], person, row_data or {})
        entry = {"source": entry_source(inst)}
        values = _values(project, inst["form_code"], row_data, timing, entry)
        if policy is not None:  # free text as the blinded reader may read it
            formdef, entry = policy.protocol.form(inst["form_code"]), SimpleNamespace(**inst)
            source = {f.name: f.source for f in instrument.fields}
            values = {
                k: policy.text(formdef, entry, source.get(k, k), v) for k, v in values.items()
            }
        if instrument.repeating:
            row = RawRow(
                person["trial_id"],
                event.unique_name,
                dag,
                instrument.name,
                str(inst["seq"]),
                values,
                {instrument.name: done},
            )
            repeats.setdefault(event.unique_name, []).append(row)
            continue
        row = base.setdefault(event.unique_name, RawRow(person["trial_id"], event.unique_name, dag))
        row.values.update(values)
        row.complete[instrument.name] = done
    enrolment = base.setdefault(
        first.unique_name, RawRow(person["trial_id"], first.unique_name, dag)
    )
    enrolment.values.update(
        {f.name: person.get(f.source) for f in project.instrument(ENROLMENT).fields}
    )
    enrolment.complete[ENROLMENT] = "2"
    for event in project.events:
        if event.unique_name in base:
            yield base[event.unique_name]
        yield from sorted(
            repeats.get(event.unique_name, ()),
            key=lambda r: (r.repeat_instrument, int(r.repeat_instance)),
        )


def live_rows(
    project: Project, qs: QuerySet[Participant], page_size: int, events: set[str] | None = None
) -> Iterator[RawRow]:
    """Yield the raw rows of every participant of ``qs``, one page of participants at a time."""
    forms = [i.name for i in project.instruments if i.model]
    policy = BlindingPolicy(get_protocol(project.code), True) if project.blinded else None
    anchor_codes = [a.code for a in get_protocol(project.code).anchors]
    last = ""
    while True:
        page = list(qs.filter(trial_id__gt=last).values(*PARTICIPANT_VALUES)[:page_size])
        if not page:
            return
        last = page[-1]["trial_id"]
        anchors = anchor_dates_by_participant([p["pk"] for p in page])
        for p in page:
            # the anchor dates by code, and as the enrolment fields ``<code>_date``
            p["anchors"] = {code: None for code in anchor_codes} | anchors[p["pk"]]
            p.update({anchor_date_name(code): day for code, day in p["anchors"].items()})
        for p in page:  # historical: allocated before the trial used this system
            allocated = p["allocation__arm"] is not None
            p["allocation_historical"] = (
                (p["allocation__historical_load"] is not None) if allocated else None
            )
        instances = list(
            FormInstance.objects.filter(
                participant_id__in=[p["pk"] for p in page], is_voided=False, form_code__in=forms
            )
            .order_by("participant_id", "form_code", "seq")
            .values(
                "pk",
                "participant_id",
                "visit__code",
                "form_code",
                "seq",
                "status",
                "revision",
                "blinded_texts",
                "blinded_texts_revision",
                "source",
                "invalid_at",
            )
        )
        data = _data_by_instance(project, instances)
        per_person: dict[int, list[dict]] = {}
        for inst in instances:
            per_person.setdefault(inst["participant_id"], []).append(inst)
        for person in page:
            entries = per_person.get(person["pk"], [])
            for row in _participant_rows(project, person, entries, data, policy):
                if events is None or row.event in events:
                    yield row
        if len(page) < page_size:
            return
