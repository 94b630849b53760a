"""The base of every case report form: drafts, completion, stale-save detection, reasons."""

from typing import Any

from crispy_forms.helper import FormHelper
from django import forms
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

ANSWER_EXCLUDE = ("instance", "scores", "scorer_version")


class CrfForm(forms.ModelForm):
    """A ModelForm over a ``CrfData`` model.

    * Saved as a draft, any answer may be blank; when ``completing``, the fields in
      ``required_for_complete`` (all answer fields unless a subclass narrows it) are
      required.
    * ``revision`` carries the revision the user started from, so a save made on a stale
      copy is refused by the service instead of overwriting someone else's change.
    * ``reason`` is the reason for a change, which the service requires once complete.
    * No date may lie in the future.
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
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.completing, self.participant, self.visit = completing, participant, visit
        if completing:
            for name in self.completion_fields():
                self.fields[name].required = True
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    @classmethod
    def answer_fields(cls) -> list[str]:
        return [name for name in cls.base_fields if name not in ("revision", "reason")]

    def completion_fields(self) -> list[str]:
        names = self.required_for_complete
        return list(names) if names is not None else self.answer_fields()

    def withhold(self, names: tuple[str, ...]) -> None:
        """Leave these answers out of the form entirely (not shown, not saved)."""
        for name in names:
            self.fields.pop(name, None)
            if self.helper.layout is not None:
                _drop_from_layout(self.helper.layout, name)

    def answers(self) -> dict[str, Any]:
        """Return the cleaned answers of the fields this form shows (bookkeeping left out)."""
        return {
            name: self.cleaned_data.get(name)
            for name in self.answer_fields()
            if name in self.fields
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        today = timezone.localdate()
        for name, value in list(cleaned.items()):
            day = value.date() if hasattr(value, "date") and callable(value.date) else value
            if isinstance(self.fields.get(name), forms.DateField | forms.DateTimeField) and (
                day is not None and day > today
            ):
                self.add_error(name, _("This date is in the future."))
        return cleaned


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
