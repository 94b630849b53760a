"""Oswestry Disability Index v2.1a (Oswestry功能障碍指数, ODI).

Source: Fairbank JCT, Pynsent PB. The Oswestry Disability Index. Spine 2000;25:2940-53;
the AO ``odi`` scoring program for v2.1a (Blauth & Daigl 2012); docs/instruments.md §2.

Items ``odi_1`` … ``odi_10`` in the v2.1a section order, each stored as the position of the
ticked statement, 0 (least disability) … 5 (most). The statements below are this project's
own wording (the published questionnaire text is copyrighted; sites use the licensed
validated form and enter only the 0–5 position).

Scores: ``raw_sum`` = sum of the answered sections; ``answered`` = their number;
``percent`` = raw_sum / (5 × answered) × 100, unrounded (report as an integer %);
``band`` from the unrounded percent: ≤20 ``minimal``, ≤40 ``moderate``, ≤60 ``severe``,
≤80 ``crippled``, >80 ``bed_bound`` (Fairbank).

Missing-data rule: at most one section may be missing (the sex-life section left blank as
"not applicable" counts as missing). With 9 or 10 answered the index is scored over the
answered sections (identical to replacing the missing one by the mean of the others);
with 8 or fewer, ``raw_sum``, ``percent`` and ``band`` are ``None`` and ``answered`` still
reports the count.
"""

from __future__ import annotations

from collections.abc import Mapping

from scoring.base import Choice, Instrument, Item, Label, ScoreResult, Section
from scoring.validation import validate_answers

VERSION = "odi-2.1a/1"
MIN_ANSWERED = 9
BANDS: tuple[tuple[float, str], ...] = (
    (20, "minimal"),
    (40, "moderate"),
    (60, "severe"),
    (80, "crippled"),
)

