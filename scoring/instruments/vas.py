"""Visual analogue scale for pain, 0–10 (视觉模拟评分法, VAS).

Source: docs/instruments.md §1 and Decision 1; the trial paper, Methods (1): "0代表无痛，10代表最
剧烈的疼痛". The trial records leg-pain VAS (the paper's primary VAS) and back-pain VAS
separately at every visit; both use this one definition, and which pain a form records is
an attribute of the form, not of the item id (``vas``).

Allowed answer: a number 0.0…10.0 with at most one decimal (a 10-cm line read in mm);
see :mod:`scoring.validation` for the error codes. The score is the value itself (a float).

Band (a display band only, on the exact value): 0 ``none``; 0 < x < 4 ``mild``;
4 ≤ x < 7 ``moderate``; 7 ≤ x ≤ 10 ``severe``.

Missing-data rule: a missing answer gives ``vas`` and ``band`` ``None``.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import cast

from scoring.base import Instrument, Item, Label, ScoreResult, Section
from scoring.validation import validate_answers

VERSION = "vas-0-10/1"


def vas_band(value: float | Decimal) -> str:
    """Return the pain band of a VAS value: ``none``, ``mild``, ``moderate`` or ``severe``."""
    if value == 0:
        return "none"
    if value < 4:
        return "mild"
    if value < 7:
        return "moderate"
    return "severe"


def score_vas(answers: Mapping[str, object]) -> ScoreResult:
    """Score a VAS answer: the value as a float, and its band."""
    value = validate_answers(VAS, answers)["vas"]
    if value is None:
        return ScoreResult("vas", VERSION, {"vas": None, "band": None})
    number = cast(Decimal, value)
    return ScoreResult("vas", VERSION, {"vas": float(number), "band": vas_band(number)})


VAS = Instrument(
    name="vas",
    title_en="Visual analogue scale for pain (VAS)",
    title_zh="视觉模拟评分法（VAS）",
    instructions_en=(
        "Please mark on the line how strong your pain is. 0 means no pain at all, 10 "
        "means the worst pain you can imagine. Rate your leg pain and your back pain "
        "separately."
    ),
    instructions_zh=(
        "请在线上标出您疼痛的程度。0 表示完全无痛，10 表示能想象到的最剧烈疼痛。请分别评"
        "价腿痛和腰痛。"
    ),
    recall_en=("Your pain right now."),
    recall_zh=("您此刻的疼痛。"),
    version=VERSION,
    items=(
        Item(
            id="vas",
            section="pain",
            kind="decimal",
            min_value=Decimal("0"),
            max_value=Decimal("10"),
            decimals=1,
            text_en=(
                "On the line from 0 to 10, where 0 means no pain and 10 means the worst pain "
                "you can imagine, how much pain do you have? (to one decimal, e.g. 6.5)"
            ),
            text_zh="请在0～10之间评定您的疼痛程度：0代表无痛，10代表最剧烈的疼痛（可精确到一位小数，如6.5）",
        ),
    ),
    sections=(
        Section(
            id="pain",
            title_en="Pain",
            title_zh="疼痛",
            instruction_en="0 = no pain, 10 = the worst pain imaginable.",
            instruction_zh="0 = 无痛，10 = 最剧烈的疼痛。",
        ),
    ),
    score_keys=("vas", "band"),
    score_labels=(
        Label("vas", "VAS", "VAS"),
        Label("band", "Band", "分级"),
    ),
    value_labels=(
        Label("none", "no pain", "无痛"),
        Label("mild", "mild", "轻度"),
        Label("moderate", "moderate", "中度"),
        Label("severe", "severe", "重度"),
    ),
    scorer=score_vas,
    source="docs/instruments.md §1; trial paper Methods (1)",
)

INSTRUMENT = VAS
