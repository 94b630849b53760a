"""The live project's data dictionary, derived from the protocol and the CRF models.

Every answer column of a form's data model becomes a field named as the protocol's
variable dictionary names it (``trial.protocol.dictionary``: the release's names): its
verbose name is the label,
its choices (or those the form's entry form offers, e.g. the protocol's complication
codes) the choices, its validators the minimum and maximum. A form scored by a ``scoring``
instrument gets one calculated field per score key (``<form>_<key>``). Labels are in the
active language.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from django.apps import apps
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from analysis.datasets.columns import source_column
from analysis.releases.frames import source_codes
from api.project import ENROLMENT, RECORD_ID, Event, Field, Instrument, Project, event_name
from scoring import INSTRUMENTS
from trial.blinding import BlindingPolicy
from trial.forms.registry import form_class_for
from trial.models import Participant
from trial.protocol import FormDef, Protocol, anchor_date_name
from trial.protocol.dictionary import dictionary_of

SKIP = ("instance", "scores", "scorer_version", "not_answered")
TIMING = "timing."  # source prefix of the computed timing fields (days from anchor, in window)
ENTRY = "entry."  # source prefix of facts about the entry itself (who entered it)


def _bounds(db_field: models.Field) -> tuple[str, str]:
    low = high = ""
    for v in db_field.validators:
        if isinstance(v, MinValueValidator):
            low = str(v.limit_value)
        elif isinstance(v, MaxValueValidator):
            high = str(v.limit_value)
    return low, high


def _choices(choices: Any) -> tuple[tuple[str, str], ...]:
    return tuple((str(code), str(label)) for code, label in choices if code not in ("", None))


def _field(form: str, db_field: models.Field, name: str, offered: Any) -> Field:
    label, note = capfirst(str(db_field.verbose_name)), str(db_field.help_text or "")
    common = {"name": name, "form": form, "label": label, "source": db_field.attname, "note": note}
    if isinstance(db_field, models.BooleanField):
        return Field(field_type="yesno", kind="bool", **common)
    if isinstance(db_field, models.JSONField):
        if offered:
            return Field(field_type="checkbox", kind="checkbox", choices=offered, **common)
        return Field(field_type="notes", kind="text", **common)
    if db_field.choices:
        return Field(
            field_type="radio", kind="choice", choices=_choices(db_field.choices), **common
        )
    low, high = _bounds(db_field)
    if isinstance(db_field, models.DateTimeField):
        return Field(field_type="text", kind="datetime", validation="datetime_ymd", **common)
    if isinstance(db_field, models.DateField):
        return Field(field_type="text", kind="date", validation="date_ymd", **common)
    if isinstance(db_field, models.DecimalField | models.FloatField):
        return Field(
            field_type="text",
            kind="decimal",
            validation="number",
            minimum=low,
            maximum=high,
            **common,
        )
    if isinstance(db_field, models.IntegerField):
        return Field(
            field_type="text", kind="int", validation="integer", minimum=low, maximum=high, **common
        )
    if isinstance(db_field, models.TextField):
        return Field(field_type="notes", kind="text", **common)
    return Field(field_type="text", kind="text", **common)


def _offered_choices(formdef: FormDef, protocol: Protocol) -> dict[str, tuple]:
    """Return the choices the entry form offers per field (protocol code lists included)."""
    form = form_class_for(formdef.model)(participant=SimpleNamespace(protocol_code=protocol.code))
    return {
        name: _choices(getattr(f, "choices", ()) or ())
        for name, f in form.fields.items()
        if getattr(f, "choices", None)
    }


def _form_fields(formdef: FormDef, protocol: Protocol, taken: set[str], blinded: bool) -> list:
    """Return the form's fields, named as the protocol's variable dictionary names them."""
    model = apps.get_model(formdef.model)
    offered = _offered_choices(formdef, protocol)
    dictionary = dictionary_of(protocol)
    hidden = BlindingPolicy(protocol, blinded).hidden_fields(formdef)
    out = []
    for db_field in model._meta.concrete_fields:
        if db_field.name in SKIP or db_field.name in hidden:
            continue
        name = dictionary.name_of(formdef.code, db_field.attname)
        if name in taken:
            raise ValueError(f"field {name} clashes with another field")
        out.append(_field(formdef.code, db_field, name, offered.get(db_field.name)))
        taken.add(name)
    if formdef.instrument:
        out += _score_fields(formdef, protocol, taken)
    if not formdef.repeating:
        out += _timing_fields(formdef, taken)
        out.append(_source_field(formdef, taken))
    return out


def _source_field(formdef: FormDef, taken: set[str]) -> Field:
    """Return ``<form>_source``: who entered the form (staff, the participant through ePRO,
    or an ePRO entry marked invalid): the same field and codes as the release's."""
    name = source_column(formdef.code)
    if name in taken:
        raise ValueError(f"source field {name} clashes with another field")
    taken.add(name)
    return Field(
        name=name,
        form=formdef.code,
        field_type="radio",
        kind="choice",
        label=_("Entered by"),
        source=f"{ENTRY}source",
        choices=source_codes(),
        note=_("staff: site staff; epro: the participant (ePRO); epro_invalid: marked invalid"),
    )


