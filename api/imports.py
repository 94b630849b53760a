"""Importing records: REDCap rows through the same services as the nurse's form.

The one import service of the product, used by the API (``content=record&action=import``)
and by the data manager's import page (upload, dry run, Celery commit).

Interface
---------
``import_records(protocol_code=, user=, rows=, options=ImportOptions(...),
origin=ImportOrigin(...), dry_run=False, progress=None) -> ImportResult``

* ``rows``: an iterable of dicts keyed by the **export's field names** (the live REDCap
  dictionary, :func:`api.live_dictionary.live_project`): ``record_id``,
  ``redcap_event_name``, ``redcap_repeat_instrument``/``redcap_repeat_instance`` (log
  forms), every data field (checkbox choices as ``name___code`` = 1/0), ``<form>_complete``
  (2 = complete, 0/1 = in progress, blank = unchanged). An export re-imported changes
  nothing. ``options.kind="eav"`` takes REDCap EAV rows instead (``record``,
  ``redcap_event_name``, ``field_name``, ``value``; a checkbox's ``value`` is a ticked
  code). Values are strings as exported (dates in ``options.date_format``).
* Every form is validated by its **entry form class** (types, ranges, choices, hard edit
  checks refuse; soft ones are refused unless ``options.accept_warnings``, then each opens
  a query) and saved by :func:`trial.services.crfs.crf_save_step` (scoring, visit status,
  anchor dates, audit). New records are registered by
  :func:`trial.services.participants.participant_register_step` under their own record id
  (the trial's ``Protocol.participant_id``: ``<SITE>-<NNNN>``, with the trial's prefix if
  any; the enrolment row needs ``screening_date``; no identifying data).
* Rules: the user's sites and roles (``ENTER_DATA``), locks, a frozen database; a blinded
  user can never write arm-revealing fields; the allocation (``arm``) and the
  participant's status are never imported (a value equal to the stored one is ignored, so
  an export re-imports); calculated fields (scores, timing) are computed, not imported.
  A change to a complete form needs ``options.reason``; without it such forms are
  refused while new data are accepted (when the rest of the call is clean).
* ``options.overwrite`` False (REDCap "normal"): blank cells keep stored values; True
  ("overwrite"): blank cells of a form the row touches erase stored values.
* The whole call is **one transaction**: any error and nothing is written
  (``result.committed`` False, ``result.errors`` lists every problem as record, event,
  field, value, message in the active language). ``dry_run`` runs everything and rolls
  back: ``result.changes`` is then the plan (per record/event/form: created, changed,
  unchanged, with old -> new per field).
* Every audit row written by the call carries ``changes["origin"]``: the import's user,
  call, token hint and file checksum (:class:`ImportOrigin`).
* ``progress(done_rows, total_rows)`` is called after each record (callers that report
  progress from inside the transaction must write it elsewhere, e.g. the cache).
* Streaming and batching: ``rows`` are read as they come and grouped by record
  ``chunk_records`` (500) records at a time; a record's rows that come back after its
  chunk was saved form a record of a later chunk (an existing one by then). Each chunk is
  one batch of the ordinary services (:mod:`trial.services.batch`): its participants are
  locked and read with their allocations, visits, form instances and data rows in one
  query each; the database state is read once per chunk; the audit rows its saves write
  are collected and bulk-written at the end of the chunk, inside the call's transaction.
  The rules are the services' own: no check is done twice or differently.
  ``keep_changes=False`` keeps only the counts of the changes (``result.counts``), so a
  large call holds one chunk of rows at a time. The dictionary, field map and form classes
  are built once per call.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.apps import apps
from django.db import transaction
from django.http import QueryDict
from django.utils.translation import gettext as _

from api.formats import raw_value
from api.live_dictionary import TIMING, live_project
from api.project import ENROLMENT, RECORD_ID, Field, Instrument, Project, checkbox_name
from trial.blinding import BlindingPolicy
from trial.exceptions import TrialError
from trial.forms.crfs import NA_PREFIX, na_name
from trial.forms.registry import form_class_for
from trial.models import (
    Allocation,
    AnchorDate,
    FormInstance,
    Participant,
    Site,
    SystemReason,
    Visit,
)
from trial.permissions import is_blinded, may_import
from trial.protocol import FormDef, Protocol, get_protocol
from trial.selectors.anchors import participant_anchor_dates
from trial.services.anchors import anchor_audit_key
from trial.services.audit import audit_origin
from trial.services.batch import Batch, current_batch, write_batch
from trial.services.crfs import crf_save_step
from trial.services.participants import participant_register_step, participant_set_dates_step

DATE_FORMATS = ("YMD", "MDY", "DMY")
EVENT = "redcap_event_name"
REPEAT_INSTRUMENT = "redcap_repeat_instrument"
REPEAT_INSTANCE = "redcap_repeat_instance"
META = {EVENT, REPEAT_INSTRUMENT, REPEAT_INSTANCE, "redcap_data_access_group"}
DONE = {"2": True, "1": False, "0": False}
_DATE = re.compile(r"^(\d{1,4})[-/.](\d{1,2})[-/.](\d{1,4})(.*)$")
Created, Changed, Unchanged = "created", "changed", "unchanged"
CHUNK_RECORDS = 500  # records read, prefetched and audited at once
FI = FormInstance.Status


@dataclass(frozen=True)
class ImportOrigin:
    """Where an import comes from, named on every audit row it writes."""

    call: str  # "api" or "page" (the import page), or a job id
    token_hint: str = ""  # last characters of the API token
    file_sha256: str = ""  # checksum of an uploaded file
    file_name: str = ""

    def label(self, user: Any) -> str:
        parts = [f"import {self.call}", f"user {user.get_username()}"]
        if self.token_hint:
            parts.append(f"token …{self.token_hint}")
        if self.file_name:
            parts.append(f"file {self.file_name}")
        if self.file_sha256:
            parts.append(f"sha256 {self.file_sha256}")
        return "; ".join(parts)


@dataclass(frozen=True)
class ImportOptions:
    kind: str = "flat"  # flat | eav
    overwrite: bool = False  # REDCap overwriteBehavior=overwrite
    date_format: str = "YMD"  # YMD | MDY | DMY
    accept_warnings: bool = False  # save over soft edit checks, opening a query each
    reason: str = ""  # reason for changing complete forms (and for accepted warnings)


@dataclass(frozen=True)
class RowError:
    """One problem, REDCap's error shape: record, event, field, value, message."""

    record: str
    event: str
    field: str
    value: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {
            "record": self.record,
            "redcap_event_name": self.event,
            "field_name": self.field,
            "value": self.value,
            "message": self.message,
        }


