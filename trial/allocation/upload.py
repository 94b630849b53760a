"""Read an allocation list from CSV text, reporting every defect at once; write one back.

Columns (any order, names case-insensitive): ``stratum,sequence,arm,randomization_number``
are required, ``block`` is optional. A UTF-8 byte-order mark, CRLF line ends, surrounding
whitespace in cells and blank lines are accepted. ``line`` in a problem is the physical
line number in the text (the header is usually line 1), ``None`` for list-wide defects.

Defect codes are stable: the user interface translates by code, messages are English
for logs. Parsing never stops at the first defect of the data lines.

====================  ================================================================
code                  meaning
====================  ================================================================
empty_file            no header, or a header but no data lines
bad_csv               the text is not readable as CSV (reported alone)
missing_column        a required column is absent from the header
duplicate_column      a column name appears twice in the header
bad_row               a line has more or fewer cells than the header
bad_sequence          the sequence is not a positive whole number
unknown_arm           the arm is not one of the protocol's arms
unknown_stratum       the stratum is not one of the expected strata (``strata`` given)
bad_stratum           the stratum contains , ; = or a line break (``strata`` not given)
bad_number            the randomization number is empty or contains , ; = or a line break
bad_block             the block is given but not a positive whole number
duplicate_slot        the same stratum and sequence appear on an earlier line
duplicate_number      the same randomization number appears on an earlier line
sequence_gap          a stratum's sequences are not exactly 1..n (missing ones listed)
empty_stratum         an expected stratum has no lines (``strata`` given)
====================  ================================================================
"""

import csv
import io
import math
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from .spec import AllocationListSpec, Slot, is_plain_text

REQUIRED_COLUMNS = ("stratum", "sequence", "arm", "randomization_number")
UPLOAD_PROBLEM_CODES = (
    "empty_file", "bad_csv", "missing_column", "duplicate_column", "bad_row", "bad_sequence",
    "unknown_arm", "unknown_stratum", "bad_stratum", "bad_number", "bad_block",
    "duplicate_slot", "duplicate_number", "sequence_gap", "empty_stratum",
)  # fmt: skip
_POSITIVE = re.compile(r"[0-9]+")


@dataclass(frozen=True, slots=True)
class UploadProblem:
    """One defect of an upload: physical ``line`` (or ``None``), stable ``code``, message."""

    line: int | None
    code: str
    message: str


class AllocationUploadError(ValueError):
    """The upload has defects; ``problems`` lists every one of them, in line order."""

    def __init__(self, problems: list[UploadProblem]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s) in the allocation list")


@dataclass(frozen=True, slots=True)
class _Line:
    line: int
    slot: Slot
    sequence_ok: bool
    stratum_ok: bool


def _positive_int(text: str) -> int | None:
    return int(text) if _POSITIVE.fullmatch(text) and int(text) > 0 else None


