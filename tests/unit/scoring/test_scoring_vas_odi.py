"""VAS and ODI scorers: docs/instruments.md §1, §2 worked examples and missing-data rules."""

import pytest

import scoring
from scoring.instruments.odi import odi_band


def odi(*values):
    return {f"odi_{k}": v for k, v in enumerate(values, start=1) if v is not None}


@pytest.mark.parametrize(
    ("value", "band"),
    [
        (0, "none"),
        (0.1, "mild"),
        (3.9, "mild"),
        (4, "moderate"),
        (6.9, "moderate"),
        (7, "severe"),
        (10, "severe"),
    ],
)
@pytest.mark.requirement("SCO-001")
def test_vas_band_follows_the_paper(value, band):
    assert scoring.score("vas", {"vas": value}) == {"vas": float(value), "band": band}


@pytest.mark.parametrize("answers", [{}, {"vas": None}])
def test_vas_missing_gives_no_score(answers):
    assert scoring.score("vas", answers) == {"vas": None, "band": None}


@pytest.mark.requirement("SCO-001")
def test_odi_worked_example_all_sections():
    # given: docs/instruments.md §2.4 worked example
    answers = odi(2, 1, 3, 2, 1, 2, 1, 0, 2, 2)
    # when
    result = scoring.score("odi", answers)
    # then: 16 of 50 -> 32 %
    assert result == {"raw_sum": 16, "answered": 10, "percent": 32.0, "band": "moderate"}


@pytest.mark.requirement("SCO-001")
def test_odi_worked_example_sex_life_missing_is_scored_over_45():
    # given: section 8 (sex life) not applicable
    answers = odi(5, 5, 3, 3, 0, 0, 0, None, 0, 0)
    # when
    result = scoring.score("odi", answers)
    # then: 16 / 45 * 100 = 35.555…
    assert result["percent"] == pytest.approx(35.5555555556, abs=1e-9)
    assert round(result["percent"], 2) == 35.56
    assert (result["raw_sum"], result["answered"], result["band"]) == (16, 9, "moderate")


def test_odi_missing_section_equals_mean_imputation():
    answers = odi(5, 5, 3, 3, 0, 0, 0, None, 0, 0)
    mean = 16 / 9
    imputed = (16 + mean) / 50 * 100
    assert scoring.score("odi", answers)["percent"] == pytest.approx(imputed)


def test_odi_missing_value_given_as_none_equals_absent_key():
    with_none = {**odi(5, 5, 3, 3, 0, 0, 0, None, 0, 0), "odi_8": None}
    assert scoring.score("odi", with_none) == scoring.score(
        "odi", odi(5, 5, 3, 3, 0, 0, 0, None, 0, 0)
    )


@pytest.mark.parametrize(
    "answers",
    [
        odi(5, 5, 3, None, 0, 0, 0, None, 0, 0),
        odi(None, None, None, 1, 1, 1, 1, 1, 1, 1),
        {},
    ],
)
@pytest.mark.requirement("SCO-001")
def test_odi_two_or_more_missing_sections_give_no_score(answers):
    result = scoring.score("odi", answers)
    assert result["percent"] is None
    assert result["band"] is None
    assert result["raw_sum"] is None
    assert result["answered"] == len(answers)


def test_odi_all_zero_is_zero_not_missing():
    assert scoring.score("odi", odi(*[0] * 10))["percent"] == 0.0


@pytest.mark.parametrize(
    ("percent", "band"),
    [
        (0.0, "minimal"),
        (20.0, "minimal"),
        (200 / 9, "moderate"),
        (22.0, "moderate"),
        (40.0, "moderate"),
        (42.0, "severe"),
        (60.0, "severe"),
        (62.0, "crippled"),
        (80.0, "crippled"),
        (82.0, "bed_bound"),
        (100.0, "bed_bound"),
    ],
)
def test_odi_band_uses_fairbank_cut_points_on_the_unrounded_percent(percent, band):
    assert odi_band(percent) == band


def test_odi_percent_is_unrounded():
    result = scoring.score("odi", odi(1, 0, 0, 0, 0, 0, 0, None, 0, 0))
    assert result["percent"] == pytest.approx(100 / 45)
