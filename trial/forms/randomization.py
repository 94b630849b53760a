import math
from typing import Any

from django import forms
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .participants import EdcForm

# Upload defects by stable code (trial.allocation.upload), in the user's language.
UPLOAD_PROBLEMS = {
    "missing_column": _(
        "A required column is missing (stratum, sequence, arm, randomization_number)."
    ),
    "empty_file": _("The file has no allocation lines."),
    "duplicate_slot": _("The same stratum and sequence appear twice."),
    "duplicate_number": _("The same randomization number appears twice."),
    "unknown_arm": _("The arm is not one of the protocol's arms."),
    "bad_sequence": _("The sequence is not a positive whole number."),
    "sequence_gap": _("The sequences of a stratum must run 1, 2, 3 … without gaps."),
    "unknown_stratum": _("The stratum is not one of the list's strata."),
    "empty_stratum": _("A stratum of the list has no lines."),
    "bad_block": _("The block is not a positive whole number."),
    "bad_csv": _("The file is not valid CSV."),
    "duplicate_column": _("A column appears twice in the header."),
    "bad_row": _("The line has too many or too few values."),
    "bad_stratum": _(
        "The stratum contains a character that is not allowed (, ; = or a line "
        "break) or leading or trailing spaces."
    ),
    "bad_number": _("The randomization number is empty or not allowed."),
}


def upload_problem_message(problem: Any) -> str:
    message = UPLOAD_PROBLEMS.get(problem.code, problem.message)
    if problem.line:
        return _("Line %(line)s: %(message)s") % {"line": problem.line, "message": message}
    return str(message)


def _factor_field(factors: Any) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=_("Stratify by"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[(f.code, str(f.label)) for f in factors],
    )


