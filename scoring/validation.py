"""Answer validation shared by all scorers (docs/instruments.md, Decision 6).

Every answer is checked before anything is scored; nothing is ever silently treated as
missing. Missing means ``None`` or an absent key, and nothing else (a NaN is an error).

Rules and the :class:`~scoring.base.InvalidAnswer` code each one raises:

* ``answers`` must be a mapping (``TypeError`` otherwise); a key that is not an item of the
  instrument raises ``unknown_item``.
* Choice items with integer values (ODI, JOA, SF-36) accept integers only: ``int`` or any
  other :class:`numbers.Integral` such as a NumPy integer. ``True``/``False`` are not
  integers here, and neither are floats or Decimals, even integer-valued ones like ``3.0``
  (a float in the data flow means a column went through a lossy conversion): all of these
  raise ``invalid_type``, as do strings. An integer outside the lowest…highest allowed
  value raises ``out_of_range`` (ODI 6, SF-36 item 3 = 4); an integer inside that span but
  not allowed raises ``invalid_choice`` (JOA bladder −1).
* Choice items with text values (MacNab) accept only the exact lower-case codes:
  another string raises ``invalid_choice``, anything that is not a string ``invalid_type``.
* Decimal items (VAS) accept ``int``, ``float`` and ``Decimal`` (not ``bool``, not strings,
  not NaN or infinity: ``invalid_type``). A value below ``min_value`` or above
  ``max_value`` raises ``out_of_range``. A value with more decimal places than the item
  allows (VAS 6.55) raises ``invalid_type``: it is in range, but it is not a number of the
  recorded resolution (one decimal, Decision 1). Trailing zeros do not count
  (``Decimal("6.50")`` is 6.5); a float counts by its shortest repr, so ``0.1 + 0.2`` is
  rejected.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from decimal import Decimal

from scoring.base import ErrorCode, Instrument, InvalidAnswer, Item

CleanAnswers = dict[str, int | str | Decimal | None]


def validate_answers(instrument: Instrument, answers: Mapping[str, object]) -> CleanAnswers:
    """Return every item id mapped to its validated answer or ``None`` when missing."""
    if not isinstance(answers, Mapping):
        raise TypeError(f"answers must be a mapping, not {type(answers).__name__}")
    known = set(instrument.item_ids)
    for key in answers:
        if key not in known:
            raise InvalidAnswer(
                str(key), ErrorCode.UNKNOWN_ITEM, key, f"not an item of {instrument.name}"
            )
    return {item.id: validate_item(item, answers.get(item.id)) for item in instrument.items}


def validate_item(item: Item, value: object) -> int | str | Decimal | None:
    """Return the answer in its canonical type, ``None`` if missing; raise if not allowed."""
    if value is None:
        return None
    if item.kind == "decimal":
        return _validate_decimal(item, value)
    if all(isinstance(choice.value, str) for choice in item.choices):
        return _validate_text_choice(item, value)
    return _validate_int_choice(item, value)


def as_integer(name: str, value: object) -> int:
    """Return ``value`` as ``int`` if it is a non-bool integral number, else raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InvalidAnswer(name, ErrorCode.INVALID_TYPE, value, "an integer is required")
    return int(value)


def as_finite_number(name: str, value: object) -> Decimal:
    """Return ``value`` as an exact Decimal if it is a finite int, float or Decimal."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral | float | Decimal):
        raise InvalidAnswer(name, ErrorCode.INVALID_TYPE, value, "a number is required")
    if isinstance(value, float):
        number = Decimal(repr(float(value)))
    elif isinstance(value, Decimal):
        number = value
    else:
        number = Decimal(int(value))
    if not number.is_finite():
        raise InvalidAnswer(name, ErrorCode.INVALID_TYPE, value, "a finite number is required")
    return number


def _validate_int_choice(item: Item, value: object) -> int:
    number = as_integer(item.id, value)
    allowed = [int(v) for v in item.allowed_values]
    if number in allowed:
        return number
    if number < min(allowed) or number > max(allowed):
        raise InvalidAnswer(
            item.id, ErrorCode.OUT_OF_RANGE, value, f"must be {min(allowed)}…{max(allowed)}"
        )
    raise InvalidAnswer(item.id, ErrorCode.INVALID_CHOICE, value, f"must be one of {allowed}")


def _validate_text_choice(item: Item, value: object) -> str:
    if not isinstance(value, str):
        raise InvalidAnswer(item.id, ErrorCode.INVALID_TYPE, value, "a text code is required")
    if value not in item.allowed_values:
        raise InvalidAnswer(
            item.id, ErrorCode.INVALID_CHOICE, value, f"must be one of {list(item.allowed_values)}"
        )
    return value


def _validate_decimal(item: Item, value: object) -> Decimal:
    number = as_finite_number(item.id, value)
    low, high = item.min_value, item.max_value
    if (low is not None and number < low) or (high is not None and number > high):
        raise InvalidAnswer(item.id, ErrorCode.OUT_OF_RANGE, value, f"must be {low}…{high}")
    exponent = number.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > item.decimals:
        raise InvalidAnswer(
            item.id, ErrorCode.INVALID_TYPE, value, f"at most {item.decimals} decimal place(s)"
        )
    return number
