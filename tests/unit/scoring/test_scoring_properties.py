"""Property tests: scores stay in range, and worsening one answer never improves a score.

"Worse" is defined here per item from the questionnaires' wording, independently of the
scorer's recode tables. PCS and MCS are excluded from the monotonicity property on
purpose: several 1990 factor coefficients are negative (e.g. RE and MH in PCS, PF and RP
in MCS), so a worse answer on, say, an emotional item can raise PCS. Monotonicity is
checked on the sixteen 0-100 scales, the raw 8-scale total, the ODI and the JOA instead.
"""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import scoring
from scoring import InvalidAnswer
from scoring.instruments.odi import BANDS
from scoring.instruments.sf36 import NORMS_1990

# applied per test: a profile would change hypothesis settings for every other test module
EXAMPLES = settings(max_examples=150, deadline=None)

# ---- SF-36: number of codes, and whether a HIGHER code is a WORSE answer -----------------
SF36_CODES = {
    **dict.fromkeys([1, 2, 20, 22, 32, 33, 34, 35, 36], 5),
    **dict.fromkeys(range(3, 13), 3),
    **dict.fromkeys(range(13, 20), 2),
    **dict.fromkeys([21, *range(23, 32)], 6),
}
# excellent…poor; not at all…extremely; none…very severe; "all of the time" for positive
# feelings (pep, calm, energy, happy); "definitely true" for "as healthy as anybody" and
# "my health is excellent"
HIGHER_IS_WORSE = {1, 20, 21, 22, 23, 26, 27, 30, 34, 36}
# limited a lot…not at all; yes/no to problems; negative feelings; social interference
# all…none of the time; "definitely true" for "sick easier" / "expect health to get worse"
HIGHER_IS_BETTER = {*range(3, 20), 24, 25, 28, 29, 31, 32, 33, 35}
SF36_SCORES = (
    "rand_pf rand_rp rand_re rand_ef rand_ewb rand_sf rand_pain rand_gh "
    "pf rp bp gh vt sf re mh raw_total_8scales"
).split()


def _maybe(values: st.SearchStrategy[int]) -> st.SearchStrategy[int | None]:
    return st.one_of(st.none(), values, values, values)


sf36_answers = st.fixed_dictionaries(
    {f"sf36_{k}": _maybe(st.integers(1, n)) for k, n in SF36_CODES.items()}
)
odi_answers = st.fixed_dictionaries(
    {f"odi_{k}": st.one_of(st.none(), *[st.integers(0, 5)] * 6) for k in range(1, 11)}
)
JOA_MAX = {"joa_lbp": 3, "joa_leg": 3, "joa_gait": 3, "joa_slr": 2, "joa_sens": 2, "joa_motor": 2}
JOA_MAX |= {f"joa_adl_{k}": 2 for k in range(1, 8)}
_JOA_SECTION = {
    "subjective": {"joa_lbp", "joa_leg", "joa_gait"},
    "signs": {"joa_slr", "joa_sens", "joa_motor"},
    "adl": {f"joa_adl_{k}" for k in range(1, 8)},
    "bladder": {"joa_bladder"},
}
joa_answers = st.fixed_dictionaries(
    {
        **{item: _maybe(st.integers(0, top)) for item, top in JOA_MAX.items()},
        "joa_bladder": _maybe(st.sampled_from([0, -3, -6])),
    }
)


def _sf36_worse(answers: dict, item: int) -> dict | None:
    code = answers[f"sf36_{item}"]
    if code is None:
        return None
    worse = code + 1 if item in HIGHER_IS_WORSE else code - 1
    return {**answers, f"sf36_{item}": worse} if 1 <= worse <= SF36_CODES[item] else None


def test_direction_table_covers_every_scored_item():
    assert HIGHER_IS_WORSE.isdisjoint(HIGHER_IS_BETTER)
    assert HIGHER_IS_WORSE | HIGHER_IS_BETTER == set(range(1, 37)) - {2}


@EXAMPLES
@given(sf36_answers)
def test_sf36_scales_stay_in_range(answers):
    result = scoring.score("sf36", answers)
    assert all(0 <= result[k] <= 100 + 1e-9 for k in SF36_SCORES[:-1] if result[k] is not None)
    total = result["raw_total_8scales"]
    assert total is None or 35 - 1e-9 <= total <= 145 + 1e-9


def _summary_bounds(coefficient: int) -> tuple[float, float]:
    low = high = 50.0
    for mean, sd, *coefficients in NORMS_1990.values():
        ends = [10 * coefficients[coefficient] * (score - mean) / sd for score in (0, 100)]
        low, high = low + min(ends), high + max(ends)
    return low, high


@EXAMPLES
@given(sf36_answers)
def test_sf36_summaries_stay_within_the_bounds_the_norms_allow(answers):
    result = scoring.score("sf36", answers)
    if result["pcs"] is not None:
        for key, index in (("pcs", 0), ("mcs", 1)):
            low, high = _summary_bounds(index)
            assert low - 1e-9 <= result[key] <= high + 1e-9


