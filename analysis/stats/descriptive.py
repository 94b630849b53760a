"""Descriptive statistics for report tables (SAP "Descriptive statistics").

Continuous variables are summarised as mean ± SD when Shapiro-Wilk p > 0.05 in *every*
group, otherwise as median (Q1, Q3) in every group, so that one row uses one format.
Categorical variables are n (%) with percentages of non-missing values and missing counts
shown separately.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats

from analysis.stats.formatting import format_mean_sd, format_median_iqr, format_n_pct

SummaryKind = Literal["mean_sd", "median_iqr"]


@dataclass(frozen=True, slots=True)
class GroupSummary:
    """Summary of one group's continuous values.

    Attributes
    ----------
    n, n_missing : int
        Non-missing and missing (NaN) counts.
    mean, sd, median, q1, q3 : float
        SD uses ddof = 1. Quartiles use the weighted-average definition of SPSS
        (R ``quantile(type = 6)``, numpy ``method="weibull"``).
    shapiro_p : float
        Shapiro-Wilk P (NaN when n < 3 or no spread).
    text : str
        The formatted cell, in the format chosen for the whole row.
    """

    n: int
    n_missing: int
    mean: float
    sd: float
    median: float
    q1: float
    q3: float
    shapiro_p: float
    text: str


@dataclass(frozen=True, slots=True)
class ContinuousDescription:
    """Row summary: the format chosen and one :class:`GroupSummary` per group."""

    kind: SummaryKind
    groups: dict[str, GroupSummary]


def _shapiro_p(x: np.ndarray) -> float:
    if x.size < 3 or np.ptp(x) == 0:
        return float("nan")
    return float(stats.shapiro(x).pvalue)


def describe_continuous(
    groups: Mapping[str, Iterable[float]], *, decimals: int = 1
) -> ContinuousDescription:
    """Summarise a continuous variable in each group with the SAP's format rule.

    Parameters
    ----------
    groups : mapping of str to iterable of float
        Group label → values. NaN values are counted as missing and dropped.
    decimals : int
        Decimals in the formatted text.

    Returns
    -------
    ContinuousDescription
        ``kind == "mean_sd"`` when Shapiro-Wilk p > 0.05 in every group (a group with
        fewer than 3 values or no spread counts as not normal), else ``"median_iqr"``.

    Notes
    -----
    The paper prints means in its "(Q1, Q3)" rows; we print medians (SAP).

    References
    ----------
    docs/sap.md "Descriptive statistics".
    """
    if not groups:
        raise ValueError("groups must not be empty")
    arrays: dict[str, np.ndarray] = {}
    missing: dict[str, int] = {}
    for label, values in groups.items():
        raw = np.asarray(list(values), dtype=float)
        arrays[label] = raw[~np.isnan(raw)]
        missing[label] = int(np.isnan(raw).sum())
        if arrays[label].size == 0:
            raise ValueError(f"group {label!r} has no non-missing values")
    p_values = {k: _shapiro_p(v) for k, v in arrays.items()}
    kind: SummaryKind = "mean_sd" if all(p > 0.05 for p in p_values.values()) else "median_iqr"
    out: dict[str, GroupSummary] = {}
    for label, x in arrays.items():
        mean = float(x.mean())
        sd = float(x.std(ddof=1)) if x.size > 1 else float("nan")
        q1, med, q3 = (float(q) for q in np.quantile(x, [0.25, 0.5, 0.75], method="weibull"))
        text = (
            format_mean_sd(mean, sd, decimals=decimals)
            if kind == "mean_sd"
            else format_median_iqr(med, q1, q3, decimals=decimals)
        )
        out[label] = GroupSummary(
            x.size, missing[label], mean, sd, med, q1, q3, p_values[label], text
        )
    return ContinuousDescription(kind, out)


def describe_categorical(
    counts: Mapping[str, int], *, n_missing: int = 0, decimals: int = 1
) -> dict[str, str]:
    """Format category counts of one group as n (%) of the non-missing total.

    Parameters
    ----------
    counts : mapping of str to int
        Category → count of non-missing values.
    n_missing : int
        Missing values, reported under the key ``"missing"`` (when > 0), not in the
        denominator.
    decimals : int
        Decimals of the percentage.

    Returns
    -------
    dict of str to str
        Category → ``"n (p%)"`` (``"0"`` for empty categories).

    References
    ----------
    docs/sap.md "Descriptive statistics".
    """
    if any(int(v) < 0 for v in counts.values()) or n_missing < 0:
        raise ValueError("counts must be non-negative")
    total = sum(int(v) for v in counts.values())
    if total == 0:
        raise ValueError("no non-missing values")
    out = {k: format_n_pct(int(v), total, decimals=decimals) for k, v in counts.items()}
    if n_missing:
        out["missing"] = str(n_missing)
    return out