# (item text EN, ZH, then the six statements 0..5 as (EN, ZH))
# fmt: off
_SECTIONS: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    ("Pain intensity", "疼痛的程度（腰背痛或腿痛）", (
        ("No pain right now", "目前没有疼痛"),
        ("Very mild pain right now", "目前疼痛很轻微"),
        ("Moderate pain right now", "目前疼痛为中等程度"),
        ("Fairly severe pain right now", "目前疼痛比较严重"),
        ("Very severe pain right now", "目前疼痛非常严重"),
        ("Pain as bad as I can imagine right now", "目前疼痛严重到难以想象"),
    )),
    ("Personal care (washing, dressing, etc.)", "日常生活自理能力（洗漱、穿脱衣服等活动）", (
        ("I look after myself normally and it does not add to my pain",
         "能正常照料自己，且不会加重疼痛"),
        ("I look after myself normally, but it adds to my pain", "能正常照料自己，但会加重疼痛"),
        ("Looking after myself hurts, so I go slowly and carefully",
         "照料自己时疼痛，需要缓慢、小心地进行"),
        ("I manage most of my personal care but need some help",
         "大部分能自己完成，但需要他人少许帮助"),
        ("I need help every day with most of my personal care", "大部分日常自理每天都需要他人帮助"),
        ("I cannot dress myself, wash only with difficulty and stay in bed",
         "不能自己穿衣，洗漱困难，需卧床"),
    )),
    ("Lifting", "提物", (
        ("I can lift heavy things and it does not add to my pain", "能提起重物，且不会加重疼痛"),
        ("I can lift heavy things, but it adds to my pain", "能提起重物，但会加重疼痛"),
        ("Pain stops me lifting heavy things off the floor, but I can if they are placed "
         "conveniently, e.g. on a table",
         "因疼痛不能从地上提起重物，但重物放在方便的位置（如桌面上）时可以提起"),
        ("Pain stops me lifting heavy things, but I can lift light or medium things if they "
         "are placed conveniently",
         "因疼痛不能提起重物，但放在方便位置的轻或中等重量物品可以提起"),
        ("I can lift only very light things", "只能提起很轻的物品"),
        ("I cannot lift or carry anything at all", "完全不能提起或搬运任何物品"),
    )),
    ("Walking", "行走", (
        ("Pain does not limit how far I can walk", "疼痛不限制我的行走距离"),
        ("Pain stops me walking more than about 1.6 km", "疼痛使我不能行走超过约1.6公里"),
        ("Pain stops me walking more than about 800 m", "疼痛使我不能行走超过约800米"),
        ("Pain stops me walking more than about 100 m", "疼痛使我不能行走超过约100米"),
        ("I can walk only with a stick or crutches", "只能借助手杖或拐杖行走"),
        ("I am in bed most of the time", "大部分时间卧床"),
    )),
    ("Sitting", "坐", (
        ("I can sit in any chair for as long as I want", "能坐任何椅子，想坐多久就坐多久"),
        ("I can sit for as long as I want only in my usual chair",
         "只有坐自己习惯的椅子才能想坐多久就坐多久"),
        ("Pain stops me sitting for more than 1 hour", "疼痛使我不能坐超过1小时"),
        ("Pain stops me sitting for more than 30 minutes", "疼痛使我不能坐超过30分钟"),
        ("Pain stops me sitting for more than 10 minutes", "疼痛使我不能坐超过10分钟"),
        ("Pain stops me sitting at all", "疼痛使我完全不能坐"),
    )),
    ("Standing", "站立", (
        ("I can stand for as long as I want and it does not add to my pain",
         "想站多久就站多久，且不会加重疼痛"),
        ("I can stand for as long as I want, but it adds to my pain",
         "想站多久就站多久，但会加重疼痛"),
        ("Pain stops me standing for more than 1 hour", "疼痛使我不能站立超过1小时"),
        ("Pain stops me standing for more than 30 minutes", "疼痛使我不能站立超过30分钟"),
        ("Pain stops me standing for more than 10 minutes", "疼痛使我不能站立超过10分钟"),
        ("Pain stops me standing at all", "疼痛使我完全不能站立"),
    )),
    ("Sleeping", "睡眠", (
        ("Pain never disturbs my sleep", "疼痛从不影响睡眠"),
        ("Pain disturbs my sleep now and then", "疼痛偶尔影响睡眠"),
        ("Because of pain I sleep less than 6 hours", "因疼痛睡眠不足6小时"),
        ("Because of pain I sleep less than 4 hours", "因疼痛睡眠不足4小时"),
        ("Because of pain I sleep less than 2 hours", "因疼痛睡眠不足2小时"),
        ("Pain stops me sleeping at all", "疼痛使我完全无法入睡"),
    )),
    ("Sex life (leave blank if not applicable)", "性生活（如不适用请空白）", (
        ("Normal, and it does not add to my pain", "正常，且不会加重疼痛"),
        ("Normal, but it adds somewhat to my pain", "正常，但会稍加重疼痛"),
        ("Nearly normal, but very painful", "基本正常，但疼痛明显"),
        ("Severely limited by pain", "因疼痛受到严重限制"),
        ("Almost none because of pain", "因疼痛几乎没有"),
        ("None at all because of pain", "因疼痛完全没有"),
    )),
    ("Social life", "社会生活", (
        ("Normal, and it does not add to my pain", "正常，且不会加重疼痛"),
        ("Normal, but it adds to my pain", "正常，但会加重疼痛"),
        ("Pain limits only my more energetic interests, such as sport",
         "疼痛仅限制较剧烈的活动（如体育运动）"),
        ("Pain limits my social life and I go out less often", "疼痛限制社会生活，外出次数减少"),
        ("Pain keeps my social life to my home", "因疼痛社会生活只限于家中"),
        ("I have no social life because of pain", "因疼痛完全没有社会生活"),
    )),
    ("Travelling", "旅行（郊游）", (
        ("I can travel anywhere without pain", "可以去任何地方旅行，不会疼痛"),
        ("I can travel anywhere, but it adds to my pain", "可以去任何地方旅行，但会加重疼痛"),
        ("Pain is bad, but I manage journeys of more than 2 hours",
         "疼痛明显，但能完成2小时以上的行程"),
        ("Pain limits me to journeys of less than 1 hour", "因疼痛只能进行1小时以内的行程"),
        ("Pain limits me to short necessary journeys of less than 30 minutes",
         "因疼痛只能进行30分钟以内的必要短途行程"),
        ("Pain stops me travelling except to get treatment", "因疼痛除就医外不能外出"),
    )),
)
# fmt: on


