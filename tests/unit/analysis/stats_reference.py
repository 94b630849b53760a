"""Loaders for the R reference files in tests/reference/analysis (see make_reference.R)."""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

REF_DIR = Path(__file__).resolve().parents[2] / "reference" / "analysis"


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(REF_DIR / name, comment="#", keep_default_na=False, na_values=[""])


@cache
def reference_values() -> dict[tuple[str, str], float]:
    """(case, quantity) -> value computed by R."""
    with (REF_DIR / "reference_values.csv").open(encoding="utf-8") as fh:
        rows = [line for line in fh if not line.startswith("#")]
    return {(r["case"], r["quantity"]): float(r["value"]) for r in csv.DictReader(rows)}


def ref(case: str, quantity: str) -> float:
    return reference_values()[(case, quantity)]


@cache
def r_conventions() -> dict[tuple[str, str], float]:
    """(case, quantity) -> value computed by r_conventions.R (HL inverting the uncorrected
    test; nlme::lme covariance)."""
    with (REF_DIR / "r_conventions_values.csv").open(encoding="utf-8") as fh:
        rows = [line for line in fh if not line.startswith("#")]
    return {(r["case"], r["quantity"]): float(r["value"]) for r in csv.DictReader(rows)}


def rconv(case: str, quantity: str) -> float:
    return r_conventions()[(case, quantity)]


@cache
def two_sample() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    df = _read("data_two_sample.csv")
    return {
        case: (
            g.loc[g.arm == "a", "value"].to_numpy(float),
            g.loc[g.arm == "b", "value"].to_numpy(float),
        )
        for case, g in df.groupby("case", sort=False)
    }


@cache
def hl_ties() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The tied two-sample data sets of r_conventions.R."""
    df = _read("data_hl_ties.csv")
    return {
        case: (
            g.loc[g.arm == "a", "value"].to_numpy(float),
            g.loc[g.arm == "b", "value"].to_numpy(float),
        )
        for case, g in df.groupby("case", sort=False)
    }


@cache
def paired() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    df = _read("data_paired.csv")
    return {
        case: (g["before"].to_numpy(float), g["after"].to_numpy(float))
        for case, g in df.groupby("case", sort=False)
    }


@cache
def tables() -> dict[str, list[list[int]]]:
    df = _read("data_tables.csv")
    out: dict[str, list[list[int]]] = {}
    for row in df.itertuples():
        cells = [int(x) for x in str(row.cells).split(";")]
        ncol = len(cells) // int(row.nrow)
        out[str(row.case)] = [cells[i : i + ncol] for i in range(0, len(cells), ncol)]
    return out


@cache
def paper_rows() -> list[dict[str, object]]:
    df = _read("paper_tables.csv")
    rows = []
    for r in df.itertuples():
        s = [int(x) for x in str(r.counts_s).split(";")]
        p = [int(x) for x in str(r.counts_p).split(";")]
        published = None if pd.isna(r.p_published) else f"{float(r.p_published):.3f}"
        rows.append(
            {
                "row": str(r.row),
                "source": str(r.source),
                "ordinal": bool(r.ordinal),
                "table": [s, p],
                "published": published,
            }
        )
    return rows


def ancova_data() -> pd.DataFrame:
    return _read("data_ancova.csv")


def vas_long() -> pd.DataFrame:
    return _read("data_vas_long.csv")


def mixed_unbalanced() -> pd.DataFrame:
    return _read("data_mixed_unbalanced.csv")
