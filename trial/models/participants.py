from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .sites import Site


class Participant(models.Model):
    """A person in the trial, known by a pseudonymous trial id (``S01-0007``)."""

    class Status(models.TextChoices):
        SCREENING = "screening", _("Screening")
        ELIGIBLE = "eligible", _("Eligible")
        INELIGIBLE = "ineligible", _("Ineligible")
        CONSENTED = "consented", _("Consented")
        RANDOMIZED = "randomized", _("Randomized")
        COMPLETED = "completed", _("Completed")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        LOST = "lost_to_follow_up", _("Lost to follow-up")

    trial_id = models.CharField(_("trial id"), max_length=20, unique=True)
    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, related_name="participants", verbose_name=_("site")
    )
    site_sequence = models.PositiveIntegerField(_("number at site"))
    protocol_code = models.CharField(_("protocol"), max_length=40)
    status = models.CharField(
        _("status"), max_length=24, choices=Status.choices, default=Status.SCREENING
    )
    screening_date = models.DateField(_("screening date"))
    admission_date = models.DateField(_("admission date"), null=True, blank=True)
    surgery_date = models.DateField(
        _("surgery date"),
        null=True,
        blank=True,
        help_text=_("Planned date of surgery; the date of the surgery record replaces it."),
    )
    ended_date = models.DateField(_("date ended"), null=True, blank=True)
    end_reason = models.TextField(_("reason"), blank=True)
    revision = models.PositiveIntegerField(_("revision"), default=1)
    locked_at = models.DateTimeField(_("locked at"), null=True, blank=True)
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        ordering = ["site__code", "site_sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["site", "site_sequence"], name="participant_unique_site_sequence"
            )
        ]
        indexes = [
            models.Index(fields=["site", "status"], name="participant_site_status_idx"),
            # counting a scope's participants (the dashboard) reads this index only
            models.Index(fields=["site", "protocol_code"], name="participant_site_protocol_idx"),
            # the dashboard recounts the partitions of a few screening days
            models.Index(fields=["screening_date"], name="participant_screening_idx"),
        ]

    def __str__(self) -> str:
        return self.trial_id

    @property
    def is_active(self) -> bool:
        return self.status not in {
            self.Status.INELIGIBLE,
            self.Status.COMPLETED,
            self.Status.WITHDRAWN,
            self.Status.LOST,
        }


class PersonalData(models.Model):
    """Identifying data, kept apart: shown only to the participant's site staff, never exported."""

    participant = models.OneToOneField(
        Participant, on_delete=models.PROTECT, primary_key=True, related_name="personal_data"
    )
    full_name = models.CharField(_("full name"), max_length=200)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    hospital_number = models.CharField(_("hospital number"), max_length=40, blank=True)
    # Where ePRO invitations and reminders are e-mailed (epro/), never exported.
    email = models.EmailField(_("e-mail"), blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("identifying data")
        verbose_name_plural = _("identifying data")

    def __str__(self) -> str:
        return f"{self.participant.trial_id} (identifying data)"
