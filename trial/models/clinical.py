"""Typed data of the clinical case report forms: baseline, medication, discharge, outcome, AEs.

Every answer is nullable (a draft saves with blanks); what a complete form needs and the
cross-field rules live in ``trial.forms.clinical`` and ``trial.edit_checks``.
"""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from scoring import INSTRUMENTS

from .crfs import CrfData
from .instruments import assessment_date_field

MACNAB_CHOICES = [(c.value, c.label_en) for c in INSTRUMENTS["macnab"].items[0].choices]


def yes_no(label: str) -> models.BooleanField:
    """Return a yes/no answer that stays unknown (null) until answered."""
    return models.BooleanField(label, null=True, blank=True)


def decimal(label: str, low: str, high: str, *, digits: int = 5, places: int = 1) -> models.Field:
    """Return a nullable decimal answer limited to ``low``–``high``."""
    return models.DecimalField(
        label,
        max_digits=digits,
        decimal_places=places,
        null=True,
        blank=True,
        validators=[
            MinValueValidator(Decimal(low), _("Enter a value of at least %(limit_value)s.")),
            MaxValueValidator(Decimal(high), _("Enter a value of at most %(limit_value)s.")),
        ],
    )


def integer(label: str, low: int, high: int) -> models.Field:
    """Return a nullable whole-number answer limited to ``low``–``high``."""
    return models.PositiveIntegerField(
        label,
        null=True,
        blank=True,
        validators=[
            MinValueValidator(low, _("Enter a value of at least %(limit_value)s.")),
            MaxValueValidator(high, _("Enter a value of at most %(limit_value)s.")),
        ],
    )


class PersonBaselineData(CrfData):
    """What the baseline forms ask of the person: sex, date of birth, height and
    weight, and the BMI derived from them (``clinical_derivations.baseline_bmi``), dated.
    A trial's baseline model adds its own items after these."""

    class Sex(models.TextChoices):
        MALE = "male", _("Male")
        FEMALE = "female", _("Female")

    assessment_date = assessment_date_field()
    sex = models.CharField(_("sex"), max_length=8, blank=True, choices=Sex.choices)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    height_cm = decimal(_("height (cm)"), "100", "230", digits=4)
    weight_kg = decimal(_("weight (kg)"), "25", "250", digits=4)
    bmi = models.DecimalField(
        _("BMI (kg/m²)"),
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        help_text=_("Computed from the height and the weight."),
    )

    class Meta:
        abstract = True


class BaselineData(PersonBaselineData):
    """Baseline characteristics at admission (the paper's Table 1)."""

    required_items = (
        "assessment_date",
        "sex",
        "date_of_birth",
        "height_cm",
        "weight_kg",
        "herniation_level",
        "pfirrmann_grade",
        "leg_pain_duration_days",
        "numbness",
        "weakness",
        "back_pain",
        "hypertension",
        "diabetes",
    )

    class Level(models.TextChoices):
        L2_3 = "L2-3", _("L2–3")
        L3_4 = "L3-4", _("L3–4")
        L4_5 = "L4-5", _("L4–5")
        L5_S1 = "L5-S1", _("L5–S1")

    class Pfirrmann(models.TextChoices):
        I = "I", _("Grade I")  # noqa: E741  (the grade's own name)
        II = "II", _("Grade II")
        III = "III", _("Grade III")
        IV = "IV", _("Grade IV")
        V = "V", _("Grade V")

    herniation_level = models.CharField(
        _("level of the disc herniation"), max_length=8, blank=True, choices=Level.choices
    )
    pfirrmann_grade = models.CharField(
        _("Pfirrmann grade"), max_length=3, blank=True, choices=Pfirrmann.choices
    )
    leg_pain_duration_days = integer(_("duration of leg pain (days)"), 0, 36500)
    numbness = yes_no(_("numbness"))
    weakness = yes_no(_("weakness"))
    back_pain = yes_no(_("back pain"))
    hypertension = yes_no(_("hypertension"))
    diabetes = yes_no(_("diabetes"))

    class Meta:
        verbose_name = _("baseline characteristics")
        verbose_name_plural = _("baseline characteristics")


class MedicationData(CrfData):
    """One concomitant medication (a log entry)."""

    required_items = (
        "drug",
        "dose_mg",
        "frequency_per_day",
        "route",
        "start_date",
        "ongoing",
    )

    class Drug(models.TextChoices):
        ETORICOXIB = "etoricoxib", _("Etoricoxib")
        OTHER = "other", _("Other")

    class Route(models.TextChoices):
        ORAL = "oral", _("Oral")
        INTRAVENOUS = "intravenous", _("Intravenous")
        INTRAMUSCULAR = "intramuscular", _("Intramuscular")
        TOPICAL = "topical", _("Topical")
        OTHER = "other", _("Other")

    drug = models.CharField(_("drug"), max_length=16, blank=True, choices=Drug.choices)
    other_drug_name = models.CharField(_("name of the other drug"), max_length=200, blank=True)
    dose_mg = decimal(_("dose (mg)"), "0", "10000", digits=7, places=2)
    frequency_per_day = integer(_("times per day"), 1, 24)
    route = models.CharField(_("route"), max_length=16, blank=True, choices=Route.choices)
    start_date = models.DateField(_("start date"), null=True, blank=True)
    stop_date = models.DateField(_("stop date"), null=True, blank=True)
    ongoing = yes_no(_("ongoing"))

    class Meta:
        verbose_name = _("concomitant medication")
        verbose_name_plural = _("concomitant medications")


