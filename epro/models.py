"""ePRO invitations and the patient's saved pages.

An :class:`Invitation` lets one participant complete the self-completable forms of one
visit (``trial.protocol.Epro``) without an account: an unguessable token (only its
SHA-256 is stored) plus an identity question. Each page the patient saves is a
:class:`PageDraft`; on submission the drafts are written through the nurse's CRF save
service (``epro.services.invitation_submit``) and the invitation is closed.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Invitation(models.Model):
    """One participant's invitation to complete the patient-reported forms of one visit."""

    class Status(models.TextChoices):
        ISSUED = "issued", _("Issued")
        SENT = "sent", _("Sent")
        OPENED = "opened", _("Opened")
        IN_PROGRESS = "in_progress", _("In progress")
        SUBMITTED = "submitted", _("Submitted")
        EXPIRED = "expired", _("Expired")
        REVOKED = "revoked", _("Revoked")

    # Statuses in which an invitation may still be used (at most one per participant+visit).
    ACTIVE = ("issued", "sent", "opened", "in_progress")

    participant = models.ForeignKey(
        "trial.Participant",
        on_delete=models.PROTECT,
        related_name="epro_invitations",
        verbose_name=_("participant"),
    )
    visit = models.ForeignKey(
        "trial.Visit",
        on_delete=models.PROTECT,
        related_name="epro_invitations",
        verbose_name=_("visit"),
    )
    form_codes = models.JSONField(_("forms"), default=list)
    token_hash = models.CharField(_("token (SHA-256)"), max_length=64, unique=True)
    opens_at = models.DateTimeField(_("opens at"))
    expires_at = models.DateTimeField(_("expires at"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ISSUED
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoked_reason = models.TextField(_("reason revoked"), blank=True)
    failed_identity_attempts = models.PositiveSmallIntegerField(
        _("failed identity answers"), default=0
    )
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)
    user_agent = models.CharField(_("browser (user agent)"), max_length=400, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("ePRO invitation")
        verbose_name_plural = _("ePRO invitations")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "visit"],
                condition=models.Q(status__in=("issued", "sent", "opened", "in_progress")),
                name="epro_one_active_invitation_per_visit",
            )
        ]
        indexes = [models.Index(fields=["status", "expires_at"], name="epro_inv_status_idx")]

    def __str__(self) -> str:
        return f"ePRO invitation {self.pk}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE


class PageDraft(models.Model):
    """The answers the patient saved on one form's page (raw form data, re-validated on
    submission). ``complete`` is set once the page passed with every answer given."""

    invitation = models.ForeignKey(
        Invitation, on_delete=models.PROTECT, related_name="drafts", verbose_name=_("invitation")
    )
    form_code = models.CharField(_("form"), max_length=40)
    data = models.JSONField(_("answers"), default=dict)
    complete = models.BooleanField(_("page complete"), default=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("ePRO page")
        verbose_name_plural = _("ePRO pages")
        ordering = ["invitation_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["invitation", "form_code"], name="epro_one_draft_per_form"
            )
        ]

    def __str__(self) -> str:
        return f"{self.invitation} {self.form_code}"
