"""Regression models beyond the paper (SAP "Beyond the paper").

* :func:`ancova` — OLS of a follow-up outcome on arm, adjusted for its baseline value.
* :func:`mixed_model_repeated` — linear mixed model ``value ~ arm * visit`` with a random
  intercept per participant, fitted by REML as R's ``nlme::lme`` fits it, with lme's
  covariance of the fixed effects ``σ̂²(X'V̂⁻¹X)⁻¹`` (:class:`RandomInterceptREML`, one
  definition for every trial size).

Design matrices are built explicitly with treatment coding so that coefficient names and
reference levels are fixed and documented: ``arm[T.<level>]``, ``visit[T.<level>]`` and
``arm[T.<level>]:visit[T.<level>]``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import optimize, stats

from analysis.stats.results import ModelResult


def _require_columns(data: pd.DataFrame, columns: Sequence[str]) -> None:
    if not isinstance(data, pd.DataFrame):
        raise ValueError("data must be a pandas DataFrame")
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise ValueError(f"data lacks column(s): {missing}")


def _levels(series: pd.Series, order: Sequence[str] | None, what: str) -> list[str]:
    present = sorted(series.astype(str).unique())
    if order is None:
        return present
    levels = [str(x) for x in order]
    unknown = set(present) - set(levels)
    if unknown:
        raise ValueError(f"{what} has levels not in the given order: {sorted(unknown)}")
    return [lv for lv in levels if lv in present]


def _arm_levels(series: pd.Series, reference: str | None) -> list[str]:
    levels = sorted(series.astype(str).unique())
    if len(levels) != 2:
        raise ValueError(f"exactly two arms are required, found {levels}")
    if reference is not None:
        if str(reference) not in levels:
            raise ValueError(f"reference arm {reference!r} not in data")
        levels.remove(str(reference))
        levels.insert(0, str(reference))
    return levels


def ancova(
    data: pd.DataFrame,
    *,
    dv: str,
    covariate: str,
    between: str = "arm",
    reference: str | None = None,
) -> ModelResult:
    """ANCOVA of a follow-up outcome on arm adjusted for baseline (``dv ~ arm + covariate``).

    Parameters
    ----------
    data : DataFrame
        One row per participant with columns ``dv``, ``covariate`` and ``between``.
        Rows with a missing value in any of them are dropped (complete-case analysis).
    dv, covariate, between : str
        Outcome (e.g. 3-month ODI), its baseline value, and the arm column.
    reference : str, optional
        Reference arm; default the alphabetically first (R's default factor level).

    Returns
    -------
    ModelResult
        ``term = "arm[T.<other arm>]"``: adjusted difference other − reference, with its
        OLS standard error, t-based 95% CI and P.

    References
    ----------
    docs/sap.md "Beyond the paper"; R ``lm(dv ~ arm + baseline)``.
    """
    _require_columns(data, [dv, covariate, between])
    df = data[[dv, covariate, between]].dropna()
    levels = _arm_levels(df[between], reference)
    term = f"{between}[T.{levels[1]}]"
    x = pd.DataFrame(
        {
            "Intercept": 1.0,
            term: (df[between].astype(str) == levels[1]).astype(float),
            covariate: df[covariate].astype(float),
        }
    )
    if len(df) < 4:
        raise ValueError("ANCOVA needs at least 4 complete rows")
    fit = sm.OLS(df[dv].astype(float), x).fit()
    ci = fit.conf_int(alpha=0.05).loc[term]
    return ModelResult(
        model="ancova_ols",
        term=term,
        estimate=float(fit.params[term]),
        std_error=float(fit.bse[term]),
        ci_low=float(ci.iloc[0]),
        ci_high=float(ci.iloc[1]),
        p_value=float(fit.pvalues[term]),
        n_obs=int(fit.nobs),
        coefficients={k: float(v) for k, v in fit.params.items()},
        extra={"df_resid": float(fit.df_resid), "r_squared": float(fit.rsquared)},
    )


def _mixed_design(
    df: pd.DataFrame, arms: list[str], visits: list[str], between: str, within: str
) -> pd.DataFrame:
    arm_col = f"{between}[T.{arms[1]}]"
    x = pd.DataFrame(
        {"Intercept": 1.0, arm_col: (df[between] == arms[1]).astype(float)}, index=df.index
    )
    for v in visits[1:]:
        x[f"{within}[T.{v}]"] = (df[within] == v).astype(float)
    for v in visits[1:]:
        x[f"{arm_col}:{within}[T.{v}]"] = x[arm_col] * x[f"{within}[T.{v}]"]
    return x


def mixed_model_repeated(
    data: pd.DataFrame,
    *,
    dv: str = "value",
    between: str = "arm",
    within: str = "visit",
    subject: str = "participant_id",
    reference: str | None = None,
    visit_order: Sequence[str] | None = None,
) -> ModelResult:
    """Linear mixed model for a repeated outcome: ``dv ~ arm * visit + (1 | subject)``.

    Parameters
    ----------
    data : DataFrame
        Long format, one row per participant and visit, with columns ``subject``,
        ``between``, ``within`` and ``dv``. Rows with a missing ``dv`` are dropped (the
        model uses every available visit; valid under missing at random).
    dv, between, within, subject : str
        Column names (defaults follow ``analysis.datasets.columns``).
    reference : str, optional
        Reference arm; default the alphabetically first.
    visit_order : sequence of str, optional
        Visit levels in time order; the first is the reference visit. Default: sorted.

    Returns
    -------
    ModelResult
        ``term`` is the arm effect at the reference visit (``arm[T.<other>]``), with Wald
        CI and P. ``coefficients`` has every fixed effect; ``extra`` holds their standard
        errors (``"se:<name>"``), the random-intercept and residual variances
        (``"var_subject"``, ``"var_residual"``), the REML log-likelihood, ``"converged"``
        (1.0 / 0.0), and the Wald χ²
        test of the arm × visit interaction (``"interaction_chi2"``, ``"interaction_df"``,
        ``"interaction_p"``).

    Notes
    -----
    Fitted by REML (random intercept per participant, independent homoscedastic
    residuals) by :class:`RandomInterceptREML` for every number of participants. The
    estimates, variance components, REML log-likelihood and the covariance of the fixed
    effects ``σ̂²(X'V̂⁻¹X)⁻¹`` are those of
    ``nlme::lme(value ~ arm * visit, random = ~ 1 | participant_id, method = "REML")``
    (``fixef``, ``VarCorr``, ``logLik``, ``vcov``); tests pin them to R
    (tests/reference/analysis/r_conventions.R). statsmodels ``MixedLM`` is *not* used: its
    ``cov_params`` is the inverse of the full observed information (cross terms with the
    variance parameters included), which differs from lme's by up to a few tenths of a
    percent. ``interaction_chi2`` equals ``numDF × F`` of
    ``anova(fit, Terms = "arm:visit")``. Wald CIs and P use the normal distribution,
    whereas ``lme`` uses t with between/within df; P values therefore differ slightly from
    R's (the standard errors do not).

    References
    ----------
    docs/sap.md "Beyond the paper"; paper Table 2 (VAS at four visits).
    """
    _require_columns(data, [dv, between, within, subject])
    df = data[[dv, between, within, subject]].dropna(subset=[dv]).copy()
    df[between] = df[between].astype(str)
    df[within] = df[within].astype(str)
    arms = _arm_levels(df[between], reference)
    visits = _levels(df[within], visit_order, within)
    if len(visits) < 2:
        raise ValueError("at least two visits are required")
    x = _mixed_design(df, arms, visits, between, within)
    names = list(x.columns)
    fit = RandomInterceptREML(df[dv].astype(float), x, df[subject].astype(str)).fit()
    params = fit.fe_params
    cov = fit.cov_params().loc[names, names]
    se = np.sqrt(np.diag(cov))
    inter = [n for n in names if ":" in n]
    b = params[inter].to_numpy()
    chi2 = float(b @ np.linalg.solve(cov.loc[inter, inter].to_numpy(), b))
    term = names[1]
    z = stats.norm.ppf(0.975)
    extra = {f"se:{n}": float(s) for n, s in zip(names, se, strict=True)}
    extra.update(
        var_subject=float(fit.cov_re.iloc[0, 0]),
        var_residual=float(fit.scale),
        loglik_reml=float(fit.llf),
        converged=float(bool(fit.converged)),
        interaction_chi2=chi2,
        interaction_df=float(len(inter)),
        interaction_p=float(stats.chi2.sf(chi2, len(inter))),
    )
    return ModelResult(
        model="mixed_lm_reml",
        term=term,
        estimate=float(params[term]),
        std_error=float(se[1]),
        ci_low=float(params[term] - z * se[1]),
        ci_high=float(params[term] + z * se[1]),
        p_value=float(2 * stats.norm.sf(abs(params[term] / se[1]))),
        n_obs=int(fit.nobs),
        coefficients={n: float(params[n]) for n in names},
        extra=extra,
    )


# The REML profile over log γ is searched on a grid first (a local optimiser alone could
# stop on a shoulder), then refined between the grid points around the best one.
_LOG_GAMMA_GRID = np.linspace(-30.0, 15.0, 46)


@dataclass(frozen=True)
class _Fit:
    """The fit that ``mixed_model_repeated`` reads (named as statsmodels' ``MixedLMResults``)."""

    fe_params: pd.Series
    covariance: pd.DataFrame
    cov_re: pd.DataFrame
    scale: float
    llf: float
    converged: bool
    nobs: int

    def cov_params(self) -> pd.DataFrame:
        return self.covariance


class RandomInterceptREML:
    """REML fit of ``y = Xβ + b_subject + e`` (one random intercept per subject).

    The model ``nlme::lme(random = ~ 1 | subject, method = "REML")`` (and statsmodels
    ``MixedLM(y, X, groups).fit(reml=True)``) fits, computed from per-subject sums: with
    ``γ = τ²/σ²`` and ``w_i = γ / (1 + n_i γ)``, ``V_i⁻¹ = (I − w_i J)/σ²``, so

    * ``X'V⁻¹X = (X'X − Σ_i w_i s_i s_i')/σ²`` with ``s_i`` subject i's column sums of X,
    * ``X'V⁻¹y`` and ``y'V⁻¹y`` likewise from the subject sums of y,
    * ``log|V| = N log σ² + Σ_i log(1 + n_i γ)``.

    σ² is profiled out (``σ̂² = r'V⁻¹r σ² / (N − p)``) and the REML log-likelihood is
    maximised over ``log γ`` (a grid over [−30, 15], then a bounded scalar search between
    the grid points next to the best; ``γ = 0`` is tried as well). Each evaluation costs
    O(subjects × p²) array arithmetic, none of it in a Python loop. ``cov_params`` is
    ``σ̂² (X'V̂⁻¹X)⁻¹`` at the estimate, as ``vcov`` of ``lme``.
    """

    def __init__(self, y: pd.Series, x: pd.DataFrame, groups: pd.Series) -> None:
        codes, _uniques = pd.factorize(groups)
        self.names = list(x.columns)
        self.y, self.x = y.to_numpy(float), x.to_numpy(float)
        self.n_obs, self.p = self.x.shape
        self.counts = np.bincount(codes).astype(float)
        self.sx = np.zeros((self.counts.size, self.p))
        np.add.at(self.sx, codes, self.x)
        self.sy = np.bincount(codes, weights=self.y)
        self.xtx, self.xty, self.yty = self.x.T @ self.x, self.x.T @ self.y, self.y @ self.y

    def _parts(self, gamma: float) -> tuple[np.ndarray, np.ndarray, float, float]:
        w = gamma / (1 + self.counts * gamma)
        a = self.xtx - (self.sx * w[:, None]).T @ self.sx
        b = self.xty - (self.sx * (w * self.sy)[:, None]).sum(axis=0)
        c = self.yty - float((w * self.sy**2).sum())
        beta = np.linalg.solve(a, b)
        return a, beta, c - float(b @ beta), float(np.log1p(self.counts * gamma).sum())

    def loglik(self, gamma: float) -> float:
        """Profiled REML log-likelihood (statsmodels' and R's, constants included)."""
        a, _beta, rss, logdet_i = self._parts(gamma)
        dof = self.n_obs - self.p
        sigma2 = rss / dof
        _sign, logdet_a = np.linalg.slogdet(a)
        return -0.5 * (dof * math.log(2 * math.pi * sigma2) + logdet_i + logdet_a + dof)

    def fit(self) -> _Fit:
        grid = _LOG_GAMMA_GRID
        best = int(np.argmax([self.loglik(math.exp(t)) for t in grid]))
        bounds = (float(grid[max(best - 1, 0)]), float(grid[min(best + 1, grid.size - 1)]))
        result = optimize.minimize_scalar(
            lambda t: -self.loglik(math.exp(t)), bounds=bounds, method="bounded",
            options={"xatol": 1e-12},
        )  # fmt: skip
        gamma, converged = math.exp(result.x), bool(result.success)
        if self.loglik(0.0) >= self.loglik(gamma):
            gamma = 0.0
        a, beta, rss, _logdet = self._parts(gamma)
        sigma2 = rss / (self.n_obs - self.p)
        cov = sigma2 * np.linalg.inv(a)
        return _Fit(
            fe_params=pd.Series(beta, index=self.names),
            covariance=pd.DataFrame(cov, index=self.names, columns=self.names),
            cov_re=pd.DataFrame([[gamma * sigma2]]),
            scale=sigma2,
            llf=self.loglik(gamma),
            converged=converged,
            nobs=self.n_obs,
        )
