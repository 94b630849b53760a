"""EQ-5D-5L (EuroQol five dimensions, five levels; 欧洲五维健康量表五水平版).

Source: EuroQol Research Foundation. EQ-5D-5L User Guide, version 3.0 (September 2019):
the descriptive system, the health-state profile, the EQ VAS and the level sum score;
docs/instruments.md §9.

Items, in the questionnaire's order: ``mobility``, ``self_care``, ``usual_activities``,
``pain_discomfort``, ``anxiety_depression``, each stored as the ticked level 1 (no problems)
… 5 (unable to / extreme problems); and ``eq_vas``, the respondent's own rating of their
health today on the vertical 0–100 scale (100 the best health they can imagine), stored as
an integer. The level descriptions below are this project's own wording: sites use the
licensed validated questionnaire and enter only the ticked level and the VAS number.

Scores:

* ``profile``: the five levels as a five-digit health state, in dimension order ("11111" is
  no problems on any dimension, "12345" mobility 1, self-care 2 and so on). The user guide
  codes a missing or ambiguous dimension as 9, so a profile with a missing dimension is
  still reported (e.g. "19345"), and it can never be read as a valid state.
* ``level_sum``: the level sum score, the sum of the five levels, 5 (11111) … 25 (55555);
  ``None`` when any dimension is missing (it is not a preference-weighted index and is not
  imputed).
* ``complete``: all five dimensions answered.
* ``eq_vas``: the VAS rating as an integer 0–100, or ``None``.

A value-set index (utility) is not computed: it needs a country value set, which is an
analysis choice the statistical analysis plan names, not a property of the questionnaire.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from scoring.base import Choice, Instrument, Item, Label, ScoreResult, Section
from scoring.validation import validate_answers

VERSION = "eq5d5l-ug3.0/1"
MISSING_DIGIT = "9"

# (item id, dimension EN, ZH, the five level descriptions 1..5 as (EN, ZH))
# fmt: off
_DIMENSIONS: tuple[tuple[str, str, str, tuple[tuple[str, str], ...]], ...] = (
    ("mobility", "Mobility (walking about)", "行动能力（四处走动）", (
        ("No problems walking about", "四处走动没有困难"),
        ("Slight problems walking about", "四处走动有一点困难"),
        ("Moderate problems walking about", "四处走动有中等程度的困难"),
        ("Severe problems walking about", "四处走动有严重困难"),
        ("Unable to walk about", "不能四处走动"),
    )),
    ("self_care", "Self-care (washing or dressing)", "自我照顾（自己洗澡或穿衣）", (
        ("No problems washing or dressing", "自己洗澡或穿衣没有困难"),
        ("Slight problems washing or dressing", "自己洗澡或穿衣有一点困难"),
        ("Moderate problems washing or dressing", "自己洗澡或穿衣有中等程度的困难"),
        ("Severe problems washing or dressing", "自己洗澡或穿衣有严重困难"),
        ("Unable to wash or dress", "不能自己洗澡或穿衣"),
    )),
    ("usual_activities",
     "Usual activities (work, study, housework, family or leisure activities)",
     "日常活动（如工作、学习、家务、家庭或休闲活动）", (
        ("No problems doing usual activities", "进行日常活动没有困难"),
        ("Slight problems doing usual activities", "进行日常活动有一点困难"),
        ("Moderate problems doing usual activities", "进行日常活动有中等程度的困难"),
        ("Severe problems doing usual activities", "进行日常活动有严重困难"),
        ("Unable to do usual activities", "不能进行日常活动"),
    )),
    ("pain_discomfort", "Pain or discomfort", "疼痛或不舒服", (
        ("No pain or discomfort", "没有任何疼痛或不舒服"),
        ("Slight pain or discomfort", "有一点疼痛或不舒服"),
        ("Moderate pain or discomfort", "有中等程度的疼痛或不舒服"),
        ("Severe pain or discomfort", "有严重的疼痛或不舒服"),
        ("Extreme pain or discomfort", "有极度的疼痛或不舒服"),
    )),
    ("anxiety_depression", "Anxiety or depression", "焦虑或沮丧", (
        ("Not anxious or depressed", "不觉得焦虑或沮丧"),
        ("Slightly anxious or depressed", "觉得有一点焦虑或沮丧"),
        ("Moderately anxious or depressed", "觉得中等程度的焦虑或沮丧"),
        ("Severely anxious or depressed", "觉得严重的焦虑或沮丧"),
        ("Extremely anxious or depressed", "觉得极度焦虑或沮丧"),
    )),
)
_LEVEL_SHORT: tuple[tuple[str, str], ...] = (
    ("No problems", "没有困难"),
    ("Slight problems", "有一点困难"),
    ("Moderate problems", "中等程度困难"),
    ("Severe problems", "严重困难"),
    ("Unable / extreme problems", "不能/极度困难"),
)
# fmt: on
DIMENSIONS: tuple[str, ...] = tuple(code for code, *_ in _DIMENSIONS)


def eq5d5l_profile(levels: Mapping[str, int | None]) -> str:
    """Return the five-digit health state of ``levels`` (9 for a missing dimension)."""
    return "".join(
        MISSING_DIGIT if levels.get(code) is None else str(levels[code]) for code in DIMENSIONS
    )


def score_eq5d5l(answers: Mapping[str, object]) -> ScoreResult:
    """Score one EQ-5D-5L: profile, level sum score, completeness and the EQ VAS."""
    clean = validate_answers(EQ5D5L, answers)
    levels = {code: clean[code] for code in DIMENSIONS}
    complete = all(level is not None for level in levels.values())
    level_sum = sum(int(level) for level in levels.values() if level is not None)
    vas = clean["eq_vas"]
    return ScoreResult(
        "eq5d5l",
        VERSION,
        {
            "profile": eq5d5l_profile(levels),  # type: ignore[arg-type]
            "level_sum": level_sum if complete else None,
            "complete": complete,
            "eq_vas": None if vas is None else int(vas),  # type: ignore[arg-type]
        },
    )


def _dimension(code: str, text_en: str, text_zh: str, levels) -> Item:
    return Item(
        id=code,
        section="descriptive",
        text_en=text_en,
        text_zh=text_zh,
        choices=tuple(
            Choice(level, en, zh, short_en=short_en, short_zh=short_zh)
            for level, ((en, zh), (short_en, short_zh)) in enumerate(
                zip(levels, _LEVEL_SHORT, strict=True), start=1
            )
        ),
        required=True,
    )


EQ5D5L = Instrument(
    name="eq5d5l",
    title_en="EQ-5D-5L",
    title_zh="EQ-5D-5L 健康量表",
    instructions_en=(
        "Under each heading, please tick the ONE box that best describes your health TODAY. "
        "Then mark on the scale how good or bad your health is TODAY: 100 means the best "
        "health you can imagine, 0 the worst health you can imagine."
    ),
    instructions_zh=(
        "请在每个标题下，选择一个最能描述您今天健康状况的选项。然后在量尺上标出您今天的健康"
        "状况有多好或多坏：100 表示您能想象到的最好的健康状况，0 表示您能想象到的最差的健康状况。"
    ),
    recall_en="Your health today.",
    recall_zh="您今天的健康状况。",
    version=VERSION,
    items=(
        *(_dimension(code, en, zh, levels) for code, en, zh, levels in _DIMENSIONS),
        Item(
            id="eq_vas",
            section="vas",
            kind="decimal",
            min_value=Decimal("0"),
            max_value=Decimal("100"),
            decimals=0,
            required=True,
            text_en=(
                "Your health today on the scale from 0 (the worst health you can imagine) to "
                "100 (the best health you can imagine)"
            ),
            text_zh="您今天的健康状况在 0（能想象到的最差）至 100（能想象到的最好）量尺上的分数",
        ),
    ),
    sections=(
        Section(
            id="descriptive",
            title_en="Your health today",
            title_zh="您今天的健康状况",
            instruction_en="Tick one level per dimension.",
            instruction_zh="每个维度选择一个水平。",
        ),
        Section(
            id="vas",
            title_en="EQ VAS",
            title_zh="EQ VAS 健康量尺",
            instruction_en="100 = the best health you can imagine, 0 = the worst.",
            instruction_zh="100 = 能想象到的最好的健康状况，0 = 最差的健康状况。",
        ),
    ),
    score_keys=("profile", "level_sum", "complete", "eq_vas"),
    score_labels=(
        Label("profile", "Health state (profile)", "健康状态（五维描述编码）"),
        Label("level_sum", "Level sum score (5–25)", "水平总分（5–25）"),
        Label("complete", "All five dimensions answered", "五个维度均已回答"),
        Label("eq_vas", "EQ VAS (0–100)", "EQ VAS（0–100）"),
    ),
    scorer=score_eq5d5l,
    source="EQ-5D-5L User Guide v3.0 (EuroQol Research Foundation, 2019); docs/instruments.md §9",
)

INSTRUMENT = EQ5D5L
