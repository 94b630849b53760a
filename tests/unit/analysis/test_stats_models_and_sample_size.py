"""ANCOVA (R lm), mixed model (R nlme::lme, REML) and sample size (R enumeration)."""

from __future__ import annotations

import pytest

from analysis.stats import (
    ancova,
    exact_power_two_proportions,
    mixed_model_repeated,
    sample_size_two_proportions,
)
from tests.unit.analysis.stats_reference import ancova_data, ref, vas_long


def test_ancova_matches_r_lm() -> None:
    res = ancova(ancova_data(), dv="post", covariate="baseline")
    assert res.term == "arm[T.S]"
    assert res.n_obs == ref("ancova", "n_obs")
    assert res.estimate == pytest.approx(ref("ancova", "est_armS"), rel=1e-6)
    assert res.std_error == pytest.approx(ref("ancova", "se_armS"), rel=1e-6)
    assert res.p_value == pytest.approx(ref("ancova", "p_armS"), rel=1e-6)
    assert res.ci_low == pytest.approx(ref("ancova", "ci_low_armS"), rel=1e-6)
    assert res.ci_high == pytest.approx(ref("ancova", "ci_high_armS"), rel=1e-6)
    assert res.coefficients["baseline"] == pytest.approx(ref("ancova", "est_baseline"), rel=1e-6)


def test_ancova_reference_arm_flips_sign() -> None:
    res = ancova(ancova_data(), dv="post", covariate="baseline", reference="S")
    assert res.estimate == pytest.approx(-ref("ancova", "est_armS"), rel=1e-6)


def test_ancova_rejects_missing_column() -> None:
    with pytest.raises(ValueError, match="lacks column"):
        ancova(ancova_data(), dv="post", covariate="nope")


def _r_name(name: str) -> str:
    """Translate our coefficient names to R's (armS, visitv1_preop, armS:visitv1_preop)."""
    return (
        name.replace("Intercept", "(Intercept)")
        .replace("arm[T.", "arm")
        .replace("visit[T.", "visit")
        .replace("]", "")
    )


@pytest.fixture(scope="module")
def mixed() -> object:
    return mixed_model_repeated(vas_long())


def test_mixed_model_fixed_effects_match_nlme(mixed: object) -> None:
    for name, value in mixed.coefficients.items():  # type: ignore[attr-defined]
        assert value == pytest.approx(ref("mixed", f"coef:{_r_name(name)}"), abs=1e-4), name


def test_mixed_model_standard_errors_match_nlme(mixed: object) -> None:
    for name in mixed.coefficients:  # type: ignore[attr-defined]
        ours = mixed.extra[f"se:{name}"]  # type: ignore[attr-defined]
        assert ours == pytest.approx(ref("mixed", f"se:{_r_name(name)}"), rel=1e-4), name


def test_mixed_model_variance_components_match_nlme(mixed: object) -> None:
    extra = mixed.extra  # type: ignore[attr-defined]
    assert extra["var_subject"] == pytest.approx(ref("mixed", "var_subject"), rel=1e-4)
    assert extra["var_residual"] == pytest.approx(ref("mixed", "var_residual"), rel=1e-4)
    assert mixed.n_obs == ref("mixed", "n_obs")  # type: ignore[attr-defined]


def test_mixed_model_needs_two_arms() -> None:
    data = vas_long()
    with pytest.raises(ValueError, match="two arms"):
        mixed_model_repeated(data[data.arm == "S"])


@pytest.mark.parametrize("n", range(28, 41))
def test_exact_power_matches_r_enumeration(n: int) -> None:
    power = exact_power_two_proportions(n, n, 0.43, 0.80)
    assert power == pytest.approx(ref("sample_size", f"exact_power_n{n}"), rel=1e-9)


def test_exact_power_unequal_groups_matches_r() -> None:
    power = exact_power_two_proportions(30, 45, 0.43, 0.80)
    assert power == pytest.approx(ref("sample_size", "exact_power_n30_45_p2"), rel=1e-9)


def test_paper_sample_size_is_33_per_group_and_37_after_dropout() -> None:
    res = sample_size_two_proportions(0.43, 0.80, alpha=0.05, power=0.9, dropout=0.10)
    assert res.n_per_group == 33 == ref("sample_size", "exact_n")
    assert res.n_per_group_with_dropout == 37
    assert res.n_total_with_dropout == 74
    assert res.achieved_power == pytest.approx(ref("sample_size", "exact_power_n33"), rel=1e-9)


@pytest.mark.parametrize(
    ("method", "expected"),
    [("normal_pooled", 35), ("normal_unpooled", 32), ("fleiss_cc", 40)],
)
def test_closed_forms_match_r(method: str, expected: int) -> None:
    res = sample_size_two_proportions(0.43, 0.80, method=method)  # type: ignore[arg-type]
    assert res.n_per_group == expected == ref("sample_size", f"{method}_n")


def test_allocation_ratio_sizes_second_group() -> None:
    res = sample_size_two_proportions(0.43, 0.80, ratio=2.0, method="normal_unpooled")
    assert res.n_group2 == 2 * res.n_per_group


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"p1": 0.5, "p2": 0.5}, "differ"),
        ({"p1": 1.2, "p2": 0.5}, "p1"),
        ({"p1": 0.4, "p2": 0.6, "dropout": 1.0}, "dropout"),
        ({"p1": 0.4, "p2": 0.6, "method": "magic"}, "method"),
    ],
)
def test_sample_size_rejects_bad_input(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        sample_size_two_proportions(**kwargs)