class DischargeData(CrfData):
    """Discharge: the date, the length of stay and the post-operative MRI."""

    required_items = ("assessment_date", "discharge_date", "mri_done")

    assessment_date = assessment_date_field()
    discharge_date = models.DateField(_("discharge date"), null=True, blank=True)
    length_of_stay_days = models.PositiveIntegerField(
        _("length of stay (days)"),
        null=True,
        blank=True,
        help_text=_("Computed from the admission and discharge dates."),
    )
    mri_done = yes_no(_("lumbar MRI before discharge"))
    mri_date = models.DateField(_("MRI date"), null=True, blank=True)
    decompression_complete = yes_no(_("MRI shows complete decompression"))

    class Meta:
        verbose_name = _("discharge")
        verbose_name_plural = _("discharges")


class OutcomeData(CrfData):
    """The 3-month outcome: complications, recurrence and the MacNab grade.

    ``serious_complications`` holds the protocol's complication codes (a list).
    """

    required_items = (
        "assessment_date",
        "residual_low_back_pain",
        "recurrent_pain",
        "recurrence_mri_confirmed",
        "had_serious_complication",
        "macnab",
    )

    assessment_date = models.DateField(_("assessment date"), null=True, blank=True)
    residual_low_back_pain = yes_no(_("residual low back pain"))
    recurrent_pain = yes_no(_("recurrent pain"))
    recurrence_mri_confirmed = yes_no(_("recurrence confirmed by MRI"))
    recurrence_mri_date = models.DateField(_("date of the recurrence MRI"), null=True, blank=True)
    had_serious_complication = yes_no(_("any serious complication"))
    serious_complications = models.JSONField(
        _("serious complications"), null=True, blank=True, default=list
    )
    serious_complication_details = models.TextField(
        _("details of the serious complications"), blank=True
    )
    macnab = models.CharField(_("MacNab grade"), max_length=9, blank=True, choices=MACNAB_CHOICES)

    class Meta:
        verbose_name = _("3-month outcome")
        verbose_name_plural = _("3-month outcomes")


class AdverseEventData(CrfData):
    """One adverse event (a log entry), graded by Clavien-Dindo."""

    required_items = (
        "term",
        "onset_date",
        "serious",
        "clavien_dindo",
        "outcome",
        "relation",
        "action_taken",
    )

    class ClavienDindo(models.TextChoices):
        I = "I", _("Grade I")  # noqa: E741  (the grade's own name)
        II = "II", _("Grade II")
        IIIA = "IIIa", _("Grade IIIa")
        IIIB = "IIIb", _("Grade IIIb")
        IVA = "IVa", _("Grade IVa")
        IVB = "IVb", _("Grade IVb")
        V = "V", _("Grade V")

    class Outcome(models.TextChoices):
        RECOVERED = "recovered", _("Recovered")
        RECOVERING = "recovering", _("Recovering")
        NOT_RECOVERED = "not_recovered", _("Not recovered")
        SEQUELAE = "recovered_with_sequelae", _("Recovered with sequelae")
        FATAL = "fatal", _("Fatal")
        UNKNOWN = "unknown", _("Unknown")

    class Relation(models.TextChoices):
        SNRB = "snrb", _("Nerve root block (SNRB)")
        PELD = "peld", _("Surgery (PELD)")
        NONE = "none", _("Not related")
        UNKNOWN = "unknown", _("Unknown")

    class Action(models.TextChoices):
        NONE = "none", _("None")
        MEDICATION = "medication", _("Medication")
        INTERVENTION = "intervention", _("Intervention without GA")
        REOPERATION = "reoperation", _("Reoperation")
        OTHER = "other", _("Other")

    term = models.CharField(_("adverse event"), max_length=200, blank=True)
    onset_date = models.DateField(_("onset date"), null=True, blank=True)
    resolution_date = models.DateField(_("resolution date"), null=True, blank=True)
    serious = yes_no(_("serious"))
    clavien_dindo = models.CharField(
        _("Clavien-Dindo grade"), max_length=4, blank=True, choices=ClavienDindo.choices
    )
    outcome = models.CharField(_("outcome"), max_length=24, blank=True, choices=Outcome.choices)
    relation = models.CharField(_("related to"), max_length=8, blank=True, choices=Relation.choices)
    action_taken = models.CharField(
        _("action taken"), max_length=16, blank=True, choices=Action.choices
    )
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("adverse event")
        verbose_name_plural = _("adverse events")
