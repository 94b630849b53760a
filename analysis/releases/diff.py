"""What changed between two releases: participants added or removed, values changed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

KEY = "participant_id"
MAX_CHANGES = 2000  # the page and the JSON keep the first ones; ``n_changes`` counts all


def _read(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False)
    return frame.set_index(KEY, drop=True)


def release_diff(
    previous: Path | None, current: Path, *, ignore: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Compare two wide CSV files (as written, cell by cell) keyed by participant id.

    Returns ``rows_added``/``rows_removed`` (participant ids), ``columns_added``/``removed``
    and ``changes``: ``[participant, column, old, new]`` with "" for a missing value.
    """
    new = _read(current)
    if previous is None or not previous.is_file():
        return {"rows_added": sorted(new.index), "rows_removed": [], "columns_added": [],
                "columns_removed": [], "changes": [], "n_changes": 0}  # fmt: skip
    old = _read(previous)
    common_rows = sorted(set(old.index) & set(new.index))
    columns = [c for c in new.columns if c in old.columns and c not in ignore]
    changes: list[list[str]] = []
    n_changes = 0
    if common_rows and columns:
        a, b = old.loc[common_rows, columns], new.loc[common_rows, columns]
        rows, cols = np.nonzero(a.to_numpy() != b.to_numpy())
        n_changes = len(rows)
        for i, j in zip(rows[:MAX_CHANGES], cols[:MAX_CHANGES], strict=True):
            changes.append([common_rows[i], columns[j], a.iat[i, j], b.iat[i, j]])
    return {
        "rows_added": sorted(set(new.index) - set(old.index)),
        "rows_removed": sorted(set(old.index) - set(new.index)),
        "columns_added": [c for c in new.columns if c not in old.columns],
        "columns_removed": [c for c in old.columns if c not in new.columns],
        "changes": changes,
        "n_changes": n_changes,
    }
