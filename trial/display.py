"""Labels, in the active language, for values that come from data rather than the catalogue.

Presentation only: nothing here is stored. Score names and the labels of the codes scores
take (bands, grades) come from the instrument definitions in ``scoring`` (pure Python, no
Django), field and value labels from the protocol's forms (the instrument definitions for
scored forms, the typed data models for the others), visit and form labels from the
protocol, and system-generated audit reasons from :class:`trial.models.SystemReason`.
Templates reach these through ``trial_tags``; views and selectors may call them directly.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import get_language
from django.utils.translation import gettext as _

import scoring
from trial.models import (
    RECORDED_ON_FORM,
    Consent,
    EligibilityAssessment,
    FormInstance,
    Participant,
    PersonalData,
    Query,
    SystemReason,
    UnblindingRequest,
    Visit,
)
from trial.protocol import FormDef, Protocol, anchor_date_name, get_protocol, protocols


def _instrument_of(formdef: FormDef | None) -> scoring.Instrument | None:
    if formdef is None or not formdef.instrument:
        return None
    return scoring.INSTRUMENTS.get(formdef.instrument)


def _score_text(value: Any, instrument: scoring.Instrument | None) -> str:
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(score_value_label(value, instrument))


def score_name(key: str, instrument: scoring.Instrument | None = None) -> str:
    """Return the name of a score in the reader's language, from its instrument's
    definition (``Instrument.score_labels``); without one, from the first instrument that
    names ``key``; the key itself when none does."""
    language = get_language()
    candidates = [instrument] if instrument is not None else scoring.INSTRUMENTS.values()
    for candidate in candidates:
        if any(label.code == key for label in candidate.score_labels):
            return candidate.score_label(key, language)
    return key


def score_rows(scores: dict[str, Any], formdef: FormDef | None = None) -> list[tuple[str, Any]]:
    """Return (label, display value or None) pairs of a form's stored scores, labelled by
    its instrument. A one-item scale scored per column (leg and back VAS) stores one dict
    per column: its rows are "<column label> · <score name>"."""
    instrument = _instrument_of(formdef)
    rows = []
    for key, value in scores.items():
        if isinstance(value, dict):
            column = capfirst(field_label(formdef, key)) if formdef is not None else key
            for inner, inner_value in value.items():
                label = f"{column} · {score_name(inner, instrument)}"
                text = None if inner_value is None else _score_text(inner_value, instrument)
                rows.append((label, text))
        else:
            text = None if value is None else _score_text(value, instrument)
            rows.append((score_name(key, instrument), text))
    return rows


def score_value_label(value: Any, instrument: scoring.Instrument | None = None) -> Any:
    """Return the label of a band or grade code (``Instrument.value_labels``) in the
    reader's language; without an instrument, the first that labels it; other values
    unchanged."""
    if not isinstance(value, str):
        return value
    language = get_language()
    candidates = [instrument] if instrument is not None else scoring.INSTRUMENTS.values()
    for candidate in candidates:
        label = candidate.value_label(value, language)
        if label is not None:
            return label
    return value


def scorer_label(version: str) -> str:
    """Return a human name for a stored scorer version (``vas-0-10/1`` -> the VAS title,
    scoring rules version 1); the raw version when no registered instrument made it."""
    for instrument in scoring.INSTRUMENTS.values():
        if instrument.version == version:
            number = version.rsplit("/", 1)[-1]
            return _("%(instrument)s, scoring rules version %(number)s") % {
                "instrument": instrument.title(get_language()),
                "number": number,
            }
    return version


def yes_no(value: bool) -> str:
    return _("yes") if value else _("no")


@dataclass(frozen=True, slots=True)
class Change:
    """One line of a history: the field's label and its old and new values as labels."""

    field: str
    label: str
    old: Any
    new: Any
    literal: bool = False  # hashes and such: shown as code, never translated


_HASH = re.compile(r"^[0-9a-f]{32,}$")


def _is_literal(*values: Any) -> bool:
    return any(isinstance(v, str) and _HASH.match(v) for v in values)


def _model_field(model: type[models.Model] | None, name: str) -> models.Field | None:
    if model is None:
        return None
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return field if isinstance(field, models.Field) else None


def _item(formdef: FormDef | None, name: str) -> scoring.base.Item | None:
    if formdef is None or not formdef.instrument:
        return None
    try:
        return scoring.INSTRUMENTS[formdef.instrument].item(name)
    except KeyError:
        return None


def _data_model(formdef: FormDef | None) -> type[models.Model] | None:
    return apps.get_model(formdef.model) if formdef is not None else None


def field_label(formdef: FormDef | None, name: str, model: type[models.Model] | None = None) -> str:
    """Return the label of a field of a form (instrument item text, else the model field's
    verbose name), or of ``model`` when the change is not on a form's data."""
    item = _item(formdef, name)
    if item is not None:
        return f"{item.number + '. ' if item.number else ''}{item.text(get_language())}"
    for candidate in (_data_model(formdef), model, FormInstance):
        field = _model_field(candidate, name)
        if field is not None:
            return str(field.verbose_name)
    if name == "scores":
        return _("computed scores")
    for protocol in protocols():  # eligibility answers are keyed by criterion code
        for criterion in protocol.criteria:
            if criterion.code == name:
                return str(criterion.text)
        for anchor in protocol.anchors:  # anchor dates are audited as ``<code>_date``
            if name == anchor_date_name(anchor.code):
                return _("Date of %(event)s") % {"event": anchor.label}
    return name


