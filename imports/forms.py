from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from trial.forms.participants import EdcForm


class UploadForm(EdcForm):
    submit_label = _("Upload")

    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "CSV (UTF-8), XLSX (first sheet) or SPSS .sav; one row per record and event, as "
            "the export gives them. SPSS value labels are turned into the protocol's codes."
        ),
    )


class MappingForm(EdcForm):
    """One choice per column of the file: the variable it fills, or nothing."""

    submit_label = _("Save mapping")

    def __init__(self, *args: Any, header: list[str], names: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", _("— not imported —"))] + [(n, n) for n in names]
        self.columns = header
        for i, column in enumerate(header):
            self.fields[f"col_{i}"] = forms.ChoiceField(
                label=column, choices=choices, required=False
            )

    def mapping(self) -> dict[str, str]:
        return {c: self.cleaned_data[f"col_{i}"] for i, c in enumerate(self.columns)}


class CommitForm(EdcForm):
    submit_label = _("Import now")

    reason = forms.CharField(
        label=_("Reason for changes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Needed when the file changes forms that are already complete."),
    )
    accept_warnings = forms.BooleanField(
        label=_("Accept warnings (each opens a query)"), required=False
    )
