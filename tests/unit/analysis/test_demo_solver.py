"""The demo solver: values whose report summaries print the published cells (pure)."""

from __future__ import annotations

import numpy as np
import pytest

from analysis import demo_targets as T
from analysis.demo_solver import anchor, solve
from analysis.stats import compare_continuous, describe_continuous, format_p

VAS_ADMISSION = T.TABLE2[0]


def test_anchor_interpolates_the_weibull_quartile() -> None:
    grid = np.asarray(T.steps(0, 10, 0.1))
    # Q1 of 38 values is 0.25·x9 + 0.75·x10: 0.6 from (0.0, 0.8) when x9 must be 0 …
    a, b, ok = anchor(grid, 0.75, "0.6", 1)
    assert ok
    assert 0.25 * a + 0.75 * b == pytest.approx(0.6, abs=0.05)
    # … and whole days cannot give a Q3 that prints 7.3 (7.25 prints 7.2)
    days = np.arange(3.0, 22.0)
    a, b, ok = anchor(days, 0.25, "7.3", 1)
    assert not ok
    assert (a, b) == (7.0, 8.0)


def test_solved_vas_row_prints_the_papers_cells_and_p() -> None:
    # given the paper's admission VAS row (5.2 (4.0, 6.0) vs 5.8 (4.0, 7.0), P = 0.080)
    solution = solve(VAS_ADMISSION, T.N)
    # then the report's own functions print exactly those cells and that P
    desc = describe_continuous(solution.values, decimals=1)
    assert desc.kind == "median_iqr"
    assert desc.groups["S"].text == "5.2 (4.0, 6.0)"
    assert desc.groups["P"].text == "5.8 (4.0, 7.0)"
    assert f"{desc.groups['S'].mean:.1f}" == "5.2"
    assert f"{desc.groups['P'].mean:.1f}" == "5.8"
    result = compare_continuous(solution.values["S"], solution.values["P"])
    assert result.test == "mann_whitney_u"
    assert format_p(result.p_value) == "0.080"
    assert solution.exact


def test_solver_is_deterministic() -> None:
    first, second = solve(VAS_ADMISSION, T.N), solve(VAS_ADMISSION, T.N)
    for arm in T.N:
        assert np.array_equal(first.values[arm], second.values[arm])
