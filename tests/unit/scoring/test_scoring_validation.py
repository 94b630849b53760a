"""Every answer outside the allowed set raises InvalidAnswer with a stable code."""

import math
from decimal import Decimal
from fractions import Fraction

import pytest

import scoring
from scoring import InvalidAnswer

JOA_COMPLETE = {
    "joa_lbp": 1, "joa_leg": 0, "joa_gait": 1, "joa_slr": 1, "joa_sens": 1, "joa_motor": 1,
    "joa_adl_1": 1, "joa_adl_2": 1, "joa_adl_3": 1, "joa_adl_4": 0, "joa_adl_5": 1,
    "joa_adl_6": 0, "joa_adl_7": 1, "joa_bladder": 0,
}  # fmt: skip

ERROR_CASES = [
    # (instrument, answers, item, code)
    ("vas", {"vas": 10.5}, "vas", "out_of_range"),
    ("vas", {"vas": -0.1}, "vas", "out_of_range"),
    ("vas", {"vas": 11}, "vas", "out_of_range"),
    ("vas", {"vas": Decimal("10.1")}, "vas", "out_of_range"),
    ("vas", {"vas": 6.55}, "vas", "invalid_type"),
    ("vas", {"vas": Decimal("6.55")}, "vas", "invalid_type"),
    ("vas", {"vas": 0.1 + 0.2}, "vas", "invalid_type"),
    ("vas", {"vas": "5"}, "vas", "invalid_type"),
    ("vas", {"vas": True}, "vas", "invalid_type"),
    ("vas", {"vas": math.nan}, "vas", "invalid_type"),
    ("vas", {"vas": math.inf}, "vas", "invalid_type"),
    ("vas", {"vas": Decimal("NaN")}, "vas", "invalid_type"),
    ("vas", {"vas": Fraction(13, 2)}, "vas", "invalid_type"),
    ("vas", {"vas_leg": 5}, "vas_leg", "unknown_item"),
    ("odi", {"odi_1": 6}, "odi_1", "out_of_range"),
    ("odi", {"odi_10": -1}, "odi_10", "out_of_range"),
    ("odi", {"odi_1": 3.0}, "odi_1", "invalid_type"),
    ("odi", {"odi_1": Decimal(3)}, "odi_1", "invalid_type"),
    ("odi", {"odi_1": 2.5}, "odi_1", "invalid_type"),
    ("odi", {"odi_1": "3"}, "odi_1", "invalid_type"),
    ("odi", {"odi_1": True}, "odi_1", "invalid_type"),
    ("odi", {"odi_1": False}, "odi_1", "invalid_type"),
    ("odi", {"odi_1": math.nan}, "odi_1", "invalid_type"),
    ("odi", {"odi_1": ""}, "odi_1", "invalid_type"),
    ("odi", {"odi_11": 1}, "odi_11", "unknown_item"),
    ("odi", {"odi_0": 1}, "odi_0", "unknown_item"),
    ("odi", {"ODI_1": 1}, "ODI_1", "unknown_item"),
    ("joa", {**JOA_COMPLETE, "joa_bladder": -1}, "joa_bladder", "invalid_choice"),
    ("joa", {**JOA_COMPLETE, "joa_bladder": -4}, "joa_bladder", "invalid_choice"),
    ("joa", {**JOA_COMPLETE, "joa_bladder": 3}, "joa_bladder", "out_of_range"),
    ("joa", {**JOA_COMPLETE, "joa_bladder": -9}, "joa_bladder", "out_of_range"),
    ("joa", {**JOA_COMPLETE, "joa_lbp": 4}, "joa_lbp", "out_of_range"),
    ("joa", {**JOA_COMPLETE, "joa_slr": 3}, "joa_slr", "out_of_range"),
    ("joa", {**JOA_COMPLETE, "joa_adl_7": -1}, "joa_adl_7", "out_of_range"),
    ("joa", {**JOA_COMPLETE, "joa_gait": "normal"}, "joa_gait", "invalid_type"),
    ("joa", {**JOA_COMPLETE, "joa_adl_8": 2}, "joa_adl_8", "unknown_item"),
    ("sf36", {"sf36_3": 4}, "sf36_3", "out_of_range"),
    ("sf36", {"sf36_13": 0}, "sf36_13", "out_of_range"),
    ("sf36", {"sf36_13": 3}, "sf36_13", "out_of_range"),
    ("sf36", {"sf36_21": 7}, "sf36_21", "out_of_range"),
    ("sf36", {"sf36_32": 6}, "sf36_32", "out_of_range"),
    ("sf36", {"sf36_2": 6}, "sf36_2", "out_of_range"),
    ("sf36", {"sf36_1": 1.0}, "sf36_1", "invalid_type"),
    ("sf36", {"sf36_1": True}, "sf36_1", "invalid_type"),
    ("sf36", {"sf36_37": 1}, "sf36_37", "unknown_item"),
    ("sf36", {"sf36_9a": 1}, "sf36_9a", "unknown_item"),
    ("macnab", {"macnab": "great"}, "macnab", "invalid_choice"),
    ("macnab", {"macnab": "Excellent"}, "macnab", "invalid_choice"),
    ("macnab", {"macnab": ""}, "macnab", "invalid_choice"),
    ("macnab", {"macnab": 1}, "macnab", "invalid_type"),
    ("macnab", {"macnab": True}, "macnab", "invalid_type"),
    ("macnab", {"grade": "good"}, "grade", "unknown_item"),
]


