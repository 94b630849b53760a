"""Data-entry forms of the scored instruments, generated from ``scoring.INSTRUMENTS``.

Item text, answer labels and section headings come from the instrument definitions in the
user's language; the stored value is the precoded answer exactly as printed on the form.
"""

from typing import Any

from crispy_forms.layout import Layout
from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

import scoring
from trial.models import JoaData, OdiData, PainVasData, Sf36Data

from .crfs import ANSWER_EXCLUDE, DATE_FIELD, CrfForm, with_not_answered
from .lean import LeanField, LeanFieldset


def _choice_field(item: scoring.base.Item, language: str | None) -> forms.Field:
    return forms.TypedChoiceField(
        label=f"{item.number + '. ' if item.number else ''}{item.text(language)}",
        choices=[("", "—"), *[(c.value, c.label(language)) for c in item.choices]],
        coerce=int if all(isinstance(v, int) for v in item.allowed_values) else str,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )


class InstrumentForm(CrfForm):
    """A CrfForm whose fields are an instrument's items, laid out by section.

    The sections (``LeanFieldset``), items and their "not answered" selects (``LeanField``)
    are written in Python with crispy's markup instead of a crispy template each (the
    SF-36 GET's main cost).
    """

    instrument: str = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        definition = scoring.INSTRUMENTS[self.instrument]
        language = get_language()
        for item in definition.items:
            field = _choice_field(item, language)
            field.widget.choices = [c for c in field.choices if c[0] != ""]
            self.fields[item.id] = field
        fieldsets = []
        for section in definition.sections:
            ids = [i.id for i in definition.items if i.section == section.id]
            items = [LeanField(name) for name in with_not_answered(self, ids)]
            note = section.instruction(language) or ""
            fieldsets.append(LeanFieldset(section.title(language), note, *items))
        self.helper.layout = Layout(DATE_FIELD, *fieldsets, "revision", "reason")


class OdiForm(InstrumentForm):
    instrument = "odi"

    class Meta:
        model = OdiData
        exclude = ANSWER_EXCLUDE


class JoaForm(InstrumentForm):
    instrument = "joa"

    class Meta:
        model = JoaData
        exclude = ANSWER_EXCLUDE


class Sf36Form(InstrumentForm):
    instrument = "sf36"

    class Meta:
        model = Sf36Data
        exclude = ANSWER_EXCLUDE


class PainVasForm(CrfForm):
    """Leg-pain and back-pain VAS, 0.0–10.0 with one decimal (0 = no pain)."""

    required_for_complete = PainVasData.required_items

    class Meta:
        model = PainVasData
        fields = ("assessment_date", "leg_vas", "back_vas")
        help_texts = {
            "leg_vas": _("0 = no pain, 10 = worst imaginable pain; one decimal, e.g. 6.5."),
            "back_vas": _("0 = no pain, 10 = worst imaginable pain; one decimal, e.g. 6.5."),
        }
        widgets = {
            "leg_vas": forms.NumberInput(attrs={"step": "0.1", "min": "0", "max": "10"}),
            "back_vas": forms.NumberInput(attrs={"step": "0.1", "min": "0", "max": "10"}),
        }
