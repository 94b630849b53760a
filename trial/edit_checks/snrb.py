"""Edit checks of the selective nerve root block (SNRB) record."""

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from .base import Finding
from .common import days_after, details_needed, hard, is_blank, soft

DRUG_SLOTS = (1, 2, 3)
# The two roots at a disc level: the exiting (upper) and the traversing (lower) one.
ROOTS_AT_LEVEL = {
    "L2-3": frozenset({"L2", "L3"}),
    "L3-4": frozenset({"L3", "L4"}),
    "L4-5": frozenset({"L4", "L5"}),
    "L5-S1": frozenset({"L5", "S1"}),
}


def _check_timing(
    answers: Mapping[str, Any], admission_date: date | None, surgery_date: date | None
) -> list[Finding]:
    performed = answers.get("performed_at")
    before_surgery = days_after(surgery_date, performed)
    if before_surgery is not None and before_surgery <= 0:
        message = _("The block must be done before the day of surgery.")
        return [hard("performed_at", "snrb_not_before_surgery", message)]
    after_admission = days_after(performed, admission_date)
    if after_admission is not None and after_admission < 0:
        message = _("The block is dated before admission.")
        return [hard("performed_at", "snrb_before_admission", message)]
    if before_surgery is not None and before_surgery != 1:
        message = _(
            "The protocol gives the block the day before surgery, not %(days)s days before."
        )
        return [
            soft("performed_at", "snrb_not_day_before_surgery", message % {"days": before_surgery})
        ]
    return []


def _check_root(answers: Mapping[str, Any]) -> list[Finding]:
    level, root = answers.get("level"), answers.get("root")
    if level in ROOTS_AT_LEVEL and root and root not in ROOTS_AT_LEVEL[level]:
        message = _("Root %(root)s does not exit or traverse at level %(level)s.")
        return [soft("root", "root_not_at_level", message % {"root": root, "level": level})]
    return []


def _check_drug_slots(answers: Mapping[str, Any], *, completing: bool) -> list[Finding]:
    findings = []
    for n in DRUG_SLOTS:
        name, volume = answers.get(f"drug_{n}_name"), answers.get(f"drug_{n}_volume_ml")
        given = not is_blank(answers.get(f"drug_{n}_concentration_pct")) or volume is not None
        if given and is_blank(name):
            message = _("Name the drug whose concentration or volume is given.")
            findings.append(hard(f"drug_{n}_name", "drug_name_missing", message))
        elif completing and not is_blank(name) and volume is None:
            message = _("Enter the volume of this drug in the mixture.")
            findings.append(hard(f"drug_{n}_volume_ml", "drug_volume_missing", message))
    return findings


def _check_volume(answers: Mapping[str, Any]) -> list[Finding]:
    injected = answers.get("volume_injected_ml")
    named = [n for n in DRUG_SLOTS if not is_blank(answers.get(f"drug_{n}_name"))]
    volumes = [answers.get(f"drug_{n}_volume_ml") for n in named]
    if injected is None or not volumes or any(v is None for v in volumes):
        return []
    mixture = sum((Decimal(str(v)) for v in volumes), Decimal(0))
    if Decimal(str(injected)) > mixture:
        message = _("More was injected (%(injected)s ml) than was mixed (%(mixture)s ml).")
        values = {"injected": injected, "mixture": mixture}
        return [hard("volume_injected_ml", "injected_exceeds_mixture", message % values)]
    return []


def check_snrb(
    answers: Mapping[str, Any],
    *,
    admission_date: date | None = None,
    surgery_date: date | None = None,
    completing: bool = False,
) -> list[Finding]:
    """Check the block's timing, root and level, drug slots, volume, aspiration, reactions."""
    findings = _check_timing(answers, admission_date, surgery_date) + _check_root(answers)
    findings += _check_drug_slots(answers, completing=completing) + _check_volume(answers)
    if answers.get("aspiration_negative") is False:
        message = _("Blood was aspirated before the injection: confirm and describe.")
        findings.append(soft("aspiration_negative", "aspiration_positive", message))
    return findings + details_needed(
        answers,
        "immediate_reaction",
        "reaction_details",
        completing=completing,
        message=_("Describe the other reaction."),
    )
