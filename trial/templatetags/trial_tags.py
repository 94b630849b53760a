"""Display helpers for stored scores (formatting only; scores are computed by ``scoring``)."""

from typing import Any

from django import template
from django.utils.translation import gettext_lazy as _

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
    return str(value)


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
