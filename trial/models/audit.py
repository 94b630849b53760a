from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SystemReason(models.TextChoices):
    """Reasons the system writes into the audit trail itself. The stored value is the
    English sentence (rows written before this list existed say the same); readers see the
    label in their language."""

    SCHEDULE = "schedule follows the anchor dates", _("The visit schedule follows the anchor dates")
    DATA_MIGRATION_ASSESSMENT_DATE = (
        "assessment date set to the visit date by data migration (the form had none)",
        _("Assessment date set to the visit date by a data migration (the form had none)"),
    )
    IMPORT_WARNINGS_ACCEPTED = (
        "import: warnings accepted",
        _("Imported with its warnings accepted by the caller (acceptWarnings)"),
    )

    @classmethod
    def label_of(cls, reason: str) -> str:
        """Return the translated label of a system reason, or ``reason`` as a person wrote it."""
        return str(cls(reason).label) if reason in cls.values else reason


# The reason of a participant field copied from a form (e.g. the surgery date from PELD).
RECORDED_ON_FORM = "recorded on form {form_code}"


class AuditEvent(models.Model):
    """One append-only line of the audit trail: who did what, when, to what, and why.

    Rows are written only by ``trial.services.audit.audit_record`` and never updated or
    deleted; ``changes`` maps a field name to ``[old, new]``. ``protocol_code`` names the
    trial of the row (blank for account events): each trial's viewer reads its own rows.
    """

    class Action(models.TextChoices):
        CREATE = "create", _("Create")
        UPDATE = "update", _("Update")
        DELETE = "delete", _("Delete")
        LOGIN = "login", _("Log in")
        LOGOUT = "logout", _("Log out")
        LOGIN_FAILED = "login_failed", _("Failed log in")
        PASSWORD_CHANGE = "password_change", _("Password change")
        EXPORT = "export", _("Export")
        DOWNLOAD = "download", _("Download")
        UNBLIND = "unblind", _("Unblinding")

    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_username = models.CharField(_("username"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=32, choices=Action.choices)
    # The trial the event belongs to; blank for account events (log-ins, password changes).
    protocol_code = models.CharField(_("trial"), max_length=40, blank=True, db_index=True)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    site = models.ForeignKey(
        "trial.Site",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("site"),
    )
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_username} {self.action} {self.object_repr}"


# Events about a user account, not about a trial: they carry no trial code.
ACCOUNT_ACTIONS = frozenset(
    {
        AuditEvent.Action.LOGIN,
        AuditEvent.Action.LOGOUT,
        AuditEvent.Action.LOGIN_FAILED,
        AuditEvent.Action.PASSWORD_CHANGE,
    }
)
