"""Radio groups and selects written in Python with crispy-bootstrap5's markup.

An SF-36 page has 36 radio groups (180 radios) and 36 "not answered" selects. Rendered
through crispy-forms, each field is a ``field.html`` template rendered with the whole page
context flattened, and each radio an include: about 80 % of the GET's time went there
(docs/benchmarks.md, "SF-36 form: the profile"). ``LeanField`` writes the same elements,
attributes and ids as crispy-bootstrap5's templates (the unit tests compare the two), from
the same Django widget data (``optgroups``, ``build_widget_attrs``), so labels, ids, checked
and disabled states are Django's own. A field with anything these few lines do not
reproduce — an error, help text, a required marker, CSS classes, another widget — is handed
to crispy as before, so an invalid form shows crispy's error markup unchanged.
"""

from typing import Any

from crispy_forms.layout import Fieldset, LayoutObject
from crispy_forms.utils import TEMPLATE_PACK, render_field
from django import forms
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe


def _attrs(attrs: dict[str, Any]) -> str:
    """``django/forms/widgets/attrs.html`` (and crispy's ``layout/attrs.html``) in Python."""
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            out.append(f" {name}")
        else:
            out.append(f' {name}="{conditional_escape(str(value))}"')
    return "".join(out)


def _plain(bound: forms.BoundField) -> bool:
    """Whether crispy would render nothing but label and widget (no error, help, marker)."""
    return not (
        bound.errors
        or bound.help_text
        or bound.field.required
        or bound.css_classes()
        or not bound.label
        or bound.is_hidden
    )


def radio_group(bound: forms.BoundField) -> SafeString | None:
    """A radio group as crispy-bootstrap5's ``field.html`` + ``radio_checkbox_select.html``."""
    widget = bound.field.widget
    if type(widget) is not forms.RadioSelect or widget.attrs or not bound.auto_id:
        return None
    if not _plain(bound):
        return None
    attrs = bound.build_widget_attrs({"id": bound.auto_id} if bound.auto_id else {})
    value = widget.format_value(bound.value())
    name = conditional_escape(bound.html_name)
    options = []
    for group, choices, _index in widget.optgroups(bound.html_name, value, attrs):
        if group:
            return None
        for option in choices:
            value, label = conditional_escape(str(option["value"])), option["label"]
            options.append(
                f'<div class="form-check"> <input type="{option["type"]}" '
                f'class="form-check-input"  name="{name}" value="{value}" '
                f"{_attrs(option['attrs'])}> "
                f'<label for="{conditional_escape(option["attrs"]["id"])}" '
                f'class="form-check-label"> {conditional_escape(str(label))} </label> </div>'
            )
    return mark_safe(  # noqa: S308 (every value above is escaped)
        f'\n<div id="div_{conditional_escape(bound.auto_id)}" class="mb-3"> <fieldset> '
        f'<legend class="form-label fs-6"> {conditional_escape(bound.label)} </legend> '
        f"<div > {' '.join(options)} </div> </fieldset> </div>\n"
    )


def select(bound: forms.BoundField) -> SafeString | None:
    """A select as crispy-bootstrap5's ``field.html`` with Django's ``select.html``."""
    widget = bound.field.widget
    if type(widget) is not forms.Select or widget.attrs.keys() - {"class"} or not _plain(bound):
        return None
    if widget.attrs.get("class", "select form-select") != "select form-select":
        return None
    if not bound.auto_id:
        return None
    # Select.get_context's attributes and optgroups' selection, without its option dicts
    attrs = {"class": "select form-select", **bound.build_widget_attrs({}, widget)}
    attrs["id"] = bound.auto_id
    value, chosen, options = widget.format_value(bound.value()), False, []
    for option_value, label in widget.choices:
        if isinstance(label, list | tuple):
            return None  # an optgroup
        option_value = "" if option_value is None else option_value
        selected = not chosen and str(option_value) in value
        chosen |= selected
        options.append(
            f' <option value="{conditional_escape(str(option_value))}"'
            f"{' selected' if selected else ''}>{conditional_escape(str(label))}</option>"
        )
    return format_html(
        '\n<div id="div_{}" class="mb-3"> <label for="{}" class="form-label"> {} </label> '
        '<select name="{}"{}>{} </select> </div>\n',
        bound.auto_id,
        bound.id_for_label,
        bound.label,
        bound.html_name,
        mark_safe(_attrs(attrs)),  # noqa: S308
        mark_safe("".join(options)),  # noqa: S308
    )


class LeanField(LayoutObject):
    """A layout item naming one radio or select field, written in Python when it is plain."""

    def __init__(self, name: str) -> None:
        self.fields = [name]

    def render(
        self, form: forms.BaseForm, context: Any, template_pack: str = TEMPLATE_PACK, **kwargs: Any
    ) -> SafeString:
        name = self.fields[0]
        bound = form[name]
        html = radio_group(bound) or select(bound)
        if html is None:
            return render_field(name, form, context, template_pack=template_pack, **kwargs)
        if hasattr(form, "rendered_fields"):
            form.rendered_fields.add(name)
        return html


class LeanFieldset(Fieldset):
    """An instrument section as crispy-bootstrap5's ``fieldset.html``: legend, the section's
    note, its fields. The legend and note are text (escaped), not templates."""

    def __init__(self, legend: str, note: str, *fields: Any) -> None:
        super().__init__(legend, *fields)
        self.note = note

    def render(
        self, form: forms.BaseForm, context: Any, template_pack: str = TEMPLATE_PACK, **kwargs: Any
    ) -> SafeString:
        fields = self.get_rendered_fields(form, context, template_pack, **kwargs)
        note = format_html('<p class="text-body-secondary">{}</p>', self.note) if self.note else ""
        return format_html(
            "<fieldset > <legend>{}</legend> {}{} </fieldset>\n", self.legend, note, fields
        )
