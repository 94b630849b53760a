"""The CONSORT 2010 flow diagram as data, from the screening log and participant statuses."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

import pandas as pd

from analysis.tables._common import TableContext

LOST_STATUSES = ("withdrawn", "lost_to_follow_up")
# Not randomized yet but still in the journey: neither randomized nor excluded.
AWAITING_STATUSES = ("screening", "eligible", "consented")


def _reasons(values: pd.Series, labels: Mapping[str, dict[str, str]]) -> list[dict]:
    counter: Counter[str] = Counter()
    for value in values:
        for code in value if isinstance(value, list | tuple) else [value]:
            counter[str(code) or "unspecified"] += 1
    return [
        {"code": code, "label": labels.get(code, {"en": code, "zh": code}), "n": n}
        for code, n in counter.most_common()
    ]


def _arm_flow(df: pd.DataFrame, labels: Mapping[str, dict[str, str]]) -> dict:
    lost = df[df["status"].isin(LOST_STATUSES)]
    return {
        "allocated": len(df),
        "received": int(df["received_allocated"].sum()),
        "not_received": int((~df["received_allocated"]).sum()),
        "lost": len(lost),
        "lost_reasons": _reasons(lost["end_reason"], labels),
        "analysed_itt": len(df),
        "analysed_pp": int(df["per_protocol"].sum()),
    }


def consort_flow(
    screening: pd.DataFrame,
    ctx: TableContext,
    *,
    reason_labels: Mapping[str, dict[str, str]] | None = None,
) -> dict:
    """Return the CONSORT counts: assessed, excluded by reason, randomized, per-arm flow.

    A participant not randomized but still in the journey (screening, eligible, consented)
    is counted as ``awaiting``, never as excluded.

    ``screening`` has one row per registered participant with ``status``, ``eligible``
    (True/False/None when not assessed), ``failed_criteria`` (list of codes), ``arm`` (None
    when not randomized), ``received_allocated``, ``per_protocol`` and ``end_reason``.
    Pooled (blinded) output has one flow, ``"all"``, instead of one per arm.
    """
    labels = dict(reason_labels or {})
    randomized = screening[screening["arm"].notna()]
    not_randomized = screening[screening["arm"].isna()]
    awaiting = not_randomized["status"].isin(AWAITING_STATUSES) & (
        not_randomized["eligible"].map(lambda v: v is not False)
    )
    excluded = not_randomized[~awaiting]
    why = excluded.apply(_exclusion_reason, axis=1)
    groups = {"all": randomized} if ctx.pooled else {
        arm: randomized[randomized["arm"] == arm] for arm in ctx.plan.arms
    }  # fmt: skip
    return {
        "assessed": len(screening),
        "excluded": len(excluded),
        "awaiting": int(awaiting.sum()),
        "excluded_reasons": _reasons(why, labels) if len(excluded) else [],
        "randomized": len(randomized),
        "arms": {g: _arm_flow(df, labels) for g, df in groups.items()},
        "arm_labels": {g: ctx.group_name(g) for g in groups},
    }


def _exclusion_reason(row: pd.Series) -> list[str]:
    if row["eligible"] is False:
        return list(row["failed_criteria"]) or ["ineligible"]
    if row["eligible"] is None or pd.isna(row["eligible"]):
        return ["not_assessed"]
    if row["status"] == "eligible":
        return ["not_consented"]
    return ["not_randomized"]
