"""The clinical edit checks are pure: answers in, findings (code + severity) out. No database."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from trial.edit_checks import Severity
from trial.edit_checks.adverse_event import check_adverse_event
from trial.edit_checks.baseline import age_on, check_baseline, compute_bmi
from trial.edit_checks.discharge import check_discharge
from trial.edit_checks.medication import check_medication
from trial.edit_checks.outcome import check_outcome
from trial.edit_checks.peld import check_peld
from trial.edit_checks.snrb import check_snrb

HARD, SOFT = Severity.HARD, Severity.SOFT
ADMITTED, SURGERY = date(2024, 3, 1), date(2024, 3, 4)
DATES = {"admission_date": ADMITTED, "surgery_date": SURGERY}
COMPLICATIONS = ["epidural_haematoma", "dural_tear", "disc_space_infection", "other"]


def codes(findings) -> set[tuple[str, Severity]]:
    return {(f.code, f.severity) for f in findings}


# --- baseline ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("height", "weight", "expected"),
    [
        (170, 70, Decimal("24.2")),
        (Decimal("165.5"), Decimal("60.2"), Decimal("22.0")),
        (180, 97, Decimal("29.9")),
        (None, 70, None),
        (170, None, None),
    ],
)
def test_compute_bmi_rounds_to_one_decimal(height, weight, expected):
    assert compute_bmi(height, weight) == expected


@pytest.mark.parametrize(
    ("birth", "day", "age"),
    [
        (date(1960, 3, 1), date(2024, 3, 1), 64),
        (date(1960, 3, 2), date(2024, 3, 1), 63),
        (date(2024, 3, 2), date(2024, 3, 1), -1),
    ],
)
def test_age_on_counts_whole_years(birth, day, age):
    assert age_on(birth, day) == age


@pytest.mark.parametrize(
    ("height", "weight", "expected"),
    [
        (170, 70, set()),
        (170, 50, {("bmi_outside_eligibility", SOFT)}),  # 17.3
        (160, 80, {("bmi_outside_eligibility", SOFT)}),  # 31.3
        (170, 30, {("bmi_implausible", HARD)}),  # 10.4
        (150, 140, {("bmi_implausible", HARD)}),  # 62.2
    ],
)
def test_baseline_bmi_against_plausibility_and_eligibility(height, weight, expected):
    answers = {"height_cm": height, "weight_kg": weight}
    findings = check_baseline(answers, bmi_range=(18.5, 30.0), **DATES)
    assert codes(findings) == expected


def test_baseline_bmi_eligibility_is_skipped_without_a_protocol_range():
    assert check_baseline({"height_cm": 170, "weight_kg": 50}, **DATES) == []


@pytest.mark.parametrize(
    ("birth", "expected"),
    [
        (date(1964, 1, 1), set()),
        (date(2010, 1, 1), {("age_outside_eligibility", SOFT)}),
        (date(1930, 1, 1), {("age_outside_eligibility", SOFT)}),
        (date(1890, 1, 1), {("age_implausible", HARD)}),
        (date(2024, 3, 2), {("birth_after_admission", HARD)}),
    ],
)
def test_baseline_age_at_admission(birth, expected):
    assert codes(check_baseline({"date_of_birth": birth}, **DATES)) == expected


def test_baseline_age_is_not_checked_without_an_admission_date():
    findings = check_baseline({"date_of_birth": date(2010, 1, 1)}, admission_date=None)
    assert findings == []


# --- medication -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "completing", "expected"),
    [
        ({"drug": "etoricoxib", "ongoing": True}, True, set()),
        ({"drug": "other"}, False, set()),
        ({"drug": "other"}, True, {("other_drug_name_missing", HARD)}),
        ({"drug": "other", "other_drug_name": "pregabalin"}, True, set()),
        (
            {"start_date": date(2024, 3, 2), "stop_date": date(2024, 3, 1)},
            False,
            {("stop_before_start", HARD)},
        ),
        (
            {"ongoing": True, "stop_date": date(2024, 3, 3)},
            False,
            {("ongoing_with_stop_date", HARD)},
        ),
        ({"ongoing": False}, True, {("stop_date_missing", HARD)}),
        ({"ongoing": False}, False, set()),
    ],
)
def test_medication_checks(answers, completing, expected):
    assert codes(check_medication(answers, completing=completing, **DATES)) == expected


# --- SNRB -------------------------------------------------------------------------------

PAPER_MIXTURE = {
    "drug_1_name": "ropivacaine",
    "drug_1_concentration_pct": Decimal("0.75"),
    "drug_1_volume_ml": Decimal("1"),
    "drug_2_name": "dexamethasone palmitate",
    "drug_2_volume_ml": Decimal("1"),
    "drug_3_name": "saline",
    "drug_3_volume_ml": Decimal("4"),
    "volume_injected_ml": Decimal("2"),
}


@pytest.mark.parametrize(
    ("performed", "expected"),
    [
        (datetime(2024, 3, 3, 15, 0, tzinfo=UTC), set()),
        (date(2024, 3, 2), {("snrb_not_day_before_surgery", SOFT)}),
        (date(2024, 3, 4), {("snrb_not_before_surgery", HARD)}),
        (date(2024, 3, 5), {("snrb_not_before_surgery", HARD)}),
        (date(2024, 2, 28), {("snrb_before_admission", HARD)}),
    ],
)
def test_snrb_is_given_the_day_before_surgery(performed, expected):
    assert codes(check_snrb({"performed_at": performed}, **DATES)) == expected


@pytest.mark.parametrize(
    ("level", "root", "expected"),
    [
        ("L4-5", "L5", set()),
        ("L4-5", "L4", set()),
        ("L5-S1", "S1", set()),
        ("L4-5", "S1", {("root_not_at_level", SOFT)}),
    ],
)
def test_snrb_root_belongs_to_the_level(level, root, expected):
    assert codes(check_snrb({"level": level, "root": root}, **DATES)) == expected


def test_snrb_paper_mixture_passes_when_completing():
    answers = {**PAPER_MIXTURE, "aspiration_negative": True, "immediate_reaction": "none"}
    assert check_snrb(answers, completing=True, **DATES) == []


def test_snrb_refuses_injecting_more_than_the_mixture():
    answers = {**PAPER_MIXTURE, "volume_injected_ml": Decimal("6.5")}
    assert codes(check_snrb(answers, **DATES)) == {("injected_exceeds_mixture", HARD)}


@pytest.mark.parametrize(
    ("answers", "completing", "expected"),
    [
        ({"drug_2_volume_ml": Decimal("1")}, False, {("drug_name_missing", HARD)}),
        ({"drug_1_name": "ropivacaine"}, False, set()),
        ({"drug_1_name": "ropivacaine"}, True, {("drug_volume_missing", HARD)}),
        ({"aspiration_negative": False}, False, {("aspiration_positive", SOFT)}),
        ({"immediate_reaction": "other"}, True, {("reaction_details_missing", HARD)}),
        ({"immediate_reaction": "other", "reaction_details": "nausea"}, True, set()),
        ({"immediate_reaction": "dizziness"}, True, set()),
    ],
)
def test_snrb_drugs_aspiration_and_reactions(answers, completing, expected):
    assert codes(check_snrb(answers, completing=completing, **DATES)) == expected


# --- PELD -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "completing", "expected"),
    [
        ({"surgery_date": SURGERY, "blood_loss_ml": 30}, True, set()),
        ({"surgery_date": date(2024, 2, 29)}, False, {("surgery_before_admission", HARD)}),
        ({"blood_loss_ml": 350}, False, {("blood_loss_unusual", SOFT)}),
        ({"intraoperative_events": "other"}, True, {("event_details_missing", HARD)}),
        ({"intraoperative_events": "other"}, False, set()),
    ],
)
def test_peld_checks(answers, completing, expected):
    assert codes(check_peld(answers, completing=completing, **DATES)) == expected


# --- discharge --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "completing", "expected"),
    [
        (
            {
                "discharge_date": date(2024, 3, 7),
                "mri_done": True,
                "mri_date": date(2024, 3, 6),
                "decompression_complete": True,
            },
            True,
            set(),
        ),
        ({"discharge_date": date(2024, 3, 3)}, False, {("discharge_before_surgery", HARD)}),
        ({"mri_done": True}, True, {("mri_date_missing", HARD), ("decompression_missing", HARD)}),
        ({"mri_done": True}, False, set()),
        (
            {"mri_done": False, "mri_date": date(2024, 3, 6)},
            False,
            {("mri_result_without_mri", HARD)},
        ),
        ({"mri_date": date(2024, 3, 3)}, False, {("mri_before_surgery", HARD)}),
        (
            {"discharge_date": date(2024, 3, 7), "mri_date": date(2024, 3, 9)},
            False,
            {("mri_after_discharge", SOFT)},
        ),
    ],
)
def test_discharge_checks(answers, completing, expected):
    assert codes(check_discharge(answers, completing=completing, **DATES)) == expected


def test_discharge_before_admission_is_refused_when_surgery_is_unknown():
    findings = check_discharge(
        {"discharge_date": date(2024, 2, 28)}, admission_date=ADMITTED, surgery_date=None
    )
    assert codes(findings) == {("discharge_before_admission", HARD)}


# --- 3-month outcome --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("assessed", "expected"),
    [
        (date(2024, 6, 2), set()),  # day 90
        (date(2024, 5, 19), set()),  # day 76: the window opens (90 - 14)
        (date(2024, 6, 16), set()),  # day 104: the window closes (90 + 14)
        (date(2024, 5, 18), {("assessment_outside_window", SOFT)}),  # day 75
        (date(2024, 6, 17), {("assessment_outside_window", SOFT)}),  # day 105
        (date(2024, 3, 3), {("assessment_before_anchor", HARD)}),  # before the surgery
        (date(2024, 4, 15), {("assessment_outside_window", SOFT)}),  # day 42
        (date(2024, 8, 1), {("assessment_outside_window", SOFT)}),  # day 150
        (date(2024, 12, 1), {("assessment_in_future", HARD)}),
    ],
)
def test_outcome_assessment_timing_follows_the_protocol_window(assessed, expected):
    from trial.edit_checks.timing import check_form_timing
    from trial.protocol import get_protocol

    protocol = get_protocol("snrb_peld")
    findings = check_form_timing(
        protocol,
        protocol.form("outcome"),
        "month_3",
        {"assessment_date": assessed},
        today=date(2024, 9, 1),
        **DATES,
    )
    assert codes(findings) == expected


@pytest.mark.parametrize(
    ("answers", "completing", "expected"),
    [
        ({"recurrence_mri_confirmed": True}, True, {("recurrence_mri_date_missing", HARD)}),
        ({"recurrence_mri_confirmed": True}, False, set()),
        (
            {"recurrence_mri_confirmed": True, "recurrence_mri_date": date(2024, 5, 1)},
            True,
            set(),
        ),
        (
            {"recurrence_mri_confirmed": True, "recurrent_pain": False},
            False,
            {("recurrence_without_pain", SOFT)},
        ),
        (
            {"recurrence_mri_date": date(2024, 3, 1)},
            False,
            {("recurrence_mri_before_surgery", HARD)},
        ),
        (
            {"assessment_date": date(2024, 6, 2), "recurrence_mri_date": date(2024, 6, 10)},
            False,
            {("recurrence_mri_after_assessment", SOFT)},
        ),
    ],
)
def test_outcome_recurrence(answers, completing, expected):
    assert codes(check_outcome(answers, completing=completing, **DATES)) == expected


@pytest.mark.parametrize(
    ("answers", "completing", "expected"),
    [
        ({"had_serious_complication": False, "serious_complications": []}, True, set()),
        ({"had_serious_complication": True, "serious_complications": ["dural_tear"]}, True, set()),
        ({"serious_complications": ["bleeding"]}, False, {("unknown_complication", HARD)}),
        (
            {"had_serious_complication": False, "serious_complications": ["dural_tear"]},
            False,
            {("complications_contradict", HARD)},
        ),
        ({"had_serious_complication": True}, True, {("complications_not_listed", HARD)}),
        ({"had_serious_complication": True}, False, set()),
        (
            {"had_serious_complication": True, "serious_complications": ["other"]},
            True,
            {("serious_complication_details_missing", HARD)},
        ),
    ],
)
def test_outcome_serious_complications(answers, completing, expected):
    findings = check_outcome(
        answers, complication_codes=COMPLICATIONS, completing=completing, **DATES
    )
    assert codes(findings) == expected


def test_outcome_complication_codes_are_not_checked_without_a_protocol():
    findings = check_outcome({"serious_complications": ["bleeding"]}, complication_codes=None)
    assert findings == []


# --- adverse events ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "completing", "expected"),
    [
        (
            {
                "onset_date": date(2024, 3, 5),
                "resolution_date": date(2024, 3, 8),
                "serious": False,
                "clavien_dindo": "I",
                "outcome": "recovered",
                "relation": "peld",
                "action_taken": "medication",
            },
            True,
            set(),
        ),
        (
            {"onset_date": date(2024, 3, 5), "resolution_date": date(2024, 3, 4)},
            False,
            {("resolution_before_onset", HARD)},
        ),
        ({"onset_date": date(2024, 2, 20)}, False, {("onset_before_admission", SOFT)}),
        (
            {"onset_date": date(2024, 3, 2), "relation": "peld"},
            False,
            {("onset_before_related_surgery", SOFT)},
        ),
        ({"outcome": "recovered"}, True, {("resolution_date_missing", HARD)}),
        ({"outcome": "recovered"}, False, set()),
        (
            {"outcome": "recovering", "resolution_date": date(2024, 3, 9)},
            False,
            {("resolved_but_not_recovered", SOFT)},
        ),
        ({"clavien_dindo": "V", "outcome": "recovered"}, False, {("fatal_grade_mismatch", HARD)}),
        ({"clavien_dindo": "II", "outcome": "fatal"}, False, {("fatal_grade_mismatch", HARD)}),
        ({"outcome": "fatal", "serious": False}, False, {("fatal_not_serious", HARD)}),
        ({"clavien_dindo": "IVa", "serious": False}, False, {("grade_implies_serious", SOFT)}),
        ({"action_taken": "other"}, True, {("description_missing", HARD)}),
    ],
)
def test_adverse_event_checks(answers, completing, expected):
    assert codes(check_adverse_event(answers, completing=completing, **DATES)) == expected


def test_findings_name_the_field_they_concern():
    # given: a stop date before the start
    answers = {"start_date": date(2024, 3, 2), "stop_date": date(2024, 3, 1)}
    # when
    (finding,) = check_medication(answers)
    # then
    assert finding.field == "stop_date"
    assert str(finding.message)
