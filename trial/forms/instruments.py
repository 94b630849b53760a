"""Data-entry forms of the scored instruments, generated from ``scoring.INSTRUMENTS``.

Item text, answer labels and section headings come from the instrument definitions in the
user's language; the stored value is the precoded answer exactly as printed on the form.
Each item becomes the field its definition declares: a choice item a radio group, a
numeric item (``kind="decimal"``) a number input limited to its range, whole numbers when
it has no decimals (the EQ VAS 0–100). A form model generated from an instrument
(``trial.models.instruments``) gets :func:`instrument_form_class` unless an app
contributes an entry form for it (``trial.forms.registry.form_class_for``).
"""

from typing import Any

from crispy_forms.layout import Layout
from django import forms
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

import scoring
from trial.models import INSTRUMENT_MODELS, PainVasData

from .crfs import ANSWER_EXCLUDE, DATE_FIELD, CrfForm, with_not_answered
from .lean import LeanField, LeanFieldset


def _label(item: scoring.base.Item, language: str | None) -> str:
    return f"{item.number + '. ' if item.number else ''}{item.text(language)}"


def _choice_field(item: scoring.base.Item, language: str | None) -> forms.Field:
    field = forms.TypedChoiceField(
        label=_label(item, language),
        choices=[("", "—"), *[(c.value, c.label(language)) for c in item.choices]],
        coerce=int if all(isinstance(v, int) for v in item.allowed_values) else str,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )
    field.widget.choices = [c for c in field.choices if c[0] != ""]
    return field


def _number_field(item: scoring.base.Item, language: str | None) -> forms.Field:
    """A number input limited to the item's range; out of range, the message names it."""
    low, high = item.min_value, item.max_value
    if item.decimals == 0:
        message = _("Enter a whole number from %(min)s to %(max)s.")
        field: forms.Field = forms.IntegerField(
            min_value=None if low is None else int(low),
            max_value=None if high is None else int(high),
        )
    else:
        message = _("Enter a number from %(min)s to %(max)s with at most %(places)s decimal(s).")
        digits = len(str(int(high))) + item.decimals if high is not None else None
        field = forms.DecimalField(
            min_value=low, max_value=high, max_digits=digits, decimal_places=item.decimals
        )
    message = message % {"min": low, "max": high, "places": item.decimals}
    field.label, field.required = _label(item, language), False
    for code in ("invalid", "min_value", "max_value", "max_digits", "max_decimal_places"):
        field.error_messages[code] = message
    return field


class InstrumentForm(CrfForm):
    """A CrfForm whose fields are an instrument's items, laid out by section.

    The sections (``LeanFieldset``), items and their "not answered" selects (``LeanField``)
    are written in Python with crispy's markup instead of a crispy template each (the
    SF-36 GET's main cost); a number input is rendered by crispy.
    """

    instrument: str = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        definition = scoring.INSTRUMENTS[self.instrument]
        language = get_language()
        for item in definition.items:
            make = _number_field if item.kind == "decimal" else _choice_field
            self.fields[item.id] = make(item, language)
        fieldsets = []
        for section in definition.sections:
            ids = [i.id for i in definition.items if i.section == section.id]
            items = [LeanField(name) for name in with_not_answered(self, ids)]
            note = section.instruction(language) or ""
            fieldsets.append(LeanFieldset(section.title(language), note, *items))
        self.helper.layout = Layout(DATE_FIELD, *fieldsets, "revision", "reason")


_FORMS: dict[str, type[InstrumentForm]] = {}


def instrument_form_class(name: str) -> type[InstrumentForm]:
    """Return the generated entry form of the instrument ``name`` (over its generated
    model, ``trial.models.INSTRUMENT_MODELS``), built once."""
    if name not in _FORMS:
        model = INSTRUMENT_MODELS[name]
        meta = type("Meta", (), {"model": model, "exclude": ANSWER_EXCLUDE})
        _FORMS[name] = type(
            f"{model.__name__}Form", (InstrumentForm,), {"instrument": name, "Meta": meta}
        )
    return _FORMS[name]


class PainVasForm(CrfForm):
    """Leg-pain and back-pain VAS, 0.0–10.0 with one decimal (0 = no pain)."""

    required_for_complete = PainVasData.required_items

    class Meta:
        model = PainVasData
        fields = ("assessment_date", "leg_vas", "back_vas")
        help_texts = {
            "leg_vas": gettext_lazy(
                "0 = no pain, 10 = worst imaginable pain; one decimal, e.g. 6.5."
            ),
            "back_vas": gettext_lazy(
                "0 = no pain, 10 = worst imaginable pain; one decimal, e.g. 6.5."
            ),
        }
        widgets = {
            "leg_vas": forms.NumberInput(attrs={"step": "0.1", "min": "0", "max": "10"}),
            "back_vas": forms.NumberInput(attrs={"step": "0.1", "min": "0", "max": "10"}),
        }
