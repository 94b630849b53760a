"""Release mode: a locked release's wide CSV served as a REDCap project, row by row.

The dictionary comes from the release's variables (``analysis.releases.frames``): each
per-visit column ``<measure>_<visit>`` becomes the field ``<measure>`` at the event of its
visit; every other column becomes a field of its source form at the first event that
collects that form; identity and flow columns sit on the enrolment instrument with the
record id first. Values are the CSV's strings, unchanged. Blinded users read the blinded
variant (masked arm, arm-revealing columns removed by the release builder).
"""

from __future__ import annotations

import csv
import string
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from analysis.models import DatasetRelease
from analysis.releases.frames import SUBJECT_FORM, Variable, arm_codes, release_variables
from api.live_records import RawRow
from api.project import ENROLMENT, RECORD_ID, Event, Field, Instrument, Project, event_name
from trial.protocol import Protocol

ID_COLUMN = "participant_id"
TYPES = {
    "float": ("text", "decimal", "number"),
    "bool": ("yesno", "bool", ""),
    "list": ("text", "text", ""),
    "str": ("text", "text", ""),
}


@dataclass(frozen=True)
class ReleaseSource:
    """A ready release's CSV of one variant and the column behind each (event, field)."""

    release: DatasetRelease
    variant: str
    path: Path
    project: Project
    columns: dict[tuple[str, str], str]  # (event, field) -> CSV column


def release_csv_path(release: DatasetRelease, variant: str) -> Path:
    return Path(settings.MEDIA_ROOT) / release.folder / variant / "wide.csv"


def _header(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as fh:
        return next(csv.reader(fh), [])


def _field(name: str, form: str, var: Variable) -> Field:
    field_type, kind, validation = TYPES.get(var.dtype, TYPES["str"])
    if var.codes and var.dtype != "bool":
        field_type, kind = "radio", "choice"
    label = var.label.split(" at visit ")[0]
    return Field(name, form, field_type, label, kind, var.name, var.codes, validation)


def _event_of(var: Variable, protocol: Protocol, visits: list[str]) -> str:
    if var.visit:
        return var.visit
    if var.form != SUBJECT_FORM:
        for visit in protocol.visits:
            if var.form in visit.forms and visit.code in visits:
                return visit.code
    return visits[0]


def release_project(release: DatasetRelease, protocol: Protocol, variant: str) -> ReleaseSource:
    """Return the REDCap project of one variant of a ready release."""
    path = release_csv_path(release, variant)
    present = set(_header(path))
    arms = arm_codes(protocol)
    if variant == "blinded":
        arms = tuple((c, f"Arm {c}") for c in string.ascii_uppercase[: len(protocol.arms)])
    variables = [
        v for v in release_variables(protocol, arms) if v.frame == "wide" and v.name in present
    ]
    visits = [v.code for v in protocol.visits]
    fields: dict[str, dict[str, Field]] = {ENROLMENT: {}}
    columns: dict[tuple[str, str], str] = {}
    forms_at: dict[str, list[str]] = {v: [] for v in visits}
    for var in variables:
        form = ENROLMENT if var.form == SUBJECT_FORM else var.form
        name = RECORD_ID if var.name == ID_COLUMN else (var.item or var.name)
        fields.setdefault(form, {}).setdefault(name, _field(name, form, var))
        visit = _event_of(var, protocol, visits)
        columns[(event_name(visit), name)] = var.name
        if form not in forms_at[visit]:
            forms_at[visit].append(form)
    forms_at[visits[0]] = [ENROLMENT] + [f for f in forms_at[visits[0]] if f != ENROLMENT]
    labels = {f.code: str(f.label) for f in protocol.forms}
    instruments = tuple(
        Instrument(form, labels.get(form, form.title()), tuple(fs.values()))
        for form, fs in fields.items()
        if fs
    )
    events = tuple(
        Event(
            event_name(v.code),
            str(v.label),
            v.code,
            tuple(forms_at[v.code]),
            v.target_day,
            v.window_before,
            v.window_after,
        )
        for v in protocol.visits
        if forms_at[v.code]
    )
    project = Project(
        protocol.code,
        f"{protocol.title} — release v{release.version}",
        instruments,
        events,
        variant == "blinded",
        release.version,
    )
    return ReleaseSource(release, variant, path, project, columns)


def release_rows(
    source: ReleaseSource,
    sites: tuple[str, ...] | None,
    records: set[str] | None,
    events: set[str] | None,
) -> Iterator[RawRow]:
    """Yield one raw row per participant × event with data, reading the CSV line by line."""
    project = source.project
    with source.path.open(encoding="utf-8", newline="") as fh:
        for line in csv.DictReader(fh):
            if records is not None and line[ID_COLUMN] not in records:
                continue
            if sites is not None and line.get("site", "") not in sites:
                continue
            for index, event in enumerate(project.events):
                if events is not None and event.unique_name not in events:
                    continue
                row = RawRow(line[ID_COLUMN], event.unique_name, line.get("site", "").lower())
                for form in event.forms:
                    names = [f.name for f in project.instrument(form).fields]
                    got = {
                        n: line[source.columns[(event.unique_name, n)]]
                        for n in names
                        if (event.unique_name, n) in source.columns
                    }
                    row.values.update(got)
                    row.complete[form] = "2" if any(v != "" for v in got.values()) else "0"
                if index == 0 or any(v != "" for v in row.values.values()):
                    yield row
