"""Pure statistics for the trial reports (no Django, no ORM, no file I/O).

Public interface (docs/sap.md): test selection for categorical, continuous and paired data in
"correct" and "paper" modes, exact tests, effect sizes with CIs, ANCOVA, the mixed model
for repeated VAS, sample size for two proportions, descriptive summaries and P formatting.
"""

from analysis.stats.comparisons import (
    compare_categorical,
    compare_categorical_both,
    compare_continuous,
    compare_paired,
)
from analysis.stats.descriptive import (
    ContinuousDescription,
    GroupSummary,
    describe_categorical,
    describe_continuous,
)
from analysis.stats.effect_sizes import (
    hodges_lehmann_paired,
    hodges_lehmann_shift,
    mean_difference,
    paired_mean_difference,
)
from analysis.stats.exact import (
    FFHResult,
    FisherResult,
    ffh_exact,
    ffh_monte_carlo,
    fisher_2x2,
)
from analysis.stats.formatting import format_mean_sd, format_median_iqr, format_n_pct, format_p
from analysis.stats.models import ancova, mixed_model_repeated
from analysis.stats.results import (
    TEST_NAMES,
    Estimate,
    ModeComparison,
    ModelResult,
    SampleSizeResult,
    TestResult,
)
from analysis.stats.risk import number_needed_to_treat, odds_ratio, risk_difference, risk_ratio
from analysis.stats.sample_size import exact_power_two_proportions, sample_size_two_proportions

__all__ = [
    "TEST_NAMES",
    "ContinuousDescription",
    "Estimate",
    "FFHResult",
    "FisherResult",
    "GroupSummary",
    "ModeComparison",
    "ModelResult",
    "SampleSizeResult",
    "TestResult",
    "ancova",
    "compare_categorical",
    "compare_categorical_both",
    "compare_continuous",
    "compare_paired",
    "describe_categorical",
    "describe_continuous",
    "exact_power_two_proportions",
    "ffh_exact",
    "ffh_monte_carlo",
    "fisher_2x2",
    "format_mean_sd",
    "format_median_iqr",
    "format_n_pct",
    "format_p",
    "hodges_lehmann_paired",
    "hodges_lehmann_shift",
    "mean_difference",
    "mixed_model_repeated",
    "number_needed_to_treat",
    "odds_ratio",
    "paired_mean_difference",
    "risk_difference",
    "risk_ratio",
    "sample_size_two_proportions",
]
