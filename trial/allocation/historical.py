"""Read historical allocations (made before the trial used this system) from CSV text.

Columns (any order, names case-insensitive): ``participant,arm,date`` are required,
``stratum`` and ``randomization_number`` are optional. Every defect is reported at once
with its physical line; codes are stable and translated by the user interface:

===================  =============================================================
code                 meaning
===================  =============================================================
empty_file           no header, or a header but no data lines
bad_csv              the text is not readable as CSV
missing_column       participant, arm or date is absent from the header
bad_row              a line has more or fewer cells than the header
missing_participant  the participant cell is empty
duplicate_participant the participant appears on an earlier line
unknown_arm          the arm is not one of the protocol's arms
bad_date             the date is not YYYY-MM-DD or lies in the future
bad_stratum          the stratum contains , ; = or a line break
===================  =============================================================
"""

import csv
import hashlib
import io
from dataclasses import dataclass
from datetime import date

from .spec import is_plain_text
from .upload import AllocationUploadError, UploadProblem

REQUIRED = ("participant", "arm", "date")
OPTIONAL = ("stratum", "randomization_number")


@dataclass(frozen=True, slots=True)
class HistoricalLine:
    """One historical allocation as read from the file."""

    line: int
    participant: str
    arm: str
    allocated_on: date
    stratum: str
    randomization_number: str


def _header(rows: list[list[str]]) -> dict[str, int]:
    names = [cell.strip().lower() for cell in rows[0]]
    return {name: names.index(name) for name in (*REQUIRED, *OPTIONAL) if name in names}


def _read_line(number: int, cells: list[str], columns: dict[str, int], arms: set[str],
               today: date, problems: list[UploadProblem]) -> HistoricalLine | None:  # fmt: skip
    value = {name: cells[index].strip() for name, index in columns.items()}
    found = len(problems)
    if not value["participant"]:
        problems.append(UploadProblem(number, "missing_participant", "participant is empty"))
    if value["arm"] not in arms:
        problems.append(UploadProblem(number, "unknown_arm", f"unknown arm {value['arm']!r}"))
    try:
        day = date.fromisoformat(value["date"])
        if day > today:
            raise ValueError(value["date"])
    except ValueError:
        problems.append(UploadProblem(number, "bad_date", f"bad date {value['date']!r}"))
        day = today
    stratum = value.get("stratum", "")
    if not is_plain_text(stratum, allow_empty=True):
        problems.append(UploadProblem(number, "bad_stratum", f"bad stratum {stratum!r}"))
    if len(problems) > found:
        return None
    return HistoricalLine(number, value["participant"], value["arm"], day, stratum,
                          value.get("randomization_number", ""))  # fmt: skip


def parse_historical_csv(text: str, *, arms: list[str], today: date) -> list[HistoricalLine]:
    """Return the lines of ``text`` or raise ``AllocationUploadError`` listing every defect."""
    try:
        rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    except csv.Error as exc:
        raise AllocationUploadError([UploadProblem(None, "bad_csv", str(exc))]) from exc
    numbered = [(n, row) for n, row in enumerate(rows, start=1) if any(c.strip() for c in row)]
    if len(numbered) < 2:
        raise AllocationUploadError([UploadProblem(None, "empty_file", "no allocation lines")])
    columns = _header([numbered[0][1]])
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        raise AllocationUploadError([UploadProblem(1, "missing_column", ", ".join(missing))])
    problems: list[UploadProblem] = []
    lines: list[HistoricalLine] = []
    seen: set[str] = set()
    width = len(numbered[0][1])
    for number, cells in numbered[1:]:
        if len(cells) != width:
            problems.append(UploadProblem(number, "bad_row", "wrong number of cells"))
            continue
        line = _read_line(number, cells, columns, set(arms), today, problems)
        if line is None:
            continue
        if line.participant in seen:
            problems.append(UploadProblem(number, "duplicate_participant", line.participant))
            continue
        seen.add(line.participant)
        lines.append(line)
    if problems:
        raise AllocationUploadError(problems)
    return lines


def historical_commitment(lines: list[HistoricalLine]) -> str:
    """Return the SHA-256 of the lines in canonical form (sorted by participant)."""
    canonical = "".join(
        f"{x.participant},{x.arm},{x.allocated_on.isoformat()},{x.stratum},"
        f"{x.randomization_number}\n"
        for x in sorted(lines, key=lambda x: x.participant)
    )
    return hashlib.sha256(canonical.encode()).hexdigest()
