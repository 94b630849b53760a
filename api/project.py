"""The REDCap shape of a project: instruments, fields, events, one arm.

A REDCap project is longitudinal here: one REDCap arm (``arm_1``) whose events are the
protocol's visits (``<visit>_arm_1``). Instruments are the protocol's forms, preceded by an
``enrolment`` instrument that holds the record id (first, as REDCap requires), the site,
the status and the allocation. Repeating log forms are repeating instruments of the first
event. Blinded users get a project without the allocation field and without anything
that would reveal the arm (arm-restricted visits and forms, ``FormDef.blinded_fields``).

Nothing here names a protocol: the live dictionary is derived from ``trial.protocol``, the
CRF models' fields (labels, choices, validators) and ``scoring.INSTRUMENTS``; the release
dictionary (:mod:`api.release`) builds the same structures from a release's variables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ARM_NUM = 1
RECORD_ID = "record_id"
ENROLMENT = "enrolment"
COMPLETE_CHOICES = (("0", "Incomplete"), ("1", "Unverified"), ("2", "Complete"))


@dataclass(frozen=True, slots=True)
class Field:
    """One REDCap field. ``kind`` says how a stored value becomes a REDCap string.

    ``source`` is where the value comes from: a model attribute name, ``scores.<key>``
    for an instrument score, or a column name of a release CSV.
    """

    name: str
    form: str
    field_type: str  # text, notes, radio, yesno, checkbox, calc
    label: str
    kind: str  # text, int, decimal, date, datetime, bool, choice, checkbox, score
    source: str
    choices: tuple[tuple[str, str], ...] = ()
    validation: str = ""
    minimum: str = ""
    maximum: str = ""
    note: str = ""

    def export_names(self) -> list[str]:
        """Return the export column names (``name___code`` for each checkbox choice)."""
        if self.field_type == "checkbox":
            return [checkbox_name(self.name, code) for code, _label in self.choices]
        return [self.name]


@dataclass(frozen=True, slots=True)
class Instrument:
    name: str
    label: str
    fields: tuple[Field, ...]
    repeating: bool = False
    model: str = ""  # the CRF data model label; "" for the enrolment pseudo-form

    @property
    def complete_field(self) -> str:
        return f"{self.name}_complete"


@dataclass(frozen=True, slots=True)
class Event:
    unique_name: str
    label: str
    visit: str
    forms: tuple[str, ...]
    day_offset: int = 0
    offset_min: int = 0
    offset_max: int = 0


@dataclass(frozen=True)
class Project:
    """A protocol (or one release of it) as REDCap sees it."""

    code: str
    title: str
    instruments: tuple[Instrument, ...]
    events: tuple[Event, ...]
    blinded: bool
    release_version: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        names = [f.name for i in self.instruments for f in i.fields]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"duplicate REDCap field names: {duplicates}")

    @property
    def fields(self) -> tuple[Field, ...]:
        return tuple(f for i in self.instruments for f in i.fields)

    def instrument(self, name: str) -> Instrument:
        return next(i for i in self.instruments if i.name == name)

    def event(self, unique_name: str) -> Event:
        return next(e for e in self.events if e.unique_name == unique_name)

    def field_map(self) -> dict[str, Field]:
        return {f.name: f for f in self.fields}

    @property
    def repeating(self) -> tuple[tuple[str, str], ...]:
        """Return (event, form) of every repeating instrument."""
        return tuple(
            (e.unique_name, form)
            for e in self.events
            for form in e.forms
            if self.instrument(form).repeating
        )

    def export_columns(self, chosen: set[str] | None = None) -> list[str]:
        """Return the flat export's data columns: each chosen field's names, then the
        chosen ``<form>_complete`` columns (every column when ``chosen`` is None)."""
        out: list[str] = []
        for instrument in self.instruments:
            for f in instrument.fields:
                if chosen is None or f.name in chosen:
                    out.extend(f.export_names())
            if chosen is None or instrument.complete_field in chosen:
                out.append(instrument.complete_field)
        return out


def event_name(visit: str) -> str:
    """Return the REDCap unique event name of a visit (``<visit>_arm_1``)."""
    return f"{visit}_arm_{ARM_NUM}"


def checkbox_name(name: str, code: str) -> str:
    """Return the export name of one checkbox choice, REDCap style (``name___code``)."""
    safe = "".join(c if c.isalnum() else "_" for c in str(code).lower())
    return f"{name}___{safe}"


def choices_text(choices: tuple[tuple[str, str], ...]) -> str:
    """Return choices as REDCap writes them: ``code, Label | code, Label``."""
    return " | ".join(f"{code}, {label}" for code, label in choices)
