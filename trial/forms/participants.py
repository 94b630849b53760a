import itertools
from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from trial.forms.widgets import LocaleDateInput
from trial.models import Participant

DateInput = LocaleDateInput  # typed in the user's language's format, not the browser's


def not_in_future(value):
    if value and value > timezone.localdate():
        raise forms.ValidationError(_("This date is in the future."), code="future_date")
    return value


class EdcForm(forms.Form):
    submit_label = _("Save")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", self.submit_label))


class ParticipantRegisterForm(EdcForm):
    submit_label = _("Register for screening")

    site = forms.ModelChoiceField(queryset=None, label=_("Site"))
    screening_date = forms.DateField(
        label=_("Screening date"), widget=DateInput, validators=[not_in_future]
    )
    admission_date = forms.DateField(
        label=_("Admission date"), widget=DateInput, required=False, validators=[not_in_future]
    )
    full_name = forms.CharField(label=_("Full name"), max_length=200)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    hospital_number = forms.CharField(label=_("Hospital number"), max_length=40, required=False)

    def __init__(self, *args: Any, sites: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites
        if sites.count() == 1:
            self.fields["site"].initial = sites.first()


class IdentityForm(EdcForm):
    full_name = forms.CharField(label=_("Full name"), max_length=200)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    hospital_number = forms.CharField(label=_("Hospital number"), max_length=40, required=False)
    email = forms.EmailField(
        label=_("E-mail"),
        required=False,
        help_text=_("Where ePRO invitations and reminders are sent."),
    )
    reason = forms.CharField(
        label=_("Reason for change"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


class EligibilityForm(EdcForm):
    submit_label = _("Record eligibility")

    assessed_date = forms.DateField(
        label=_("Date assessed"), widget=DateInput, validators=[not_in_future]
    )
    reason = forms.CharField(
        label=_("Reason for change"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when you change an earlier assessment."),
    )

    def __init__(self, *args: Any, criteria: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        yes_no = [("yes", _("Yes")), ("no", _("No"))]
        for criterion in criteria:
            kind = _("Inclusion") if criterion.kind == "inclusion" else _("Exclusion")
            self.fields[f"c_{criterion.code}"] = forms.ChoiceField(
                label=f"{kind}: {criterion.text}", choices=yes_no, widget=forms.RadioSelect
            )
        self.criteria = criteria
        self.order_fields(["assessed_date", *[f"c_{c.code}" for c in criteria], "reason"])

    def answers(self) -> dict[str, bool]:
        return {c.code: self.cleaned_data[f"c_{c.code}"] == "yes" for c in self.criteria}


class ConsentForm(EdcForm):
    submit_label = _("Record consent")

    version = forms.ChoiceField(label=_("Consent form version"))
    consent_date = forms.DateField(
        label=_("Date of consent"), widget=DateInput, validators=[not_in_future]
    )
    obtained_by = forms.ModelChoiceField(queryset=None, label=_("Obtained by"))
    confirm = forms.BooleanField(
        label=_("I confirm the participant signed and dated the consent form.")
    )

    def __init__(self, *args: Any, versions: tuple[str, ...], staff: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["version"].choices = [(v, v) for v in versions]
        self.fields["obtained_by"].queryset = staff


class DatesForm(EdcForm):
    """The anchor dates staff enter (``AnchorDef.entered``), one ``<code>_date`` field per
    anchor of the participant's protocol, labelled by the anchor. The day of a system
    event (registration) cannot be in the future; a planned day can. The protocol declares
    its anchors in time order: an entered date before an earlier anchor's is refused."""

    reason = forms.CharField(
        label=_("Reason for change"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, anchors: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.anchors = tuple(a for a in anchors if a.entered)
        for anchor in self.anchors:
            self.fields[f"{anchor.code}_date"] = forms.DateField(
                label=_("Date of %(event)s") % {"event": anchor.label},
                widget=DateInput,
                required=False,
                validators=[not_in_future] if anchor.event is not None else [],
            )
        self.order_fields([*(f"{a.code}_date" for a in self.anchors), "reason"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        dated = [(a, cleaned.get(f"{a.code}_date")) for a in self.anchors]
        dated = [(a, day) for a, day in dated if day]
        for (earlier, first), (later, second) in itertools.pairwise(dated):
            if second < first:
                self.add_error(
                    f"{later.code}_date",
                    _("The date of %(later)s cannot be before the date of %(earlier)s.")
                    % {"later": later.label, "earlier": earlier.label},
                )
        return cleaned


class EndForm(EdcForm):
    submit_label = _("End participation")

    status = forms.ChoiceField(
        label=_("Outcome"),
        choices=[
            (Participant.Status.COMPLETED, Participant.Status.COMPLETED.label),
            (Participant.Status.WITHDRAWN, Participant.Status.WITHDRAWN.label),
            (Participant.Status.LOST, Participant.Status.LOST.label),
        ],
    )
    ended_date = forms.DateField(label=_("Date"), widget=DateInput, validators=[not_in_future])
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required for a withdrawal or loss to follow-up."),
    )


class ReasonForm(EdcForm):
    reason = forms.CharField(
        label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )
