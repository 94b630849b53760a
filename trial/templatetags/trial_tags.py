"""Display helpers for stored scores (formatting only; scores are computed by ``scoring``)."""

from typing import Any

from django import template
from django.utils.translation import gettext_lazy as _

from trial import display

register = template.Library()

SCORE_LABELS = {
    "vas": _("VAS"),
    "band": _("Band"),
    "raw_sum": _("Raw sum"),
    "answered": _("Items answered"),
    "percent": _("ODI (%)"),
    "subjective": _("Subjective symptoms"),
    "signs": _("Clinical signs"),
    "adl": _("Daily activities"),
    "bladder": _("Bladder function"),
    "total": _("Total"),
    "rand_pf": _("RAND physical functioning"),
    "rand_rp": _("RAND role limitations (physical)"),
    "rand_re": _("RAND role limitations (emotional)"),
    "rand_ef": _("RAND energy/fatigue"),
    "rand_ewb": _("RAND emotional well-being"),
    "rand_sf": _("RAND social functioning"),
    "rand_pain": _("RAND pain"),
    "rand_gh": _("RAND general health"),
    "pf": _("Physical functioning (PF)"),
    "rp": _("Role physical (RP)"),
    "bp": _("Bodily pain (BP)"),
    "gh": _("General health (GH)"),
    "vt": _("Vitality (VT)"),
    "sf": _("Social functioning (SF)"),
    "re": _("Role emotional (RE)"),
    "mh": _("Mental health (MH)"),
    "pcs": _("Physical component summary (PCS)"),
    "mcs": _("Mental component summary (MCS)"),
    "raw_total_8scales": _("Sum of the 8 raw scales (non-standard, as in the paper)"),
    "grade": _("Grade"),
    "excellent_good": _("Excellent or good"),
    "leg_vas": _("Leg pain"),
    "back_vas": _("Back pain"),
}


def _format(value: Any) -> str:
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(display.score_value_label(value))


@register.simple_tag
def score_rows(scores: dict[str, Any]) -> list[tuple[str, Any]]:
    """Return (label, display value or None) pairs, nested scores flattened."""
    rows = []
    for key, value in scores.items():
        if isinstance(value, dict):
            for inner, inner_value in value.items():
                label = f"{SCORE_LABELS.get(key, key)} · {SCORE_LABELS.get(inner, inner)}"
                rows.append((label, None if inner_value is None else _format(inner_value)))
        else:
            rows.append((SCORE_LABELS.get(key, key), None if value is None else _format(value)))
    return rows


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
        from django.apps import apps

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
