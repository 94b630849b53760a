from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .participants import Participant


class Consent(models.Model):
    """Written informed consent: which version, when, and who obtained it."""

    participant = models.OneToOneField(
        Participant, on_delete=models.PROTECT, related_name="consent"
    )
    version = models.CharField(_("consent form version"), max_length=40)
    consent_date = models.DateField(_("date of consent"))
    obtained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("obtained by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")

    def __str__(self) -> str:
        return f"{self.participant.trial_id} consent {self.version}"
