from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .participants import Participant


class EligibilityAssessment(models.Model):
    """The answers to every criterion of the protocol; ineligible ones feed CONSORT."""

    participant = models.OneToOneField(
        Participant, on_delete=models.PROTECT, related_name="eligibility"
    )
    assessed_date = models.DateField(_("date assessed"))
    answers = models.JSONField(_("answers"), default=dict)
    eligible = models.BooleanField(_("eligible"))
    failed_criteria = models.JSONField(_("failed criteria"), default=list, blank=True)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("eligibility assessment")
        verbose_name_plural = _("eligibility assessments")

    def __str__(self) -> str:
        return f"{self.participant.trial_id} eligibility"