def value_label(
    formdef: FormDef | None, name: str, value: Any, model: type[models.Model] | None = None
) -> Any:
    """Return a stored value as the reader sees it: code labels, yes/no, local times."""
    if value is None or value == "":
        return value
    if isinstance(value, str) and value[:1] in "{[" and value[-1:] in "}]":
        value = _literal(value)  # a dict or list the audit stored as its Python text
    if isinstance(value, bool):
        return yes_no(value)
    item = _item(formdef, name)
    if item is not None and item.choices:
        for choice in item.choices:
            if str(choice.value) == str(value):
                return choice.label(get_language())
        return value
    if name == "scores" and isinstance(value, Mapping):
        return scores_text(value, formdef)
    if model is Query and name == "field":  # the queried field: its label on its form
        return field_label(formdef, str(value))
    if name == "factors" and isinstance(value, list):  # stratification factors
        factors = {f.code: str(f.label) for p in protocols() for f in p.stratification_factors}
        return ", ".join(factors.get(str(v), str(v)) for v in value)
    if isinstance(value, Mapping):  # e.g. eligibility answers keyed by criterion code
        return "; ".join(
            f"{field_label(formdef, str(k), model)}: {value_label(formdef, str(k), v, model)}"
            for k, v in value.items()
        )
    # a participant's status rides on the events of its consent, eligibility, allocation
    for candidate in (_data_model(formdef), model, FormInstance, Participant):
        field = _model_field(candidate, name)
        if field is None:
            continue
        if field.choices:
            labels = {str(code): label for code, label in field.flatchoices}
            if str(value) not in labels:
                continue
            return str(labels[str(value)])
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        return value
    return score_value_label(value, _instrument_of(formdef))


def _literal(text: str) -> Any:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def scores_text(scores: Mapping[str, Any], formdef: FormDef | None = None) -> str:
    """Return stored scores as one line of labelled values."""
    rows = score_rows(dict(scores), formdef)
    return "; ".join(f"{label}: {'—' if v is None else v}" for label, v in rows)


def changes_for(
    changes: Mapping[str, Any],
    formdef: FormDef | None = None,
    model: type[models.Model] | None = None,
) -> list[Change]:
    """Return the ``changes`` of an audit event as labelled lines (masking already applied)."""
    lines = []
    for name, pair in changes.items():
        old, new = (
            (list(pair) + [None, None])[:2] if isinstance(pair, list | tuple) else (None, pair)
        )
        lines.append(
            Change(
                name,
                field_label(formdef, name, model),
                value_label(formdef, name, old, model),
                value_label(formdef, name, new, model),
                _is_literal(old, new),
            )
        )
    return lines


_RECORDED = re.compile("^" + re.escape(RECORDED_ON_FORM).replace(r"\{form_code\}", r"(\w+)") + "$")


def reason_label(reason: str, protocol: Protocol | None = None) -> str:
    """Return a reason as the reader sees it: system reasons translated, people's verbatim."""
    match = _RECORDED.match(reason or "")
    if match:
        code = match.group(1)
        forms = [f for p in ([protocol] if protocol else protocols()) for f in p.forms]
        form = next((str(f.label) for f in forms if f.code == code), code)
        return _("Recorded on the form %(form)s") % {"form": form}
    return SystemReason.label_of(reason)


def form_instance_label(instance: FormInstance, protocol: Protocol | None = None) -> str:
    """``S01-0007 · PELD surgery · PELD surgery #2`` in the reader's language."""
    protocol = protocol or get_protocol(instance.participant.protocol_code)
    try:
        form = str(protocol.form(instance.form_code).label)
    except StopIteration:
        form = instance.form_code
    parts = [instance.participant.trial_id]
    if instance.visit_id:
        try:
            parts.append(str(protocol.visit(instance.visit.code).label))
        except StopIteration:
            parts.append(instance.visit.code)
    label = " · ".join([*parts, form])
    return f"{label} #{instance.seq}" if instance.seq > 1 or not instance.visit_id else label


def visit_label(visit: Visit) -> str:
    protocol = get_protocol(visit.participant.protocol_code)
    try:
        return f"{visit.participant.trial_id} · {protocol.visit(visit.code).label}"
    except StopIteration:
        return str(visit)


def query_field_label(query: Query) -> str:
    """The queried field's label on its form (empty when the query is about the whole form)."""
    if not query.field:
        return ""
    protocol = get_protocol(query.form_instance.participant.protocol_code)
    try:
        formdef = protocol.form(query.form_instance.form_code)
    except StopIteration:
        return query.field
    return field_label(formdef, query.field)


