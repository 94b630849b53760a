"""The ``adverse_events`` table kind: the safety table of a protocol's adverse-event log,
its numbers pinned against an independent computation (scipy) on small constructed logs,
its pooled (blinded) form, and its rendering in the XLSX, DOCX and PDF reports."""

from __future__ import annotations

import dataclasses
import io

import openpyxl
import pandas as pd
import pytest
from docx import Document
from scipy.stats import chi2_contingency, fisher_exact

from analysis.render.docx import render_docx
from analysis.render.pdf import render_pdf
from analysis.render.xlsx import render_xlsx
from analysis.services import json_safe
from analysis.tables import TableContext, build_table
from analysis.trial_plans import event_log, get_plan
from tests.unit.analysis.report_result import meta, report_result
from tests.unit.analysis.test_report_render import pdf_pages
from trial import discovery
from trial.protocol import get_protocol

CODE = "rehab_ldh"


def _plan_and_log():
    plan = get_plan(CODE)
    return plan, plan.table("safety"), event_log(get_protocol(CODE))


def _frames(n_r: int, n_u: int, events: list[tuple[int, bool, float]]):
    """Return (wide, events): ``n_r`` + ``n_u`` participants, and their log entries given
    as (participant number, serious, CTCAE grade as the release reads it back: a float)."""
    ids = [f"P{i:03d}" for i in range(n_r + n_u)]
    arms = ["R"] * n_r + ["U"] * n_u
    wide = pd.DataFrame({"participant_id": ids, "arm": arms})
    log = pd.DataFrame(
        [{"participant_id": ids[i], "arm": arms[i], "serious": s, "severity": g}
         for i, s, g in events],
        columns=["participant_id", "arm", "serious", "severity"],
    )  # fmt: skip
    return wide, log


# 12 R and 6 U participants (2:1, n < 40: the SAP's rule is Fisher's exact test)
SMALL_EVENTS = [
    (0, False, 1.0), (0, True, 3.0), (1, False, 1.0), (2, False, 2.0), (3, True, 3.0),
    (4, False, 1.0), (4, False, 1.0), (12, False, 1.0), (13, True, 4.0),
]  # fmt: skip


def _independent(wide: pd.DataFrame, log: pd.DataFrame, mask) -> tuple[list[list[int]], dict]:
    """Participants with an event of ``mask`` per arm, counted here from the raw rows."""
    sizes = wide["arm"].value_counts().to_dict()
    who = {arm: set() for arm in ("R", "U")}
    for row in log.itertuples():
        if mask(row):
            who[row.arm].add(row.participant_id)
    table = [[len(who[a]), sizes[a] - len(who[a])] for a in ("R", "U")]
    return table, sizes


def _table(wide, log, *, pooled=False, mode="correct"):
    plan, spec, elog = _plan_and_log()
    if pooled:
        wide, log = wide.assign(arm="all"), log.assign(arm="all")
    ctx = TableContext(plan, mode=mode, pooled=pooled, events=log, event_log=elog)
    return build_table(wide, ctx, spec)


def _row(table: dict, label: str) -> dict:
    return next(r for r in table["rows"] if r["cells"]["label"]["en"] == label)


@pytest.mark.requirement("EXP-041")
def test_the_safety_table_counts_participants_and_tests_as_fishers_exact() -> None:
    wide, log = _frames(12, 6, SMALL_EVENTS)
    table = _table(wide, log)
    checks = {
        "Participants with ≥ 1 adverse event": lambda r: True,
        "Participants with ≥ 1 serious adverse event": lambda r: r.serious is True,
        "Grade 1 (mild)": lambda r: r.severity == 1,
        "Grade 3 (severe)": lambda r: r.severity == 3,
        "Grade 4 (life-threatening)": lambda r: r.severity == 4,
    }
    for label, mask in checks.items():
        counts, sizes = _independent(wide, log, mask)
        row = _row(table, label)
        assert row["counts"] == counts, label
        for arm, (n, _) in zip(("R", "U"), counts, strict=True):
            assert row["values"][arm]["n"] == n
            assert row["values"][arm]["total"] == sizes[arm]
            assert row["values"][arm]["pct"] == pytest.approx(100 * n / sizes[arm])
        assert row["test_code"] == "fisher_exact", label
        assert row["p_value"] == pytest.approx(fisher_exact(counts)[1], rel=1e-9), label
    # a participant with two events counts once; the events row counts every entry
    assert _row(table, "Participants with ≥ 1 adverse event")["values"]["R"]["n"] == 5
    assert _row(table, "Adverse events, number")["cells"] == {
        "label": {"en": "Adverse events, number", "zh": "不良事件例次"},
        "R": "7",
        "U": "2",
    }
    # the grades come from the protocol's dictionary, mildest first, under its grade label
    labels = [r["cells"]["label"]["en"] for r in table["rows"] if r["level"] == 1]
    assert labels == [label.en for _, label in event_log(get_protocol(CODE)).grades]
    assert [c["key"] for c in table["columns"]][:3] == ["label", "R", "U"]
    assert table["columns"][1]["label"]["en"] == "Rehabilitation (n = 12)"


