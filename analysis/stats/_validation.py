"""Input checks shared by the statistics modules (private)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from numpy.typing import NDArray


def clean_sample(values: Iterable[float], *, name: str, min_n: int = 1) -> NDArray[np.float64]:
    """Return ``values`` as a 1-D float array with NaN removed; raise if too short."""
    try:
        arr = np.asarray(list(values), dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a sequence of numbers") from exc
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional")
    if np.isinf(arr).any():
        raise ValueError(f"{name} contains infinite values")
    arr = arr[~np.isnan(arr)]
    if arr.size < min_n:
        raise ValueError(f"{name} needs at least {min_n} non-missing values, got {arr.size}")
    return arr


def clean_pairs(
    before: Iterable[float], after: Iterable[float], *, min_n: int = 1
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Return paired arrays with every pair that has a NaN on either side removed."""
    b = np.asarray(list(before), dtype=float)
    a = np.asarray(list(after), dtype=float)
    if b.ndim != 1 or a.ndim != 1 or b.shape != a.shape:
        raise ValueError("before and after must be one-dimensional and of equal length")
    if np.isinf(b).any() or np.isinf(a).any():
        raise ValueError("before/after contain infinite values")
    keep = ~(np.isnan(b) | np.isnan(a))
    if keep.sum() < min_n:
        raise ValueError(f"need at least {min_n} complete pairs, got {int(keep.sum())}")
    return b[keep], a[keep]


def clean_table(table: Sequence[Sequence[int]] | NDArray[np.integer]) -> NDArray[np.int64]:
    """Return a contingency table as a 2-D array of non-negative integers."""
    try:
        arr = np.asarray(table, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError("table must be a list of rows of counts") from exc
    if arr.ndim != 2 or arr.shape[0] < 2 or arr.shape[1] < 2:
        raise ValueError("table must have at least 2 rows (arms) and 2 columns (categories)")
    if not np.isfinite(arr).all() or (arr < 0).any() or (arr != np.round(arr)).any():
        raise ValueError("table cells must be non-negative integer counts")
    out = arr.astype(np.int64)
    if (out.sum(axis=1) == 0).any():
        raise ValueError("every arm (row) of the table must have at least one observation")
    return out


def check_probability(value: float, *, name: str, open_interval: bool = True) -> float:
    """Return ``value`` if it lies in (0, 1) (or [0, 1)), else raise ``ValueError``."""
    v = float(value)
    low_ok = v > 0 if open_interval else v >= 0
    if not (low_ok and v < 1):
        bounds = "(0, 1)" if open_interval else "[0, 1)"
        raise ValueError(f"{name} must lie in {bounds}, got {value!r}")
    return v
