"""A complete report result for the renderer tests: the paper's counts (Tables 1, 4, 5),
seeded scores for Tables 2-3, a screening log, and the primary outcome with events."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from analysis.plans import get_plan
from analysis.services import json_safe
from analysis.tables import TableContext, adjusted_analyses, consort_flow, figures, wide_tables
from tests.unit.analysis.test_tables_paper import paper_wide

PLAN = get_plan("snrb_peld")
VAS = PLAN.table("table2").measures[0]


def report_frames(seed: int = 3) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Return (wide, long, screening) of 77 participants with every report column."""
    wide = paper_wide()
    rng = np.random.default_rng(seed)
    for measure in PLAN.repeated_measures():
        for visit in measure.visits:
            wide[measure.column(visit)] = np.round(rng.normal(5, 1.5, len(wide))).clip(0, 10)
    day3 = VAS.column(PLAN.primary.visit)
    wide.loc[wide.index[:12], day3] = 0.0  # complete relief in 12 (S arm first)
    wide.loc[wide.index[40:45], day3] = 0.0
    long = pd.concat(
        pd.DataFrame({"participant_id": range(len(wide)), "arm": wide["arm"], "visit": v,
                      VAS.prefix: wide[VAS.column(v)]})
        for v in VAS.visits
    )  # fmt: skip
    n = len(wide)
    screening = pd.DataFrame({
        "status": ["randomized"] * n + ["screened"] * 5,
        "eligible": [True] * n + [False] * 5,
        "failed_criteria": [[]] * n + [["age"]] * 5,
        "arm": [*wide["arm"], *[None] * 5],
        "received_allocated": [True] * n + [False] * 5,
        "per_protocol": [True] * n + [False] * 5,
        "end_reason": [""] * (n + 5),
    })  # fmt: skip
    return wide, long, screening


def build(ctx: TableContext) -> dict:
    wide, long, screening = report_frames()
    tables = [make(wide, ctx, spec) for spec, make in wide_tables(PLAN)]
    tables.append(adjusted_analyses(wide, long, ctx))
    labels = {"age": {"en": "Age outside 18-75 years", "zh": "年龄不在 18-75 岁"}}
    return json_safe({
        "tables": tables,
        "consort": consort_flow(screening, ctx, reason_labels=labels),
        "figures": figures(long, ctx),
        "dictionary": [],
    })  # fmt: skip


@lru_cache(maxsize=2)
def _cached(mode: str) -> dict:
    return build(TableContext(PLAN, mode=mode))


def report_result(mode: str = "correct") -> dict:
    """Return the result (a fresh copy) as the job stores it (JSON-safe)."""
    import copy

    return copy.deepcopy(_cached(mode))


def meta(language: str = "en") -> dict:
    return {"run_id": 7, "language": language,
            "inputs": {"n": 77, "mode": "correct", "software": {"python": "3.11"}}}  # fmt: skip
