"""Typed data of the rehabilitation trial's own forms: baseline, rehabilitation adherence and
adverse events. Its pain VAS (``trial.PainVasData``), ODI (``trial.OdiData``) and EQ-5D-5L
(``trial.Eq5d5lData``) are the shared models; these three have no counterpart there.
"""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from trial.models.clinical import PersonBaselineData, integer, yes_no
from trial.models.crfs import CrfData
from trial.models.instruments import assessment_date_field


class RehabBaselineData(PersonBaselineData):
    """Baseline characteristics before randomization (the trial's baseline table)."""

    required_items = (
        "assessment_date",
        "sex",
        "date_of_birth",
        "height_cm",
        "weight_kg",
        "operated_level",
        "days_surgery_to_randomization",
    )

    class Level(models.TextChoices):
        L3_4 = "L3-4", _("L3–4")
        L4_5 = "L4-5", _("L4–5")
        L5_S1 = "L5-S1", _("L5–S1")

    operated_level = models.CharField(
        _("operated level"), max_length=8, blank=True, choices=Level.choices
    )
    days_surgery_to_randomization = integer(_("days from surgery to randomization"), 0, 30)

    class Meta:
        verbose_name = _("baseline (rehabilitation trial)")
        verbose_name_plural = _("baselines (rehabilitation trial)")


class AdherenceData(CrfData):
    """Supervised rehabilitation sessions attended of those planned since the last visit
    (arm R only: it reveals the arm)."""

    required_items = ("assessment_date", "sessions_planned", "sessions_attended")

    assessment_date = assessment_date_field()
    sessions_planned = models.PositiveSmallIntegerField(
        _("sessions planned"), null=True, blank=True, validators=[MaxValueValidator(40)]
    )
    sessions_attended = models.PositiveSmallIntegerField(
        _("sessions attended"), null=True, blank=True, validators=[MaxValueValidator(40)]
    )

    class Meta:
        verbose_name = _("rehabilitation adherence")
        verbose_name_plural = _("rehabilitation adherence")


class RehabAdverseEventData(CrfData):
    """One adverse event after randomization (a log entry), graded by CTCAE severity."""

    required_items = ("term", "onset_date", "serious", "severity", "outcome", "relation")

    class Severity(models.IntegerChoices):
        MILD = 1, _("Grade 1 (mild)")
        MODERATE = 2, _("Grade 2 (moderate)")
        SEVERE = 3, _("Grade 3 (severe)")
        LIFE_THREATENING = 4, _("Grade 4 (life-threatening)")
        DEATH = 5, _("Grade 5 (death)")

    class Outcome(models.TextChoices):
        RECOVERED = "recovered", _("Recovered")
        RECOVERING = "recovering", _("Recovering")
        NOT_RECOVERED = "not_recovered", _("Not recovered")
        FATAL = "fatal", _("Fatal")

    class Relation(models.TextChoices):
        REHABILITATION = "rehabilitation", _("Rehabilitation exercise")
        SURGERY = "surgery", _("The operation (PELD)")
        NONE = "none", _("Not related")
        UNKNOWN = "unknown", _("Unknown")

    term = models.CharField(_("adverse event"), max_length=200, blank=True)
    onset_date = models.DateField(_("onset date"), null=True, blank=True)
    resolution_date = models.DateField(_("resolution date"), null=True, blank=True)
    serious = yes_no(_("serious"))
    severity = models.PositiveSmallIntegerField(
        _("severity (CTCAE grade)"),
        null=True,
        blank=True,
        choices=Severity.choices,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    outcome = models.CharField(_("outcome"), max_length=16, blank=True, choices=Outcome.choices)
    relation = models.CharField(
        _("related to"), max_length=16, blank=True, choices=Relation.choices
    )

    class Meta:
        verbose_name = _("adverse event (rehabilitation trial)")
        verbose_name_plural = _("adverse events (rehabilitation trial)")
