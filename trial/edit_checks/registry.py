"""Which edit check runs on which form model, and what it needs from the protocol.

Used by the data-entry forms and by the nightly re-check job, so both apply exactly the
same rules to the same data.
"""

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from trial.protocol import Protocol

from .adverse_event import check_adverse_event
from .base import Finding
from .baseline import check_baseline
from .discharge import check_discharge
from .medication import check_medication
from .outcome import check_outcome
from .peld import check_peld
from .snrb import check_snrb
from .timing import anchor_dates_given


def _no_extra(protocol: Protocol | None) -> dict[str, Any]:
    return {}


@dataclass(frozen=True, slots=True)
class EditCheck:
    func: Callable[..., list[Finding]]
    protocol_kwargs: Callable[[Protocol | None], dict[str, Any]] = field(default=_no_extra)


EDIT_CHECKS: dict[str, EditCheck] = {
    "trial.baselinedata": EditCheck(
        check_baseline, lambda p: {"bmi_range": p.bmi_range if p else None}
    ),
    "trial.medicationdata": EditCheck(check_medication),
    "trial.snrbdata": EditCheck(check_snrb),
    "trial.pelddata": EditCheck(check_peld),
    "trial.dischargedata": EditCheck(check_discharge),
    "trial.outcomedata": EditCheck(
        check_outcome,
        lambda p: {"complication_codes": [c.code for c in p.complications] if p else None},
    ),
    "trial.adverseeventdata": EditCheck(check_adverse_event),
}


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
    check = EDIT_CHECKS.get(model_label.lower())
    if check is None:
        return []
    dates = {f"{code}_date": day for code, day in anchor_dates_given(anchors, anchor_dates).items()}
    wanted = inspect.signature(check.func).parameters
    return check.func(
        answers,
        completing=completing,
        **{name: day for name, day in dates.items() if name in wanted},
        **check.protocol_kwargs(protocol),
    )
