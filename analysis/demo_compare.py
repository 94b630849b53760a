"""Compare a report's Tables 1–5 with the paper's published cells, value by value (pure).

Input: the report's result tables (``analysis.services.build_result``) in correct and paper
mode, and the paper's values as typed in ``tests/reference/analysis`` (``paper_continuous.csv``:
continuous rows; ``paper_tables.csv``: counts). Output: one row per published value with the
demo's value next to it and whether it matches at the paper's rounding; ``markdown`` writes
them as the table of docs/paper-reproduction.md (``manage.py demo_paper_compare``).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

from analysis.plans.schema import AnalysisPlan

NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
COUNT_COLUMN = {"pfirrmann": "pfirrmann_grade", "relapse": "recurrence",
                "serious_complications": "serious_complication"}  # fmt: skip


def read_csv(path: Path) -> list[dict[str, str]]:
    """Read a reference CSV, skipping its ``#`` comment lines."""
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(line for line in fh if not line.startswith("#")))


def split_cell(text: str) -> tuple[list[str], str]:
    """Return the numbers of a cell as printed and its trailing markers (``*``, ``#``)."""
    body = text.rstrip(" *#")
    markers = text[len(body) :].replace(" ", "")
    return NUMBER.findall(body.replace("±", " ")), markers


def same(published: str, demo: str) -> bool:
    """Whether ``demo`` prints as ``published`` at the paper's rounding ("0" is 0.0)."""
    if not published or not demo:
        return published == demo
    decimals = len(published.split(".")[1]) if "." in published else 0
    return round(float(demo), max(decimals, 1)) == round(float(published), max(decimals, 1))


def continuous_cells(result: dict, plan: AnalysisPlan) -> dict[str, dict[str, str]]:
    """Return column → {arm: cell, "p": P cell} for the continuous rows of Tables 1–3."""
    tables = {t["key"]: t for t in result["tables"]}
    out: dict[str, dict[str, str]] = {}
    rows1 = {_en(r["cells"]["label"]): r for r in tables["table1"]["rows"]}
    for var in plan.table("table1").variables:
        if var.kind == "continuous":
            cells = rows1[var.label.en]["cells"]
            out[var.column] = {**{a: cells[a] for a in plan.arms}, "p": cells.get("p", "")}
    measure = plan.table("table2").measures[0]
    for visit, row in zip(measure.visits, tables["table2"]["rows"], strict=True):
        cells = row["cells"]
        out[measure.column(visit)] = {**{a: cells[a] for a in plan.arms}, "p": cells["p"]}
    for measure, row in zip(plan.table("table3").measures, tables["table3"]["rows"], strict=True):
        cells = row["cells"]
        for visit in measure.visits:
            last = visit == measure.visits[-1]
            out[measure.column(visit)] = {**{a: cells[f"{a}:{visit}"] for a in plan.arms},
                                          "p": cells.get("p", "") if last else ""}  # fmt: skip
    return out


def _en(label: Any) -> str:
    return label["en"] if isinstance(label, dict) else str(label)


def _p_same(published: str, demo: str) -> bool:
    return demo == ("< 0.001" if float(published) == 0 else f"{float(published):.3f}")


def continuous_comparison(correct: dict, paper: dict, plan: AnalysisPlan,
                          reference: list[dict[str, str]]) -> list[dict[str, Any]]:  # fmt: skip
    """One row per published statistic of a continuous row (centre, Q1, Q3, SD, P, markers)."""
    ours, theirs = continuous_cells(correct, plan), continuous_cells(paper, plan)
    rows: list[dict[str, Any]] = []
    for ref in reference:
        col, source = ref["column"], ref["source"]
        for arm, key in zip(plan.arms, ("s_cell", "p_cell"), strict=True):
            published, _ = split_cell(ref[key])
            median_cell, marks = split_cell(ours[col][arm])
            mean_cell, _ = split_cell(theirs[col][arm])
            names = ("mean", "SD") if "±" in ref[key] else ("centre", "Q1", "Q3")
            for i, name in enumerate(names):
                if name == "centre":
                    rows.append(_row(ref, arm, "centre as mean (paper mode)", published[0],
                                     mean_cell[0]))  # fmt: skip
                    rows.append(_row(ref, arm, "centre as median (correct mode)", published[0],
                                     median_cell[0]))  # fmt: skip
                else:
                    rows.append(_row(ref, arm, name, published[i], median_cell[i]))
            wanted = ref["s_marker" if arm == plan.arms[0] else "p_marker"]
            if ref["table"] != "1":
                rows.append({"table": ref["table"], "row": source, "arm": arm,
                             "statistic": "markers", "published": wanted or "none",
                             "demo": marks or "none", "match": wanted == marks})  # fmt: skip
        if ref["p_published"]:
            demo = ours[col]["p"]
            rows.append({"table": ref["table"], "row": source, "arm": "", "statistic": "P",
                         "published": ref["p_published"], "demo": demo,
                         "match": _p_same(ref["p_published"], demo)})  # fmt: skip
    return rows


