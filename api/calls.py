"""The export calls (REDCap ``content`` values): each returns a header and rows to render."""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.http import QueryDict
from django.utils.translation import gettext as _

from api import formats as F
from api.live_records import LiveFilter, live_rows, participant_queryset
from api.params import ParameterError, get_bool, get_choice, get_datetime, get_list
from api.project import ARM_NUM, Project, choices_text
from api.release import ReleaseSource, release_rows
from trial.models import Site

REDCAP_VERSION = "14.0.0"


@dataclass
class Context:
    """What one call may see: the project, live or release data, the token's sites."""

    data: QueryDict
    project: Project
    fmt: str
    sites: tuple[str, ...]  # site codes the token may read
    release: ReleaseSource | None = None


@dataclass
class Result:
    header: list[str]
    rows: Iterable[dict[str, Any]]
    count: int | None = None  # records exported (record calls)
    single: bool = False  # one object, not a list (project info)
    text: str | None = None  # plain-text answer (version)
    titles: list[str] | None = None  # CSV header line to show instead of the column names
    audit: dict[str, Any] = field(default_factory=dict)


def _rows(header: list[str], items: list[dict[str, Any]]) -> Result:
    return Result(header, items)


def call_version(ctx: Context) -> Result:
    return Result([], [], text=REDCAP_VERSION)


def call_project(ctx: Context) -> Result:
    p = ctx.project
    row = {
        "project_id": zlib.crc32(p.code.encode()) % 1_000_000,
        "project_title": p.title,
        "creation_time": "",
        "production_time": "",
        "in_production": 1,
        "project_language": "English",
        "purpose": 2,
        "purpose_other": "",
        "project_notes": (_("Locked release v%(v)s") % {"v": p.release_version})
        if p.release_version
        else _("Live data"),
        "custom_record_label": "",
        "secondary_unique_field": "",
        "is_longitudinal": 1,
        "has_repeating_instruments_or_events": 1 if p.repeating else 0,
        "surveys_enabled": 0,
        "scheduling_enabled": 0,
        "record_autonumbering_enabled": 0,
        "randomization_enabled": 0 if p.blinded else 1,
        "ddp_enabled": 0,
        "project_irb_number": "",
        "project_grant_number": "",
        "project_pi_firstname": "",
        "project_pi_lastname": "",
        "display_today_now_button": 1,
        "missing_data_codes": "",
        "external_modules": "",
        "bypass_branching_erase_field_prompt": 0,
    }
    return Result(list(row), [row], single=True)


METADATA_HEADER = [
    "field_name",
    "form_name",
    "section_header",
    "field_type",
    "field_label",
    "select_choices_or_calculations",
    "field_note",
    "text_validation_type_or_show_slider_number",
    "text_validation_min",
    "text_validation_max",
    "identifier",
    "branching_logic",
    "required_field",
    "custom_alignment",
    "question_number",
    "matrix_group_name",
    "matrix_ranking",
    "field_annotation",
]


def _unknown(name: str, values: list[str]) -> ParameterError:
    return ParameterError(
        _('The following values in the parameter "%(name)s" are not valid: %(values)s')
        % {"name": name, "values": ", ".join(values)}
    )


def _chosen_fields(ctx: Context, with_complete: bool) -> set[str] | None:
    """Return the field names asked for by ``fields`` and ``forms`` (None: all)."""
    p, fields, forms = ctx.project, get_list(ctx.data, "fields"), get_list(ctx.data, "forms")
    if not fields and not forms:
        return None
    names = {f.name for f in p.fields}
    complete = {i.complete_field for i in p.instruments} if with_complete else set()
    bad = [f for f in fields or () if f not in names | complete]
    if bad:
        raise _unknown("fields", bad)
    bad = [f for f in forms or () if f not in {i.name for i in p.instruments}]
    if bad:
        raise _unknown("forms", bad)
    chosen = set(fields or ())
    for form in forms or ():
        instrument = p.instrument(form)
        chosen |= {f.name for f in instrument.fields}
        if with_complete:
            chosen.add(instrument.complete_field)
    return chosen


def call_metadata(ctx: Context) -> Result:
    chosen = _chosen_fields(ctx, with_complete=False)
    rows = []
    for f in ctx.project.fields:
        if chosen is not None and f.name not in chosen:
            continue
        row = dict.fromkeys(METADATA_HEADER, "")
        row.update(
            field_name=f.name,
            form_name=f.form,
            field_type=f.field_type,
            field_label=f.label,
            field_note=f.note,
            select_choices_or_calculations=choices_text(f.choices)
            if f.field_type != "yesno"
            else "",
            text_validation_type_or_show_slider_number=f.validation,
            text_validation_min=f.minimum,
            text_validation_max=f.maximum,
        )
        rows.append(row)
    return _rows(METADATA_HEADER, rows)


def call_instrument(ctx: Context) -> Result:
    rows = [
        {"instrument_name": i.name, "instrument_label": i.label} for i in ctx.project.instruments
    ]
    return _rows(["instrument_name", "instrument_label"], rows)


def _arms_asked(ctx: Context) -> bool:
    arms = get_list(ctx.data, "arms")
    return not arms or str(ARM_NUM) in arms


def call_event(ctx: Context) -> Result:
    header = [
        "event_name",
        "arm_num",
        "unique_event_name",
        "custom_event_label",
        "event_id",
        "days_offset",
        "offset_min",
        "offset_max",
    ]
    rows = (
        [
            dict(
                zip(
                    header,
                    (
                        e.label,
                        ARM_NUM,
                        e.unique_name,
                        "",
                        n,
                        e.day_offset,
                        e.offset_min,
                        e.offset_max,
                    ),
                    strict=True,
                )
            )
            for n, e in enumerate(ctx.project.events, start=1)
        ]
        if _arms_asked(ctx)
        else []
    )
    return _rows(header, rows)


