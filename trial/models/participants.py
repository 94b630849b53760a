from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .sites import Site


class Participant(models.Model):
    """A person in a trial, known by a pseudonymous trial id (``S01-0007``), unique across
    the instance; its trial numbers it per site (``site_sequence``)."""

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
            # numbers count per trial and site (``Protocol.participant_id``)
            models.UniqueConstraint(
                fields=["protocol_code", "site", "site_sequence"],
                name="participant_unique_trial_site_sequence",
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

    # The seed trial's anchor dates (its own code and tests use them; generic code reads
    # anchors through ``trial.selectors.anchors``), read from the participant's anchor rows
    # (``AnchorDate``; code reads them through ``trial.selectors.anchors``). A value given
    # to an unsaved participant stays in memory only: anchor dates are written by
    # ``trial.services.anchors``.
    def _anchor(self, code: str):
        unsaved = self.__dict__.get("_unsaved_anchors", {})
        if code in unsaved or self.pk is None:
            return unsaved.get(code)
        row = self.anchor_dates.filter(code=code).only("date").first()
        return row.date if row else None

    def _set_unsaved_anchor(self, code: str, value) -> None:
        if self.pk is not None:
            raise AttributeError("anchor dates are written by trial.services.anchors")
        self.__dict__.setdefault("_unsaved_anchors", {})[code] = value

    admission_date = property(
        lambda self: self._anchor("admission"),
        lambda self, value: self._set_unsaved_anchor("admission", value),
    )
    surgery_date = property(
        lambda self: self._anchor("surgery"),
        lambda self, value: self._set_unsaved_anchor("surgery", value),
    )

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
