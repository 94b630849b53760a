"""API tokens: 32 hex characters shown once, stored as a SHA-256 hash."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ApiToken(models.Model):
    """A user's token for one project (protocol); its rights are the user's roles and sites.

    Only the SHA-256 of the token is stored. ``release_version`` makes every call of the
    token read that locked release instead of live data. A user holds at most one active
    token per project; revoked tokens are kept (never deleted) for the audit trail.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="api_tokens",
        verbose_name=_("user"),
    )
    protocol_code = models.CharField(_("project"), max_length=40)
    token_sha256 = models.CharField(_("token hash"), max_length=64, unique=True)
    hint = models.CharField(_("last characters"), max_length=4)
    release_version = models.PositiveIntegerField(_("release"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "protocol_code"],
                condition=Q(revoked_at__isnull=True),
                name="api_token_one_active_per_user_project",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.protocol_code} · …{self.hint}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
