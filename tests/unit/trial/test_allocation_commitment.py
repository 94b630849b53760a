"""Canonical form and SHA-256 commitment of allocation lists (pure)."""

import dataclasses
import hashlib
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trial.allocation import (
    AllocationListSpec,
    Slot,
    canonical_form,
    commitment,
    generate_permuted_blocks,
    verify,
)

SMALL = AllocationListSpec(
    method="permuted_blocks",
    arms=("A", "B"),
    ratio=(1, 1),
    block_sizes=(2,),
    seed=7,
    strata=("S02", "S01"),
    slots=(
        Slot("S02", 1, 1, "A", "020001"),
        Slot("S01", 10, 5, "A", "010010"),
        Slot("S01", 9, 5, "B", "010009"),
    ),
)


def _golden_list() -> AllocationListSpec:
    return generate_permuted_blocks(
        arms=["A", "B"], ratio=[1, 1], block_sizes=[2, 4, 6],
        strata=["S01|L4-5", "S02|L5-S1"], slots_per_stratum=8, seed=20260401,
    )  # fmt: skip


def test_canonical_form_is_the_documented_text():
    # given the format written out by hand, as a third party would
    expected = (
        b"format=1;method=permuted_blocks;arms=A,B;ratio=1:1\n"
        b"stratum,sequence,arm,randomization_number\n"
        b"S01,9,B,010009\n"
        b"S01,10,A,010010\n"
        b"S02,1,A,020001\n"
    )
    # when / then
    assert canonical_form(SMALL) == expected
    assert commitment(SMALL) == hashlib.sha256(expected).hexdigest()


@pytest.mark.requirement("RND-004")
def test_commitment_of_golden_list_is_pinned():
    # when / then: drift in the generator or the canonical form changes this digest
    assert commitment(_golden_list()) == (
        "bc834eb33e64ce8535d8880379966cfe336f2945c854c04b84f6e9139eb05b2e"
    )


def test_canonical_form_does_not_depend_on_slot_order():
    # given
    slots = list(_golden_list().slots)
    random.Random(3).shuffle(slots)
    # when
    shuffled = dataclasses.replace(_golden_list(), slots=tuple(slots))
    # then
    assert canonical_form(shuffled) == canonical_form(_golden_list())


def test_canonical_form_sorts_unstratified_key_first_and_uses_utf8_without_bom():
    # given
    spec = dataclasses.replace(
        SMALL, slots=(Slot("Zürich", 1, None, "A", "2"), Slot("", 1, None, "B", "1"))
    )
    # when
    form = canonical_form(spec)
    # then
    assert form.endswith(",1,B,1\nZürich,1,A,2\n".encode())
    assert not form.startswith(b"\xef\xbb\xbf")
    assert b"\r" not in form


def test_commitment_ignores_block_numbers_and_seed():
    # given
    spec = dataclasses.replace(
        SMALL, seed=99, block_sizes=(), slots=tuple(dataclasses.replace(s, block=None)
                                                    for s in SMALL.slots)
    )  # fmt: skip
    # when / then
    assert commitment(spec) == commitment(SMALL)


@pytest.mark.parametrize(
    "change",
    [
        {"method": "uploaded"},
        {"arms": ("B", "A")},
        {"ratio": (2, 1)},
        {"slots": SMALL.slots[:2]},
    ],
)
def test_commitment_changes_with_header_or_slot_set(change):
    # when / then
    assert commitment(dataclasses.replace(SMALL, **change)) != commitment(SMALL)


@settings(max_examples=200, deadline=None)
@given(
    index=st.integers(0, 17),
    field=st.sampled_from(["arm", "randomization_number", "sequence", "stratum"]),
)
@pytest.mark.requirement("RND-004")
def test_commitment_changes_when_any_slot_changes(index, field):
    # given
    spec = _golden_list()
    slot = spec.slots[index]
    new_value = {
        "arm": "B" if slot.arm == "A" else "A",
        "randomization_number": slot.randomization_number + "9",
        "sequence": slot.sequence + 100,
        "stratum": slot.stratum + "x",
    }[field]
    slots = list(spec.slots)
    slots[index] = dataclasses.replace(slot, **{field: new_value})
    # when
    changed = dataclasses.replace(spec, slots=tuple(slots))
    # then
    assert commitment(changed) != commitment(spec)
    assert not verify(changed, commitment(spec))


def test_verify_accepts_matching_digest_in_any_case_with_whitespace():
    # given
    digest = commitment(SMALL)
    # when / then
    assert verify(SMALL, f"  {digest.upper()}\n")
    assert not verify(SMALL, "0" * 64)
    assert not verify(SMALL, "é" * 64)


@pytest.mark.parametrize(
    "change",
    [
        {"arms": ("A", "B,C")},
        {"method": "blocks;x"},
        {"slots": (Slot("S1,x", 1, None, "A", "1"),)},
        {"slots": (Slot("S1", 1, None, "A", "1\n2"),)},
        {"slots": (Slot("S1", 1, None, "A", ""),)},
        {"slots": (Slot("S1", 1, None, " A", "1"),)},
    ],
)
def test_canonical_form_refuses_text_that_would_be_ambiguous(change):
    # when / then
    with pytest.raises(ValueError, match="not plain|method and arms"):
        canonical_form(dataclasses.replace(SMALL, **change))
