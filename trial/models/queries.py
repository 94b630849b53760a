from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .crfs import FormInstance


class Query(models.Model):
    """A data query on a form field: raised by an edit check or a person, then answered,
    closed or re-opened. Never deleted; every step is audited."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ANSWERED = "answered", _("Answered")
        CLOSED = "closed", _("Closed")

    class Origin(models.TextChoices):
        MANUAL = "manual", _("Raised by a person")
        CHECK = "check", _("Raised by an edit check")

    form_instance = models.ForeignKey(
        FormInstance, on_delete=models.PROTECT, related_name="queries", verbose_name=_("form")
    )
    field = models.CharField(_("field"), max_length=80, blank=True)
    text = models.TextField(_("query"))
    origin = models.CharField(_("origin"), max_length=10, choices=Origin.choices)
    check_code = models.CharField(_("edit check"), max_length=80, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    answer = models.TextField(_("answer"), blank=True)
    close_note = models.TextField(_("closing note"), blank=True)
    raised_at = models.DateTimeField(_("raised at"), auto_now_add=True)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("query")
        verbose_name_plural = _("queries")
        ordering = ["-raised_at"]
        indexes = [models.Index(fields=["status", "raised_at"], name="query_status_idx")]

    def __str__(self) -> str:
        return f"{self.form_instance} · {self.field or '—'} ({self.status})"


class DatabaseLock(models.Model):
    """The state of a protocol's database: open, frozen (no data entry; queries still
    resolved) or locked (nothing changes). One row per protocol."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        FROZEN = "frozen", _("Frozen")
        LOCKED = "locked", _("Locked")

    protocol_code = models.CharField(_("protocol"), max_length=40, unique=True)
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default="open")
    changed_at = models.DateTimeField(_("changed at"), auto_now=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("database lock")
        verbose_name_plural = _("database locks")

    def __str__(self) -> str:
        return f"{self.protocol_code}: {self.state}"
