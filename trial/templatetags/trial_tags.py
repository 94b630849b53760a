"""Display helpers for stored scores (formatting only; scores are computed by ``scoring``)."""

from typing import Any

from django import template
from django.apps import apps

from trial import display

register = template.Library()


@register.simple_tag
def score_rows(scores: dict[str, Any], formdef: Any = None) -> list[tuple[str, Any]]:
    """Return (label, display value or None) pairs, labelled by the form's instrument."""
    return display.score_rows(scores, formdef)


@register.filter
def scorer_label(version: str) -> str:
    """A stored scorer version as a human name (``vas-0-10/1`` -> the VAS, version 1)."""
    return display.scorer_label(version or "")


@register.filter
def zoned(value: Any) -> str:
    """A time in the active (site's) zone with the zone shown: ``… 18:05:03 CST +08:00``."""
    return display.zoned(value)


@register.filter
def reason_label(reason: str) -> str:
    """A reason with system-generated reasons in the reader's language."""
    return display.reason_label(reason or "")


@register.simple_tag
def change_lines(changes: dict[str, Any], formdef: Any = None, object_type: str = "") -> list:
    """The changes of an audit event as (field label, old label, new label) lines."""
    model = None
    if object_type:
        try:
            model = apps.get_model(object_type)
        except (LookupError, ValueError):
            model = None
    return display.changes_for(changes or {}, formdef, model)


@register.filter
def form_instance_label(instance: Any) -> str:
    """``S01-0007 · PELD surgery · PELD surgery`` in the reader's language."""
    return display.form_instance_label(instance)


@register.filter
def query_field_label(query: Any) -> str:
    return display.query_field_label(query)


@register.simple_tag
def form_help(formdef: Any) -> dict[str, Any]:
    """The help a form shows on demand: its instrument's instructions and recall period as
    the authors wrote them, and the definitions of its fields (trial.display.form_help)."""
    return display.form_help(formdef)
