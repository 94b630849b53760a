"""JOA low-back-pain score, 29 points (JOA下腰痛评分), and the Hirabayashi recovery rate.

Source: Japanese Orthopaedic Association, 1986 (Izumida S, Inoue S. Assessment of
treatment for low back pain. J Jpn Orthop Assoc 1986;60:391-4), as reproduced in the
Chinese tables cited in docs/instruments.md §3; Decision 2. Clinician-rated. Items are stored
as the point value itself; the wording below is this project's own.

Scores: ``subjective`` = lbp + leg + gait (0–9); ``signs`` = slr + sens + motor (0–6);
``adl`` = adl_1 … adl_7 (0–14); ``bladder`` ∈ {0, −3, −6}; ``total`` = the four together,
−6 … 29 (the bladder item subtracts; the total is not clamped at 0).

Missing-data rule: all 14 items are mandatory. A section subtotal is reported only when
every item of that section is answered (``None`` otherwise); ``total`` is ``None`` as soon
as any item is missing. Subtotals of complete sections are still reported so that a query
can point at the incomplete section.

Recovery rate (Hirabayashi): (post − pre) / (29 − pre) × 100 %, negative when the patient
worsened, undefined (``None``) when pre = 29 or either total is missing. Grade: ≥ 75
``excellent``, 50 to < 75 ``good``, 25 to < 50 ``fair``, < 25 ``poor``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal

from scoring.base import (
    Choice,
    ErrorCode,
    Instrument,
    InvalidAnswer,
    Item,
    Label,
    ScoreResult,
    Section,
)
from scoring.validation import as_finite_number, as_integer, validate_answers

VERSION = "joa-1986-29/1"
MAX_TOTAL = 29
MIN_TOTAL = -6
SECTION_IDS = ("subjective", "signs", "adl", "bladder")
RECOVERY_GRADES: tuple[tuple[int, str], ...] = ((75, "excellent"), (50, "good"), (25, "fair"))

# fmt: off
_SYMPTOM_LEVELS = (
    ("None", "无任何症状"),
    ("Occasional, slight", "偶尔，轻微"),
    ("Frequent and slight, or occasional and severe", "经常轻微，或偶尔严重"),
    ("Frequent or continuous, and severe", "经常或持续，且严重"),
)
_ADL_LEVELS = (
    (2, "No restriction (easy)", "无受限（容易）"),
    (1, "Moderate restriction (some difficulty)", "中度受限（有些困难）"),
    (0, "Severe restriction (very difficult)", "明显受限（非常困难）"),
)
_ADL_ITEMS = (
    ("Turning over while lying down", "卧床翻身"),
    ("Standing up", "站立（起立动作）"),
    ("Washing the face", "洗漱（洗脸动作）"),
    ("Leaning forward (half-bent posture or standing for a while)", "前屈（弯腰姿势及持续站立）"),
    ("Sitting for about 1 hour", "坐位（约1小时）"),
    ("Lifting or holding a heavy object", "提举或持握重物"),
    ("Walking", "行走"),
)
# fmt: on


def _choices(*rows: tuple[int, str, str]) -> tuple[Choice, ...]:
    return tuple(Choice(value, en, zh) for value, en, zh in rows)


def _symptom_choices() -> tuple[Choice, ...]:
    return tuple(Choice(3 - n, en, zh) for n, (en, zh) in enumerate(_SYMPTOM_LEVELS))


def _subjective_items() -> tuple[Item, ...]:
    return (
        Item("joa_lbp", "Low back pain", "下腰背痛", "subjective", choices=_symptom_choices()),
        Item("joa_leg", "Leg pain and/or tingling", "腿痛和/或麻刺感", "subjective",
             choices=_symptom_choices()),
        Item("joa_gait", "Walking ability", "步行能力", "subjective", choices=_choices(
            (3, "Normal", "正常"),
            (2, "Walks more than 500 m, though with pain, tingling or weakness",
             "能步行500米以上，但伴有疼痛、麻刺感或无力"),
            (1, "Cannot walk more than 500 m because of leg pain, tingling or weakness",
             "因腿痛、麻刺感或无力，步行不足500米"),
            (0, "Cannot walk more than 100 m because of leg pain, tingling or weakness",
             "因腿痛、麻刺感或无力，步行不足100米"),
        )),
    )  # fmt: skip


def _sign_items() -> tuple[Item, ...]:
    return (
        Item("joa_slr", "Straight-leg-raising test (including tight hamstrings)",
             "直腿抬高试验（包括加强试验）", "signs", choices=_choices(
                 (2, "Normal", "正常"), (1, "30° to 70°", "30°～70°之间"),
                 (0, "Less than 30°", "小于30°"))),
        Item("joa_sens", "Sensory disturbance", "感觉障碍", "signs", choices=_choices(
            (2, "None", "无"),
            (1, "Slight (not noticed by the patient)", "轻度障碍（患者本人未察觉）"),
            (0, "Marked", "明显障碍"))),
        Item("joa_motor", "Motor disturbance (manual muscle test)", "运动障碍（徒手肌力检查）",
             "signs", choices=_choices(
                 (2, "Normal (grade 5)", "正常（肌力5级）"),
                 (1, "Slight weakness (grade 4)", "轻度无力（肌力4级）"),
                 (0, "Marked weakness (grade 3 or less)", "明显无力（肌力0～3级）"))),
    )  # fmt: skip


def _adl_items() -> tuple[Item, ...]:
    return tuple(
        Item(f"joa_adl_{n}", en, zh, "adl", choices=_choices(*_ADL_LEVELS), number=str(n))
        for n, (en, zh) in enumerate(_ADL_ITEMS, start=1)
    )


def _bladder_item() -> Item:
    return Item(
        "joa_bladder", "Bladder function (not counting dysuria from urological disease)",
        "膀胱功能（泌尿系统疾病引起的排尿障碍除外）", "bladder", choices=_choices(
            (0, "Normal", "正常"),
            (-3, "Mild dysuria (frequency, hesitancy, feeling of incomplete emptying)",
             "轻度排尿障碍（尿频、排尿踌躇、残尿感）"),
            (-6, "Severe dysuria (incontinence or retention)", "严重排尿障碍（尿失禁、尿潴留）"),
        ))  # fmt: skip


def _items() -> tuple[Item, ...]:
    items = (*_subjective_items(), *_sign_items(), *_adl_items(), _bladder_item())
    return tuple(replace(item, required=True) for item in items)  # Decision 2: all mandatory


def score_joa(answers: Mapping[str, object]) -> ScoreResult:
    """Score the JOA: four section subtotals and the total (−6 … 29)."""
    clean = validate_answers(JOA, answers)
    subtotals: dict[str, object] = {}
    for section in SECTION_IDS:
        values = [clean[item.id] for item in JOA.section_items(section)]
        complete = all(v is not None for v in values)
        subtotals[section] = sum(int(v) for v in values if v is not None) if complete else None
    parts = [v for v in subtotals.values() if isinstance(v, int)]
    total = sum(parts) if len(parts) == len(SECTION_IDS) else None
    return ScoreResult("joa", VERSION, {**subtotals, "total": total})


def _total(name: str, value: object) -> int:
    total = as_integer(name, value)
    if not MIN_TOTAL <= total <= MAX_TOTAL:
        raise InvalidAnswer(name, ErrorCode.OUT_OF_RANGE, value, f"must be {MIN_TOTAL}…29")
    return total


def joa_recovery_rate(pre_total: int | None, post_total: int | None) -> float | None:
    """Return the Hirabayashi recovery rate in percent, ``None`` when undefined."""
    if pre_total is None or post_total is None:
        return None
    pre = _total("joa_pre_total", pre_total)
    post = _total("joa_post_total", post_total)
    if pre == MAX_TOTAL:
        return None
    return (post - pre) * 100 / (MAX_TOTAL - pre)


def joa_recovery_grade(rate: float | None) -> str | None:
    """Return ``excellent``/``good``/``fair``/``poor`` for a recovery rate in percent."""
    if rate is None:
        return None
    value: Decimal = as_finite_number("joa_recovery_rate", rate)
    for lower, grade in RECOVERY_GRADES:
        if value >= lower:
            return grade
    return "poor"


JOA = Instrument(
    name="joa",
    title_en="JOA low back pain score (29 points)",
    title_zh="JOA下腰痛评分（29分）",
    short_title_en="JOA low back pain score",
    short_title_zh="JOA 下腰痛评分",
    instructions_en=(
        "Completed by the examining clinician from the history and examination: "
        "subjective symptoms, clinical signs, restriction of daily activities and "
        "bladder function (29 points in total)."
    ),
    instructions_zh=(
        "由检查医师根据病史和体格检查填写：主观症状、临床体征、日常活动受限程度及膀胱功能"
        "（满分 29 分）。"
    ),
    recall_en=("The patient's current condition at the assessment."),
    recall_zh=("评估时患者的当前状况。"),
    version=VERSION,
    items=_items(),
    sections=(
        Section("subjective", "I. Subjective symptoms (0–9)", "一、主观症状（0～9分）"),
        Section("signs", "II. Clinical signs (0–6)", "二、临床体征（0～6分）"),
        Section(
            "adl",
            "III. Restriction of activities of daily living (0–14)",
            "三、日常活动受限度（0～14分）",
            "Rate how much each activity is restricted.",
            "请评定每项日常活动的受限程度。",
        ),
        Section("bladder", "IV. Bladder function (−6 to 0)", "四、膀胱功能（-6～0分）"),
    ),
    score_keys=("subjective", "signs", "adl", "bladder", "total"),
    score_labels=(
        Label("subjective", "Subjective symptoms", "主观症状"),
        Label("signs", "Clinical signs", "临床体征"),
        Label("adl", "Daily activities", "日常活动"),
        Label("bladder", "Bladder function", "膀胱功能"),
        Label("total", "Total", "合计"),
    ),
    value_labels=(
        Label("excellent", "excellent", "优"),
        Label("good", "good", "良"),
        Label("fair", "fair", "可"),
        Label("poor", "poor", "差"),
    ),
    scorer=score_joa,
    source="JOA 1986 (Izumida & Inoue, J Jpn Orthop Assoc 1986;60:391-4); docs/instruments.md §3",
)

INSTRUMENT = JOA
