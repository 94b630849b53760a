"""Derived values of the clinical forms: BMI at baseline, length of stay at discharge.

Contributed under their form models in ``trial/contributions.py`` (``DERIVATIONS``).
"""

from typing import Any

from trial.edit_checks.baseline import compute_bmi
from trial.edit_checks.common import days_after


def baseline_bmi(answers: dict[str, Any], participant: Any) -> dict[str, Any]:
    """Return the BMI in kg/m² (one decimal), None when the height or the weight is missing."""
    return {"bmi": compute_bmi(answers.get("height_cm"), answers.get("weight_kg"))}


def discharge_length_of_stay(answers: dict[str, Any], participant: Any) -> dict[str, Any]:
    """Return the days from the participant's admission to discharge, None when unknown."""
    admission = getattr(participant, "admission_date", None)
    days = days_after(answers.get("discharge_date"), admission)
    return {"length_of_stay_days": days if days is not None and days >= 0 else None}
