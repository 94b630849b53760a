"""Date and time inputs typed in the user's language's format, never the browser's picker.

A browser's ``<input type="date">`` shows its own locale's order (mm/dd/yyyy in an English
browser) whatever language the EDC speaks, so dates are text inputs here: the format is the
active language's first ``DATE_INPUT_FORMATS`` entry (config/formats/), shown as the
placeholder and checked by the browser's ``pattern``; the server parses the same formats.
"""

import re
from typing import Any

from django import forms
from django.utils import formats

_PATTERNS = {"%Y": r"\d{4}", "%m": r"\d{1,2}", "%d": r"\d{1,2}", "%H": r"\d{1,2}", "%M": r"\d{2}"}
_PLACEHOLDERS = {"%Y": "YYYY", "%m": "MM", "%d": "DD", "%H": "HH", "%M": "MM", "%S": "SS"}
_DIRECTIVE = re.compile(r"%[A-Za-z]")


def input_pattern(strftime_format: str) -> str:
    """Return the HTML ``pattern`` a value of ``strftime_format`` matches."""
    parts = [part.replace(".", r"\.") for part in _DIRECTIVE.split(strftime_format)]
    directives = _DIRECTIVE.findall(strftime_format)
    out = parts[0]
    for directive, rest in zip(directives, parts[1:], strict=True):
        out += _PATTERNS.get(directive, r"\d+") + rest
    return out


def input_placeholder(strftime_format: str) -> str:
    """Return ``YYYY-MM-DD`` style help for ``strftime_format``."""
    return _DIRECTIVE.sub(lambda m: _PLACEHOLDERS.get(m.group(0), m.group(0)), strftime_format)


class _TypedInput:
    input_type = "text"
    format_key: str

    def get_context(self, name: str, value: Any, attrs: dict | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)  # type: ignore[misc]
        shape = formats.get_format(self.format_key)[0]
        widget_attrs = context["widget"]["attrs"]
        widget_attrs.setdefault("placeholder", input_placeholder(shape))
        widget_attrs.setdefault("pattern", input_pattern(shape))
        widget_attrs.setdefault("inputmode", "numeric")
        widget_attrs.setdefault("autocomplete", "off")
        widget_attrs.setdefault("data-format", input_placeholder(shape))
        return context


class LocaleDateInput(_TypedInput, forms.DateInput):
    """A date typed as text in the active language's format (ISO 8601 ``YYYY-MM-DD``)."""

    format_key = "DATE_INPUT_FORMATS"

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs=attrs, format=None)  # None: the active language's format


class LocaleDateTimeInput(_TypedInput, forms.DateTimeInput):
    """A date and time typed as text (``YYYY-MM-DD HH:MM``) in the site's time zone."""

    format_key = "DATETIME_INPUT_FORMATS"

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs=attrs, format=None)

    def get_context(self, name: str, value: Any, attrs: dict | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"].pop("inputmode", None)  # the space needs the full keyboard
        return context
