"""EQ-5D-5L scoring pinned against the EQ-5D-5L User Guide v3.0 (EuroQol, 2019).

The guide defines the descriptive system (five dimensions in the order mobility, self-care,
usual activities, pain/discomfort, anxiety/depression; levels 1 = no problems … 5 = unable
to / extreme problems), the health state as the five levels written as a five-digit number
in that order ("11111" the best state, "55555" the worst; 3,125 states), 9 for a missing
or ambiguous dimension, the EQ VAS from 0 (worst imaginable health) to 100 (best), and the
level sum score as the plain sum of the five levels (5 … 25).
"""

import itertools
from decimal import Decimal

import pytest

import scoring
from scoring import INSTRUMENTS, InvalidAnswer
from scoring.instruments.eq5d5l import DIMENSIONS

pytestmark = pytest.mark.requirement("SCO-006")


def _answers(state: str, vas: object = 70) -> dict[str, object]:
    return {
        **{
            code: None if digit == "9" else int(digit)
            for code, digit in zip(DIMENSIONS, state, strict=True)
        },
        "eq_vas": vas,
    }


@pytest.mark.parametrize(
    ("state", "level_sum"),
    [("11111", 5), ("55555", 25), ("12345", 15), ("21111", 6), ("33333", 15), ("54321", 15)],
)
def test_profile_and_level_sum_of_the_guide_examples(state, level_sum):
    scores = scoring.score("eq5d5l", _answers(state))
    assert scores == {"profile": state, "level_sum": level_sum, "complete": True, "eq_vas": 70}


def test_the_descriptive_system_has_3125_distinct_states():
    profiles = {
        scoring.score("eq5d5l", _answers("".join(map(str, levels))))["profile"]
        for levels in itertools.product(range(1, 6), repeat=5)
    }
    assert len(profiles) == 5**5 == 3125


def test_dimension_order_is_the_questionnaires():
    assert DIMENSIONS == (
        "mobility",
        "self_care",
        "usual_activities",
        "pain_discomfort",
        "anxiety_depression",
    )
    for code in DIMENSIONS:
        item = INSTRUMENTS["eq5d5l"].item(code)
        assert item.allowed_values == (1, 2, 3, 4, 5)
        assert item.choice(1).short("en") == "No problems"
        assert item.choice(5).label("zh-hans")


def test_a_missing_dimension_is_coded_9_and_gives_no_level_sum():
    scores = scoring.score("eq5d5l", _answers("19345"))
    assert scores["profile"] == "19345"
    assert scores["level_sum"] is None
    assert scores["complete"] is False


def test_nothing_answered():
    assert scoring.score("eq5d5l", {}) == {
        "profile": "99999",
        "level_sum": None,
        "complete": False,
        "eq_vas": None,
    }


@pytest.mark.parametrize(("vas", "expected"), [(0, 0), (100, 100), (Decimal("55"), 55), (73.0, 73)])
def test_eq_vas_is_an_integer_0_to_100(vas, expected):
    assert scoring.score("eq5d5l", _answers("11111", vas))["eq_vas"] == expected


@pytest.mark.parametrize(
    ("answers", "code"),
    [
        ({"mobility": 6}, "out_of_range"),
        ({"mobility": 0}, "out_of_range"),
        ({"self_care": "2"}, "invalid_type"),
        ({"eq_vas": 101}, "out_of_range"),
        ({"eq_vas": -1}, "out_of_range"),
        ({"eq_vas": 50.5}, "invalid_type"),
        ({"index": 0.8}, "unknown_item"),
    ],
)
def test_invalid_answers_are_refused_not_treated_as_missing(answers, code):
    with pytest.raises(InvalidAnswer) as caught:
        scoring.score("eq5d5l", answers)
    assert caught.value.code == code
