"""SF-36 v1 (SF-36健康调查简表): RAND-36 scales, standard v1 scales, PCS/MCS (1990 norms).

Sources (docs/instruments.md §4 and Decisions 3–4):

* RAND-36: Hays RD, Sherbourne CD, Mazel RM. The RAND 36-Item Health Survey 1.0. Health
  Econ 1993;2:217-27, and RAND's scoring instructions ("Scoring Instructions for the 36-Item
  Short Form Survey"): step 1 recodes each item to 0–100, step 2 averages a scale's items.
* Standard v1: Ware JE et al. SF-36 Health Survey Manual and Interpretation Guide, 1993
  (item recalibration of GH1, BP1, BP2; raw → 0–100 transformation); PCS/MCS: Ware JE,
  Kosinski M, Keller SD. SF-36 Physical and Mental Health Summary Scales: A User's Manual,
  1994 (1990 US general-population means, SDs and factor score coefficients).

Items are the precoded answers ``sf36_1`` … ``sf36_36`` (standard numbering, 1 = first
option). Item 2 (health transition) belongs to no scale in either scoring.

Missing-data rules, by output:

* RAND scales (``rand_*``): mean of the recoded answered items, scored only when at least
  half of the scale's items are answered (PF 5/10, RP 2/4, RE 2/3, EF 2/4, EWB 3/5, SF 1/2,
  Pain 1/2, GH 3/5), else ``None`` (Decision 3; RAND's own "any answered item" rule is the
  documented alternative, not implemented).
* Standard scales: the same minimum; each missing item is replaced by the mean of the
  answered recoded items of its scale. Bodily pain instead follows the manual: item 22's
  recode depends on item 21; if 21 is missing, 22 uses the 6.0/4.75/3.5/2.25/1.0 recode
  and stands in for 21; if 22 is missing, 21 stands in for 22.
* ``pcs``/``mcs``: only when all eight standard scales are scored.
* ``raw_total_8scales``: the sum of the eight raw (recoded, imputed, untransformed)
  standard scale scores, 35–145 — the trial paper's non-standard "SF-36 total"
  (Decision 4), kept only for compatibility with the paper; ``None`` if any scale is.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from scoring.base import Instrument, Label, ScoreResult
from scoring.instruments.sf36_items import SECTIONS, build_items
from scoring.validation import CleanAnswers, validate_answers

VERSION = "sf36-v1-rand36-norm1990/1"

RAND_KEYS = (
    "rand_pf",
    "rand_rp",
    "rand_re",
    "rand_ef",
    "rand_ewb",
    "rand_sf",
    "rand_pain",
    "rand_gh",
)
STANDARD_KEYS = ("pf", "rp", "bp", "gh", "vt", "sf", "re", "mh")
SCORE_KEYS = (*RAND_KEYS, *STANDARD_KEYS, "pcs", "mcs", "raw_total_8scales")

# RAND step 1: the 0–100 value of each precoded answer 1, 2, …
_RAND_GROUPS: tuple[tuple[tuple[int, ...], tuple[float, ...]], ...] = (
    ((1, 2, 20, 22, 34, 36), (100, 75, 50, 25, 0)),
    (tuple(range(3, 13)), (0, 50, 100)),
    (tuple(range(13, 20)), (0, 100)),
    ((21, 23, 26, 27, 30), (100, 80, 60, 40, 20, 0)),
    ((24, 25, 28, 29, 31), (0, 20, 40, 60, 80, 100)),
    ((32, 33, 35), (0, 25, 50, 75, 100)),
)
RAND_RECODE: dict[int, tuple[float, ...]] = {
    item: values for items, values in _RAND_GROUPS for item in items
}
RAND_SCALES: dict[str, tuple[int, ...]] = {
    "rand_pf": tuple(range(3, 13)),
    "rand_rp": (13, 14, 15, 16),
    "rand_re": (17, 18, 19),
    "rand_ef": (23, 27, 29, 31),
    "rand_ewb": (24, 25, 26, 28, 30),
    "rand_sf": (20, 32),
    "rand_pain": (21, 22),
    "rand_gh": (1, 33, 34, 35, 36),
}


@dataclass(frozen=True, slots=True)
class StandardScale:
    """A standard v1 scale: item → recoded value per precoded answer, raw range, minimum."""

    recode: Mapping[int, tuple[float, ...]]
    raw_min: float
    raw_max: float
    min_answered: int


def _as_is(k: int) -> tuple[float, ...]:
    return tuple(float(code) for code in range(1, k + 1))


def _reversed(k: int) -> tuple[float, ...]:
    return tuple(float(code) for code in range(k, 0, -1))


GH1_RECODE = (5.0, 4.4, 3.4, 2.0, 1.0)
BP1_RECODE = (6.0, 5.4, 4.2, 3.1, 2.2, 1.0)
BP2_RECODE_WITH_BP1 = {2: 4.0, 3: 3.0, 4: 2.0, 5: 1.0}  # answer 1: see _bp2_given_bp1
BP2_RECODE_ALONE = (6.0, 4.75, 3.5, 2.25, 1.0)

STANDARD_SCALES: dict[str, StandardScale] = {
    "pf": StandardScale({k: _as_is(3) for k in range(3, 13)}, 10, 30, 5),
    "rp": StandardScale({k: _as_is(2) for k in range(13, 17)}, 4, 8, 2),
    "gh": StandardScale(
        {1: GH1_RECODE, 33: _as_is(5), 34: _reversed(5), 35: _as_is(5), 36: _reversed(5)},
        5,
        25,
        3,
    ),
    "vt": StandardScale(
        {23: _reversed(6), 27: _reversed(6), 29: _as_is(6), 31: _as_is(6)}, 4, 24, 2
    ),
    "sf": StandardScale({20: _reversed(5), 32: _as_is(5)}, 2, 10, 1),
    "re": StandardScale({k: _as_is(2) for k in range(17, 20)}, 3, 6, 2),
    "mh": StandardScale(
        {24: _as_is(6), 25: _as_is(6), 26: _reversed(6), 28: _as_is(6), 30: _reversed(6)},
        5,
        30,
        3,
    ),
}
BP_RAW_MIN, BP_RAW_MAX = 2.0, 12.0

# 1990 US general population (Ware, Kosinski & Keller 1994): mean, SD, PCS and MCS coefficient.
NORMS_1990: dict[str, tuple[float, float, float, float]] = {
    "pf": (84.52404, 22.89490, 0.42402, -0.22999),
    "rp": (81.19907, 33.79729, 0.35119, -0.12329),
    "bp": (75.49196, 23.55879, 0.31754, -0.09731),
    "gh": (72.21316, 20.16964, 0.24954, -0.01571),
    "vt": (61.05453, 20.86942, 0.02877, 0.23534),
    "sf": (83.59753, 22.37642, -0.00753, 0.26876),
    "re": (81.29467, 33.02717, -0.19206, 0.43407),
    "mh": (74.84212, 18.01189, -0.22069, 0.48581),
}


def _half_rule(n_answered: int, n_items: int) -> bool:
    return n_answered * 2 >= n_items


def _code(clean: CleanAnswers, item: int) -> int | None:
    value = clean[f"sf36_{item}"]
    return None if value is None else int(value)


def _recoded(clean: CleanAnswers, recode: Mapping[int, Sequence[float]]) -> list[float]:
    codes = {item: _code(clean, item) for item in recode}
    return [recode[item][code - 1] for item, code in codes.items() if code is not None]


def rand_scales(clean: CleanAnswers) -> dict[str, float | None]:
    """Return the eight RAND-36 scales (0–100) under the half-scale rule."""
    scores: dict[str, float | None] = {}
    for key, items in RAND_SCALES.items():
        values = _recoded(clean, {item: RAND_RECODE[item] for item in items})
        ok = _half_rule(len(values), len(items))
        scores[key] = math.fsum(values) / len(values) if ok else None
    return scores


def _bp2_given_bp1(bp1: int, bp2: int) -> float:
    if bp2 == 1:
        return 6.0 if bp1 == 1 else 5.0
    return BP2_RECODE_WITH_BP1[bp2]


def _bp_raw(clean: CleanAnswers) -> float | None:
    bp1, bp2 = _code(clean, 21), _code(clean, 22)
    if bp1 is None:
        return None if bp2 is None else 2 * BP2_RECODE_ALONE[bp2 - 1]
    if bp2 is None:
        return 2 * BP1_RECODE[bp1 - 1]
    return BP1_RECODE[bp1 - 1] + _bp2_given_bp1(bp1, bp2)


def standard_raw_scales(clean: CleanAnswers) -> dict[str, float | None]:
    """Return the eight raw standard scale scores, mean-imputed under the half rule."""
    raws: dict[str, float | None] = {}
    for key in STANDARD_KEYS:
        if key == "bp":
            raws[key] = _bp_raw(clean)
            continue
        scale = STANDARD_SCALES[key]
        values, n_items = _recoded(clean, scale.recode), len(scale.recode)
        ok = len(values) >= scale.min_answered
        raws[key] = math.fsum(values) / len(values) * n_items if ok else None
    return raws


def _transform(key: str, raw: float | None) -> float | None:
    if raw is None:
        return None
    if key == "bp":
        low, high = BP_RAW_MIN, BP_RAW_MAX
    else:
        low, high = STANDARD_SCALES[key].raw_min, STANDARD_SCALES[key].raw_max
    return (raw - low) * 100 / (high - low)


def summary_scores(scales: Mapping[str, float | None]) -> tuple[float | None, float | None]:
    """Return (PCS, MCS) from the eight 0–100 standard scales; ``None`` if any is missing."""
    values = {key: scales[key] for key in STANDARD_KEYS}
    pcs_sum = mcs_sum = 0.0
    for key, (mean, sd, pcs_coef, mcs_coef) in NORMS_1990.items():
        value = values[key]
        if value is None:
            return None, None
        z = (value - mean) / sd
        pcs_sum += z * pcs_coef
        mcs_sum += z * mcs_coef
    return 50 + 10 * pcs_sum, 50 + 10 * mcs_sum


def score_sf36(answers: Mapping[str, object]) -> ScoreResult:
    """Score the SF-36 v1: RAND-36 scales, standard scales, PCS/MCS, raw 8-scale total."""
    clean = validate_answers(SF36, answers)
    raws = standard_raw_scales(clean)
    standard = {key: _transform(key, raw) for key, raw in raws.items()}
    pcs, mcs = summary_scores(standard)
    raw_values = [raw for raw in raws.values() if raw is not None]
    raw_total = math.fsum(raw_values) if len(raw_values) == len(STANDARD_KEYS) else None
    scores = {**rand_scales(clean), **standard, "pcs": pcs, "mcs": mcs}
    return ScoreResult("sf36", VERSION, {**scores, "raw_total_8scales": raw_total})


SF36 = Instrument(
    name="sf36",
    title_en="SF-36 Health Survey (v1)",
    title_zh="SF-36健康调查简表",
    short_title_en="SF-36",
    short_title_zh="SF-36",
    instructions_en=(
        "This survey asks for your views about your health. This information will help "
        "keep track of how you feel and how well you are able to do your usual "
        "activities. Answer every question by marking the answer as indicated. If you "
        "are unsure about how to answer a question, please give the best answer you can."
    ),
    instructions_zh=(
        "本调查询问您对自身健康状况的看法。这些信息有助于了解您的感受以及您进行日常活动的"
        "能力。请按提示回答每一个问题。如果您不确定如何回答某个问题，请尽量给出最接近的答"
        "案。"
    ),
    recall_en=("The past 4 weeks (question 2: compared with one year ago)."),
    recall_zh=("过去 4 周（第 2 题：与一年前相比）。"),
    version=VERSION,
    items=build_items(),
    sections=SECTIONS,
    score_keys=SCORE_KEYS,
    score_labels=(
        Label("rand_pf", "RAND physical functioning", "RAND 生理功能"),
        Label("rand_rp", "RAND role limitations (physical)", "RAND 生理职能"),
        Label("rand_re", "RAND role limitations (emotional)", "RAND 情感职能"),
        Label("rand_ef", "RAND energy/fatigue", "RAND 活力/疲劳"),
        Label("rand_ewb", "RAND emotional well-being", "RAND 情绪健康"),
        Label("rand_sf", "RAND social functioning", "RAND 社会功能"),
        Label("rand_pain", "RAND pain", "RAND 疼痛"),
        Label("rand_gh", "RAND general health", "RAND 总体健康"),
        Label("pf", "Physical functioning (PF)", "生理功能 (PF)"),
        Label("rp", "Role physical (RP)", "生理职能 (RP)"),
        Label("bp", "Bodily pain (BP)", "躯体疼痛 (BP)"),
        Label("gh", "General health (GH)", "总体健康 (GH)"),
        Label("vt", "Vitality (VT)", "活力 (VT)"),
        Label("sf", "Social functioning (SF)", "社会功能 (SF)"),
        Label("re", "Role emotional (RE)", "情感职能 (RE)"),
        Label("mh", "Mental health (MH)", "精神健康 (MH)"),
        Label("pcs", "Physical component summary (PCS)", "生理健康总评 (PCS)"),
        Label("mcs", "Mental component summary (MCS)", "心理健康总评 (MCS)"),
        Label(
            "raw_total_8scales",
            "Sum of the 8 raw scales (non-standard, as in the paper)",
            "8 个维度原始分之和（非标准，与论文一致）",
        ),
    ),
    scorer=score_sf36,
    source=(
        "RAND 36-Item Health Survey 1.0 (Hays 1993); Ware 1993 SF-36 manual; "
        "Ware, Kosinski & Keller 1994 (1990 US norms); docs/instruments.md §4"
    ),
)

INSTRUMENT = SF36
