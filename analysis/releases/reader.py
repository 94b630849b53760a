"""Read a published release back as the report's dataset: its Parquet files, typed.

A release's Parquet files hold the frames the release was built from (``frames.py``:
booleans as 1/0, lists joined by ";", the blinded variant with the arm masked and the
arm-revealing columns removed). ``release_dataset`` turns them back into the report's
``Dataset`` with the types ``dataset_build`` gives, so a report on a release computes the
same numbers as one on the live extract of the same data; for the unblinded variant the
data checksum read back equals the one recorded at the cut.

Reading is columnar (pyarrow): no per-row Python work except the few boolean and list
columns, so reading costs little next to the statistics (docs/benchmarks.md).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from analysis.datasets import columns as C
from analysis.datasets.builders import Dataset, Population
from analysis.releases.builder import RELEASE_JSON
from trial.protocol import Protocol, get_protocol


class ReleaseUnreadable(ValueError):
    """The release's files are missing or do not hold the report's dataset."""


def _restore(frame: pd.DataFrame, cols: tuple[C.Column, ...], *, typed: bool = True
             ) -> pd.DataFrame:  # fmt: skip
    """Return ``frame`` with the report's columns and types; a column the variant removed
    (arm-revealing, blinded variant) comes back empty.

    ``typed``: booleans as objects (True/False/None), as ``dataset_build`` types the wide
    and long frames; otherwise (the screening log, kept as built) pandas infers the types
    as it does for the live extract: a column without gaps is ``bool``, text is ``str``.
    """
    out = {}
    n = len(frame)
    for c in cols:
        if c.name not in frame:
            out[c.name] = pd.Series([None] * n, dtype=float if c.dtype == "float" else object)
            continue
        column = frame[c.name]
        if c.dtype == "float":
            out[c.name] = pd.to_numeric(column, errors="coerce").astype(float)
        elif c.dtype == "bool":  # released as 1/0
            values = column.to_numpy(dtype=object, na_value=None)
            flags = [None if v is None else bool(v) for v in values]
            out[c.name] = pd.Series(flags, dtype=object if typed else None)
        elif c.dtype == "list":  # released joined by ";"
            values = column.to_numpy(dtype=object, na_value=None)
            out[c.name] = pd.Series([[] if not v else str(v).split(";") for v in values],
                                    dtype=object)  # fmt: skip
        else:
            values = column.to_numpy(dtype=object, na_value=None)
            out[c.name] = pd.Series(values, dtype=object) if typed else pd.Series(list(values))
    return pd.DataFrame(out, index=pd.RangeIndex(n))


def _read(folder: Path, name: str) -> pd.DataFrame:
    import pyarrow.parquet as pq

    path = folder / f"{name}.parquet"
    if not path.is_file():
        raise ReleaseUnreadable(f"{path.name} is missing from the release")
    return pq.read_table(path).to_pandas()


def release_dataset(
    folder: Path, *, protocol_code: str, population: Population, released: str
) -> Dataset:
    """Return the report's dataset from one variant's folder of a published release.

    ``released`` is the release's own population: an intention-to-treat release gives
    either population (per-protocol is the ``per_protocol`` subset, as ``dataset_build``
    selects it); a per-protocol release gives only per-protocol.
    """
    if population == "itt" and released == "pp":
        raise ReleaseUnreadable("a per-protocol release holds no intention-to-treat dataset")
    protocol = get_protocol(protocol_code)
    wide = _restore(_read(folder, "wide"), C.wide_columns(protocol))
    long = _restore(_read(folder, "long"), C.long_columns(protocol))
    screening = _restore(_read(folder, "screening"), C.SCREENING, typed=False)
    if population == "pp" and released == "itt":
        wide = wide[wide["per_protocol"].map(lambda v: v is True)].reset_index(drop=True)
        long = long[long["participant_id"].isin(set(wide["participant_id"]))]
        long = long.reset_index(drop=True)
    events = _events(folder, protocol, set(wide["participant_id"]))
    meta = json.loads((folder / RELEASE_JSON).read_text(encoding="utf-8"))
    return Dataset(population, wide, long, screening, meta.get("scorer_versions", {}),
                   C.column_dictionary(protocol), events)  # fmt: skip


def _events(folder: Path, protocol: Protocol, people: set[str]) -> pd.DataFrame | None:
    """Return the release's adverse-event log of ``people`` (the population), typed; None
    when the release has none (a protocol without a log, or a release cut before the log
    was released): a table of it then says so instead of counting nothing."""
    cols = C.events_columns(protocol)
    if not cols or not (folder / "events.parquet").is_file():
        return None
    events = _restore(_read(folder, "events"), cols)
    return events[events["participant_id"].isin(people)].reset_index(drop=True)
