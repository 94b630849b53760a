"""An ``adverse_events`` table: the safety table of the protocol's adverse-event log.

It reads the log (``TableContext.events``: the release's events frame, one row per entry),
not the wide dataset: per arm, the participants with at least one event, with a serious
event and with an event of each grade (the log's grading, mildest first), as n (%) of the
arm's participants, each row with the SAP's 2×2 test in the report's mode (docs/sap.md:
Pearson χ², Yates or Fisher's exact by sample size and expected counts; the other mode's P
beside it), then the number of events. A participant counts once per row, however many
events they had. Pooled (blinded) reports print one column of all participants and no test.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from analysis.plans.schema import EventLog, TableSpec
from analysis.tables import _labels as L
from analysis.tables._categorical import between_marker
from analysis.tables._common import (
    Row,
    TableContext,
    categorical_test,
    columns,
    count_values,
    finish_table,
    group_sizes,
    merge,
    p_cells,
    pct_cell,
)
from analysis.tables.characteristics import mode_note

ANY = L.bi("Participants with ≥ 1 adverse event", "发生 ≥ 1 次不良事件的病人")
SERIOUS = L.bi("Participants with ≥ 1 serious adverse event", "发生 ≥ 1 次严重不良事件的病人")
BY_GRADE = "Participants with ≥ 1 event, by {}", "按{}发生 ≥ 1 次事件的病人"
EVENTS = L.bi("Adverse events, number", "不良事件例次")
FIRST = L.bi("Adverse events", "不良事件")
NOTE_PARTICIPANTS = L.bi(
    "n (%) of the arm's participants; a participant counts once per row, however many "
    "events they had.",
    "n (%) 为该组病人数及其百分比；同一病人在每一行中只计一次，不论其发生几次事件。",
)
NOTE_NO_LOG = L.bi(
    "The data source holds no adverse-event log (a release cut before the log was "
    "released): nothing is counted.",
    "数据来源不含不良事件记录（该数据版本发布时尚未包含不良事件记录）：未作统计。",
)
NOTE_MARKERS = L.bi(
    "*P < 0.05, **P < 0.01, compared with the reference group.",
    "*P < 0.05，**P < 0.01，与对照组相比。",
)


def grade_code(value: Any) -> str | None:
    """Return a grade as its code text: 3.0 (a numeric grade read back as a float) is "3"."""
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _flag(value: Any) -> bool:
    return value is True or (not isinstance(value, str) and value == 1)


def _people_row(label: dict[str, str], who: dict[str, set[str]], sizes: dict[str, int],
                ctx: TableContext, level: int = 0) -> Row:  # fmt: skip
    """One row: the participants of ``who`` per group as n (%) of the group, and the test."""
    row: Row = {"cells": {"label": label}, "level": level}
    for g in ctx.groups:
        row["cells"][g] = pct_cell(len(who[g]), sizes[g])
    row["values"] = {g: count_values(len(who[g]), sizes[g]) for g in ctx.groups}
    if ctx.pooled:
        return row
    table = [[len(who[a]), sizes[a] - len(who[a])] for a in ctx.plan.arms]
    result, other = categorical_test(table, ctx, ordinal=False)
    row = merge(row, p_cells(result, other))
    if result is not None:
        row["cells"][ctx.plan.arms[0]] += between_marker(result.p_value)
    row["counts"] = table
    return row


def _who(events: pd.DataFrame, ctx: TableContext, mask: pd.Series | None = None
         ) -> dict[str, set[str]]:  # fmt: skip
    """Return the participants with an event (of ``mask``) per group."""
    chosen = events if mask is None else events[mask]
    return {g: set(chosen.loc[chosen["arm"] == g, "participant_id"]) for g in ctx.groups}


def _rows(events: pd.DataFrame, log: EventLog, sizes: dict[str, int], ctx: TableContext
          ) -> list[Row]:  # fmt: skip
    events = events[events["participant_id"].notna()]
    rows = [_people_row(ANY, _who(events, ctx), sizes, ctx)]
    flagged = events[log.serious_flag].map(_flag)
    rows.append(_people_row(SERIOUS, _who(events, ctx, flagged), sizes, ctx))
    grades = events[log.grade].map(grade_code)
    header = {"en": BY_GRADE[0].format(log.grade_label.en),
              "zh": BY_GRADE[1].format(log.grade_label.zh)}  # fmt: skip
    rows.append({"cells": {"label": header}, "level": 0})
    for code, label in log.grades:
        rows.append(_people_row(label.as_dict(), _who(events, ctx, grades == code), sizes, ctx,
                                level=1))  # fmt: skip
    counts: Row = {"cells": {"label": EVENTS}, "level": 0}
    for g in ctx.groups:
        counts["cells"][g] = str(int((events["arm"] == g).sum()))
    counts["values"] = {g: {"kind": "n", "n": int((events["arm"] == g).sum())}
                        for g in ctx.groups}  # fmt: skip
    return [*rows, counts]


def adverse_events_table(wide: pd.DataFrame, ctx: TableContext, spec: TableSpec) -> dict:
    """Return the safety table of the adverse-event log (``ctx.events``), per arm."""
    sizes = group_sizes(wide, ctx)
    log = ctx.event_log
    if log is None:
        raise ValueError(f"table {spec.key}: the protocol names no adverse-event log")
    notes = [NOTE_PARTICIPANTS]
    if ctx.events is None:
        rows = [{"cells": {"label": ANY, **{g: L.NOT_AVAILABLE for g in ctx.groups}},
                 "level": 0}]  # fmt: skip
        notes.append(NOTE_NO_LOG)
    else:
        rows = _rows(ctx.events, log, sizes, ctx)
    if not ctx.pooled:
        notes += [NOTE_MARKERS, mode_note(ctx)]
    first = spec.first_column.as_dict() if spec.first_column else FIRST
    table = {
        "key": spec.key,
        "title": spec.title.as_dict(),
        "columns": columns(wide, ctx, first=first),
        "rows": rows,
        "notes": notes,
    }
    return finish_table(table, ctx)
