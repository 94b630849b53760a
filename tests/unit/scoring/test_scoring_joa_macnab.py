"""JOA scorer, Hirabayashi recovery rate and MacNab (docs/instruments.md §3, §5)."""

import math

import pytest

import scoring
from scoring import InvalidAnswer

JOA_IDS = ["joa_lbp", "joa_leg", "joa_gait", "joa_slr", "joa_sens", "joa_motor"]
JOA_IDS += [f"joa_adl_{k}" for k in range(1, 8)] + ["joa_bladder"]


def joa(*values):
    return {item: v for item, v in zip(JOA_IDS, values, strict=True) if v is not None}


WORKED_PRE = joa(1, 0, 1, 1, 1, 1, 1, 1, 1, 0, 1, 0, 1, 0)


@pytest.mark.requirement("SCO-003")
def test_joa_worked_example_pre_op_total_is_10():
    assert scoring.score("joa", WORKED_PRE) == {
        "subjective": 2,
        "signs": 3,
        "adl": 5,
        "bladder": 0,
        "total": 10,
    }


@pytest.mark.parametrize(
    ("answers", "total"),
    [
        (joa(3, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 0), 29),
        (joa(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -6), -6),
        (joa(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -3), -3),
        (joa(3, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, -6), 23),
    ],
)
def test_joa_total_runs_from_minus_6_to_29_without_clamping(answers, total):
    assert scoring.score("joa", answers)["total"] == total


@pytest.mark.parametrize(
    ("missing", "none_sections"),
    [
        ("joa_leg", {"subjective"}),
        ("joa_motor", {"signs"}),
        ("joa_adl_4", {"adl"}),
        ("joa_bladder", {"bladder"}),
    ],
)
def test_joa_missing_item_voids_its_section_and_the_total(missing, none_sections):
    # given
    answers = {k: v for k, v in WORKED_PRE.items() if k != missing}
    # when
    result = scoring.score("joa", answers)
    # then
    assert result["total"] is None
    assert {key for key in ("subjective", "signs", "adl", "bladder") if result[key] is None} == (
        none_sections
    )


def test_joa_empty_form_gives_no_scores():
    assert set(scoring.score("joa", {}).values()) == {None}


@pytest.mark.requirement("SCO-003")
def test_joa_recovery_rate_worked_example():
    rate = scoring.joa_recovery_rate(10, 26)
    assert rate == pytest.approx(84.2105263158, abs=1e-9)
    assert scoring.joa_recovery_grade(rate) == "excellent"


@pytest.mark.parametrize(
    ("pre", "post", "rate"),
    [
        (29, 29, None),
        (29, 20, None),
        (None, 20, None),
        (10, None, None),
        (20, 18, -200 / 9),
        (-6, 23, 2900 / 35),
        (-6, -6, 0.0),
        (0, 29, 100.0),
    ],
)
def test_joa_recovery_rate_cases(pre, post, rate):
    result = scoring.joa_recovery_rate(pre, post)
    assert result == (None if rate is None else pytest.approx(rate))


@pytest.mark.parametrize(
    ("pre", "post", "item", "code"),
    [
        (30, 20, "joa_pre_total", "out_of_range"),
        (10, -7, "joa_post_total", "out_of_range"),
        (10.0, 20, "joa_pre_total", "invalid_type"),
        (True, 20, "joa_pre_total", "invalid_type"),
        (10, "20", "joa_post_total", "invalid_type"),
    ],
)
def test_joa_recovery_rate_rejects_impossible_totals(pre, post, item, code):
    with pytest.raises(InvalidAnswer) as caught:
        scoring.joa_recovery_rate(pre, post)
    assert (caught.value.item, caught.value.code) == (item, code)


@pytest.mark.parametrize(
    ("rate", "grade"),
    [
        (100.0, "excellent"),
        (75.0, "excellent"),
        (74.99, "good"),
        (50, "good"),
        (49.99, "fair"),
        (25.0, "fair"),
        (24.99, "poor"),
        (0.0, "poor"),
        (-50.0, "poor"),
        (None, None),
    ],
)
def test_joa_recovery_grade_bands(rate, grade):
    assert scoring.joa_recovery_grade(rate) == grade


@pytest.mark.parametrize("rate", [math.nan, math.inf, "80", True])
def test_joa_recovery_grade_rejects_non_numbers(rate):
    with pytest.raises(InvalidAnswer) as caught:
        scoring.joa_recovery_grade(rate)
    assert caught.value.code == "invalid_type"


@pytest.mark.parametrize(
    ("grade", "excellent_good"),
    [("excellent", True), ("good", True), ("fair", False), ("poor", False), (None, None)],
)
def test_macnab_score_flags_excellent_or_good(grade, excellent_good):
    result = scoring.score("macnab", {"macnab": grade})
    assert result == {"grade": grade, "excellent_good": excellent_good}


def test_macnab_absent_grade_is_missing():
    assert scoring.score("macnab", {}) == {"grade": None, "excellent_good": None}


E, G, F, P = "excellent", "good", "fair", "poor"


@pytest.mark.parametrize(
    ("grades", "rate", "n_missing"),
    [
        ([E, G, G, F, P], 60.0, 0),
        ([E, E, G, None, P], 75.0, 1),
        ([E, G, F], 200 / 3, 0),
        ([E] * 30 + [G] * 5 + [F] * 3, 92.1052631579, 0),
        ([E] * 25 + [G] * 9 + [F] * 5, 87.1794871795, 0),
        ([], None, 0),
        ([None, None], None, 2),
    ],
)
@pytest.mark.requirement("SCO-003")
def test_excellent_good_rate_worked_examples(grades, rate, n_missing):
    result = scoring.excellent_good_rate(grades)
    assert result["rate_pct"] == (None if rate is None else pytest.approx(rate, abs=1e-9))
    assert result["n_missing"] == n_missing


def test_excellent_good_rate_reports_every_count():
    result = scoring.excellent_good_rate(iter([E, E, G, None, P, F, F]))
    assert result == {
        "n_assessed": 6,
        "n_excellent": 2,
        "n_good": 1,
        "n_fair": 2,
        "n_poor": 1,
        "n_missing": 1,
        "rate_pct": 50.0,
    }


@pytest.mark.requirement("SCO-003")
def test_paper_table_5_rates_round_to_the_published_values():
    group_s = scoring.excellent_good_rate([E] * 30 + [G] * 5 + [F] * 3)
    group_p = scoring.excellent_good_rate([E] * 25 + [G] * 9 + [F] * 5)
    assert (round(group_s["rate_pct"], 1), round(group_p["rate_pct"], 1)) == (92.1, 87.2)


@pytest.mark.parametrize(
    ("grades", "code"), [([E, "great"], "invalid_choice"), ([E, 1], "invalid_type")]
)
def test_excellent_good_rate_rejects_unknown_grades(grades, code):
    with pytest.raises(InvalidAnswer) as caught:
        scoring.excellent_good_rate(grades)
    assert (caught.value.item, caught.value.code) == ("macnab", code)


def test_excellent_good_rate_refuses_a_bare_string():
    with pytest.raises(TypeError):
        scoring.excellent_good_rate("excellent")
