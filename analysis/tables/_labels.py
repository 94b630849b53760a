"""Bilingual labels used in the tables (pure: the renderers pick the language)."""

from __future__ import annotations

Bi = dict[str, str]


def bi(en: str, zh: str) -> Bi:
    """Return a bilingual label ``{"en": en, "zh": zh}``."""
    return {"en": en, "zh": zh}


TEST_LABELS: dict[str, Bi] = {
    "pearson_chi2": bi("Pearson χ²", "Pearson χ² 检验"),
    "yates_chi2": bi("Yates-corrected χ²", "连续性校正 χ² 检验"),
    "fisher_exact": bi("Fisher's exact (two-sided)", "Fisher 精确概率法（双侧）"),
    "fisher_exact_one_sided": bi("Fisher's exact (one-sided)", "Fisher 精确概率法（单侧）"),
    "fisher_freeman_halton": bi("Fisher-Freeman-Halton exact", "Fisher-Freeman-Halton 精确检验"),
    "mann_whitney_u": bi("Mann-Whitney U", "Mann-Whitney U 检验"),
    "student_t": bi("Student t", "独立样本 t 检验"),
    "welch_t": bi("Welch t′", "t′ 检验"),
    "paired_t": bi("Paired t", "配对样本 t 检验"),
    "wilcoxon_signed_rank": bi("Wilcoxon signed-rank", "Wilcoxon 符号秩和检验"),
    "ancova_ols": bi("ANCOVA (baseline-adjusted)", "协方差分析（校正基线）"),
    "mixed_lm_reml": bi("Linear mixed model", "线性混合效应模型"),
}

# How an estimate's interval was computed (``Estimate.method``), as a reader names it.
METHOD_LABELS: dict[str, Bi] = {
    "newcombe_hybrid_score": bi("Newcombe hybrid score interval", "Newcombe 混合得分区间"),
    "katz_log": bi("Katz log interval", "Katz 对数区间"),
    "woolf_logit": bi("Woolf logit interval", "Woolf logit 区间"),
    "nntb": bi("1/RD, Newcombe limits (benefit)", "1/率差，Newcombe 区间（获益）"),
    "nnth": bi("1/RD, Newcombe limits (harm)", "1/率差，Newcombe 区间（有害）"),
    "nnt": bi("1/RD, Newcombe limits", "1/率差，Newcombe 区间"),
    "student": bi("Student t interval", "t 分布区间"),
    "welch": bi("Welch t′ interval", "Welch t′ 区间"),
    "paired_t": bi("Paired t interval", "配对 t 区间"),
    "exact": bi("Exact interval", "精确区间"),
    "asymptotic": bi("Normal-approximation interval", "正态近似区间"),
}


def method_label(code: str) -> Bi:
    """Return the reader's name of a test, model or interval method (code kept if unknown)."""
    return TEST_LABELS.get(code) or METHOD_LABELS.get(code) or bi(code, code)


EFFECT_LABELS: dict[str, str] = {
    "mean_difference": "MD",
    "hodges_lehmann_shift": "HL",
    "risk_difference": "RD",
    "paired_mean_difference": "MD",
    "hodges_lehmann_paired": "HL",
}

COL_LABEL = bi("Characteristics", "特征")
COL_P = bi("P", "P")
COL_TEST = bi("Test", "检验方法")
COL_EFFECT = bi("Effect (95% CI)", "效应量 (95% CI)")
COL_OTHER = {
    "correct": bi("P (paper mode)", "P（论文模式）"),
    "paper": bi("P (correct mode)", "P（正确模式）"),
}
NOTE_OTHER = {
    "correct": bi(
        "P (paper mode): the published rule, shown for count data only; continuous data are "
        "tested the same way in both modes.",
        "P（论文模式）：原文的检验规则，仅用于计数资料；计量资料两种模式的检验方法相同。",
    ),
    "paper": bi(
        "P (correct mode): the SAP's two-sided rule, shown for count data only; continuous "
        "data are tested the same way in both modes.",
        "P（正确模式）：统计分析计划规定的双侧检验，仅用于计数资料；计量资料两种模式的检验方法相同。",
    ),
}
NOTE_NO_BASELINE_P = bi(
    "Baseline differences are not tested (CONSORT 2010, item 15): with randomization, any "
    "difference is due to chance.",
    "未对基线差异进行假设检验（CONSORT 2010 第 15 条）：随机分组后的基线差异均属偶然。",
)
COL_DISAGREE = bi("Modes disagree", "两种模式结论不一致")
POOLED = bi("All participants", "全部病人")
NOT_AVAILABLE = "—"


def group_label(name: Bi, n: int) -> Bi:
    """Return ``"S group (n = 38)"`` in both languages."""
    return {lang: f"{text} (n = {n})" for lang, text in name.items()}