@EXAMPLES
@given(sf36_answers)
def test_sf36_worsening_one_answer_never_improves_a_scale(answers):
    before = scoring.score("sf36", answers)
    for item in sorted(HIGHER_IS_WORSE | HIGHER_IS_BETTER):
        worse = _sf36_worse(answers, item)
        if worse is None:
            continue
        after = scoring.score("sf36", worse)
        for key in SF36_SCORES:
            if before[key] is not None:
                assert after[key] <= before[key] + 1e-9, (item, key)


@EXAMPLES
@given(sf36_answers)
def test_sf36_rand_equals_standard_except_pain_and_general_health(answers):
    result = scoring.score("sf36", answers)
    pairs = [("pf", "rand_pf"), ("rp", "rand_rp"), ("re", "rand_re"), ("sf", "rand_sf")]
    for standard, rand in [*pairs, ("vt", "rand_ef"), ("mh", "rand_ewb")]:
        assert result[standard] == pytest.approx(result[rand], abs=1e-9)


@EXAMPLES
@given(odi_answers)
def test_odi_percent_stays_in_range_and_matches_its_band(answers):
    result = scoring.score("odi", answers)
    if result["percent"] is None:
        assert result["answered"] < 9
        return
    percent = result["percent"]
    assert 0 <= percent <= 100
    expected = next((band for upper, band in BANDS if percent <= upper), "bed_bound")
    assert result["band"] == expected
    assert [upper for upper, _ in BANDS] == [20, 40, 60, 80]


@EXAMPLES
@given(odi_answers)
def test_odi_worsening_one_section_never_lowers_the_index(answers):
    before = scoring.score("odi", answers)["percent"]
    for key, value in answers.items():
        if value is None or value == 5 or before is None:
            continue
        after = scoring.score("odi", {**answers, key: value + 1})["percent"]
        assert after > before, key


@EXAMPLES
@given(joa_answers)
def test_joa_scores_stay_in_range(answers):
    result = scoring.score("joa", answers)
    ranges = {"subjective": (0, 9), "signs": (0, 6), "adl": (0, 14), "bladder": (-6, 0)}
    for key, (low, high) in {**ranges, "total": (-6, 29)}.items():
        assert result[key] is None or low <= result[key] <= high
    assert (result["total"] is None) == any(v is None for v in answers.values())


@EXAMPLES
@given(joa_answers)
def test_joa_worsening_one_item_never_raises_the_total(answers):
    before = scoring.score("joa", answers)
    for item, value in answers.items():
        step, floor = (3, -6) if item == "joa_bladder" else (1, 0)
        if value is None or value - step < floor:
            continue
        after = scoring.score("joa", {**answers, item: value - step})
        for key in ("subjective", "signs", "adl", "bladder", "total"):
            assert before[key] is None or after[key] == before[key] - step * (
                key == "total" or item in _JOA_SECTION[key]
            ), (item, key)


@EXAMPLES
@given(st.integers(-6, 29), st.integers(-6, 29))
def test_joa_recovery_rate_is_at_most_100_and_graded(pre, post):
    rate = scoring.joa_recovery_rate(pre, post)
    if pre == 29:
        assert rate is None
    else:
        assert rate <= 100 + 1e-9
        assert scoring.joa_recovery_grade(rate) is not None


@EXAMPLES
@given(st.decimals(min_value=0, max_value=10, places=1))
def test_vas_accepts_every_one_decimal_value_and_bands_it(value):
    result = scoring.score("vas", {"vas": value})
    assert result["vas"] == float(value)
    assert result["band"] in {"none", "mild", "moderate", "severe"}


@EXAMPLES
@given(
    st.decimals(min_value=0, max_value=10, places=1),
    st.decimals(min_value=0, max_value=10, places=1),
)
def test_vas_band_never_improves_as_pain_rises(low, high):
    order = ["none", "mild", "moderate", "severe"]
    low, high = min(low, high), max(low, high)
    band = {v: scoring.score("vas", {"vas": v})["band"] for v in (low, high)}
    assert order.index(band[low]) <= order.index(band[high])


@EXAMPLES
@given(st.sampled_from(sorted(SF36_CODES)), st.integers(-100, 100))
@pytest.mark.requirement("SCO-005")
def test_sf36_integer_outside_the_codes_is_rejected(item, value):
    if 1 <= value <= SF36_CODES[item]:
        return
    with pytest.raises(InvalidAnswer) as caught:
        scoring.score("sf36", {f"sf36_{item}": value})
    assert caught.value.code == "out_of_range"


@EXAMPLES
@given(st.lists(st.sampled_from(["excellent", "good", "fair", "poor", None]), max_size=60))
def test_excellent_good_rate_counts_add_up(grades):
    result = scoring.excellent_good_rate(grades)
    counted = sum(result[f"n_{g}"] for g in ("excellent", "good", "fair", "poor"))
    assert counted == result["n_assessed"]
    assert counted + result["n_missing"] == len(grades)
    assert result["rate_pct"] is None or 0 <= result["rate_pct"] <= 100
