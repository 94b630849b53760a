"""A plan heads its tables with its protocol's arm and visit labels (both languages) and
names only the headings it words differently (issue 17: one place per rule)."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from analysis.tables import TableContext, build_table
from analysis.trial_plans import get_plan
from trial import discovery
from trial.protocol import Text, get_protocol

CODE = "rehab_ldh"


def _contribute(monkeypatch, kind: str, value) -> None:
    discovery.contributions(kind)  # discovered now; the test replaces one
    monkeypatch.setitem(discovery._found[kind], CODE, value)


@pytest.mark.requirement("EXP-040")
def test_a_plan_without_label_overrides_gets_the_protocols_labels(monkeypatch) -> None:
    protocol = get_protocol(CODE)
    # the rehabilitation plan restates no visit label: its headings are the protocol's
    plan = get_plan(CODE)
    assert list(plan.visit_labels) == [v.code for v in protocol.visits]
    for visit in protocol.visits:
        got = plan.visit_labels[visit.code]
        assert (got.en, got.zh) == (visit.label.en, visit.label.zh)
    # its arms it shortens on purpose; without those overrides it gets the protocol's too
    assert plan.arm_labels["R"].en == "Rehabilitation"
    raw = discovery.contribution("analysis_plans", CODE)
    _contribute(monkeypatch, "analysis_plans", dataclasses.replace(raw, arm_labels={}))
    plain = get_plan(CODE)
    for arm in protocol.arms:
        got = plain.arm_labels[arm.code]
        assert (got.en, got.zh) == (arm.label.en, arm.label.zh)
    assert TableContext(plain).group_name("U") == {"en": "U: usual care", "zh": "U 组：常规护理"}


@pytest.mark.requirement("EXP-040")
def test_changing_a_protocols_visit_label_changes_the_table_heading(monkeypatch) -> None:
    protocol = get_protocol(CODE)
    spec = get_plan(CODE).table("primary")
    visits = spec.measures[0].visits
    wide = pd.DataFrame({"participant_id": [f"P{i}" for i in range(8)], "arm": list("RRRRRUUU")})
    for i, visit in enumerate(visits):
        wide[f"odi_{visit}"] = [40.0 - i * 5 + j for j in range(8)]

    def headings() -> list[dict]:
        table = build_table(wide, TableContext(get_plan(CODE)), spec)
        return [r["cells"]["label"] for r in table["rows"]]

    assert headings()[1] == {"en": "Week 2", "zh": "第 2 周"}
    relabelled = tuple(
        dataclasses.replace(v, label=Text("Two weeks after discharge", "出院后 2 周"))
        if v.code == "week_2" else v
        for v in protocol.visits
    )  # fmt: skip
    _contribute(monkeypatch, "protocols", dataclasses.replace(protocol, visits=relabelled))
    assert headings()[1] == {"en": "Two weeks after discharge", "zh": "出院后 2 周"}


def test_a_plan_labelling_an_unknown_visit_is_refused(monkeypatch) -> None:
    raw = discovery.contribution("analysis_plans", CODE)
    label = raw.arm_labels["R"]
    _contribute(monkeypatch, "analysis_plans",
                dataclasses.replace(raw, visit_labels={"week_3": label}))  # fmt: skip
    with pytest.raises(ValueError, match="week_3"):
        get_plan(CODE)
