"""Edit checks of the baseline characteristics: BMI plausibility and eligibility, age."""

from collections.abc import Mapping
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from .base import Finding
from .common import as_date, hard, soft

BMI_PLAUSIBLE = (Decimal("12"), Decimal("60"))  # outside: a typing error, not a patient
AGE_ELIGIBLE = (18, 80)  # the paper's inclusion criterion
AGE_MAX = 120


def compute_bmi(height_cm: Any, weight_kg: Any) -> Decimal | None:
    """Return weight / height² in kg/m², rounded half-up to one decimal; None if unknown."""
    if height_cm is None or weight_kg is None or Decimal(str(height_cm)) <= 0:
        return None
    metres = Decimal(str(height_cm)) / 100
    return (Decimal(str(weight_kg)) / (metres * metres)).quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP
    )


def age_on(birth: date, day: date) -> int:
    """Return the age in whole years on ``day`` (negative when born after it)."""
    before_birthday = (day.month, day.day) < (birth.month, birth.day)
    return day.year - birth.year - int(before_birthday)


def _check_bmi(answers: Mapping[str, Any], bmi_range: tuple[float, float] | None) -> list[Finding]:
    bmi = compute_bmi(answers.get("height_cm"), answers.get("weight_kg"))
    if bmi is None:
        return []
    values = {"bmi": bmi}
    if not BMI_PLAUSIBLE[0] <= bmi <= BMI_PLAUSIBLE[1]:
        message = _("BMI %(bmi)s kg/m² is implausible: check the height and the weight.")
        return [hard("weight_kg", "bmi_implausible", message % values)]
    if bmi_range and not bmi_range[0] <= float(bmi) <= bmi_range[1]:
        message = _("BMI %(bmi)s kg/m² is outside the eligibility bounds (%(low)s–%(high)s kg/m²).")
        values |= {"low": bmi_range[0], "high": bmi_range[1]}
        return [soft("weight_kg", "bmi_outside_eligibility", message % values)]
    return []


def _check_age(birth: date | None, admission_date: date | None) -> list[Finding]:
    if birth is None or admission_date is None:
        return []
    age = age_on(birth, admission_date)
    if age < 0:
        message = _("The date of birth is after the admission date.")
        return [hard("date_of_birth", "birth_after_admission", message)]
    if age > AGE_MAX:
        message = _("An age of %(age)s years at admission is implausible.")
        return [hard("date_of_birth", "age_implausible", message % {"age": age})]
    if not AGE_ELIGIBLE[0] <= age <= AGE_ELIGIBLE[1]:
        message = _("Age %(age)s at admission is outside the eligible %(low)s–%(high)s years.")
        values = {"age": age, "low": AGE_ELIGIBLE[0], "high": AGE_ELIGIBLE[1]}
        return [soft("date_of_birth", "age_outside_eligibility", message % values)]
    return []


def check_baseline(
    answers: Mapping[str, Any],
    *,
    admission_date: date | None = None,
    surgery_date: date | None = None,
    bmi_range: tuple[float, float] | None = None,
    completing: bool = False,
) -> list[Finding]:
    """Check BMI against plausibility and the eligibility bounds, and the age at admission."""
    birth = as_date(answers.get("date_of_birth"))
    return _check_bmi(answers, bmi_range) + _check_age(birth, admission_date)
