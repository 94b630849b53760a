from django.db import models
from django.utils.translation import gettext_lazy as _

from .participants import Participant


class Visit(models.Model):
    """One scheduled visit of a participant, dated from the protocol's anchor event.

    ``status`` stores only what people decide (missed) or what the forms settle (done);
    whether a scheduled visit is due or overdue follows from today's date and the window
    (``trial.selectors.visits.visit_state``).
    """

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        DONE = "done", _("Done")
        MISSED = "missed", _("Missed")

    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="visits")
    code = models.CharField(_("visit"), max_length=40)
    order = models.PositiveSmallIntegerField(_("order"))
    target_date = models.DateField(_("target date"), null=True, blank=True)
    window_start = models.DateField(_("window opens"), null=True, blank=True)
    window_end = models.DateField(_("window closes"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.SCHEDULED
    )
    missed_reason = models.TextField(_("reason missed"), blank=True)

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["participant_id", "order"]
        constraints = [
            models.UniqueConstraint(fields=["participant", "code"], name="visit_unique_code")
        ]
        indexes = [models.Index(fields=["status", "window_end"], name="visit_status_window_idx")]

    def __str__(self) -> str:
        return f"{self.participant.trial_id} {self.code}"
