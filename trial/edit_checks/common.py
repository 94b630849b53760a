"""Small pure helpers shared by the clinical edit checks (no Django but lazy translation)."""

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from .base import Finding, Severity

OTHER = "other"


def as_date(value: Any) -> date | None:
    """Return the calendar day of a date or (already local) datetime; None stays None."""
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else None


def is_blank(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == ()


def hard(field: str | None, code: str, message: Any) -> Finding:
    return Finding(field, code, message, Severity.HARD)


def soft(field: str | None, code: str, message: Any) -> Finding:
    return Finding(field, code, message, Severity.SOFT)


def details_needed(
    answers: Mapping[str, Any],
    choice_field: str,
    details_field: str,
    *,
    completing: bool,
    message: Any,
    trigger: str = OTHER,
) -> list[Finding]:
    """Return a hard finding when ``choice_field`` is ``trigger`` and the details are blank."""
    value = answers.get(choice_field)
    chosen = trigger in value if isinstance(value, list | tuple) else value == trigger
    if completing and chosen and is_blank(answers.get(details_field)):
        return [hard(details_field, f"{details_field}_missing", message)]
    return []


def days_after(later: Any, earlier: Any) -> int | None:
    """Return ``later - earlier`` in days, or None when either day is unknown."""
    later_day, earlier_day = as_date(later), as_date(earlier)
    if later_day is None or earlier_day is None:
        return None
    return (later_day - earlier_day).days
