from django.db import models
from django.utils.translation import gettext_lazy as _

from .participants import Participant


class AnchorDate(models.Model):
    """One participant's date of one of the protocol's anchor events (``AnchorDef``).

    The one place a participant's anchor dates live: the schedule, the edit checks, the
    ePRO windows, the datasets and every export read them through
    ``trial.selectors.anchors``; only ``trial.services.anchors`` writes them, and every
    change is audited on the participant (``<code>_date: old -> new``). A row is never
    deleted: a date taken back is kept as a row without a date.
    """

    class Source(models.TextChoices):
        REGISTRATION = "registration", _("Registration")
        RANDOMIZATION = "randomization", _("Randomization")
        FORM = "form", _("Form")
        ENTERED = "entered", _("Entered by staff")
        IMPORT = "import", _("Import")
        MIGRATED = "migrated", _("Kept from before anchors were rows")

    participant = models.ForeignKey(
        Participant,
        on_delete=models.PROTECT,
        related_name="anchor_dates",
        verbose_name=_("participant"),
    )
    code = models.CharField(_("anchor"), max_length=40)
    date = models.DateField(_("date"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    # the form whose save recorded the date (source "form")
    source_form = models.CharField(_("form"), max_length=40, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("anchor date")
        verbose_name_plural = _("anchor dates")
        ordering = ["participant_id", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "code"], name="anchor_date_unique_participant_code"
            )
        ]

    def __str__(self) -> str:
        return f"{self.participant_id}:{self.code}"