def call_arm(ctx: Context) -> Result:
    rows = [{"arm_num": ARM_NUM, "name": "Arm 1"}] if _arms_asked(ctx) else []
    return _rows(["arm_num", "name"], rows)


def call_form_event_mapping(ctx: Context) -> Result:
    rows = (
        [
            {"arm_num": ARM_NUM, "unique_event_name": e.unique_name, "form": form}
            for e in ctx.project.events
            for form in e.forms
        ]
        if _arms_asked(ctx)
        else []
    )
    return _rows(["arm_num", "unique_event_name", "form"], rows)


def call_export_field_names(ctx: Context) -> Result:
    wanted = (ctx.data.get("field") or "").strip()
    fields = ctx.project.fields
    if wanted:
        fields = tuple(f for f in fields if f.name == wanted)
        if not fields:
            raise _unknown("field", [wanted])
    rows = []
    for f in fields:
        if f.field_type == "checkbox":
            rows += [
                {"original_field_name": f.name, "choice_value": code, "export_field_name": name}
                for (code, _l), name in zip(f.choices, f.export_names(), strict=True)
            ]
        else:
            rows.append(
                {"original_field_name": f.name, "choice_value": "", "export_field_name": f.name}
            )
    return _rows(["original_field_name", "choice_value", "export_field_name"], rows)


def call_repeating(ctx: Context) -> Result:
    rows = [
        {"event_name": event, "form_name": form, "custom_form_label": ""}
        for event, form in ctx.project.repeating
    ]
    return _rows(["event_name", "form_name", "custom_form_label"], rows)


def call_dag(ctx: Context) -> Result:
    sites = Site.objects.filter(code__in=ctx.sites).order_by("code")
    rows = [
        {
            "data_access_group_name": s.name,
            "unique_group_name": s.code.lower(),
            "data_access_group_id": s.pk,
        }
        for s in sites
    ]
    return _rows(["data_access_group_name", "unique_group_name", "data_access_group_id"], rows)


def _events_asked(ctx: Context) -> set[str] | None:
    events = get_list(ctx.data, "events")
    if not events:
        return None
    known = {e.unique_name for e in ctx.project.events}
    bad = [e for e in events if e not in known]
    if bad:
        raise _unknown("events", bad)
    return set(events)


def call_record(ctx: Context) -> Result:
    p = ctx.project
    kind = get_choice(ctx.data, "type", ("flat", "eav"), "flat")
    label = get_choice(ctx.data, "rawOrLabel", ("raw", "label"), "raw") == "label"
    label_headers = get_choice(ctx.data, "rawOrLabelHeaders", ("raw", "label"), "raw") == "label"
    dag = get_bool(ctx.data, "exportDataAccessGroups")
    if (ctx.data.get("filterLogic") or "").strip():
        raise ParameterError(_("The parameter filterLogic is not supported."))
    records = get_list(ctx.data, "records") or None
    events, chosen = _events_asked(ctx), _chosen_fields(ctx, with_complete=True)
    begin, end = get_datetime(ctx.data, "dateRangeBegin"), get_datetime(ctx.data, "dateRangeEnd")
    rows, count = _record_source(ctx, records, events, begin, end)
    if kind == "eav":
        out: Iterator[dict] = (e for r in rows for e in F.eav_rows(p, r, chosen, label))
        return Result(F.EAV_HEADER, out, count)
    header = F.flat_header(p, chosen, dag)
    plan = F.flat_plan(p, chosen, label, dag)
    out = (F.flat_row(plan, r) for r in rows)
    titles = None
    if label_headers and ctx.fmt == "csv":
        labels = _header_labels(p)
        titles = [labels.get(h, h) for h in header]
    return Result(header, out, count, titles=titles)


def _header_labels(p: Project) -> dict[str, str]:
    titles = {
        "redcap_event_name": "Event Name",
        "redcap_repeat_instrument": "Repeat Instrument",
        "redcap_repeat_instance": "Repeat Instance",
        "redcap_data_access_group": "Data Access Group",
    }
    for i in p.instruments:
        titles[i.complete_field] = "Complete?"
        for f in i.fields:
            for (_code, choice), name in zip(f.choices, f.export_names(), strict=False):
                titles[name] = f"{f.label} (choice={choice})"
            if f.field_type != "checkbox":
                titles[f.name] = f.label
    return titles


def _record_source(
    ctx: Context, records: list[str] | None, events: set[str] | None, begin: Any, end: Any
) -> tuple[Iterable, int]:
    asked = set(records) if records else None
    if ctx.release is not None:
        if begin or end:
            raise ParameterError(
                _("dateRangeBegin and dateRangeEnd apply to live data only, not to a release.")
            )
        first = {ctx.project.events[0].unique_name}  # every record has a first-event row
        count = sum(1 for _row in release_rows(ctx.release, ctx.sites, asked, first))
        return release_rows(ctx.release, ctx.sites, asked, events), count
    qs = participant_queryset(
        ctx.project.code,
        LiveFilter(ctx.sites, tuple(records) if records else None, begin, end, ctx.project.blinded),
    )
    page = int(getattr(settings, "EDC_API_PAGE_SIZE", 500))
    return live_rows(ctx.project, qs, page, events), qs.count()


CALLS: dict[str, Callable[[Context], Result]] = {
    "version": call_version,
    "project": call_project,
    "metadata": call_metadata,
    "instrument": call_instrument,
    "event": call_event,
    "arm": call_arm,
    "formEventMapping": call_form_event_mapping,
    "exportFieldNames": call_export_field_names,
    "repeatingFormsEvents": call_repeating,
    "dag": call_dag,
    "record": call_record,
}