@dataclass(frozen=True)
class FormChange:
    """What the call does to one form (or to the record itself: ``form`` "enrolment")."""

    record: str
    event: str
    form: str
    instance: int | None  # repeat instance of a log form
    action: str  # created | changed | unchanged
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)


@dataclass
class ImportResult:
    errors: list[RowError] = field(default_factory=list)
    changes: list[FormChange] = field(default_factory=list)  # empty unless keep_changes
    records: list[str] = field(default_factory=list)  # records created or changed
    rows: int = 0
    committed: bool = False
    keep_changes: bool = True
    counts: dict[str, int] = field(default_factory=dict)  # "<form>:<action>" -> forms
    created_records: list[str] = field(default_factory=list)

    def add(self, change: FormChange) -> None:
        """Count a change; keep it (with its old -> new values) only when asked to."""
        key = f"{change.form}:{change.action}"
        self.counts[key] = self.counts.get(key, 0) + 1
        if change.form == ENROLMENT and change.action == Created:
            self.created_records.append(change.record)
        if self.keep_changes:
            self.changes.append(change)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def count(self) -> int:
        """REDCap's ``returnContent=count``: records created or changed."""
        return len(self.records)

    def created(self) -> list[str]:
        return list(self.created_records)


class ImportRefused(Exception):
    """The call itself is not allowed (no right to import, read-only token, bad option)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class _Target:
    """One form's cells of one row: the unit saved by ``crf_save_step``."""

    event: str
    instrument: Instrument
    instance_no: int | None
    cells: dict[str, str]  # export column -> raw value
    complete: str | None


@dataclass
class _Chunk:
    """What a chunk of records reads at once (the importer's per-chunk cache)."""

    people: dict[str, Participant] = field(default_factory=dict)  # by trial id
    arms: dict[str, str] = field(default_factory=dict)  # by trial id
    visits: dict[int, dict[str, Visit]] = field(default_factory=dict)  # by participant pk
    instances: dict[int, dict[tuple, FormInstance]] = field(default_factory=dict)
    data_rows: dict[int, Any] = field(default_factory=dict)  # by form instance pk


