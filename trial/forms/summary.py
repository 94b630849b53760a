"""The error summary shown at the top of a form page, in the order the fields appear."""

from dataclasses import dataclass
from typing import Any

from django import forms


@dataclass(frozen=True)
class SummaryItem:
    """One error of the summary; ``anchor`` is the id of the field's box ("" if none)."""

    anchor: str
    label: Any
    message: Any


def layout_order(form: forms.BaseForm) -> list[str]:
    """Return the form's field names in page order: the crispy layout's, then the rest."""
    names: list[str] = []

    def walk(node: Any) -> None:
        for item in getattr(node, "fields", ()):
            if isinstance(item, str):
                names.append(item)
            else:
                walk(item)

    walk(getattr(getattr(form, "helper", None), "layout", None))
    return names + [name for name in form.fields if name not in names]


def error_summary(form: forms.BaseForm | None) -> list[SummaryItem]:
    """Return the errors of a bound form: those of the whole form first, then by field."""
    if form is None or not form.is_bound or not form.errors:
        return []
    items = [SummaryItem("", "", message) for message in form.non_field_errors()]
    for name in layout_order(form):
        if name not in form.fields or name not in form.errors:
            continue
        field = form[name]
        anchor = "" if field.is_hidden else f"div_{field.auto_id}"
        # the first message only; an index (not a slice) gives the text, not a ValidationError
        items.append(SummaryItem(anchor, field.label, field.errors[0]))
    return items