def _timing_fields(formdef: FormDef, taken: set[str]) -> list[Field]:
    """Return the form's days from its visit's anchor event and whether it lies in the
    visit's window (computed from the protocol and the form's own date)."""
    note = _("Computed from the form's date (%(field)s) and the protocol's visit window") % {
        "field": formdef.date_field
    }
    fields = [
        Field(
            name=f"{formdef.code}_days_from_anchor",
            form=formdef.code,
            field_type="calc",
            kind="int",
            label=_("Days from the visit's anchor event"),
            source=f"{TIMING}days_from_anchor",
            note=note,
        ),
        Field(
            name=f"{formdef.code}_in_window",
            form=formdef.code,
            field_type="yesno",
            kind="bool",
            label=_("Dated inside the visit window"),
            source=f"{TIMING}in_window",
            note=note,
        ),
    ]
    for f in fields:
        if f.name in taken:
            raise ValueError(f"timing field {f.name} clashes with another field")
        taken.add(f.name)
    return fields


def _score_fields(formdef: FormDef, protocol: Protocol, taken: set[str]) -> list[Field]:
    """Return calculated fields for the scores stored with a form, one per score of the
    protocol's variable dictionary (``<form>_score_<key>`` unless the protocol names it,
    ``<item>_score_<key>`` when each answer column is scored on its own)."""
    instrument = INSTRUMENTS[formdef.instrument]
    note = _("Computed on save by scorer %(name)s %(version)s") % {
        "name": instrument.name,
        "version": instrument.version,
    }
    out = []
    for var in dictionary_of(protocol).of_form(formdef.code):
        if var.captured:
            continue
        if var.name in taken:
            raise ValueError(f"score field {var.name} clashes with another field")
        out.append(
            Field(
                name=var.name,
                form=formdef.code,
                field_type="calc",
                kind="score",
                label=str(var.label),
                source=var.source,
                note=note,
            )
        )
        taken.add(var.name)
    return out


def _enrolment(protocol: Protocol, blinded: bool) -> Instrument:
    status = _choices(Participant.Status.choices)
    arms = tuple((a.code, str(a.label)) for a in protocol.arms)
    fields = [
        Field(RECORD_ID, ENROLMENT, "text", _("Record ID (trial id)"), "text", "trial_id"),
        Field("site", ENROLMENT, "text", _("Site"), "text", "site__code"),
        Field("status", ENROLMENT, "radio", _("Participant status"), "choice", "status", status),
        Field(
            "screening_date",
            ENROLMENT,
            "text",
            _("Screening date"),
            "date",
            "screening_date",
            validation="date_ymd",
        ),
        *(
            Field(
                anchor_date_name(a.code),
                ENROLMENT,
                "text",
                capfirst(_("%(anchor)s date") % {"anchor": a.label}),
                "date",
                anchor_date_name(a.code),
                validation="date_ymd",
            )
            for a in protocol.registration_anchors
        ),
    ]
    if not blinded:
        fields.append(
            Field("arm", ENROLMENT, "radio", _("Allocated arm"), "choice", "allocation__arm", arms)
        )
        fields.append(
            Field(
                "arm_historical",
                ENROLMENT,
                "calc",  # derived from the allocation: exported, never imported
                _("Allocated before the trial used this system (historical)"),
                "bool",
                "allocation_historical",
            )
        )
    return Instrument(ENROLMENT, str(_("Enrolment")), tuple(fields))


def visible_forms(protocol: Protocol, blinded: bool) -> list[FormDef]:
    """Return the forms a user may read: blinded users lose arm-restricted forms."""
    return list(BlindingPolicy(protocol, blinded).forms())


def _events(protocol: Protocol, forms: set[str], blinded: bool) -> list[Event]:
    events = []
    for visit in BlindingPolicy(protocol, blinded).visits():
        events.append(
            Event(
                event_name(visit.code),
                str(visit.label),
                visit.code,
                tuple(f for f in visit.forms if f in forms),
                visit.target_day,
                visit.window_before,
                visit.window_after,
            )
        )
    first = events[0]
    logs = tuple(code for code in protocol.logs if code in forms)
    events[0] = Event(
        first.unique_name,
        first.label,
        first.visit,
        (ENROLMENT, *first.forms, *logs),
        first.day_offset,
        first.offset_min,
        first.offset_max,
    )
    return events


def live_project(protocol: Protocol, *, blinded: bool) -> Project:
    """Return the live REDCap project of ``protocol`` as seen by a (blinded) user."""
    enrolment = _enrolment(protocol, blinded)
    taken = {f.name for f in enrolment.fields}
    instruments = [enrolment]
    for formdef in visible_forms(protocol, blinded):
        fields = _form_fields(formdef, protocol, taken, blinded)
        instruments.append(
            Instrument(
                formdef.code,
                str(formdef.label),
                tuple(fields),
                repeating=formdef.repeating,
                model=formdef.model,
            )
        )
    codes = {i.name for i in instruments}
    return Project(
        protocol.code,
        str(protocol.title),
        tuple(instruments),
        tuple(_events(protocol, codes, blinded)),
        blinded,
    )