@dataclass
class _Record:
    record: str
    enrolment: dict[str, str] = field(default_factory=dict)
    targets: list[_Target] = field(default_factory=list)
    rows: int = 0


class _Dictionary:
    """The user's REDCap project, looked up by export column, built once per call."""

    def __init__(self, protocol: Protocol, blinded: bool) -> None:
        self.protocol, self.blinded = protocol, blinded
        self.project: Project = live_project(protocol, blinded=blinded)
        self.policy = BlindingPolicy(protocol, blinded)
        self.columns: dict[str, tuple[Instrument, Field | None]] = {}
        self.checkboxes: dict[str, tuple[Instrument, Field]] = {}  # by the field's own name
        for instrument in self.project.instruments:
            for f in instrument.fields:
                if f.field_type == "checkbox":
                    self.checkboxes[f.name] = (instrument, f)
                for name in f.export_names():
                    self.columns[name] = (instrument, f)
            self.columns[instrument.complete_field] = (instrument, None)
        self.events = {e.unique_name: e for e in self.project.events}
        self.hidden: set[str] = set()
        self.hidden_events: set[str] = set()
        if blinded:  # what the unblinded dictionary has and this user's lacks
            full = live_project(protocol, blinded=False)
            self.hidden = {
                n for i in full.instruments for f in i.fields for n in f.export_names()
            } - set(self.columns)
            self.hidden |= {i.complete_field for i in full.instruments} - set(self.columns)
            self.hidden_events = {e.unique_name for e in full.events} - set(self.events)
        self.form_classes: dict[str, Any] = {}
        self.models: dict[str, Any] = {}

    def form_class(self, formdef: FormDef) -> Any:
        if formdef.code not in self.form_classes:
            self.form_classes[formdef.code] = form_class_for(formdef.model)
            self.models[formdef.code] = apps.get_model(formdef.model)
        return self.form_classes[formdef.code]


def _computed(f: Field) -> bool:
    """Scores and visit timing are computed on save, never imported."""
    return f.field_type == "calc" or f.source.startswith((TIMING, "scores."))


def _is_blank(value: Any) -> bool:
    return value is None or str(value).strip() == ""


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def iso_date(value: str, date_format: str) -> str:
    """Return a date (or date and time) given in ``date_format`` as ``YYYY-MM-DD[ time]``;
    anything unreadable comes back unchanged for the form to refuse."""
    match = _DATE.match(value.strip())
    if not match or date_format == "YMD":
        return value.strip()
    a, b, c, rest = match.groups()
    month, day = (a, b) if date_format == "MDY" else (b, a)
    return f"{c.zfill(4)}-{month.zfill(2)}-{day.zfill(2)}{rest}"


def _eav_to_flat(rows: Iterable[dict[str, Any]]) -> Iterable[dict[str, str]]:
    merged: dict[tuple[str, ...], dict[str, str]] = {}
    for row in rows:
        key = (
            _text(row.get("record")),
            _text(row.get(EVENT)),
            _text(row.get(REPEAT_INSTRUMENT)),
            _text(row.get(REPEAT_INSTANCE)),
        )
        flat = merged.setdefault(
            key,
            {RECORD_ID: key[0], EVENT: key[1], REPEAT_INSTRUMENT: key[2], REPEAT_INSTANCE: key[3]},
        )
        name, value = _text(row.get("field_name")), _text(row.get("value"))
        flat.setdefault("__eav__", "")
        if name in flat and name != RECORD_ID:
            flat[name] += "\n" + value  # several ticked codes of one checkbox
        else:
            flat[name] = value
    return merged.values()