@pytest.mark.parametrize(("instrument", "answers", "item", "code"), ERROR_CASES)
@pytest.mark.requirement("SCO-005")
def test_invalid_answer_raises_with_item_and_code(instrument, answers, item, code):
    # when
    with pytest.raises(InvalidAnswer) as caught:
        scoring.score(instrument, answers)
    # then
    assert (caught.value.item, caught.value.code) == (item, code)


def test_invalid_answer_is_a_value_error_with_string_code():
    with pytest.raises(ValueError) as caught:  # noqa: PT011 - the subclass is the point
        scoring.score("odi", {"odi_1": 6})
    assert isinstance(caught.value, InvalidAnswer)
    assert caught.value.code == "out_of_range"
    assert isinstance(caught.value.code, str)
    assert caught.value.value == 6


@pytest.mark.requirement("SCO-005")
def test_invalid_answer_raises_even_when_the_score_would_be_missing():
    # given: nine ODI sections missing, so no score could be computed anyway
    answers = {"odi_1": 7}
    # when / then: the bad value is still reported, never treated as missing
    with pytest.raises(InvalidAnswer):
        scoring.score("odi", answers)


def test_invalid_answer_in_an_unscored_item_still_raises():
    # given: SF-36 item 2 (health transition) belongs to no scale
    with pytest.raises(InvalidAnswer) as caught:
        scoring.score("sf36", {"sf36_2": 0})
    assert caught.value.item == "sf36_2"


@pytest.mark.parametrize("answers", [[("odi_1", 1)], "odi_1=1", None, 5])
def test_answers_must_be_a_mapping(answers):
    with pytest.raises(TypeError):
        scoring.score("odi", answers)


@pytest.mark.parametrize(
    ("instrument", "item", "value"),
    [("odi", "odi_1", 3), ("sf36", "sf36_21", 6), ("joa", "joa_bladder", -6)],
)
def test_numpy_integers_are_accepted_as_integers(instrument, item, value):
    np = pytest.importorskip("numpy")
    assert scoring.score(instrument, {item: np.int64(value)}) == scoring.score(
        instrument, {item: value}
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [(6.5, 6.5), (Decimal("6.5"), 6.5), (Decimal("6.50"), 6.5), (7, 7.0), (0, 0.0), (10, 10.0)],
)
def test_vas_accepts_numbers_with_at_most_one_decimal(value, expected):
    result = scoring.score("vas", {"vas": value})
    assert result["vas"] == expected
    assert isinstance(result["vas"], float)


def test_numpy_float_vas_is_accepted():
    np = pytest.importorskip("numpy")
    assert scoring.score("vas", {"vas": np.float64(6.5)})["vas"] == 6.5
