"""Typed data models of the scored instruments, their columns generated from ``scoring``.

Each item of ``scoring.INSTRUMENTS[name]`` becomes a nullable column named by its item id
(``odi_1`` …, ``sf36_36``), storing the precoded answer exactly as printed on the form.
"""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from scoring import INSTRUMENTS

from .crfs import CrfData


def assessment_date_field() -> models.DateField:
    """Return the day a form's assessment took place (defaults to today at the site)."""
    return models.DateField(_("assessment date"), null=True, blank=True)


def _column(item) -> models.Field:
    label = item.text_en[:200]
    if item.kind == "decimal":
        digits = len(str(int(item.max_value))) + item.decimals
        return models.DecimalField(
            label,
            max_digits=digits,
            decimal_places=item.decimals,
            null=True,
            blank=True,
            validators=[MinValueValidator(item.min_value), MaxValueValidator(item.max_value)],
        )
    if all(isinstance(v, int) for v in item.allowed_values):
        return models.SmallIntegerField(
            label, null=True, blank=True, choices=[(c.value, c.label_en) for c in item.choices]
        )
    longest = max(len(str(v)) for v in item.allowed_values)
    return models.CharField(
        label, max_length=longest, blank=True, choices=[(c.value, c.label_en) for c in item.choices]
    )


def add_instrument_columns(model: type[models.Model], instrument: str) -> None:
    """Give ``model`` one column per item of ``instrument``, in form order.

    Every item is required for a complete form (answered, or marked not answered with a
    reason); the instrument's own missing-data rule then decides whether it scores.
    """
    items = INSTRUMENTS[instrument].items
    for item in items:
        model.add_to_class(item.id, _column(item))
    model.required_items = ("assessment_date", *(item.id for item in items))


VAS_MAX = Decimal("10.0")


class PainVasData(CrfData):
    """Leg-pain and back-pain VAS (0.0–10.0, one decimal) at one visit."""

    required_items = ("assessment_date", "leg_vas", "back_vas")

    assessment_date = assessment_date_field()
    leg_vas = models.DecimalField(
        _("leg pain (VAS)"),
        max_digits=3,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.0")), MaxValueValidator(VAS_MAX)],
    )
    back_vas = models.DecimalField(
        _("back pain (VAS)"),
        max_digits=3,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.0")), MaxValueValidator(VAS_MAX)],
    )

    class Meta:
        verbose_name = _("pain (VAS)")
        verbose_name_plural = _("pain (VAS)")


class OdiData(CrfData):
    assessment_date = assessment_date_field()

    class Meta:
        verbose_name = _("Oswestry Disability Index")
        verbose_name_plural = _("Oswestry Disability Index")


class JoaData(CrfData):
    assessment_date = assessment_date_field()

    class Meta:
        verbose_name = _("JOA low back pain score")
        verbose_name_plural = _("JOA low back pain score")


class Sf36Data(CrfData):
    assessment_date = assessment_date_field()

    class Meta:
        verbose_name = _("SF-36")
        verbose_name_plural = _("SF-36")


add_instrument_columns(OdiData, "odi")
add_instrument_columns(JoaData, "joa")
add_instrument_columns(Sf36Data, "sf36")
