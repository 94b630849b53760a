"""Modified MacNab criteria (改良MacNab标准: 优/良/可/差) and the excellent+good rate.

Source: Macnab I. Negative disc exploration. J Bone Joint Surg Am 1971;53:891-903 (as
modified); the definitions on the form are the trial paper's own, Methods (5), and
docs/instruments.md §5. Graded once per patient at 3 months; item ``macnab`` stores one of
``excellent``, ``good``, ``fair``, ``poor`` (exact lower-case codes).

Scores: ``grade`` (the code) and ``excellent_good`` (grade is excellent or good).
Missing-data rule: no grade gives ``grade`` and ``excellent_good`` ``None``.

Cohort rate 优良率 = (n_excellent + n_good) / n_assessed × 100 %, where n_assessed counts the
patients with a grade; a missing grade is left out of numerator and denominator and
counted in ``n_missing`` (Decision 5). No assessed patient gives ``rate_pct`` ``None``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from scoring.base import Choice, Instrument, Item, Label, ScoreResult, Section
from scoring.validation import validate_answers, validate_item

VERSION = "macnab-modified/1"
GRADES = ("excellent", "good", "fair", "poor")
GOOD_GRADES = frozenset({"excellent", "good"})


def score_macnab(answers: Mapping[str, object]) -> ScoreResult:
    """Score one MacNab grade: the grade and whether it counts as excellent or good."""
    grade = validate_answers(MACNAB, answers)["macnab"]
    good = None if grade is None else grade in GOOD_GRADES
    return ScoreResult("macnab", VERSION, {"grade": grade, "excellent_good": good})


def excellent_good_rate(grades: Iterable[str | None]) -> dict[str, object]:
    """Return the counts per grade, the missing count and the excellent+good rate in %."""
    if isinstance(grades, str | bytes | Mapping):
        raise TypeError("grades must be an iterable of grade codes or None")
    item = MACNAB.item("macnab")
    counts = dict.fromkeys(GRADES, 0)
    missing = 0
    for grade in grades:
        code = validate_item(item, grade)
        if code is None:
            missing += 1
        else:
            counts[str(code)] += 1
    assessed = sum(counts.values())
    rate = (counts["excellent"] + counts["good"]) * 100 / assessed if assessed else None
    result: dict[str, object] = {"n_assessed": assessed}
    result.update({f"n_{grade}": n for grade, n in counts.items()})
    return {**result, "n_missing": missing, "rate_pct": rate}


MACNAB = Instrument(
    name="macnab",
    title_en="Modified MacNab criteria",
    title_zh="改良MacNab评定标准",
    instructions_en=(
        "Graded by the clinician at follow-up from the patient's report of pain and "
        "activity compared with before surgery."
    ),
    instructions_zh=("随访时由医师根据患者所述与术前相比的疼痛和活动情况评定。"),
    recall_en=("Since the operation, at the follow-up visit."),
    recall_zh=("自手术以来，至本次随访时。"),
    version=VERSION,
    items=(
        Item(
            id="macnab",
            section="macnab",
            text_en="Clinical outcome at 3 months (modified MacNab criteria)",
            text_zh="术后3个月临床疗效（改良MacNab评定标准）",
            choices=(
                Choice(
                    "excellent",
                    "Excellent: symptoms completely gone; back to previous work and daily life",
                    "优：症状完全消失，恢复原来的工作和生活",
                    short_en="Excellent",
                    short_zh="优",
                ),
                Choice(
                    "good",
                    "Good: slight symptoms, mildly limited activity, no effect on work or daily "
                    "life",
                    "良：有稍微症状，活动轻度受限，对工作生活无影响",
                    short_en="Good",
                    short_zh="良",
                ),
                Choice(
                    "fair",
                    "Fair: symptoms reduced, activity limited, normal work and daily life affected",
                    "可：症状减轻，活动受限，影响正常工作和生活",
                    short_en="Fair",
                    short_zh="可",
                ),
                Choice(
                    "poor",
                    "Poor: no difference from before treatment, or worse",
                    "差：治疗前后无差别，甚至加重",
                    short_en="Poor",
                    short_zh="差",
                ),
            ),
        ),
    ),
    sections=(Section("macnab", "Clinical outcome", "临床疗效"),),
    score_keys=("grade", "excellent_good"),
    score_labels=(
        Label("grade", "Grade", "分级"),
        Label("excellent_good", "Excellent or good", "优或良"),
    ),
    value_labels=(
        Label("excellent", "excellent", "优"),
        Label("good", "good", "良"),
        Label("fair", "fair", "可"),
        Label("poor", "poor", "差"),
    ),
    scorer=score_macnab,
    source="Macnab, JBJS Am 1971;53:891-903 (modified); trial paper Methods (5)",
)

INSTRUMENT = MACNAB
