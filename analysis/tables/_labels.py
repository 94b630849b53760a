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
COL_DISAGREE = bi("Modes disagree", "两种模式结论不一致")
POOLED = bi("All participants", "全部病人")
NOT_AVAILABLE = "—"


def group_label(name: Bi, n: int) -> Bi:
    """Return ``"S group (n = 38)"`` in both languages."""
    return {lang: f"{text} (n = {n})" for lang, text in name.items()}
