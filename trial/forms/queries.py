"""The query list's filter: a bad value is reported in the user's language and ignored."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

# A hundred years: any older_than beyond it is a typing error (and would overflow the date).
OLDER_THAN_MAX_DAYS = 36_500


class QueryFilterForm(forms.Form):
    older_than = forms.IntegerField(
        label=_("Open for at least (days)"),
        required=False,
        min_value=0,
        max_value=OLDER_THAN_MAX_DAYS,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        message = _("Enter a whole number of days from 0 to %(max)s.") % {
            "max": OLDER_THAN_MAX_DAYS
        }
        # Field.run_validators takes a validator's message from error_messages by its code.
        field = self.fields["older_than"]
        field.error_messages.update(invalid=message, min_value=message, max_value=message)

    def older_than_days(self) -> int | None:
        """Return the validated number of days, or None when absent or invalid."""
        if not self.is_valid():
            return None
        return self.cleaned_data.get("older_than")
