"""What the clinical forms share: widgets by field type, yes/no radios, edit-check wiring."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar

from crispy_forms.bootstrap import InlineRadios
from crispy_forms.layout import Fieldset, Layout, LayoutObject
from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from trial.edit_checks import Severity
from trial.edit_checks.registry import edit_check_run
from trial.protocol import Protocol, get_protocol
from trial.selectors.anchors import participant_anchor_dates

from .crfs import ANSWER_EXCLUDE, CrfForm, with_not_answered
from .widgets import LocaleDateInput, LocaleDateTimeInput

INLINE_MAX_CHOICES = 4  # radio lists up to this long sit on one line


def _to_bool(value: Any) -> bool:
    return value in (True, "True")


class YesNoField(forms.TypedChoiceField):
    """A yes/no question as two radios; unanswered is None, so ``required`` really works."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.RadioSelect)
        choices = [(True, _("Yes")), (False, _("No"))]
        super().__init__(choices=choices, coerce=_to_bool, empty_value=None, **kwargs)


class CodeListField(forms.MultipleChoiceField):
    """Codes from the protocol; with no protocol known (no choices) the codes pass through."""

    def valid_value(self, value: Any) -> bool:
        return not self.choices or super().valid_value(value)


def _default_widget(db_field: models.Field) -> forms.Widget | None:
    if isinstance(db_field, models.DateTimeField):
        return LocaleDateTimeInput()
    if isinstance(db_field, models.DateField):
        return LocaleDateInput()
    if db_field.choices:
        return forms.RadioSelect
    if isinstance(db_field, models.TextField):
        return forms.Textarea(attrs={"rows": 2})
    return None


def clinical_formfield(db_field: models.Field, **kwargs: Any) -> forms.Field | None:
    """Return the form field of a model field: yes/no radios, date pickers, radio choices."""
    if isinstance(db_field, models.BooleanField):
        label = capfirst(db_field.verbose_name)
        return YesNoField(label=label, help_text=db_field.help_text, required=False)
    if "widget" not in kwargs and (widget := _default_widget(db_field)) is not None:
        kwargs["widget"] = widget
    field = db_field.formfield(**kwargs)
    if field is not None and isinstance(field.widget, forms.RadioSelect):
        field.choices = [(value, label) for value, label in field.choices if value != ""]
    return field


class ClinicalMeta:
    exclude: tuple[str, ...] = ANSWER_EXCLUDE
    formfield_callback = staticmethod(clinical_formfield)


def _local(value: Any) -> Any:
    if isinstance(value, datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    return value


class ClinicalForm(CrfForm):
    """A clinical CRF: fieldsets for the crispy layout, and edit checks run in ``clean``.

    Hard findings become field errors (the save is refused); soft ones are kept in
    ``soft_findings`` for the view to show as warnings.
    """

    fieldsets: ClassVar[Sequence[tuple[Any, Sequence[str]]]] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fieldsets = [
            Fieldset(legend, *map(self._layout_item, with_not_answered(self, names)))
            for legend, names in self.fieldsets
        ]
        self.helper.layout = Layout(*fieldsets, "revision", "reason")

    def _layout_item(self, name: str) -> str | LayoutObject:
        field = self.fields[name]
        if name.startswith("na__"):
            return name
        short = len(getattr(field, "choices", ())) <= INLINE_MAX_CHOICES
        return InlineRadios(name) if isinstance(field.widget, forms.RadioSelect) and short else name

    def protocol(self) -> Protocol | None:
        code = getattr(self.participant, "protocol_code", None)
        return get_protocol(code) if code else None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        answers = {name: _local(cleaned.get(name)) for name in self.answer_fields()}
        findings = edit_check_run(
            self._meta.model._meta.label,
            answers,
            protocol=self.protocol(),
            anchors=participant_anchor_dates(self.participant) if self.protocol() else {},
            completing=self.completing,
        )
        for finding in findings:
            if finding.severity is Severity.HARD:
                error = ValidationError(finding.message, code=finding.code)
                self.add_error(finding.field, error)
        self.soft_findings += [f for f in findings if f.severity is Severity.SOFT]
        return cleaned
