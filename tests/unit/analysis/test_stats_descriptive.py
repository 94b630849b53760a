"""Descriptive summaries and P-value formatting (SAP "Descriptive statistics")."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from analysis.stats import describe_categorical, describe_continuous, format_n_pct, format_p
from tests.unit.analysis.stats_reference import ref, two_sample


@pytest.mark.parametrize(
    ("p", "text"),
    [
        (0.0, "< 0.001"),
        (0.00049, "< 0.001"),
        (0.0005, "0.001"),
        (0.0204911591995145, "0.020"),
        (0.0307, "0.031"),
        (0.0445, "0.045"),
        (0.99999999999999, "1.000"),
        (1.0, "1.000"),
    ],
)
def test_format_p(p: float, text: str) -> None:
    assert format_p(p) == text


def test_format_p_missing_is_a_dash() -> None:
    assert format_p(None) == "—"
    assert format_p(math.nan) == "—"


def test_format_p_rejects_out_of_range() -> None:
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        format_p(1.5)


@given(st.floats(min_value=0.0, max_value=1.0))
def test_format_p_never_prints_zero(p: float) -> None:
    text = format_p(p)
    assert text != "0.000"
    assert text == "< 0.001" or 0.001 <= float(text) <= 1.0


@pytest.mark.parametrize("case", list(two_sample()))
def test_quartiles_match_r_type_6(case: str) -> None:
    a, b = two_sample()[case]
    desc = describe_continuous({"a": a, "b": b})
    for label in ("a", "b"):
        g = desc.groups[label]
        assert g.q1 == pytest.approx(ref(case, f"q1_{label}"), rel=1e-9, abs=1e-12)
        assert g.median == pytest.approx(ref(case, f"median_{label}"), rel=1e-9, abs=1e-12)
        assert g.q3 == pytest.approx(ref(case, f"q3_{label}"), rel=1e-9, abs=1e-12)


def test_describe_uses_mean_sd_only_when_every_group_is_normal() -> None:
    a, b = two_sample()["normal_equal"]
    assert describe_continuous({"S": a, "P": b}).kind == "mean_sd"
    skewed, _ = two_sample()["vas_skewed"]
    mixed = describe_continuous({"S": a, "P": skewed})
    assert mixed.kind == "median_iqr"
    assert mixed.groups["S"].text.count("(") == 1  # median (Q1, Q3) in every group


def test_describe_counts_missing_values() -> None:
    desc = describe_continuous({"S": [1.0, 2.0, math.nan, 4.0], "P": [2.0, 3.0, 5.0]})
    assert desc.groups["S"].n == 3
    assert desc.groups["S"].n_missing == 1


def test_describe_categorical_uses_non_missing_denominator() -> None:
    out = describe_categorical({"yes": 8, "no": 30}, n_missing=2)
    assert out == {"yes": "8 (21.1%)", "no": "30 (78.9%)", "missing": "2"}


def test_format_n_pct_zero_is_plain() -> None:
    assert format_n_pct(0, 39) == "0"


def test_stats_package_imports_no_django() -> None:
    code = "import sys, analysis.stats; print(any(m.startswith('django') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