@pytest.mark.requirement("EXP-041")
def test_a_large_trial_is_tested_by_pearsons_chi_square_as_the_sap_says() -> None:
    # 60 R and 30 U participants, every expected count ≥ 5: Pearson χ² without correction
    events = [(i, i % 3 == 0, 1.0) for i in range(0, 24)] + [(i, False, 2.0) for i in range(60, 78)]
    wide, log = _frames(60, 30, events)
    table = _table(wide, log)
    counts, _ = _independent(wide, log, lambda r: True)
    row = _row(table, "Participants with ≥ 1 adverse event")
    assert row["test_code"] == "pearson_chi2"
    assert row["p_value"] == pytest.approx(chi2_contingency(counts, correction=False)[1])
    # the other mode's P is shown beside it (paper mode: Pearson too, no cell < 5)
    assert row["p_other_value"] == pytest.approx(row["p_value"])
    assert row["cells"]["R"].endswith(" *") == (row["p_value"] < 0.05)


@pytest.mark.requirement("EXP-041")
def test_a_pooled_safety_table_has_one_column_and_no_comparison() -> None:
    wide, log = _frames(12, 6, SMALL_EVENTS)
    table = _table(wide, log, pooled=True)
    assert [c["key"] for c in table["columns"]] == ["label", "all"]
    assert table["columns"][1]["label"]["en"] == "All participants (n = 18)"
    for row in table["rows"]:
        assert set(row["cells"]) <= {"label", "all"}
        assert "counts" not in row
        assert "p_value" not in row
    assert _row(table, "Participants with ≥ 1 adverse event")["values"]["all"]["n"] == 7
    assert "compared with" not in str(table["notes"])


@pytest.mark.requirement("EXP-041")
def test_a_source_without_the_log_says_so_instead_of_counting_nothing() -> None:
    wide, _log = _frames(12, 6, SMALL_EVENTS)
    plan, spec, elog = _plan_and_log()
    table = build_table(wide, TableContext(plan, events=None, event_log=elog), spec)
    assert table["rows"][0]["cells"]["R"] == "—"
    assert any("holds no adverse-event log" in n["en"] for n in table["notes"])


def _result_with_safety() -> tuple[dict, dict]:
    wide, log = _frames(12, 6, SMALL_EVENTS)
    table = json_safe(_table(wide, log))
    result = report_result()
    result["tables"].append(table)
    return result, table


@pytest.mark.requirement("EXP-041")
@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_safety_table_renders_in_xlsx_docx_and_pdf(language: str) -> None:
    result, table = _result_with_safety()
    lang = "zh" if language == "zh" else "en"
    title = table["title"][lang]
    serious = _row(table, "Participants with ≥ 1 serious adverse event")
    label, r_cell = serious["cells"]["label"][lang], serious["cells"]["R"]
    # XLSX: a sheet of its own with the title, the row and its count
    book = openpyxl.load_workbook(io.BytesIO(render_xlsx(result, meta(language))))
    sheet = book[table["key"]]
    texts = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    assert title in texts
    assert label in texts
    assert any(t.startswith(r_cell.split(" (")[0]) for t in texts)
    # DOCX: the caption and the row
    doc = Document(io.BytesIO(render_docx(result, meta(language))))
    paragraphs = " ".join(p.text for p in doc.paragraphs)
    assert title in paragraphs
    cells = {c.text for t in doc.tables for row in t.rows for c in row.cells}
    assert label in cells
    assert r_cell in cells
    # PDF: a page with the caption and the row
    pages = [text for _, text in pdf_pages(render_pdf(result, meta(language)))]
    page = next(text for text in pages if title in text.replace("\r\n", " ").replace("\n", " "))
    flat = page.replace("\r\n", " ").replace("\n", " ")
    assert label.split(" ")[0] in flat
    assert r_cell in flat


@pytest.mark.requirement("EXP-041")
def test_the_rehabilitation_plan_tables_its_adverse_events_fourth(monkeypatch) -> None:
    plan = get_plan(CODE)
    assert [t.kind for t in plan.tables][3] == "adverse_events"
    assert plan.tables[3].title.zh.startswith("表 4")
    # a plan that tables adverse events for a protocol naming no log is refused
    protocol = get_protocol(CODE)
    bare = dataclasses.replace(protocol.dashboard, events_form="")
    discovery.contributions("protocols")
    monkeypatch.setitem(discovery._found["protocols"], CODE,
                        dataclasses.replace(protocol, dashboard=bare))  # fmt: skip
    with pytest.raises(ValueError, match="names no adverse-event log"):
        get_plan(CODE)
