"""A release's wide dataset (``wide.csv``) as REDCap import rows: the round trip.

The wide frame holds every captured item of the non-repeating forms under its dictionary
name (``<name>_<visit>`` for a form collected at several visits, see
``trial.protocol.dictionary``), so each participant's line splits back into one flat
REDCap row per event: ``record_id``, ``redcap_event_name``, the form fields (a list of
codes ``a;b`` becomes the checkbox columns ``name___code``) and ``<form>_complete`` = 2
(a release holds complete forms only). The enrolment row carries the site, the screening
date and the registration's anchor dates (``<anchor>_date``). Derived columns (scores, age,
timing, flow, who entered a form) are not imported: saving the forms computes them again.
The allocation (``arm``) and the participant's status are never imported through the record
call: allocations come in through the administrator's historical-allocation step
(``trial.services.historical_allocations``).

The rows go to :func:`api.imports.import_records` (the API's and the import page's
service) in two calls: first the events before randomization (:func:`wide_rows` with
``before_randomization=True``), then, once the participants are allocated, the others.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from api.imports import EVENT
from api.project import RECORD_ID, event_name
from trial.protocol import Protocol, anchor_date_name
from trial.protocol.dictionary import dictionary_of

ID_COLUMN = "participant_id"
ENROLMENT_COLUMNS = ("site", "screening_date")


def enrolment_columns(protocol: Protocol) -> tuple[str, ...]:
    """Return the enrolment row's columns: site, screening date, the registration dates."""
    return (*ENROLMENT_COLUMNS, *(anchor_date_name(a.code) for a in protocol.registration_anchors))


def _form_columns(protocol: Protocol, visit: str, form: str) -> list[tuple[str, str, str]]:
    """Return (wide column, import field, dtype) of the captured items of ``form``."""
    return [
        (v.column(visit), v.name, v.dtype)
        for v in dictionary_of(protocol).of_form(form)
        if v.captured and not v.repeating
    ]


def _cells(line: dict[str, str], columns: list[tuple[str, str, str]], codes: dict) -> dict:
    out: dict[str, str] = {}
    for column, name, dtype in columns:
        value = (line.get(column) or "").strip()
        if dtype == "list":
            ticked = {c for c in value.split(";") if c}
            out.update({f"{name}___{code}": "1" if code in ticked else "0"
                        for code in codes[name]})  # fmt: skip
        else:
            out[name] = value
    return out


def wide_rows(
    protocol: Protocol, lines: Iterable[dict[str, str]], *, before_randomization: bool
) -> Iterator[dict[str, str]]:
    """Yield REDCap flat import rows from wide lines: the enrolment and the events before
    randomization, or (``before_randomization`` False) every other event. A form with no
    value in the line is left out (it was not complete when the release was cut)."""
    codes = {v.name: [c.code for c in v.codes] for v in dictionary_of(protocol) if v.codes}
    visits = [v for v in protocol.visits if v.before_randomization == before_randomization]
    logs = set(protocol.logs)
    enrolment = enrolment_columns(protocol)
    for line in lines:
        record = line[ID_COLUMN]
        for index, visit in enumerate(visits):
            row = {RECORD_ID: record, EVENT: event_name(visit.code)}
            if before_randomization and index == 0:
                row.update({name: line.get(name, "") for name in enrolment})
            for form in visit.forms:
                if form in logs or protocol.form(form).repeating:
                    continue
                columns = _form_columns(protocol, visit.code, form)
                if not any((line.get(column) or "").strip() for column, _n, _d in columns):
                    continue
                row.update(_cells(line, columns, codes))
                row[f"{form}_complete"] = "2"
            if len(row) > 2:
                yield row
