"""The plain data an allocation list is made of, shared by every allocation module.

Text fields that enter the canonical form (arms, method, strata, randomization numbers)
must not contain ``,`` ``;`` ``=`` or line breaks and must not start or end with
whitespace: the canonical form joins them with those characters, and a CSV upload strips
surrounding whitespace, so anything else could not round-trip or could be ambiguous.
"""

from dataclasses import dataclass

FORBIDDEN_CHARACTERS = frozenset(",;=\r\n")


@dataclass(frozen=True, slots=True)
class Slot:
    """One line of an allocation list: the ``sequence``-th allocation of a stratum.

    ``block`` is the 1-based block number within the stratum, or ``None`` when an uploaded
    list does not say.
    """

    stratum: str
    sequence: int
    block: int | None
    arm: str
    randomization_number: str


@dataclass(frozen=True, slots=True)
class AllocationListSpec:
    """A complete allocation list, as generated or uploaded, before it is stored.

    ``method`` is ``"permuted_blocks"`` or ``"uploaded"``; ``seed`` is ``None`` for an
    uploaded list and ``block_sizes`` is empty when unknown.
    """

    method: str
    arms: tuple[str, ...]
    ratio: tuple[int, ...]
    block_sizes: tuple[int, ...]
    seed: int | None
    strata: tuple[str, ...]
    slots: tuple[Slot, ...]


def is_plain_text(value: str, *, allow_empty: bool) -> bool:
    """Return whether ``value`` may appear in the canonical form (see the module docstring)."""
    if not value:
        return allow_empty
    return value == value.strip() and not FORBIDDEN_CHARACTERS.intersection(value)
