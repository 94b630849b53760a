"""The paper-like demo trial (site RPT): its report reproduces the paper's Tables 1–5.

Published values: tests/reference/analysis/paper_continuous.csv (Tables 1–3, continuous
rows) and paper_tables.csv (counts), typed from the seed trial's paper (docs/design.md) with their
table and row. The demo is loaded through the trial services, the report tables are built
as a report run builds them, and every published cell is checked: exactly where a data set
on the EDC's value grid can print it, else within the gap listed below with its reason.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from django.contrib.auth import get_user_model

from analysis.datasets.builders import dataset_build
from analysis.demo import demo_report_trial_load
from analysis.demo_compare import count_comparison, read_csv
from analysis.plans import get_plan
from analysis.services import build_result
from analysis.tables import TableContext
from trial.models import Participant, Site

REFERENCE = Path(__file__).parents[2] / "reference" / "analysis"
PLAN = get_plan("snrb_peld")
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")

# (column, arm, statistic) → (largest gap, why no data set of the EDC can print the value).
UNREACHABLE = {
    ("bmi", "S", "sd"): (1.1, "mean 25.9 with SD 4.0 inside the paper's BMI range 18.5–30 "
                               "is not Shapiro-normal, so the row would not print mean ± SD"),
    ("length_of_stay_days", "S", "q3"): (0.1, "Q3 of 38 whole days is k + j/4: 7.25 prints "
                                              "7.2 (round half to even)"),
    ("odi_admission", "S", "q3"): (0.25, "ODI % of 10 answered sections is even: Q3 of 38 "
                                         "is a multiple of 0.5"),
    ("odi_admission", "P", "q1"): (1.0, "Q1 of 39 is one ODI %, an even number"),
    ("odi_month_3", "P", "q1"): (1.5, "Q1 of 39 is one ODI %, an even number"),
    ("odi_month_3", "P", "q3"): (1.0, "Q3 of 39 is one ODI %, an even number"),
}  # fmt: skip
# Rows whose published centre is also the demo's median (elsewhere only the mean can be it:
# the median of whole days, minutes, ml or scores cannot end in .3 or .7).
MEDIAN_TOO = {"age_years", "vas_leg_admission", "vas_leg_preop", "vas_leg_postop_day_3",
              "vas_leg_month_3", "sf36_total_admission", "sf36_total_month_3"}  # fmt: skip
# Published P values the Mann-Whitney P of the demo misses by one unit in the last digit.
P_GAP = {"surgery_minutes": 0.0015}


def _numbers(cell: str) -> list[float]:
    return [float(v) for v in NUMBER.findall(cell.rstrip(" *#").replace("±", " "))]


def _markers(cell: str) -> str:
    return cell[len(cell.rstrip(" *#")) :].replace(" ", "")


def _cells(result: dict) -> dict[str, dict[str, str]]:
    """Column → {arm: cell, "p": P} of every continuous row in Tables 1–3 (read directly)."""
    tables = {t["key"]: t["rows"] for t in result["tables"]}
    out = {}
    by_label = {r["cells"]["label"]["en"]: r["cells"] for r in tables["table1"]}
    for var in PLAN.table("table1").variables:
        if var.kind == "continuous":
            out[var.column] = by_label[var.label.en]
    vas = PLAN.table("table2").measures[0]
    for visit, row in zip(vas.visits, tables["table2"], strict=True):
        out[vas.column(visit)] = row["cells"]
    for measure, row in zip(PLAN.table("table3").measures, tables["table3"], strict=True):
        for visit in measure.visits:
            out[measure.column(visit)] = {
                **{a: row["cells"][f"{a}:{visit}"] for a in PLAN.arms},
                "p": row["cells"]["p"] if visit == measure.visits[-1] else "",
            }
    return out


def _load(site_code: str) -> tuple[dict, dict, pd.DataFrame]:
    user = get_user_model().objects.get(username="demo-loader")
    site = Site.objects.create(code=site_code, name="Report demo hospital")
    demo_report_trial_load(actor=user, site=site)
    data = dataset_build(plan=PLAN, population="itt", sites=(site_code,))
    correct, paper = (build_result(data, PLAN, TableContext(PLAN, mode=m), lambda *_: None)
                      for m in ("correct", "paper"))  # fmt: skip
    return correct, paper, data.wide


def _check_continuous(correct: dict, paper: dict) -> None:
    ours, theirs = _cells(correct), _cells(paper)
    for ref in read_csv(REFERENCE / "paper_continuous.csv"):
        col = ref["column"]
        for arm, key, marker in (("S", "s_cell", "s_marker"), ("P", "p_cell", "p_marker")):
            published = _numbers(ref[key])
            names = ("mean", "sd") if "±" in ref[key] else ("centre", "q1", "q3")
            demo = _numbers(ours[col][arm])
            for name, want, got in zip(names, published, demo, strict=True):
                where = f"{ref['source']} {arm} {name}: published {want}, demo {got}"
                if name == "centre":  # the mean, printed so in paper mode
                    assert _numbers(theirs[col][arm])[0] == want, where
                    if col in MEDIAN_TOO:
                        assert got == want, where
                elif (col, arm, name) in UNREACHABLE:
                    assert 0 < abs(got - want) <= UNREACHABLE[col, arm, name][0], where
                else:
                    assert got == want, where
            if ref["table"] != "1":
                assert _markers(ours[col][arm]) == ref[marker], (ref["source"], arm)
        if ref["p_published"]:
            want = float(ref["p_published"])
            got = ours[col]["p"]
            if want == 0:
                assert got == "< 0.001", ref["source"]
            else:
                assert abs(float(got) - want) <= P_GAP.get(col, 0.0), (ref["source"], got)


@pytest.mark.django_db
def test_demo_report_reproduces_the_papers_tables_and_loads_identically() -> None:
    # given the paper-like demo loaded through the trial services
    get_user_model().objects.create_user("demo-loader", password="x")
    correct, paper, wide = _load("RPT")

    # then every published continuous cell, P value and marker of Tables 1–3 is printed
    _check_continuous(correct, paper)
    # and every published count and (paper-mode) P value of Tables 1, 4 and 5
    counts = count_comparison(correct, paper, PLAN, read_csv(REFERENCE / "paper_tables.csv"))
    assert len(counts) >= 30
    assert [r for r in counts if not r["match"]] == []
    # and the primary outcome has events in both arms, so RR, OR and NNT are estimated
    adjusted = next(t for t in correct["tables"] if t["key"] == "adjusted")["rows"]
    first = next(i for i, r in enumerate(adjusted) if r["cells"]["label"]["en"] ==
                 PLAN.primary.label.en)  # fmt: skip
    assert adjusted[first]["cells"]["S"] == "9 (23.7%)"
    assert int(adjusted[first]["cells"]["P"].split()[0]) >= 3
    for row in adjusted[first + 1 : first + 5]:
        assert NUMBER.match(row["cells"]["estimate"]), row["cells"]["label"]["en"]

    # and the dates run as in the paper: consent, then randomization, then surgery
    randomized = Participant.objects.filter(site__code="RPT", allocation__isnull=False)
    assert randomized.count() == 77
    for p in randomized.select_related("allocation", "consent"):
        allocated = p.allocation.allocated_at.date()
        assert date(2023, 5, 1) <= p.consent.consent_date == allocated <= date(2024, 7, 31)
        assert allocated < p.surgery_date

    # when the demo is loaded again with the same seed at another site
    _, _, again = _load("RPX")
    # then the data are identical, value by value
    ignore = ["participant_id", "site"]
    pd.testing.assert_frame_equal(
        wide.drop(columns=ignore).reset_index(drop=True),
        again.drop(columns=ignore).reset_index(drop=True),
    )