def audit_rows(
    events: Iterable[Any], changes_of: Callable[[Any], Mapping[str, Any]]
) -> list[tuple[Any, Mapping[str, Any]]]:
    """Return (event, readable changes) per audit event; each event gets, in memory only,
    ``object_label`` (in the reader's language) and ``formdef`` (its form's definition)."""
    events = list(events)
    labels, forms = object_labels(events)
    for event in events:
        key = (event.object_type, event.object_id)
        event.object_label = labels.get(key, event.object_repr)
        event.formdef = forms.get(key)
    return [(event, changes_of(event)) for event in events]


def object_labels(
    events: Iterable[Any],
) -> tuple[dict[tuple[str, str], str], dict[tuple[str, str], FormDef | None]]:
    """Return {(object_type, object_id): label} for the audit events' form instances,
    visits and queries (one query per type), and the form definitions of the instances."""
    ids: dict[str, set[str]] = {}
    for event in events:
        ids.setdefault(event.object_type, set()).add(event.object_id)
    labels: dict[tuple[str, str], str] = {}
    forms: dict[tuple[str, str], FormDef | None] = {}
    numeric = {kind: [int(i) for i in values if i.isdigit()] for kind, values in ids.items()}
    for instance in FormInstance.objects.filter(
        pk__in=numeric.get("trial.forminstance", [])
    ).select_related("participant", "visit"):
        labels["trial.forminstance", str(instance.pk)] = form_instance_label(instance)
        forms["trial.forminstance", str(instance.pk)] = formdef_of(instance)
    for visit in Visit.objects.filter(pk__in=numeric.get("trial.visit", [])).select_related(
        "participant"
    ):
        labels["trial.visit", str(visit.pk)] = visit_label(visit)
    for query in Query.objects.filter(pk__in=numeric.get("trial.query", [])).select_related(
        "form_instance__participant", "form_instance__visit"
    ):
        field = query_field_label(query)
        where = form_instance_label(query.form_instance)
        labels["trial.query", str(query.pk)] = f"{where} · {field}" if field else where
        forms["trial.query", str(query.pk)] = formdef_of(query.form_instance)
    for kind, (model, label_of) in _PARTICIPANT_RECORDS.items():
        for record in model.objects.filter(pk__in=numeric.get(kind, [])).select_related(
            "participant"
        ):
            labels[kind, str(record.pk)] = label_of(record)
    if numeric.get(_RELEASE):  # trial never imports analysis: the model is looked up by name
        release_model = apps.get_model(_RELEASE)
        for release in release_model.objects.filter(pk__in=numeric[_RELEASE]):
            labels[_RELEASE, str(release.pk)] = _("Dataset release v%(version)s") % {
                "version": release.version
            }
    return labels, forms


_RELEASE = "analysis.datasetrelease"

# Audit objects that belong to a participant, labelled in the reader's language.
_PARTICIPANT_RECORDS: dict[str, tuple[type[models.Model], Callable[[Any], str]]] = {
    "trial.eligibilityassessment": (
        EligibilityAssessment,
        lambda r: _("%(participant)s · eligibility") % {"participant": r.participant.trial_id},
    ),
    "trial.consent": (
        Consent,
        lambda r: (
            _("%(participant)s · consent, version %(version)s")
            % {"participant": r.participant.trial_id, "version": r.version}
        ),
    ),
    "trial.personaldata": (
        PersonalData,
        lambda r: _("%(participant)s · identifying data") % {"participant": r.participant.trial_id},
    ),
    "trial.unblindingrequest": (
        UnblindingRequest,
        lambda r: (
            _("%(participant)s · unblinding request") % {"participant": r.participant.trial_id}
        ),
    ),
}


def formdef_of(instance: FormInstance | None) -> FormDef | None:
    if instance is None:
        return None
    try:
        return get_protocol(instance.participant.protocol_code).form(instance.form_code)
    except StopIteration:
        return None


def zoned(value: datetime | None) -> str:
    """``2026-12-04 18:05:03 CST +08:00``: a time in the active zone, the zone shown."""
    if value is None:
        return ""
    local = timezone.localtime(value)
    offset = local.strftime("%z")
    offset = f"{offset[:3]}:{offset[3:]}" if offset else ""
    name = local.tzname() or ""
    shown = " ".join(part for part in (name if name[:1] not in "+-" else "", offset) if part)
    return f"{local:%Y-%m-%d %H:%M:%S} {shown}".strip()


def form_help(formdef: FormDef | None) -> dict[str, Any]:
    """Return a form's help in the reader's language: ``instructions`` and ``recall`` of its
    instrument (``scoring.Instrument``) and ``definitions``, (field label, text) pairs from
    the protocol's variable dictionary (``FormDef.definitions``)."""
    if formdef is None:
        return {"instructions": "", "recall": "", "definitions": []}
    language = get_language()
    instrument = scoring.INSTRUMENTS[formdef.instrument] if formdef.instrument else None
    return {
        "instructions": instrument.instructions(language) if instrument else "",
        "recall": instrument.recall(language) if instrument else "",
        "definitions": [
            (field_label(formdef, name), str(text)) for name, text in formdef.definitions
        ],
    }
