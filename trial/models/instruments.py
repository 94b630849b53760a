"""Typed data models of the scored instruments, generated from ``scoring``.

Every instrument of ``scoring.INSTRUMENTS`` with more than one item gets a ``CrfData``
model built from its definition by :func:`instrument_model`: named ``<Name>Data``
(``odi`` -> ``OdiData``, ``eq5d5l`` -> ``Eq5d5lData``), one nullable column per item named
by its item id (``odi_1`` …, ``sf36_36``) storing the precoded answer exactly as printed on
the form, and the assessment date. An instrument of one item is a scale that another
form applies to its own columns (the leg- and back-pain VAS of :class:`PainVasData`, the
MacNab grade of the 3-month outcome), each column scored on its own
(``trial.services.crfs.crf_score``).
"""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.functional import lazy
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from scoring import INSTRUMENTS

from .crfs import CrfData


def assessment_date_field() -> models.DateField:
    """Return the day a form's assessment took place (defaults to today at the site)."""
    return models.DateField(_("assessment date"), null=True, blank=True)


def _column(item) -> models.Field:
    label = item.text_en[:200]
    if item.kind == "decimal" and item.decimals == 0:  # a whole number (EQ VAS 0–100)
        small = -32768 <= int(item.min_value) and int(item.max_value) <= 32767
        return (models.SmallIntegerField if small else models.IntegerField)(
            label,
            null=True,
            blank=True,
            validators=[
                MinValueValidator(int(item.min_value)),
                MaxValueValidator(int(item.max_value)),
            ],
        )
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


def _short_title(name: str) -> str:
    return INSTRUMENTS[name].short_title(get_language())


def instrument_model(name: str) -> type[CrfData]:
    """Build the ``CrfData`` model of the instrument ``name`` from its definition.

    Every item is required for a complete form (answered, or marked not answered with a
    reason); the instrument's own missing-data rule then decides whether it scores. The
    verbose name is the instrument's short title in the reader's language.
    """
    instrument = INSTRUMENTS[name]
    verbose = lazy(_short_title, str)(name)
    meta = type("Meta", (), {"verbose_name": verbose, "verbose_name_plural": verbose})
    attrs: dict[str, object] = {
        "__module__": __name__,
        "__doc__": f"The answers to {instrument.title_en} at one visit (generated).",
        "Meta": meta,
        "instrument_name": name,
        "required_items": ("assessment_date", *instrument.item_ids),
        "assessment_date": assessment_date_field(),
    }
    for item in instrument.items:
        attrs[item.id] = _column(item)
    model_name = f"{name[:1].upper()}{name[1:]}Data"
    return type(model_name, (CrfData,), attrs)  # type: ignore[return-value]


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


# instrument name -> its generated model (``trial.OdiData``, ``trial.Eq5d5lData``, ...)
INSTRUMENT_MODELS: dict[str, type[CrfData]] = {
    name: instrument_model(name)
    for name, instrument in INSTRUMENTS.items()
    if len(instrument.items) > 1
}
# the names the seed trial's code and tests import
OdiData = INSTRUMENT_MODELS["odi"]
JoaData = INSTRUMENT_MODELS["joa"]
Sf36Data = INSTRUMENT_MODELS["sf36"]
