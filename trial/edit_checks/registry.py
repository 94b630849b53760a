"""How an edit check runs on a form model, and what it needs from the protocol.

Each check is contributed under its form model's label (``FormDef.model``) in an app's
``contributions`` module (``EDIT_CHECKS``) and found by ``trial.discovery``.

Used by the data-entry forms and by the nightly re-check job, so both apply exactly the
same rules to the same data.
"""

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from trial.discovery import contributions
from trial.protocol import Protocol, anchor_date_name

from .base import Finding
from .timing import anchor_dates_given


def _no_extra(protocol: Protocol | None) -> dict[str, Any]:
    return {}


@dataclass(frozen=True, slots=True)
class EditCheck:
    func: Callable[..., list[Finding]]
    protocol_kwargs: Callable[[Protocol | None], dict[str, Any]] = field(default=_no_extra)


def has_edit_check(model_label: str) -> bool:
    """Return whether an edit check is contributed for the form model ``model_label``."""
    return model_label.lower() in contributions("edit_checks")


def edit_check_run(
    model_label: str,
    answers: Mapping[str, Any],
    *,
    protocol: Protocol | None,
    completing: bool,
    anchors: Mapping[str, date | None] | None = None,
    **anchor_dates: date | None,
) -> list[Finding]:
    """Return the findings of the form model's edit check (none if it has no check).

    ``anchors``: the participant's anchor dates by code (or ``<code>_date=`` keywords); a
    check is given those it names as ``<code>_date`` parameters (``surgery_date``).
    """
    check: EditCheck | None = contributions("edit_checks").get(model_label.lower())
    if check is None:
        return []
    dates = {
        anchor_date_name(code): day
        for code, day in anchor_dates_given(anchors, anchor_dates).items()
    }
    wanted = inspect.signature(check.func).parameters
    return check.func(
        answers,
        completing=completing,
        **{name: day for name, day in dates.items() if name in wanted},
        **check.protocol_kwargs(protocol),
    )
