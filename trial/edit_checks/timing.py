"""When a form's assessment took place, checked against its visit in the protocol.

One rule for every form at a visit, from the protocol's visit windows (``VisitDef``):

* a date in the future is refused (hard);
* a form of a visit that follows its anchor event (post-op forms follow the surgery) dated
  before that event is refused (hard);
* a date outside the visit's window is a soft finding: saving needs a reason, opens a query
  and flags the form.
"""

from collections.abc import Mapping
from datetime import date
from typing import Any

from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from trial.protocol import FormDef, Protocol, VisitDef

from .base import Finding
from .common import as_date, hard, soft

FUTURE = "assessment_in_future"
BEFORE_ANCHOR = "assessment_before_anchor"
OUTSIDE_WINDOW = "assessment_outside_window"


def check_assessment_date(
    value: Any,
    *,
    field: str,
    visit: VisitDef | None,
    anchor_date: date | None,
    anchor_label: Any,
    today: date,
) -> list[Finding]:
    """Return the findings on a form's assessment date (none when the date is blank)."""
    day = as_date(value)
    if day is None:
        return []
    if day > today:
        return [hard(field, FUTURE, _("The assessment date is in the future."))]
    if visit is None or anchor_date is None:
        return []
    values = {"anchor": anchor_label, "date": date_format(anchor_date, "SHORT_DATE_FORMAT")}
    if visit.follows_anchor and day < anchor_date:
        message = _(
            "This visit follows the %(anchor)s (%(date)s): the form cannot be dated before it."
        )
        return [hard(field, BEFORE_ANCHOR, message % values)]
    timing = visit.timing(anchor_date, day)
    if timing.in_window is False:
        start, end = visit.window(anchor_date)
        message = _(
            "The assessment is %(days)s days from the %(anchor)s, outside this visit's window "
            "(%(start)s to %(end)s). Give a reason to save it anyway; a query will be opened."
        )
        values |= {
            "days": timing.days_from_anchor,
            "start": date_format(start, "SHORT_DATE_FORMAT"),
            "end": date_format(end, "SHORT_DATE_FORMAT"),
        }
        return [soft(field, OUTSIDE_WINDOW, message % values)]
    return []


def anchor_dates_given(
    anchors: Mapping[str, date | None] | None, dated: Mapping[str, date | None]
) -> dict[str, date | None]:
    """Merge anchor dates given as a mapping and as ``<code>_date=`` keywords."""
    merged = dict(anchors or {})
    for name, day in dated.items():
        if not name.endswith("_date"):
            raise TypeError(f"unexpected keyword {name!r}: anchor dates are <code>_date")
        merged[name.removesuffix("_date")] = day
    return merged


def check_form_timing(
    protocol: Protocol,
    formdef: FormDef,
    visit_code: str | None,
    answers: dict[str, Any],
    *,
    today: date,
    anchors: Mapping[str, date | None] | None = None,
    **anchor_dates: date | None,
) -> list[Finding]:
    """Check the form's own date field (``formdef.date_field``) against its visit.

    ``anchors``: the participant's anchor dates by code (``trial.selectors.anchors``); they
    may also be given as ``<code>_date=`` keywords (``surgery_date=``).

    A form that records its visit's anchor event (the surgery record) defines that date, so
    only the future is checked for it; so for logs, which belong to no visit.
    """
    field = formdef.date_field
    visit = protocol.visit(visit_code) if visit_code else None
    if visit is None or protocol.visit_defined_by(visit, formdef.code):
        return check_assessment_date(
            answers.get(field),
            field=field,
            visit=None,
            anchor_date=None,
            anchor_label="",
            today=today,
        )
    dates = anchor_dates_given(anchors, anchor_dates)
    return check_assessment_date(
        answers.get(field),
        field=field,
        visit=visit,
        anchor_date=dates.get(visit.anchor),
        anchor_label=protocol.anchor(visit.anchor).label,
        today=today,
    )