class _Importer:
    def __init__(self, protocol: Protocol, user: Any, options: ImportOptions) -> None:
        self.protocol, self.user, self.options = protocol, user, options
        self.dictionary = _Dictionary(protocol, is_blinded(user, protocol.code))
        self.result = ImportResult()
        self.current = ""  # the record being saved
        self.sites: dict[str, Site] | None = None  # read once, when a record is new
        self.cache = _Chunk()

    # ---- reading rows -------------------------------------------------------------------
    def error(self, record: str, event: str, name: str, value: Any, message: Any) -> None:
        self.result.errors.append(RowError(record, event, name, _text(value), str(message)))

    def group(self, rows: Iterable[dict[str, Any]], size: int) -> Iterator[list[_Record]]:
        """Yield the rows grouped by record, ``size`` records at a time, as they are read.

        A record's rows are grouped within a chunk; rows of a record that come back after
        its chunk was yielded form a later chunk's record (then an existing one).
        """
        if self.options.kind == "eav":
            rows = _eav_to_flat(rows)
        records: dict[str, _Record] = {}
        for row in rows:
            record = _text(row.get(RECORD_ID)).strip()
            if record and record not in records and len(records) >= size:
                yield list(records.values())
                records = {}
            self._add_row(records, record, row)
        if records:
            yield list(records.values())

    def _add_row(self, records: dict[str, _Record], record: str, row: dict[str, Any]) -> None:
        d = self.dictionary
        self.result.rows += 1
        eav = "__eav__" in row
        event = _text(row.get(EVENT)).strip() or d.project.events[0].unique_name
        if not record:
            self.error("", event, RECORD_ID, "", _("Every row needs a record id."))
            return
        item = records.setdefault(record, _Record(record))
        item.rows += 1
        if event not in d.events:
            self.error(record, event, EVENT, event, self._unknown(event, d.hidden_events))
            return
        repeat = _text(row.get(REPEAT_INSTRUMENT)).strip()
        per_form: dict[str, dict[str, str]] = {}
        for column, raw in row.items():
            value = _text(raw)
            if column in META or column in (RECORD_ID, "__eav__"):
                continue
            if eav and (found := d.checkboxes.get(column)):  # eav: value is a ticked code
                for code in filter(None, value.split("\n")):
                    name = checkbox_name(column, code)
                    if name in d.columns:
                        per_form.setdefault(found[0].name, {})[name] = "1"
                    else:
                        self.error(record, event, column, code, self._unknown(name, set()))
                continue
            if column not in d.columns:
                self.error(record, event, column, value, self._unknown(column, d.hidden))
                continue
            instrument, f = d.columns[column]
            if f is not None and _computed(f):
                continue  # scores and timing are computed on save, never imported
            per_form.setdefault(instrument.name, {})[column] = value
        for form, cells in per_form.items():
            self._target(item, event, repeat, row, form, cells)

    @staticmethod
    def _unknown(name: str, hidden: set[str]) -> str:
        if name in hidden:
            return _("This could reveal the allocation: blinded users cannot import it.")
        return _("This is not in the project's data dictionary.")

    def _target(
        self, item: _Record, event: str, repeat: str, row: dict, form: str, cells: dict
    ) -> None:
        d = self.dictionary
        instrument = d.project.instrument(form)
        complete = cells.pop(instrument.complete_field, None)
        if form == ENROLMENT:
            item.enrolment.update({k: v for k, v in cells.items() if not _is_blank(v)})
            return
        if all(_is_blank(v) for v in cells.values()) and _is_blank(complete):
            return  # nothing for this form in this row
        if form not in d.events[event].forms:
            self.error(
                item.record,
                event,
                instrument.complete_field,
                "",
                _("The form %(form)s is not collected at this event.") % {"form": form},
            )
            return
        number = None
        if instrument.repeating:
            raw = _text(row.get(REPEAT_INSTANCE)).strip() or "1"
            if repeat not in ("", form) or not raw.isdigit() or int(raw) < 1:
                self.error(
                    item.record,
                    event,
                    REPEAT_INSTANCE,
                    raw,
                    _("A repeating form needs its instrument name and an instance number."),
                )
                return
            number = int(raw)
        item.targets.append(_Target(event, instrument, number, cells, complete))

    # ---- writing --------------------------------------------------------------------------
    def run(
        self,
        chunks: Iterable[list[_Record]],
        progress: Callable[[int, int], None] | None,
        total: int | None = None,
    ) -> None:
        """Save the records chunk by chunk, each chunk one batch of the ordinary services
        (:mod:`trial.services.batch`): its participants locked and read with their
        allocations, visits, form instances and data rows in one query each, its audit rows
        written at once."""
        done = 0
        for records in chunks:
            with write_batch() as batch:
                self._prefetch(records, batch)
                for item in records:
                    self._record(item)
                    done += item.rows
                    if progress is not None:
                        progress(done, max(total or 0, self.result.rows))
            self.cache = _Chunk()  # nothing of a chunk is kept once it is written

    def _prefetch(self, records: list[_Record], batch: Batch) -> None:
        chunk = self.cache = _Chunk()
        people = (
            Participant.objects.filter(
                protocol_code=self.protocol.code, trial_id__in=[r.record for r in records]
            )
            .select_related("site")
            .select_for_update(of=("self",))
            .order_by("pk")
        )
        chunk.people = {p.trial_id: p for p in people}
        chunk.arms = dict(
            Allocation.objects.filter(participant__in=chunk.people.values()).values_list(
                "participant__trial_id", "arm"
            )
        )
        batch.arms.update({r.record: chunk.arms.get(r.record) for r in records})
        pks = [p.pk for p in chunk.people.values()]
        if not pks or not any(r.targets for r in records):
            return
        for visit in Visit.objects.filter(participant_id__in=pks):
            chunk.visits.setdefault(visit.participant_id, {})[visit.code] = visit
        codes = {t.instrument.name for r in records for t in r.targets}
        instances = FormInstance.objects.filter(
            participant_id__in=pks, form_code__in=codes, is_voided=False
        )
        by_form: dict[str, list[int]] = {}
        for i in instances:
            chunk.instances.setdefault(i.participant_id, {})[(i.visit_id, i.form_code, i.seq)] = i
            by_form.setdefault(i.form_code, []).append(i.pk)
        for code, ids in by_form.items():
            self.dictionary.form_class(self.protocol.form(code))
            model = self.dictionary.models[code]
            chunk.data_rows.update({row.instance_id: row for row in model.objects.filter(
                instance_id__in=ids)})  # fmt: skip

    def _record(self, item: _Record) -> None:
        chunk = self.cache
        self.current = item.record
        before = len(self.result.errors)
        existing = chunk.people.get(item.record)
        participant = self._participant(item, existing, chunk.arms)
        if participant is not None:
            changed = self._forms(item, participant, chunk.arms.get(item.record))
            if (changed or existing is None) and len(self.result.errors) == before:
                self.result.records.append(item.record)

    def _participant(
        self, item: _Record, person: Participant | None, arms: dict[str, str]
    ) -> Participant | None:
        values, record, first = item.enrolment, item.record, self.dictionary.project.events[0]
        event = first.unique_name
        for name in ("arm", "status"):
            stored = (
                arms.get(record) if name == "arm" else (person.status if person else "screening")
            )
            if name in values and values[name] != (stored or ""):
                message = (
                    _(
                        "Allocations are never imported through the record call: "
                        "participants are randomized in the system."
                    )
                    if name == "arm"
                    else _(
                        "The participant's status follows the trial's steps (eligibility, "
                        "randomization, end of follow-up) and cannot be imported."
                    )
                )
                self.error(record, event, name, values[name], message)
        if person is None:
            return self._register(item, event)
        if not may_import(self.user, self.protocol.code, site=person.site):
            self.error(
                record, event, RECORD_ID, record, _("You may not enter data for this record.")
            )
            return None
        if "site" in values and values["site"] != person.site.code:
            self.error(
                record, event, "site", values["site"], _("A record's site cannot be changed.")
            )
        day = self._date(record, event, "screening_date", values)
        if day is not None and day != person.screening_date:
            self.error(
                record,
                event,
                "screening_date",
                values["screening_date"],
                _("The screening date cannot be changed by an import."),
            )
        current = participant_anchor_dates(person)
        for anchor in self.protocol.registration_anchors:
            name = anchor_audit_key(anchor.code)
            day = self._date(record, event, name, values)
            if day is None or day == current.get(anchor.code):
                continue
            old = current.get(anchor.code)
            if not anchor.entered:
                message = _("This date is recorded by the system and cannot be imported.")
                self.error(record, event, name, values[name], message)
                continue
            if self._save(
                record,
                event,
                name,
                values[name],
                lambda name=name, day=day: participant_set_dates_step(
                    actor=self.user,
                    participant=person,
                    reason=self.options.reason,
                    source=AnchorDate.Source.IMPORT,
                    **{name: day},
                ),
            ):
                self.result.add(
                    FormChange(record, event, ENROLMENT, None, Changed, {name: (old, day)})
                )
                person.refresh_from_db()
        return person

    def _date(self, record: str, event: str, name: str, values: dict) -> date | None:
        if name not in values:
            return None
        text = iso_date(values[name], self.options.date_format)
        try:
            return date.fromisoformat(text)
        except ValueError:
            self.error(record, event, name, values[name], _("Enter a valid date."))
            return None

    def _register(self, item: _Record, event: str) -> Participant | None:
        record, values = item.record, item.enrolment
        parsed = self.protocol.parse_participant_id(record)
        if self.sites is None:
            self.sites = {s.code: s for s in Site.objects.order_by("code")}
        site = self.sites.get(parsed[0]) if parsed else None
        if parsed is None or site is None:
            example = self.protocol.participant_id(next(iter(self.sites), "S01"), 1)
            self.error(
                record,
                event,
                RECORD_ID,
                record,
                _("A new record's id must be a site code and a number, e.g. %(example)s.")
                % {"example": example},
            )
            return None
        if "site" in values and values["site"] != site.code:
            self.error(
                record,
                event,
                "site",
                values["site"],
                _("The site does not match the record id."),
            )
            return None
        if not may_import(self.user, self.protocol.code, site=site):
            self.error(record, event, RECORD_ID, record, _("You may not enter data at this site."))
            return None
        screening = self._date(record, event, "screening_date", values)
        # the registration's date: the anchors it dates are one day (the first one given)
        registered = [
            self._date(record, event, anchor_audit_key(a.code), values)
            for a in self.protocol.registration_anchors
        ]
        registration = next((day for day in registered if day is not None), None)
        if screening is None:
            if "screening_date" not in values:
                self.error(
                    record,
                    event,
                    "screening_date",
                    "",
                    _("A new record needs its screening date."),
                )
            return None
        person = None

        def register() -> None:
            nonlocal person
            person = participant_register_step(
                actor=self.user,
                site=site,
                screening_date=screening,
                registration_date=registration,
                full_name="",
                protocol_code=self.protocol.code,
                site_sequence=parsed[1],
            )

        if self._save(record, event, RECORD_ID, record, register):
            changes = {
                "screening_date": (None, screening),
                **{
                    anchor_audit_key(a.code): (None, registration)
                    for a in self.protocol.registration_anchors
                },
            }
            self.result.add(FormChange(record, event, ENROLMENT, None, Created, changes))
        return person

    def _save(self, record: str, event: str, name: str, value: Any, step: Callable) -> bool:
        """Run one service step (each is atomic: its own savepoint); a refusal becomes an
        error row, and the audit rows the step collected are dropped with its writes."""
        batch = current_batch()
        collected = len(batch.audit) if batch is not None else 0
        try:
            step()
        except TrialError as exc:
            if batch is not None:
                del batch.audit[collected:]
            self.error(record, event, name, value, exc.message)
            return False
        return True

    # ---- forms ----------------------------------------------------------------------------
    def _forms(self, item: _Record, participant: Participant, arm: str | None) -> bool:
        if not item.targets:
            return False
        d, chunk = self.dictionary, self.cache
        if participant.pk in chunk.visits or item.record in chunk.people:
            visits = chunk.visits.get(participant.pk, {})
            instances = chunk.instances.get(participant.pk, {})
        else:  # registered by this call just now: its visits are new, it has no forms
            visits = {v.code: v for v in Visit.objects.filter(participant=participant)}
            instances = {}
        changed = False
        for target in item.targets:
            formdef = self.protocol.form(target.instrument.name)
            event = d.events[target.event]
            visit = None if formdef.repeating else visits.get(event.visit)
            applicable = (
                d.policy.log_forms(arm)
                if formdef.repeating
                else (
                    d.policy.visit_forms(self.protocol.visit(event.visit), arm)
                    if visit is not None
                    else ()
                )
            )
            if formdef.code not in {f.code for f in applicable}:
                self.error(
                    item.record,
                    target.event,
                    target.instrument.complete_field,
                    "",
                    _("The form %(form)s does not apply to this participant at this event.")
                    % {"form": formdef.code},
                )
                continue
            key = (visit.pk if visit else None, formdef.code, target.instance_no or 1)
            instance = instances.get(key)
            if formdef.repeating and instance is None:
                last = max((s for (_v, c, s) in instances if c == formdef.code), default=0)
                if target.instance_no != last + 1:
                    self.error(
                        item.record,
                        target.event,
                        REPEAT_INSTANCE,
                        str(target.instance_no),
                        _("A new repeat instance must be the next number, %(n)s.")
                        % {"n": last + 1},
                    )
                    continue
            saved = self._form(item.record, target, formdef, participant, visit, instance)
            if saved is not None:
                instances[key] = saved
                changed = True
        return changed

    def _form(
        self,
        record: str,
        target: _Target,
        formdef: FormDef,
        participant: Participant,
        visit: Visit | None,
        instance: FormInstance | None,
    ) -> FormInstance | None:
        d, options = self.dictionary, self.options
        form_class = d.form_class(formdef)
        model = d.models[formdef.code]
        data_row = None
        if instance is not None:
            data_row = self.cache.data_rows.get(instance.pk)
            if data_row is None:  # saved earlier in this call (a record's rows apart)
                data_row = model.objects.get(instance=instance)
        if target.complete is not None and target.complete.strip() not in ("", *DONE):
            self.error(
                record,
                target.event,
                target.instrument.complete_field,
                target.complete,
                _("The form status must be 0, 1 or 2."),
            )
            return None
        complete = (
            DONE[target.complete.strip()]
            if target.complete and target.complete.strip()
            else (instance is not None and instance.status == FormInstance.Status.COMPLETE)
        )
        withheld = set(d.policy.hidden_fields(formdef)) | set(
            d.policy.masked_texts(formdef, instance)
        )
        data, given, same = self._form_data(target, data_row, withheld, formdef, instance)
        if given is None:
            return None
        if instance is not None and same and complete == (instance.status == FI.COMPLETE):
            self.result.add(
                FormChange(record, target.event, formdef.code, target.instance_no, Unchanged, {})
            )
            return None  # the stored form as exported: nothing to check or save
        stored = {name: getattr(data_row, name, None) for name in _answer_names(form_class)}
        data["revision"] = str(instance.revision if instance else 0)
        data["reason"] = options.reason
        form = form_class(
            data=data,
            instance=data_row,
            completing=complete,
            participant=participant,
            visit=visit,
            formdef=formdef,
        )
        form.withhold(tuple(withheld))
        names = {f.source: f.name for f in target.instrument.fields}  # model -> export name
        if not form.is_valid():
            for name, messages in form.errors.items():
                source = name.removeprefix(NA_PREFIX) if name != "__all__" else ""
                column = names.get(source, source)
                value = given.get(column, "")
                for message in messages:
                    self.error(record, target.event, column, value, message)
            return None
        warnings = form.soft_findings
        if warnings and not options.accept_warnings:
            for w in warnings:
                column = names.get(w.field or "", w.field or "")
                self.error(
                    record,
                    target.event,
                    column,
                    given.get(column, ""),
                    _("%(message)s (a warning: accept it with acceptWarnings=true and a reason)")
                    % {"message": w.message},
                )
            return None
        answers = form.answers()
        old_status = instance.status if instance is not None else None
        changes = {
            name: (stored.get(name), new)
            for name, new in answers.items()
            if stored.get(name) != new and not (data_row is None and new in (None, "", [], {}))
        }
        new_status = FormInstance.Status.COMPLETE if complete else FormInstance.Status.IN_PROGRESS
        if old_status != new_status:
            changes["status"] = (old_status, new_status)
        reason = options.reason
        if warnings and not reason.strip():
            reason = SystemReason.IMPORT_WARNINGS_ACCEPTED.value  # translated on display
        saved: FormInstance | None = None

        def save() -> None:
            nonlocal saved
            saved = crf_save_step(
                actor=self.user,
                participant=participant,
                form_code=formdef.code,
                answers=answers,
                complete=complete,
                visit=visit,
                instance=instance,
                base_revision=instance.revision if instance else None,
                reason=reason if (warnings or old_status == FormInstance.Status.COMPLETE) else "",
                check_queries=tuple((w.field or "", w.code, str(w.message)) for w in warnings),
            )

        if not self._save(record, target.event, target.instrument.complete_field, "", save):
            return None
        action = Created if instance is None else (Changed if changes else Unchanged)
        self.result.add(
            FormChange(record, target.event, formdef.code, target.instance_no, action, changes)
        )
        return saved if action != Unchanged else None

    def _form_data(
        self,
        target: _Target,
        data_row: Any,
        withheld: set[str],
        formdef: FormDef,
        instance: FormInstance | None,
    ) -> tuple[QueryDict, dict[str, str] | None, bool]:
        """Return the entry form's POST data: stored answers overlaid with the row's cells;
        the cells as given by export name (None when a cell is refused); whether the cells
        leave the stored answers as they are."""
        d, options = self.dictionary, self.options
        data = QueryDict(mutable=True)
        marked = dict(getattr(data_row, "not_answered", None) or {})
        fields = {f.source: f for f in target.instrument.fields if not _computed(f)}
        for source, f in fields.items():
            stored = getattr(data_row, source, None) if data_row is not None else None
            if f.field_type == "checkbox":
                data.setlist(source, [str(v) for v in stored or ()])
            else:
                _put(data, source, stored)
        for name, code in marked.items():
            data[na_name(name)] = code
        stored_data = data.copy()
        given: dict[str, str] = {}
        ok = True
        ticks: dict[str, dict[str, str]] = {}
        for column, value in target.cells.items():
            f = d.columns[column][1]
            if f.field_type == "checkbox":
                code = column[len(f.name) + 3 :]
                ticks.setdefault(f.source, {})[code] = value.strip()
                given[f.name] = value
                continue
            given[f.name] = value
            if f.source in withheld:
                stored = getattr(data_row, f.source, None) if data_row is not None else None
                shown = d.policy.text(formdef, instance, f.source, stored)
                if value != raw_value(shown) and not (options.overwrite is False and not value):
                    self.error(
                        self.current,
                        target.event,
                        f.name,
                        value,
                        _("Blinded users cannot change this field."),
                    )
                    ok = False
                continue
            if _is_blank(value) and not options.overwrite:
                continue
            if f.kind in ("date", "datetime"):
                value = iso_date(value, options.date_format)
            elif f.kind == "bool":
                value = {"1": "True", "0": "False"}.get(value.strip(), value)
            data[f.source] = value.strip()
            if not _is_blank(value):
                data.pop(na_name(f.source), None)  # answered now: no longer "not answered"
        for source, codes in ticks.items():
            f = fields[source]
            current = {v for v in data.getlist(source) if v}
            offered = {
                column[len(f.name) + 3 :]: code
                for code, column in zip((c for c, _l in f.choices), f.export_names(), strict=True)
            }
            for safe, tick in codes.items():
                if tick in ("", None) and not options.overwrite:
                    continue
                if tick not in ("0", "1", ""):
                    self.error(
                        self.current,
                        target.event,
                        f"{f.name}___{safe}",
                        tick,
                        _("A checkbox value must be 0 or 1."),
                    )
                    ok = False
                    continue
                code = offered.get(safe, safe)
                (current.add if tick == "1" else current.discard)(code)
            data.setlist(source, sorted(current))
        same = dict(data.lists()) == dict(stored_data.lists())
        return data, given if ok else None, same