def _build_items() -> tuple[Item, ...]:
    items = []
    for number, (text_en, text_zh, statements) in enumerate(_SECTIONS, start=1):
        choices = tuple(Choice(pos, en, zh) for pos, (en, zh) in enumerate(statements))
        items.append(
            Item(f"odi_{number}", text_en, text_zh, "odi", choices=choices, number=str(number))
        )
    return tuple(items)


def odi_band(percent: float) -> str:
    """Return the Fairbank disability band of an unrounded ODI percentage."""
    for upper, band in BANDS:
        if percent <= upper:
            return band
    return "bed_bound"


def score_odi(answers: Mapping[str, object]) -> ScoreResult:
    """Score the ODI: raw sum, answered count, unrounded percent and band."""
    clean = validate_answers(ODI, answers)
    values = [v for v in clean.values() if v is not None]
    answered = len(values)
    if answered < MIN_ANSWERED:
        scores = {"raw_sum": None, "answered": answered, "percent": None, "band": None}
        return ScoreResult("odi", VERSION, scores)
    raw_sum = sum(int(v) for v in values)
    percent = raw_sum * 100 / (5 * answered)  # one division: exact when representable
    scores = {"raw_sum": raw_sum, "answered": answered, "percent": percent}
    return ScoreResult("odi", VERSION, {**scores, "band": odi_band(percent)})


ODI = Instrument(
    name="odi",
    title_en="Oswestry Disability Index (ODI) v2.1a",
    title_zh="Oswestry功能障碍指数（ODI）",
    short_title_en="Oswestry Disability Index",
    short_title_zh="Oswestry 功能障碍指数",
    instructions_en=(
        "This questionnaire has been designed to give us information as to how your back "
        "or leg pain is affecting your ability to manage in everyday life. Please answer "
        "by checking ONE box in each section for the statement which best applies to "
        "you. We realise you may consider that two or more statements in any one section "
        "apply but please just shade out the spot that indicates the statement which "
        "most clearly describes your problem."
    ),
    instructions_zh=(
        "本问卷旨在了解您的腰背痛或腿痛对日常生活能力的影响。请在每一部分中只选择一项最符"
        "合您情况的描述。我们知道您可能觉得同一部分中有两项或以上的描述都适用，但请只选择"
        "最能准确描述您问题的那一项。"
    ),
    recall_en=("Today: how things are for you now."),
    recall_zh=("今天：您目前的情况。"),
    version=VERSION,
    items=_build_items(),
    sections=(
        Section(
            id="odi",
            title_en="How your back or leg pain affects your daily life",
            title_zh="腰背痛或腿痛对日常生活的影响",
            instruction_en=(
                "In each section, choose the one statement that fits you best today. If two "
                "statements seem to fit, choose the one further down the list."
            ),
            instruction_zh="每一项请选择一个最符合您今天情况的描述；如果有两个描述都符合，请选择靠后的那一个。",
        ),
    ),
    score_keys=("raw_sum", "answered", "percent", "band"),
    score_labels=(
        Label("raw_sum", "Raw sum", "原始总分"),
        Label("answered", "Items answered", "已回答条目数"),
        Label("percent", "ODI (%)", "ODI (%)"),
        Label("band", "Band", "分级"),
    ),
    value_labels=(
        Label("minimal", "minimal disability", "轻微功能障碍"),
        Label("moderate", "moderate", "中度"),
        Label("severe", "severe", "重度"),
        Label("crippled", "crippling", "严重功能障碍（残疾）"),
        Label("bed_bound", "bed-bound", "卧床"),
    ),
    scorer=score_odi,
    source="Fairbank & Pynsent, Spine 2000;25:2940-53; AO odi program; docs/instruments.md §2",
)

INSTRUMENT = ODI