class GenerateListForm(EdcForm):
    submit_label = _("Generate list")

    name = forms.CharField(label=_("List name"), max_length=120)
    block_sizes = forms.CharField(
        label=_("Block sizes"),
        initial="2,4,6",
        help_text=_(
            "Comma-separated; each a multiple of the ratio's "
            "sum. One size is drawn at random per block."
        ),
    )
    ratio = forms.CharField(
        label=_("Allocation ratio"),
        initial="1:1",
        help_text=_("One whole number per arm, in the protocol's order."),
    )
    slots_per_stratum = forms.IntegerField(
        label=_("Slots per stratum"), min_value=1, max_value=100_000, initial=100
    )
    seed = forms.IntegerField(
        label=_("Seed"),
        required=False,
        min_value=0,
        help_text=_("Leave empty for a random seed; it is recorded."),
    )

    def __init__(self, *args: Any, factors: Any, ratio: tuple[int, ...], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["factors"] = _factor_field(factors)
        self.arm_count = len(ratio)
        # the protocol's ratio, and block sizes of one, two and three times its sum
        self.fields["ratio"].initial = ":".join(str(r) for r in ratio)
        self.fields["block_sizes"].initial = ",".join(str(sum(ratio) * k) for k in (1, 2, 3))
        self.order_fields(["name", "factors", "ratio", "block_sizes", "slots_per_stratum", "seed"])

    def clean_block_sizes(self) -> list[int]:
        try:
            sizes = [int(part) for part in self.cleaned_data["block_sizes"].split(",")]
        except ValueError:
            raise forms.ValidationError(_("Enter whole numbers separated by commas.")) from None
        if not sizes or min(sizes) < 1:
            raise forms.ValidationError(_("Enter whole numbers separated by commas."))
        return sizes

    def clean_ratio(self) -> list[int]:
        try:
            ratio = [int(part) for part in self.cleaned_data["ratio"].split(":")]
        except ValueError:
            raise forms.ValidationError(_("Enter the ratio as 1:1 or 2:1.")) from None
        if len(ratio) != self.arm_count or min(ratio) < 1:
            raise forms.ValidationError(_("Give one positive number per arm, e.g. 1:1."))
        if math.gcd(*ratio) != 1:
            raise forms.ValidationError(_("Write the ratio in lowest terms, e.g. 1:1 not 2:2."))
        return ratio

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        sizes, ratio = cleaned.get("block_sizes"), cleaned.get("ratio")
        if sizes and ratio and any(size % sum(ratio) for size in sizes):
            self.add_error(
                "block_sizes",
                _("Every block size must be a multiple of %(n)s.") % {"n": sum(ratio)},
            )
        return cleaned


class UploadListForm(EdcForm):
    submit_label = _("Upload list")

    name = forms.CharField(label=_("List name"), max_length=120)
    file = forms.FileField(label=_("CSV file"))

    def __init__(self, *args: Any, factors: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Column names are literal file contents: shown as code, never translated.
        self.fields["file"].help_text = format_html(
            gettext(
                "Columns: {columns} ({optional} optional). Strata are the factor levels joined "
                "by | in the order chosen above, e.g. {example}."
            ),
            columns=mark_safe(  # noqa: S308 - literal constant column names only
                "<code>stratum</code>, <code>sequence</code>, <code>arm</code>, "
                "<code>randomization_number</code>"
            ),
            optional=mark_safe("<code>block</code>"),  # noqa: S308
            example=mark_safe("<code>S01|L4-5</code>"),  # noqa: S308
        )
        self.fields["factors"] = _factor_field(factors)
        self.order_fields(["name", "factors", "file"])

    def clean_file(self) -> str:
        raw = self.cleaned_data["file"].read()
        if len(raw) > 5_000_000:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError(_("The file is not UTF-8 text.")) from None


class MinimizationForm(EdcForm):
    submit_label = _("Set up minimization")

    name = forms.CharField(label=_("List name"), max_length=120)
    p_best = forms.FloatField(
        label=_("Probability of the arm that minimizes imbalance"),
        min_value=0.5,
        max_value=1.0,
        initial=0.8,
    )
    seed = forms.IntegerField(label=_("Seed"), required=False, min_value=0)
    ratio = forms.CharField(
        label=_("Allocation ratio"),
        disabled=True,
        required=False,
        help_text=_(
            "The protocol's ratio. With an unequal ratio each arm counts as several "
            "equal virtual arms (2:1: two for the first arm, one for the second), so that "
            "every allocation keeps the ratio."
        ),
    )

    def __init__(self, *args: Any, factors: Any, ratio: tuple[int, ...], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["factors"] = _factor_field(factors)
        self.fields["factors"].required = True
        self.fields["ratio"].initial = ":".join(str(r) for r in ratio)
        self.order_fields(["name", "factors", "ratio", "p_best", "seed"])


class UnblindingRequestForm(EdcForm):
    submit_label = _("Request unblinding")

    reason = forms.CharField(
        label=_("Medical reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class UnblindingDecisionForm(forms.Form):
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


HISTORICAL_PROBLEMS = {
    **UPLOAD_PROBLEMS,
    "missing_column": _("A required column is missing (participant, arm, date)."),
    "missing_participant": _("The participant is empty."),
    "duplicate_participant": _("The same participant appears twice."),
    "bad_date": _("The date is not YYYY-MM-DD or lies in the future."),
    "unknown_participant": _("No participant with this identifier is registered."),
    "not_consented": _(
        "The participant is not in the consented status (already allocated, ended or "
        "not yet consented)."
    ),
}


def historical_problem_message(problem: Any) -> str:
    message = HISTORICAL_PROBLEMS.get(problem.code, problem.message)
    if problem.line:
        return _("Line %(line)s: %(message)s") % {"line": problem.line, "message": message}
    return str(message)


class HistoricalAllocationsForm(EdcForm):
    submit_label = _("Load and seal")

    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "Columns: participant, arm, date (YYYY-MM-DD); stratum and randomization_number "
            "optional. Every participant must be registered and consented."
        ),
    )
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Why these allocations are loaded, e.g. the trial was randomized elsewhere."),
    )

    def clean_file(self) -> tuple[str, bytes]:
        upload = self.cleaned_data["file"]
        if upload.size > 5_000_000:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        return upload.name, upload.read()
