"""The base of every case report form: drafts, completion, stale-save detection, reasons."""

from typing import Any

from crispy_forms.helper import FormHelper
from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

from trial.edit_checks import Finding, Severity
from trial.edit_checks.common import is_blank
from trial.edit_checks.timing import check_form_timing
from trial.models import NotAnswered, site_today
from trial.protocol import FormDef, get_protocol
from trial.selectors.anchors import participant_anchor_dates

from .widgets import LocaleDateInput

ANSWER_EXCLUDE = ("instance", "scores", "scorer_version", "not_answered")
NA_PREFIX = "na__"
DATE_FIELD = "assessment_date"


def na_name(name: str) -> str:
    """Return the name of the "not answered, because…" companion of an item."""
    return f"{NA_PREFIX}{name}"


def with_not_answered(form: forms.Form, names: Any) -> list[str]:
    """Return layout names: each item followed by its "not answered" companion, if any."""
    out = []
    for name in names:
        out.append(name)
        if na_name(name) in form.fields:
            out.append(na_name(name))
    return out


class CrfForm(forms.ModelForm):
    """A ModelForm over a ``CrfData`` model.

    * Saved as a draft, any answer may be blank; when ``completing``, the fields in
      ``required_for_complete`` (all answer fields unless a subclass narrows it) are
      required.
    * ``revision`` carries the revision the user started from, so a save made on a stale
      copy is refused by the service instead of overwriting someone else's change.
    * ``reason`` is the reason for a change, which the service requires once complete.
    * No date may lie in the future (today is the site's). The assessment date defaults to
      today and is checked against the visit's window (``trial.edit_checks.timing``).
    * A required item may be left blank on a complete form only when marked not answered
      with a reason code (its ``na__<item>`` companion); the service applies the same rule.
    Subclasses add cross-field checks in ``clean()`` by calling ``trial.edit_checks``.
    """

    required_for_complete: tuple[str, ...] | None = None

    revision = forms.IntegerField(widget=forms.HiddenInput, required=False)
    reason = forms.CharField(
        label=_("Reason for change"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when you change a form that is already complete."),
    )

    def __init__(
        self,
        *args: Any,
        completing: bool = False,
        participant: Any = None,
        visit: Any = None,
        formdef: FormDef | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.completing, self.participant, self.visit = completing, participant, visit
        self.formdef = formdef or self._formdef_of_model()
        self.soft_findings: list[Finding] = []
        if DATE_FIELD in self.fields:
            self.fields[DATE_FIELD].widget = LocaleDateInput()
        if DATE_FIELD in self.fields and not getattr(self.instance, "pk", None):
            self.initial.setdefault(DATE_FIELD, site_today(getattr(participant, "site", None)))
        self._add_not_answered_fields()
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def _formdef_of_model(self) -> FormDef | None:
        code = getattr(self.participant, "protocol_code", None)
        if not code:
            return None
        label = self._meta.model._meta.label
        return next((f for f in get_protocol(code).forms if f.model == label), None)

    def _add_not_answered_fields(self) -> None:
        """Give each required item a "not answered, because…" choice next to it."""
        marked = getattr(self.instance, "not_answered", None) or {}
        ordered: dict[str, forms.Field] = {}
        required = set(self.completion_fields())
        for name, field in self.fields.items():
            ordered[name] = field
            if name not in required or isinstance(field, forms.DateField | forms.DateTimeField):
                continue
            ordered[na_name(name)] = forms.TypedChoiceField(
                label=_("Not answered, because"),
                choices=[("", "—"), *NotAnswered.choices],
                required=False,
                empty_value="",
            )
            if name in marked:
                self.initial.setdefault(na_name(name), marked[name])
        self.fields = ordered

    @classmethod
    def answer_fields(cls) -> list[str]:
        return [name for name in cls.base_fields if name not in ("revision", "reason")]

    def completion_fields(self) -> list[str]:
        names = self.required_for_complete
        if names is None:
            names = getattr(self._meta.model, "required_items", None) or self.answer_fields()
        return [name for name in names if name in self.fields]

    def not_answered(self) -> dict[str, str]:
        """Return {item: reason code} of the required items marked not answered."""
        data = getattr(self, "cleaned_data", {})
        return {
            name[len(NA_PREFIX) :]: data[name]
            for name in self.fields
            if name.startswith(NA_PREFIX) and data.get(name)
        }

    def withhold(self, names: tuple[str, ...]) -> None:
        """Leave these answers out of the form entirely (not shown, not saved)."""
        for name in names:
            self.fields.pop(name, None)
            if self.helper.layout is not None:
                _drop_from_layout(self.helper.layout, name)

    def answers(self) -> dict[str, Any]:
        """Return the cleaned answers of the fields this form shows (bookkeeping left out)."""
        answers = {
            name: self.cleaned_data.get(name)
            for name in self.answer_fields()
            if name in self.fields
        }
        return {**answers, "not_answered": self.not_answered()}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        today = site_today(getattr(self.participant, "site", None))
        date_field = self.formdef.date_field if self.formdef else DATE_FIELD
        for name, value in list(cleaned.items()):
            day = value.date() if hasattr(value, "date") and callable(value.date) else value
            if name == date_field and self.formdef is not None:
                continue  # checked with the visit window below
            if isinstance(self.fields.get(name), forms.DateField | forms.DateTimeField) and (
                day is not None and day > today
            ):
                self.add_error(name, _("This date is in the future."))
        self._clean_completeness(cleaned)
        self._clean_timing(cleaned, today)
        return cleaned

    def _clean_completeness(self, cleaned: dict[str, Any]) -> None:
        for name in self.completion_fields():
            blank, marked = is_blank(cleaned.get(name)), cleaned.get(na_name(name))
            if marked and not blank:
                message = _("Either answer this item or mark it as not answered, not both.")
                self.add_error(na_name(name), message)
            elif self.completing and blank and not marked and name not in self.errors:
                self.add_error(
                    name,
                    forms.ValidationError(
                        self.fields[name].error_messages["required"], code="required"
                    ),
                )

    def _clean_timing(self, cleaned: dict[str, Any], today: Any) -> None:
        if self.formdef is None or self.participant is None:
            return
        field = self.formdef.date_field
        if field not in self.fields or field in self.errors:
            return
        value = cleaned.get(field)
        day = value.date() if hasattr(value, "date") and callable(value.date) else value
        findings = check_form_timing(
            get_protocol(self.participant.protocol_code),
            self.formdef,
            getattr(self.visit, "code", None),
            {field: day},
            anchors=participant_anchor_dates(self.participant),
            today=today,
        )
        for finding in findings:
            if finding.severity is Severity.HARD:
                self.add_error(
                    finding.field, forms.ValidationError(finding.message, code=finding.code)
                )
            else:
                self.soft_findings.append(finding)


def _drop_from_layout(layout: Any, name: str) -> None:
    """Remove a field, and any layout object holding only it, from a crispy layout."""
    kept = []
    for item in layout.fields:
        if item == name:
            continue
        inner = getattr(item, "fields", None)
        if inner is not None:
            _drop_from_layout(item, name)
            if not item.fields:
                continue
        kept.append(item)
    layout.fields[:] = kept


def crf_form_class(model: type[models.Model], base: type[CrfForm] = CrfForm) -> type[CrfForm]:
    """Return a ``CrfForm`` for ``model`` with every answer field (no custom layout)."""
    meta = type("Meta", (), {"model": model, "exclude": ANSWER_EXCLUDE})
    return type(f"{model.__name__}Form", (base,), {"Meta": meta})
