"""Number formatting for report tables (SAP "Descriptive statistics").

P values print with three decimals and as ``"< 0.001"`` below that, never ``"0.000"``.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal


def format_p(p: float | None, *, decimals: int = 3) -> str:
    """Format a P value for a table.

    Parameters
    ----------
    p : float or None
        The P value. ``None`` or NaN gives ``"—"`` (no test possible).
    decimals : int
        Decimals to print (SAP: 3).

    Returns
    -------
    str
        ``"< 0.001"`` when ``p`` rounds below the smallest printable value, otherwise ``p``
        rounded half-up to ``decimals`` places (``"1.000"`` for p = 1).

    Notes
    -----
    Values that would round to ``0.000`` print as ``"< 0.001"`` (SAP); a value of exactly
    0.0005 therefore prints as ``"0.001"``. Values must lie in [0, 1].

    References
    ----------
    docs/sap.md, "Descriptive statistics".
    """
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "—"
    if not 0.0 <= p <= 1.0 + 1e-12:
        raise ValueError(f"a P value must lie in [0, 1], got {p!r}")
    quantum = Decimal(1).scaleb(-decimals)
    rounded = min(Decimal(repr(float(p))).quantize(quantum, rounding=ROUND_HALF_UP), Decimal(1))
    if rounded == 0:
        return f"< {quantum}"
    return f"{rounded:.{decimals}f}"


def format_mean_sd(mean: float, sd: float, *, decimals: int = 1) -> str:
    """Return ``"mean ± SD"`` with ``decimals`` places (e.g. ``"25.9 ± 4.0"``)."""
    return f"{mean:.{decimals}f} ± {sd:.{decimals}f}"


def format_median_iqr(median: float, q1: float, q3: float, *, decimals: int = 1) -> str:
    """Return ``"median (Q1, Q3)"`` with ``decimals`` places (e.g. ``"5.0 (4.0, 6.0)"``)."""
    return f"{median:.{decimals}f} ({q1:.{decimals}f}, {q3:.{decimals}f})"


def format_n_pct(n: int, total: int, *, decimals: int = 1) -> str:
    """Return ``"n (p%)"`` using ``total`` non-missing as denominator (``"0"`` when n is 0)."""
    if total <= 0:
        raise ValueError("total must be positive")
    if n == 0:
        return "0"
    return f"{n} ({100.0 * n / total:.{decimals}f}%)"
