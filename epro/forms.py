"""The patient's page of a form: the nurse's CRF form class, bound for one invitation.

The patient answers the same Django form (``trial.forms.registry.form_class_for``) with the
same validation as site staff; only the bookkeeping fields are set by the service (the
assessment date is the day of the answers at the participant's site) or left out ("not
answered" reasons are for staff, the revision and reason of a change too).
"""

from typing import Any

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

import scoring
from epro.models import Invitation
from trial.forms.crfs import NA_PREFIX, CrfForm
from trial.forms.registry import form_class_for
from trial.models import site_today
from trial.protocol import FormDef, get_protocol

BOOKKEEPING = ("revision", "reason")


def invitation_formdef(invitation: Invitation, form_code: str) -> FormDef:
    return get_protocol(invitation.participant.protocol_code).form(form_code)


def patient_fields(form: CrfForm) -> list[str]:
    """Return the names of the answers the patient gives on this form's page."""
    date_field = form.formdef.date_field if form.formdef else "assessment_date"
    return [
        name
        for name in form.fields
        if name not in (date_field, *BOOKKEEPING) and not name.startswith(NA_PREFIX)
    ]


def patient_form(
    invitation: Invitation,
    form_code: str,
    data: dict[str, Any] | None,
    *,
    completing: bool,
    initial: dict[str, Any] | None = None,
) -> CrfForm:
    """Return the CRF form of ``form_code`` for the invitation's participant and visit,
    bound to the patient's answers (``data``) when given, else showing ``initial`` (the
    saved page); every patient answer is required when ``completing``."""
    formdef = invitation_formdef(invitation, form_code)
    form_class = form_class_for(formdef.model)
    bound = None
    if data is not None:
        bound = {name: value for name, value in data.items() if isinstance(value, str)}
        bound[formdef.date_field] = site_today(invitation.participant.site).isoformat()
    form = form_class(
        bound,
        completing=completing,
        participant=invitation.participant,
        visit=invitation.visit,
        formdef=formdef,
        initial=dict(initial or {}),
    )
    for name in list(form.fields):
        if name.startswith(NA_PREFIX) or name in BOOKKEEPING:
            form.fields.pop(name)
    for name in patient_fields(form):
        field = form.fields[name]
        field.required = completing
        if isinstance(field, forms.TypedChoiceField):
            field.choices = [c for c in field.choices if c[0] != ""]
            field.error_messages["required"] = _("Please choose an answer.")
        else:
            field.error_messages["required"] = _("Please give an answer.")
    return form


def _widget_attrs(form: CrfForm, name: str) -> None:
    """Large, labelled inputs; errors and hints tied to the input for screen readers."""
    widget = form.fields[name].widget
    described = f"{form.auto_id % name}-hint"
    if form.is_bound and name in form.errors:
        described = f"{form.auto_id % name}-error {described}"
        widget.attrs["aria-invalid"] = "true"
    if isinstance(widget, forms.RadioSelect):
        widget.attrs["class"] = "form-check-input"
    else:
        widget.attrs.update(
            {"class": "form-control form-control-lg epro-vas-input", "inputmode": "decimal"}
        )
        widget.attrs["aria-describedby"] = described


def page_data(form: CrfForm, data: Any) -> dict[str, str]:
    """Return the raw answers of the patient's fields in ``data`` (a QueryDict or dict)."""
    out = {}
    for name in patient_fields(form):
        value = data.get(name)
        if isinstance(value, str) and value.strip() != "":
            out[name] = value.strip()[:40]
    return out


def page_sections(form: CrfForm) -> list[dict[str, Any]]:
    """Return the page's questions in the instrument's sections: [{title, instruction,
    fields}] (one untitled section when the instrument has only one, or none)."""
    language = get_language()
    names = patient_fields(form)
    for name in names:
        _widget_attrs(form, name)
    instrument = scoring.INSTRUMENTS.get(form.formdef.instrument or "")
    if instrument is None or len(instrument.sections) < 2 or names[0] not in instrument.item_ids:
        return [{"title": "", "instruction": "", "fields": [form[n] for n in names]}]
    sections = []
    for section in instrument.sections:
        ids = [i.id for i in instrument.section_items(section.id) if i.id in names]
        if ids:
            sections.append(
                {
                    "title": section.title(language),
                    "instruction": section.instruction(language),
                    "fields": [form[n] for n in ids],
                }
            )
    return sections
