"""The canonical form of an allocation list and its SHA-256 commitment.

Canonical form, version 1 (so that anyone can recompute the commitment)
-----------------------------------------------------------------------
UTF-8 bytes, every line ending in a single LF (``\\n``), no byte-order mark::

    format=1;method=<method>;arms=<arm1>,<arm2>,...;ratio=<r1>:<r2>:...
    stratum,sequence,arm,randomization_number
    <stratum>,<sequence>,<arm>,<randomization_number>      (one line per slot)

* Arms and ratio appear in the list's declared order; the ratio as decimal integers.
* Slot lines are sorted by stratum, compared as Unicode code points (the same as
  comparing UTF-8 bytes; the unstratified key ``""`` sorts first), then by sequence as
  an *integer* (so ``10`` follows ``9``). Sequences are written in decimal without
  leading zeros; strata, arms and randomization numbers exactly as stored, unquoted.
* Block numbers, block sizes and the seed are not part of it: the commitment binds what
  each slot allocates, which is what concealment protects; the seed stays secret.

Example (``printf`` reproduces it; ``sha256sum`` gives the commitment)::

    format=1;method=permuted_blocks;arms=A,B;ratio=1:1
    stratum,sequence,arm,randomization_number
    S01,1,B,010001
    S01,2,A,010002

Text fields must not contain ``,`` ``;`` ``=`` or line breaks (``spec.is_plain_text``);
``canonical_form`` raises ``ValueError`` rather than produce an ambiguous form.
"""

import hashlib
import hmac

from .spec import AllocationListSpec, Slot, is_plain_text

FORMAT_VERSION = 1
COLUMNS = "stratum,sequence,arm,randomization_number"


def _check_text(spec: AllocationListSpec) -> None:
    header = [spec.method, *spec.arms]
    if not all(is_plain_text(value, allow_empty=False) for value in header):
        raise ValueError("method and arms must be non-empty without , ; = or line breaks")
    for slot in spec.slots:
        if not (
            is_plain_text(slot.stratum, allow_empty=True)
            and is_plain_text(slot.arm, allow_empty=False)
            and is_plain_text(slot.randomization_number, allow_empty=False)
        ):
            raise ValueError(f"slot {slot.stratum!r} #{slot.sequence} has text that is not plain")


def _line(slot: Slot) -> str:
    return f"{slot.stratum},{slot.sequence},{slot.arm},{slot.randomization_number}\n"


def canonical_form(spec: AllocationListSpec) -> bytes:
    """Return the canonical bytes of a list (exact format in the module docstring)."""
    _check_text(spec)
    ratio = ":".join(str(r) for r in spec.ratio)
    header = (
        f"format={FORMAT_VERSION};method={spec.method};arms={','.join(spec.arms)};ratio={ratio}\n"
        f"{COLUMNS}\n"
    )
    ordered = sorted(spec.slots, key=lambda slot: (slot.stratum, slot.sequence))
    return (header + "".join(_line(slot) for slot in ordered)).encode("utf-8")


def commitment(spec: AllocationListSpec) -> str:
    """Return the SHA-256 hex digest (64 lowercase characters) of the canonical form."""
    return hashlib.sha256(canonical_form(spec)).hexdigest()


def verify(spec: AllocationListSpec, expected_hex: str) -> bool:
    """Return whether the list still matches the commitment made when it was sealed."""
    expected = expected_hex.strip().lower()
    return expected.isascii() and hmac.compare_digest(commitment(spec), expected)
