"""REDCap values and bodies: every value a string, JSON/CSV/XML written row by row."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from api.live_records import RawRow
from api.project import COMPLETE_CHOICES, Field, Project, checkbox_name
from trial.spreadsheet import spreadsheet_text

FORMATS = ("json", "csv", "xml")
CONTENT_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xml": "text/xml; charset=utf-8",
}
YES_NO_LABELS = {"1": "Yes", "0": "No"}
COMPLETE_LABELS = dict(COMPLETE_CHOICES)
CHUNK_ROWS = 200


def raw_value(value: Any) -> str:
    """Return a stored value as REDCap writes it (dates ISO, booleans 1/0, blanks empty)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return format(value, ".10g")
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date | Decimal | int):
        return value.isoformat() if isinstance(value, date) else str(value)
    return json.dumps(value, default=str)


def _labelled(f: Field, raw: str) -> str:
    if raw == "":
        return raw
    if f.field_type == "yesno":
        return YES_NO_LABELS.get(raw, raw)
    return dict(f.choices).get(raw, raw) if f.choices else raw


def field_cells(f: Field, row: RawRow, label: bool) -> dict[str, str]:
    """Return a field's export cells in one row (a checkbox gives one cell per choice)."""
    value = row.values.get(f.name)
    if f.field_type == "checkbox":
        present = f.form in row.complete
        ticked = {str(v) for v in value} if isinstance(value, list) else set()
        out = {}
        for code, _label in f.choices:
            cell = ("1" if code in ticked else "0") if present else ""
            out[checkbox_name(f.name, code)] = (
                {"1": "Checked", "0": "Unchecked"}.get(cell, "") if label else cell
            )
        return out
    raw = raw_value(value)
    return {f.name: _labelled(f, raw) if label else raw}


def flat_header(project: Project, chosen: set[str] | None, dag: bool) -> list[str]:
    """Return the flat export's columns: record id, event, repeat and group columns, data."""
    record_id = project.fields[0].name
    head = [record_id, "redcap_event_name"]
    if project.repeating:
        head += ["redcap_repeat_instrument", "redcap_repeat_instance"]
    if dag:
        head.append("redcap_data_access_group")
    return head + [c for c in project.export_columns(chosen) if c != record_id]


@dataclass(frozen=True)
class FlatPlan:
    """What every flat row of one call holds, worked out once per call (not per row)."""

    project: Project
    record_id: str
    items: tuple[tuple[Field | None, str], ...]  # (field, "") or (None, instrument name)
    event_labels: dict[str, str]
    label: bool
    dag: bool
    repeating: bool


def flat_plan(project: Project, chosen: set[str] | None, label: bool, dag: bool) -> FlatPlan:
    record_id = project.fields[0].name
    items: list[tuple[Field | None, str]] = []
    for instrument in project.instruments:
        items += [(f, "") for f in instrument.fields
                  if f.name != record_id and (chosen is None or f.name in chosen)]  # fmt: skip
        if chosen is None or instrument.complete_field in chosen:
            items.append((None, instrument.name))
    labels = {e.unique_name: e.label for e in project.events}
    return FlatPlan(project, record_id, tuple(items), labels, label, dag,
                    bool(project.repeating))  # fmt: skip


def flat_row(plan: FlatPlan, row: RawRow) -> dict[str, str]:
    """Return one flat export row (all columns, every value a string)."""
    label = plan.label
    out = {plan.record_id: row.record,
           "redcap_event_name": plan.event_labels[row.event] if label else row.event}  # fmt: skip
    if plan.repeating:
        out["redcap_repeat_instrument"] = row.repeat_instrument
        out["redcap_repeat_instance"] = row.repeat_instance
    if plan.dag:
        out["redcap_data_access_group"] = row.dag
    for f, instrument in plan.items:
        if f is not None:
            out.update(field_cells(f, row, label))
        else:
            done = row.complete.get(instrument, "")
            out[f"{instrument}_complete"] = COMPLETE_LABELS.get(done, "") if label else done
    return out


def eav_rows(
    project: Project, row: RawRow, chosen: set[str] | None, label: bool
) -> Iterator[dict[str, str]]:
    """Yield the non-empty values of one row as REDCap EAV rows."""
    base = {
        "record": row.record,
        "redcap_event_name": row.event,
        "redcap_repeat_instrument": row.repeat_instrument,
        "redcap_repeat_instance": row.repeat_instance,
    }
    for instrument in project.instruments:
        for f in instrument.fields:
            if chosen is not None and f.name not in chosen:
                continue
            if f.field_type == "checkbox":
                value = row.values.get(f.name)
                for code in value if isinstance(value, list) else ():
                    yield {**base, "field_name": f.name, "value": str(code)}
                continue
            raw = raw_value(row.values.get(f.name))
            if raw != "":
                yield {**base, "field_name": f.name, "value": _labelled(f, raw) if label else raw}
        done = row.complete.get(instrument.name, "")
        if done and (chosen is None or instrument.complete_field in chosen):
            yield {**base, "field_name": instrument.complete_field, "value": done}


EAV_HEADER = [
    "record",
    "redcap_event_name",
    "redcap_repeat_instrument",
    "redcap_repeat_instance",
    "field_name",
    "value",
]


def _cdata(value: str) -> str:
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def render(
    fmt: str, header: list[str], rows: Iterable[dict[str, Any]], titles: list[str] | None = None
) -> Iterator[str]:
    """Yield the body of ``rows`` in ``fmt``, a few hundred rows per chunk (``titles``: the
    CSV header line, when it shows labels rather than the column names)."""
    if fmt == "json":
        yield from _json(rows)
    elif fmt == "csv":
        yield from _csv(header, rows, titles or header)
    else:
        yield from _xml(header, rows)


def _json(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    parts, first = ["["], True
    for row in rows:
        parts.append(("" if first else ",") + json.dumps(row, ensure_ascii=False))
        first = False
        if len(parts) >= CHUNK_ROWS:
            yield "".join(parts)
            parts = []
    parts.append("]")
    yield "".join(parts)


def _csv(header: list[str], rows: Iterable[dict[str, Any]], titles: list[str]) -> Iterator[str]:
    """CSV opened in a spreadsheet runs formulas: every cell is neutralised by the rule of
    every other export (``trial.spreadsheet``), so ``=HYPERLINK(...)`` comes back as text."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([spreadsheet_text(title) for title in titles])
    for n, row in enumerate(rows, start=1):
        writer.writerow([spreadsheet_text(row.get(col, "")) for col in header])
        if n % CHUNK_ROWS == 0:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


def _xml(header: list[str], rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    parts = ['<?xml version="1.0" encoding="UTF-8" ?>\n<records>\n']
    for row in rows:
        cells = "".join(f"<{k}>{_cdata(str(row.get(k, '')))}</{k}>" for k in header)
        parts.append(f"<item>{cells}</item>\n")
        if len(parts) >= CHUNK_ROWS:
            yield "".join(parts)
            parts = []
    parts.append("</records>\n")
    yield "".join(parts)
