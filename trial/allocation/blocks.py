"""Stratified permuted blocks with randomly chosen block sizes.

Algorithm (exact, so that a third party can re-derive a list from its seed)
---------------------------------------------------------------------------
``rng = random.Random(seed)`` and every draw is ``u = rng.random()`` (a float in [0, 1)).
An integer below ``n`` is ``min(floor(u * n), n - 1)``. Then, for each stratum in the
order given, block after block until the stratum holds at least ``slots_per_stratum``
slots:

1. size: ``sizes[below(len(sizes))]`` where ``sizes`` is the *sorted, de-duplicated*
   ``block_sizes`` (so the order or repetition of the sizes passed in does not matter);
2. content: each arm repeated ``ratio[i] * size // sum(ratio)`` times, arms in the order
   given, then a Fisher-Yates shuffle: for ``i`` from ``size - 1`` down to ``1``, swap
   positions ``i`` and ``below(i + 1)``.

Only whole blocks are generated, so a stratum can hold up to ``max(block_sizes) - 1``
slots more than ``slots_per_stratum``; every block of a stratum is therefore complete.

Why only ``random()``: Python documents exactly one reproducibility guarantee, that
``random()`` returns the same sequence for the same seed across versions and platforms
(Mersenne Twister MT19937, ``init_by_array`` seeding for a non-negative int, 53-bit
floats). ``shuffle``, ``choice`` and ``randrange`` carry no such promise (``randrange``
did change in 3.12 for non-integer arguments), so they are not used. The bias of
``floor(u * n)`` is below ``n / 2**53`` per draw and irrelevant for block work. A golden
test pins one list so that any drift is caught.

Randomization numbers
---------------------
``<stratum index><sequence>``, both zero-padded to a width that is fixed for the whole
list: the stratum index (1-based, order given) to ``max(2, digits(len(strata)))`` digits,
the sequence to ``max(4, digits(largest sequence))`` digits, e.g. ``010007`` for the
seventh slot of the first stratum. Fixed widths make the numbers unique in the list.
"""

import math
import random
from collections.abc import Sequence

from .spec import AllocationListSpec, Slot, is_plain_text


def _check_arms_and_ratio(arms: Sequence[str], ratio: Sequence[int]) -> None:
    if len(arms) < 2 or len(set(arms)) != len(arms):
        raise ValueError("at least two distinct arms are needed")
    if not all(is_plain_text(arm, allow_empty=False) for arm in arms):
        raise ValueError("arm codes must be non-empty, without , ; = line breaks or padding")
    if len(ratio) != len(arms):
        raise ValueError(f"the ratio needs one number per arm ({len(arms)}), got {len(ratio)}")
    if any(isinstance(r, bool) or not isinstance(r, int) or r < 1 for r in ratio):
        raise ValueError("every ratio entry must be a positive whole number")
    if math.gcd(*ratio) != 1:
        reduced = ":".join(str(r // math.gcd(*ratio)) for r in ratio)
        raise ValueError(f"write the ratio in lowest terms ({reduced}); block sizes set length")


def _check_blocks(ratio: Sequence[int], block_sizes: Sequence[int]) -> None:
    unit = sum(ratio)
    if not block_sizes:
        raise ValueError("at least one block size is needed")
    bad = [s for s in block_sizes if isinstance(s, bool) or not isinstance(s, int) or s < 1]
    bad += [s for s in block_sizes if s not in bad and s % unit]
    if bad:
        raise ValueError(f"block sizes {bad} are not positive multiples of {unit} (sum of ratio)")


def _check_strata_and_seed(strata: Sequence[str], slots_per_stratum: int, seed: int) -> None:
    if not strata or len(set(strata)) != len(strata):
        raise ValueError("strata must be distinct and non-empty (use [''] when unstratified)")
    if not all(is_plain_text(s, allow_empty=len(strata) == 1) for s in strata):
        raise ValueError("stratum keys must not contain , ; = line breaks or padding")
    if isinstance(slots_per_stratum, bool) or slots_per_stratum < 1:
        raise ValueError("slots per stratum must be at least 1")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError("the seed must be a non-negative whole number")


def _below(rng: random.Random, n: int) -> int:
    return min(int(rng.random() * n), n - 1)


def _block(arms: Sequence[str], ratio: Sequence[int], size: int, rng: random.Random) -> list[str]:
    repeats = size // sum(ratio)
    content = [arm for arm, share in zip(arms, ratio, strict=True) for _ in range(share * repeats)]
    for i in range(len(content) - 1, 0, -1):
        j = _below(rng, i + 1)
        content[i], content[j] = content[j], content[i]
    return content


def _stratum_blocks(
    arms: Sequence[str], ratio: Sequence[int], sizes: Sequence[int], slots: int, rng: random.Random
) -> list[list[str]]:
    blocks: list[list[str]] = []
    while sum(map(len, blocks)) < slots:
        blocks.append(_block(arms, ratio, sizes[_below(rng, len(sizes))], rng))
    return blocks


def _number_slots(strata: Sequence[str], drawn: list[list[list[str]]]) -> tuple[Slot, ...]:
    index_width = max(2, len(str(len(strata))))
    sequence_width = max(4, len(str(max(sum(map(len, blocks)) for blocks in drawn))))
    slots: list[Slot] = []
    for index, (stratum, blocks) in enumerate(zip(strata, drawn, strict=True), start=1):
        arms = [(block, arm) for block, content in enumerate(blocks, 1) for arm in content]
        for sequence, (block, arm) in enumerate(arms, start=1):
            number = f"{index:0{index_width}d}{sequence:0{sequence_width}d}"
            slots.append(Slot(stratum, sequence, block, arm, number))
    return tuple(slots)


def generate_permuted_blocks(
    *,
    arms: Sequence[str],
    ratio: Sequence[int],
    block_sizes: Sequence[int],
    strata: Sequence[str],
    slots_per_stratum: int,
    seed: int,
) -> AllocationListSpec:
    """Return a stratified permuted-block list reproducible from ``seed``.

    Parameters
    ----------
    arms, ratio
        Arm codes and the allocation ratio in lowest terms (``[1, 1]``, ``[2, 1]``).
    block_sizes
        Candidate block sizes, each a multiple of ``sum(ratio)``; drawn per block.
    strata
        Stratum keys such as ``"S01|L4-5"``; ``[""]`` for an unstratified list.
    slots_per_stratum
        Minimum number of slots per stratum; whole blocks are added until reached.
    seed
        Non-negative integer seeding ``random.Random``.

    Returns
    -------
    AllocationListSpec
        ``method="permuted_blocks"``, slots ordered by stratum (as given) then sequence.

    Raises
    ------
    ValueError
        With an English message naming the bad parameter.
    """
    _check_arms_and_ratio(arms, ratio)
    _check_blocks(ratio, block_sizes)
    _check_strata_and_seed(strata, slots_per_stratum, seed)
    rng = random.Random(seed)
    sizes = sorted(set(block_sizes))
    drawn = [_stratum_blocks(arms, ratio, sizes, slots_per_stratum, rng) for _ in strata]
    return AllocationListSpec(
        method="permuted_blocks",
        arms=tuple(arms),
        ratio=tuple(ratio),
        block_sizes=tuple(sizes),
        seed=seed,
        strata=tuple(strata),
        slots=_number_slots(strata, drawn),
    )
