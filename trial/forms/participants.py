from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from trial.forms.widgets import LocaleDateInput
from trial.models import Participant
from trial.protocol import AnchorDef, Protocol, anchor_date_name

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
    # the day the protocol's registration anchors take, labelled with their labels
    registration_date = forms.DateField(
        widget=DateInput, required=False, validators=[not_in_future]
    )
    full_name = forms.CharField(label=_("Full name"), max_length=200)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    hospital_number = forms.CharField(label=_("Hospital number"), max_length=40, required=False)

    def __init__(self, *args: Any, sites: Any, protocol: Protocol, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites
        if sites.count() == 1:
            self.fields["site"].initial = sites.first()
        anchors = protocol.registration_anchors
        if anchors:
            self.fields["registration_date"].label = anchor_dates_label(anchors)
        else:
            del self.fields["registration_date"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        cleaned.setdefault("registration_date", None)
        return cleaned


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


def anchor_date_label(anchor: AnchorDef) -> str:
    """The label of an anchor's date ("Registration date"; "Planned <anchor> date" for a date a
    form records later)."""
    if anchor.form:
        return capfirst(_("planned %(anchor)s date") % {"anchor": anchor.label})
    return capfirst(_("%(anchor)s date") % {"anchor": anchor.label})


def anchor_dates_label(anchors: tuple[AnchorDef, ...]) -> str:
    """The label of one date that dates several anchors ("Registration date")."""
    names = ", ".join(str(a.label) for a in anchors)
    return capfirst(_("%(anchor)s date") % {"anchor": names})


def dates_title(protocol: Protocol) -> str:
    """The dates page's title, naming the anchors staff enter ("Dates: registration")."""
    names = ", ".join(str(a.label) for a in protocol.entered_anchors)
    return _("Dates: %(anchors)s") % {"anchors": names}


class DatesForm(EdcForm):
    """The dates of the anchors the protocol lets staff enter (``<code>_date`` fields)."""

    reason = forms.CharField(
        label=_("Reason for change"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, protocol: Protocol, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.anchors = protocol.entered_anchors
        self.protocol = protocol
        for anchor in reversed(self.anchors):
            field = forms.DateField(
                label=anchor_date_label(anchor), widget=DateInput, required=False
            )
            if anchor.event is not None:  # an event's day has happened
                field.validators.append(not_in_future)
            self.fields = {anchor_field(anchor): field, **self.fields}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for anchor in self.anchors:
            if not anchor.not_before or anchor_field(anchor) not in cleaned:
                continue
            earlier = self.protocol.anchor(anchor.not_before)
            day, limit = cleaned.get(anchor_field(anchor)), cleaned.get(anchor_field(earlier))
            if day and limit and day < limit:
                self.add_error(
                    anchor_field(anchor),
                    _("The %(anchor)s date cannot be before the %(earlier)s date.")
                    % {"anchor": anchor.label, "earlier": earlier.label},
                )
        return cleaned


def anchor_field(anchor: AnchorDef) -> str:
    """The dates page's field of an anchor: its date's name (``registration_date``)."""
    return anchor_date_name(anchor.code)


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
