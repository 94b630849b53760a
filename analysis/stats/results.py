"""Frozen result records returned by :mod:`analysis.stats`.

Every public statistic returns one of these dataclasses so that the table builders can rely
on fixed, documented fields (docs/style.md §5 "Result columns are fixed and documented").
``as_dict()`` gives a flat mapping suitable for a DataFrame row.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

TEST_NAMES: tuple[str, ...] = (
    "pearson_chi2",
    "yates_chi2",
    "fisher_exact",
    "fisher_exact_one_sided",
    "fisher_freeman_halton",
    "mann_whitney_u",
    "student_t",
    "welch_t",
    "paired_t",
    "wilcoxon_signed_rank",
)


@dataclass(frozen=True, slots=True)
class Estimate:
    """A point estimate with its confidence interval.

    Attributes
    ----------
    kind : str
        What is estimated, e.g. ``"mean_difference"``, ``"hodges_lehmann_shift"``,
        ``"risk_difference"``, ``"risk_ratio"``, ``"odds_ratio"``, ``"nnt"``.
    value : float
        The point estimate (``nan`` when undefined, ``inf`` for an infinite NNT).
    ci_low, ci_high : float
        Confidence limits (``nan`` when undefined).
    conf_level : float
        Confidence level of the interval, e.g. 0.95.
    method : str
        How the interval was computed (e.g. ``"welch"``, ``"newcombe_hybrid_score"``).
    notes : tuple of str
        Caveats (e.g. Haldane correction applied, NNT interval crossing infinity).
    """

    kind: str
    value: float
    ci_low: float
    ci_high: float
    conf_level: float = 0.95
    method: str = ""
    notes: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """Return the fields as a plain dict."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class TestResult:
    """The outcome of one hypothesis test chosen by the SAP rules.

    Attributes
    ----------
    test : str
        One of :data:`TEST_NAMES`.
    statistic : float
        Test statistic: χ² for the chi-square tests, the sample odds ratio for Fisher 2×2,
        the Freeman-Halton statistic ``-2 ln(γ P)`` (Mehta & Patel, as SPSS) for FFH,
        U of the first arm for Mann-Whitney, t for t tests, and for the Wilcoxon
        signed-rank test the smaller of the two rank sums (scipy convention).
    p_value : float
        P value (two-sided unless ``test == "fisher_exact_one_sided"``).
    df : float | None
        Degrees of freedom (χ² and t tests), else ``None``.
    estimate, ci_low, ci_high : float | None
        Effect estimate (first arm minus second arm; or after minus before) with its 95% CI.
    estimate_kind : str | None
        What ``estimate`` is (see :class:`Estimate`).
    n : tuple of int
        Number of non-missing observations per group (or per arm for tables).
    notes : tuple of str
        Why this test was chosen and any caveats, in plain words.
    """

    __test__ = False  # keep pytest from collecting this class

    test: str
    statistic: float
    p_value: float
    df: float | None = None
    estimate: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    estimate_kind: str | None = None
    n: tuple[int, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        """Return the fields as a plain dict."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class ModeComparison:
    """Results of the correct (SAP) and paper-compatible rules for one table.

    Attributes
    ----------
    correct, paper : TestResult
        The two results.
    alpha : float
        Significance level used for ``disagree``.
    disagree : bool
        True when exactly one of the two P values is below ``alpha``.
    tests_differ : bool
        True when the two modes used different tests.
    """

    correct: TestResult
    paper: TestResult
    alpha: float
    disagree: bool
    tests_differ: bool


@dataclass(frozen=True, slots=True)
class SampleSizeResult:
    """Sample size for comparing two independent proportions.

    Attributes
    ----------
    method : str
        ``"exact"``, ``"normal_pooled"``, ``"normal_unpooled"`` or ``"fleiss_cc"``.
    n_per_group : int
        Size of group 1 (the reference group); group 2 is ``ceil(ratio * n_per_group)``.
    n_group2 : int
        Size of group 2.
    n_per_group_with_dropout : int
        ``ceil(n_per_group / (1 - dropout))``.
    n_total_with_dropout : int
        Both groups after inflation for dropout.
    achieved_power : float
        Exact power of the uncorrected two-sided pooled z-test at the (pre-dropout) sizes.
    notes : tuple of str
        Conventions used.
    """

    method: str
    n_per_group: int
    n_group2: int
    n_per_group_with_dropout: int
    n_total_with_dropout: int
    achieved_power: float
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ModelResult:
    """The treatment effect from a regression model (ANCOVA or mixed model).

    Attributes
    ----------
    model : str
        ``"ancova_ols"`` or ``"mixed_lm_reml"``.
    term : str
        The coefficient reported (e.g. ``"arm[T.P]"``).
    estimate, std_error, ci_low, ci_high, p_value : float
        Coefficient, its standard error, Wald 95% CI and P value.
    n_obs : int
        Observations used (after dropping rows with missing values).
    coefficients : dict
        Every fixed-effect coefficient by name (for the full table).
    extra : dict
        Model-specific numbers (e.g. variance components, interaction test).
    """

    model: str
    term: str
    estimate: float
    std_error: float
    ci_low: float
    ci_high: float
    p_value: float
    n_obs: int
    coefficients: dict[str, float] = field(default_factory=dict)
    extra: dict[str, float] = field(default_factory=dict)
