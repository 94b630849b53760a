"""Effect sizes for a binary outcome in two arms (SAP "Beyond the paper"; CONSORT 17a).

A 2×2 table has one row per arm (arm 1 first) and columns (event, no event);
``p_i = table[i][0] / n_i`` and every difference or ratio is arm 1 versus arm 2.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from scipy import stats

from analysis.stats._validation import clean_table
from analysis.stats.results import Estimate


def _wilson(events: int, n: int, z: float) -> tuple[float, float]:
    p = events / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def _two_by_two(table: Sequence[Sequence[int]]) -> tuple[int, int, int, int]:
    t = clean_table(table)
    if t.shape != (2, 2):
        raise ValueError("a 2×2 table (2 arms × event/no event) is required")
    return int(t[0, 0]), int(t[0, 1]), int(t[1, 0]), int(t[1, 1])


def risk_difference(table: Sequence[Sequence[int]], *, conf_level: float = 0.95) -> Estimate:
    """Risk difference ``p1 − p2`` with the Newcombe hybrid score interval.

    Parameters
    ----------
    table : 2×2 sequence of int
        Rows are arms, columns are (event, no event).
    conf_level : float
        Confidence level.

    Returns
    -------
    Estimate
        ``kind="risk_difference"``, ``method="newcombe_hybrid_score"``.

    Notes
    -----
    Newcombe (1998) method 10: with Wilson intervals (l_i, u_i) for each proportion,
    ``L = D − √((p1 − l1)² + (u2 − p2)²)`` and ``U = D + √((u1 − p1)² + (p2 − l2)²)``.
    Defined for zero cells without any correction.

    References
    ----------
    docs/sap.md "Beyond the paper"; Newcombe, Stat Med 1998;17:873-890.
    """
    a, b, c, d = _two_by_two(table)
    n1, n2 = a + b, c + d
    z = float(stats.norm.ppf(0.5 + conf_level / 2))
    p1, p2 = a / n1, c / n2
    l1, u1 = _wilson(a, n1, z)
    l2, u2 = _wilson(c, n2, z)
    diff = p1 - p2
    low = diff - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = diff + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return Estimate("risk_difference", diff, low, high, conf_level, "newcombe_hybrid_score")


def _haldane(cells: tuple[int, int, int, int]) -> tuple[tuple[float, ...], tuple[str, ...]]:
    if 0 in cells:
        note = "Haldane-Anscombe correction: 0.5 added to every cell because one cell is 0"
        return tuple(x + 0.5 for x in cells), (note,)
    return tuple(float(x) for x in cells), ()


def _ratio_estimate(
    kind: str, log_value: float, se: float, conf_level: float, method: str, notes: tuple
) -> Estimate:
    z = float(stats.norm.ppf(0.5 + conf_level / 2))
    return Estimate(
        kind,
        math.exp(log_value),
        math.exp(log_value - z * se),
        math.exp(log_value + z * se),
        conf_level,
        method,
        notes,
    )


def _undefined(kind: str, conf_level: float, method: str, why: str) -> Estimate:
    return Estimate(kind, math.nan, math.nan, math.nan, conf_level, method, (why,))


def risk_ratio(table: Sequence[Sequence[int]], *, conf_level: float = 0.95) -> Estimate:
    """Risk ratio ``p1 / p2`` with the log (Katz) interval.

    Notes
    -----
    ``SE(ln RR) = √(1/a − 1/n1 + 1/c − 1/n2)``. When any cell is 0, 0.5 is added to every
    cell first (Haldane-Anscombe; noted in ``notes``). Undefined (NaN) when nobody, or
    everybody, had the event in both arms.

    References
    ----------
    docs/sap.md "Beyond the paper"; Katz et al., Biometrics 1978;34:469-474.
    """
    cells = _two_by_two(table)
    if cells[0] + cells[2] == 0 or cells[1] + cells[3] == 0:
        return _undefined("risk_ratio", conf_level, "katz_log", "no variation in the outcome")
    (a, b, c, d), notes = _haldane(cells)
    n1, n2 = a + b, c + d
    se = math.sqrt(1 / a - 1 / n1 + 1 / c - 1 / n2)
    return _ratio_estimate(
        "risk_ratio", math.log((a / n1) / (c / n2)), se, conf_level, "katz_log", notes
    )


def odds_ratio(table: Sequence[Sequence[int]], *, conf_level: float = 0.95) -> Estimate:
    """Odds ratio ``(a·d)/(b·c)`` with the Woolf (logit) interval.

    Notes
    -----
    ``SE(ln OR) = √(1/a + 1/b + 1/c + 1/d)``; Haldane-Anscombe 0.5 correction only when a
    cell is 0 (noted). Undefined when the outcome does not vary.

    References
    ----------
    docs/sap.md "Beyond the paper"; Woolf, Ann Hum Genet 1955;19:251-253.
    """
    cells = _two_by_two(table)
    if cells[0] + cells[2] == 0 or cells[1] + cells[3] == 0:
        return _undefined("odds_ratio", conf_level, "woolf_logit", "no variation in the outcome")
    (a, b, c, d), notes = _haldane(cells)
    se = math.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
    return _ratio_estimate(
        "odds_ratio", math.log(a * d / (b * c)), se, conf_level, "woolf_logit", notes
    )


def number_needed_to_treat(rd: Estimate, *, event_is_harmful: bool = True) -> Estimate:
    """Number needed to treat from a risk difference, following Altman (1998).

    Parameters
    ----------
    rd : Estimate
        A risk difference ``p1 − p2`` (arm 1 is the experimental arm).
    event_is_harmful : bool
        Whether the event counted in column 0 is bad (pain, relapse) or good (cure). It
        decides which direction is "benefit" (NNTB) and which "harm" (NNTH).

    Returns
    -------
    Estimate
        ``value = 1/|RD|`` (``inf`` when RD = 0); ``method`` is ``"nntb"`` or ``"nnth"``
        for the point estimate. When the RD interval excludes 0 the NNT interval is
        ``(1/|far limit|, 1/|near limit|)``. When it includes 0 the interval passes through
        infinity: ``ci_low`` is the NNT at the benefit-side limit and ``ci_high`` the NNT at
        the harm-side limit, and ``notes`` spells out "NNTB x to ∞ to NNTH y".

    References
    ----------
    docs/sap.md "Beyond the paper"; Altman, BMJ 1998;317:1309-1312.
    """
    if rd.kind != "risk_difference":
        raise ValueError("number_needed_to_treat needs a risk_difference estimate")
    benefit_sign = -1.0 if event_is_harmful else 1.0

    def label(x: float) -> str:
        return "nntb" if x * benefit_sign > 0 else "nnth"

    value = math.inf if rd.value == 0 else 1 / abs(rd.value)
    method = label(rd.value) if rd.value != 0 else "nnt"
    inv_low = math.inf if rd.ci_low == 0 else 1 / abs(rd.ci_low)
    inv_high = math.inf if rd.ci_high == 0 else 1 / abs(rd.ci_high)
    if rd.ci_low > 0 or rd.ci_high < 0:
        low, high = sorted((inv_low, inv_high))
        return Estimate("nnt", value, low, high, rd.conf_level, method)
    limits = {label(rd.ci_low): inv_low, label(rd.ci_high): inv_high}
    nntb, nnth = limits.get("nntb", math.inf), limits.get("nnth", math.inf)
    note = f"interval includes infinity: NNTB {nntb:.1f} to ∞ to NNTH {nnth:.1f}"
    return Estimate("nnt", value, nntb, nnth, rd.conf_level, method, (note,))