def _answer_names(form_class: Any) -> list[str]:
    return [*form_class.answer_fields(), "not_answered"]


def _put(data: QueryDict, name: str, value: Any) -> None:
    """Write a stored value as the entry form's POST data would carry it."""
    if isinstance(value, list):
        data.setlist(name, [str(v) for v in value])
    elif isinstance(value, bool):
        data[name] = "True" if value else "False"
    else:
        data[name] = raw_value(value)


def import_records(
    *,
    protocol_code: str,
    user: Any,
    rows: Iterable[dict[str, Any]],
    options: ImportOptions | None = None,
    origin: ImportOrigin,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
    total_rows: int | None = None,
    keep_changes: bool = True,
    chunk_records: int = CHUNK_RECORDS,
) -> ImportResult:
    """Validate and save ``rows`` in one transaction (see the module docstring).

    Returns the result; ``committed`` is True only when every row was accepted and this
    is not a dry run. Raises :class:`ImportRefused` when the user may not import at all.
    ``rows`` are read as they come, ``chunk_records`` records at a time; ``total_rows``
    (when known) is the total passed to ``progress``; ``keep_changes`` False keeps only
    the counts of the changes (``result.counts``), not every old -> new value.
    """
    options = options or ImportOptions()
    if options.kind not in ("flat", "eav") or options.date_format not in DATE_FORMATS:
        raise ImportRefused(_("Unknown import type or date format."))
    if not may_import(user, protocol_code):
        raise ImportRefused(_("You do not have permission to import data."))
    importer = _Importer(get_protocol(protocol_code), user, options)
    importer.result.keep_changes = keep_changes
    with audit_origin(origin.label(user)), transaction.atomic():
        importer.run(importer.group(rows, chunk_records), progress, total_rows)
        result = importer.result
        if result.errors or dry_run:
            transaction.set_rollback(True)
        else:
            result.committed = True
    return result