def _read(text: str, problems: list[UploadProblem]) -> list[tuple[int, list[str]]]:
    """Return the non-blank records with their physical line number."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), strict=True)
    records = []
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                records.append((reader.line_num, [cell.strip() for cell in cells]))
    except csv.Error as exc:
        problems.append(UploadProblem(reader.line_num, "bad_csv", f"unreadable CSV: {exc}"))
    return records


def _columns(line: int, header: list[str], problems: list[UploadProblem]) -> dict[str, int]:
    names = [name.lower() for name in header]
    for name, count in Counter(names).items():
        if count > 1:
            problems.append(UploadProblem(line, "duplicate_column", f"column {name!r} twice"))
    for name in REQUIRED_COLUMNS:
        if name not in names:
            problems.append(UploadProblem(line, "missing_column", f"column {name!r} missing"))
    return {name: names.index(name) for name in (*REQUIRED_COLUMNS, "block") if name in names}


def _cell_problems(
    line: int, cell: dict[str, str], arms: Sequence[str], strata: Sequence[str] | None
) -> list[UploadProblem]:
    found = []
    if _positive_int(cell["sequence"]) is None:
        found.append((line, "bad_sequence", f"sequence {cell['sequence']!r}"))
    if cell["arm"] not in arms:
        found.append((line, "unknown_arm", f"arm {cell['arm']!r} is not one of {list(arms)}"))
    if strata is not None and cell["stratum"] not in strata:
        found.append((line, "unknown_stratum", f"stratum {cell['stratum']!r}"))
    if strata is None and not is_plain_text(cell["stratum"], allow_empty=True):
        found.append((line, "bad_stratum", f"stratum {cell['stratum']!r}"))
    if not is_plain_text(cell["randomization_number"], allow_empty=False):
        found.append((line, "bad_number", f"number {cell['randomization_number']!r}"))
    if cell.get("block") and _positive_int(cell["block"]) is None:
        found.append((line, "bad_block", f"block {cell['block']!r}"))
    return [UploadProblem(*problem) for problem in found]


def _parse_line(
    record: tuple[int, list[str]],
    columns: dict[str, int],
    width: int,
    context: tuple[Sequence[str], Sequence[str] | None],
    problems: list[UploadProblem],
) -> _Line:
    line, cells = record
    if len(cells) != width:
        problems.append(UploadProblem(line, "bad_row", f"{len(cells)} cells, header has {width}"))
    cell = {name: cells[i] if i < len(cells) else "" for name, i in columns.items()}
    own = _cell_problems(line, cell, *context)
    problems.extend(own)
    codes = {problem.code for problem in own}
    sequence = _positive_int(cell["sequence"]) or 0
    block = _positive_int(cell.get("block", ""))
    slot = Slot(cell["stratum"], sequence, block, cell["arm"], cell["randomization_number"])
    stratum_ok = not codes & {"unknown_stratum", "bad_stratum"}
    return _Line(line, slot, "bad_sequence" not in codes, stratum_ok)


def _check_duplicates(lines: list[_Line], problems: list[UploadProblem]) -> None:
    first_slot: dict[tuple[str, int], int] = {}
    first_number: dict[str, int] = {}
    for item in lines:
        slot, key = item.slot, (item.slot.stratum, item.slot.sequence)
        if item.sequence_ok and key in first_slot:
            message = f"stratum {slot.stratum!r} sequence {slot.sequence} also on line "
            problems.append(
                UploadProblem(item.line, "duplicate_slot", f"{message}{first_slot[key]}")
            )
        first_slot.setdefault(key, item.line)
        number = slot.randomization_number
        if number and number in first_number:
            message = f"number {number!r} also on line {first_number[number]}"
            problems.append(UploadProblem(item.line, "duplicate_number", message))
        first_number.setdefault(number, item.line)


def _check_strata(
    lines: list[_Line], strata: Sequence[str] | None, problems: list[UploadProblem]
) -> None:
    sequences: dict[str, set[int]] = defaultdict(set)
    for item in lines:
        if item.stratum_ok and item.sequence_ok:
            sequences[item.slot.stratum].add(item.slot.sequence)
    for stratum, seen in sequences.items():
        missing = sorted(set(range(1, max(seen) + 1)) - seen)
        if missing:
            shown = ", ".join(map(str, missing[:10])) + (" …" if len(missing) > 10 else "")
            message = f"stratum {stratum!r} lacks sequence(s) {shown}"
            problems.append(UploadProblem(None, "sequence_gap", message))
    present = {item.slot.stratum for item in lines}
    for stratum in strata or ():
        if stratum not in present:
            problems.append(UploadProblem(None, "empty_stratum", f"stratum {stratum!r}"))


def _spec(
    lines: list[_Line], arms: Sequence[str], strata: Sequence[str] | None
) -> AllocationListSpec:
    slots = tuple(sorted((item.slot for item in lines), key=lambda s: (s.stratum, s.sequence)))
    counts = [sum(1 for slot in slots if slot.arm == arm) for arm in arms]
    block_lengths = Counter((slot.stratum, slot.block) for slot in slots)
    known_blocks = all(slot.block is not None for slot in slots)
    return AllocationListSpec(
        method="uploaded",
        arms=tuple(arms),
        ratio=tuple(count // math.gcd(*counts) for count in counts),
        block_sizes=tuple(sorted(set(block_lengths.values()))) if known_blocks else (),
        seed=None,
        strata=tuple(strata) if strata is not None else tuple(sorted({s.stratum for s in slots})),
        slots=slots,
    )


def parse_allocation_csv(
    text: str, *, arms: Sequence[str], strata: Sequence[str] | None
) -> AllocationListSpec:
    """Return the list in ``text``, or raise ``AllocationUploadError`` with every defect.

    ``strata`` are the expected stratum keys (``[""]`` for an unstratified list) or
    ``None`` to accept any. The result has ``method="uploaded"``, ``seed=None``, slots
    sorted by (stratum, sequence), ``ratio`` = the arm counts divided by their greatest
    common divisor, and ``block_sizes`` = the distinct block lengths when every line has a
    block (else empty).
    """
    if len(arms) < 2 or len(set(arms)) != len(arms):
        raise ValueError("at least two distinct arms are needed")
    problems: list[UploadProblem] = []
    records = _read(text, problems)
    if problems:
        raise AllocationUploadError(problems)
    if len(records) < 2:
        raise AllocationUploadError([UploadProblem(None, "empty_file", "no allocation lines")])
    columns = _columns(records[0][0], records[0][1], problems)
    if problems:
        raise AllocationUploadError(problems)
    width = len(records[0][1])
    lines = [_parse_line(r, columns, width, (arms, strata), problems) for r in records[1:]]
    _check_duplicates(lines, problems)
    _check_strata(lines, strata, problems)
    if problems:
        raise AllocationUploadError(sorted(problems, key=lambda p: (p.line is None, p.line or 0)))
    return _spec(lines, arms, strata)


def allocation_csv(spec: AllocationListSpec) -> str:
    """Return the list as CSV text (LF line ends) that ``parse_allocation_csv`` reads back."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*REQUIRED_COLUMNS, "block"])
    for slot in sorted(spec.slots, key=lambda s: (s.stratum, s.sequence)):
        block = "" if slot.block is None else slot.block
        writer.writerow([slot.stratum, slot.sequence, slot.arm, slot.randomization_number, block])
    return buffer.getvalue()
