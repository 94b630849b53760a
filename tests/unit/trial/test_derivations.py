"""Derived values of the clinical forms: BMI and length of stay. Pure, no database."""

import types
from datetime import date
from decimal import Decimal

import pytest

from trial.services import clinical_derivations  # noqa: F401  (registers the derivations)
from trial.services.derivations import derive

ADMITTED = date(2024, 3, 1)


def participant(admission_date=ADMITTED):
    return types.SimpleNamespace(protocol_code="snrb_peld", admission_date=admission_date)


@pytest.mark.parametrize(
    ("height", "weight", "bmi"),
    [
        (Decimal("170.0"), Decimal("70.0"), Decimal("24.2")),
        (Decimal("158.0"), Decimal("64.6"), Decimal("25.9")),  # the paper's S-group mean
        (Decimal("180"), Decimal("58.3"), Decimal("18.0")),
        (None, Decimal("70.0"), None),
        (Decimal("170.0"), None, None),
    ],
)
@pytest.mark.requirement("DEC-005")
def test_baseline_bmi_is_weight_over_height_squared(height, weight, bmi):
    answers = {"height_cm": height, "weight_kg": weight}
    assert derive("trial.BaselineData", answers, participant()) == {"bmi": bmi}


def test_baseline_bmi_is_a_decimal_with_one_place():
    derived = derive("trial.BaselineData", {"height_cm": 175, "weight_kg": 80}, participant())
    assert derived["bmi"] == Decimal("26.1")
    assert derived["bmi"].as_tuple().exponent == -1


@pytest.mark.parametrize(
    ("discharge", "admission", "days"),
    [
        (date(2024, 3, 8), ADMITTED, 7),
        (ADMITTED, ADMITTED, 0),
        (None, ADMITTED, None),
        (date(2024, 3, 8), None, None),
        (date(2024, 2, 20), ADMITTED, None),  # refused by the edit check; never negative
    ],
)
@pytest.mark.requirement("DEC-005")
def test_length_of_stay_counts_days_from_admission(discharge, admission, days):
    derived = derive("trial.DischargeData", {"discharge_date": discharge}, participant(admission))
    assert derived == {"length_of_stay_days": days}


def test_length_of_stay_needs_no_participant_attributes():
    derived = derive("trial.DischargeData", {"discharge_date": date(2024, 3, 8)}, None)
    assert derived == {"length_of_stay_days": None}