def _row(ref: dict, arm: str, statistic: str, published: str, demo: str) -> dict[str, Any]:
    return {"table": ref["table"], "row": ref["source"], "arm": arm, "statistic": statistic,
            "published": published, "demo": demo, "match": same(published, demo)}  # fmt: skip


def count_comparison(correct: dict, paper: dict, plan: AnalysisPlan,
                     reference: list[dict[str, str]]) -> list[dict[str, Any]]:  # fmt: skip
    """One row per published count (n per category and arm) and P value (paper mode)."""
    blocks = {**_count_blocks(paper, plan)}
    correct_blocks = _count_blocks(correct, plan)
    rows: list[dict[str, Any]] = []
    for ref in reference:
        name = COUNT_COLUMN.get(ref["row"], ref["row"])
        block = blocks.get(name)
        if block is None:
            continue
        head, cats = block
        for arm, key in zip(plan.arms, ("counts_s", "counts_p"), strict=True):
            published = ref[key].split(";")
            demo = [NUMBER.findall(c["cells"][arm])[0] for c in cats] if cats else []
            if not cats:  # a binary row: the event count (the second number is n − event)
                demo = [NUMBER.findall(head["cells"][arm])[0]]
                published = published[:1]
            rows.append({"table": ref["table"], "row": ref["source"], "arm": arm,
                         "statistic": "n", "published": ";".join(published),
                         "demo": ";".join(demo), "match": published == demo})  # fmt: skip
        if ref["p_published"]:
            demo = head["cells"]["p"]
            other = correct_blocks[name][0]["cells"]["p"]
            rows.append({"table": ref["table"], "row": ref["source"], "arm": "",
                         "statistic": "P (paper mode)", "published": ref["p_published"],
                         "demo": f"{demo} (correct mode {other})",
                         "match": _p_same(ref["p_published"], demo)})  # fmt: skip
    return rows


def _count_blocks(result: dict, plan: AnalysisPlan) -> dict[str, tuple[dict, list[dict]]]:
    """Return variable column → (its first row, its category rows) in Tables 1, 4, 5."""
    tables = {t["key"]: t for t in result["tables"]}
    out: dict[str, tuple[dict, list[dict]]] = {}
    keys = ("table1", "table4", "table5")
    variables = {v.label.en: v for key in keys for v in plan.table(key).variables}
    for key in keys:
        rows = tables[key]["rows"]
        for i, row in enumerate(rows):
            var = variables.get(_en(row["cells"]["label"]))
            if var is None or var.kind == "continuous":
                continue
            cats = []
            if var.kind != "binary":
                cats = rows[i + 1 : i + 1 + len(var.categories)]
            out[var.column] = (row, cats)
        if key == "table5":  # the excellent + good rate follows MacNab's categories
            out["excellent_good"] = (rows[-1], [])
    return out


def markdown(rows: list[dict[str, Any]]) -> str:
    """Return the rows as a Markdown table (✓ reproduced at the paper's rounding, ≈ not)."""
    lines = ["| Table | Row | Arm | Statistic | Published | Demo report | |",
             "|---|---|---|---|---|---|---|"]  # fmt: skip
    for r in rows:
        mark = "✓" if r["match"] else "≈"
        lines.append(f"| {r['table']} | {r['row']} | {r['arm']} | {r['statistic']} | "
                     f"{r['published']} | {r['demo']} | {mark} |")  # fmt: skip
    return "\n".join(lines) + "\n"
