from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class HistoricalAllocationLoad(models.Model):
    """One load of allocations made before the trial used this system (a migration).

    Sealed when written: ``commitment`` is the SHA-256 of the loaded lines in canonical
    form; no service changes a load or its allocations afterwards.
    """

    protocol_code = models.CharField(_("protocol"), max_length=40)
    reason = models.TextField(_("reason"))
    file_name = models.CharField(_("file name"), max_length=200)
    file_checksum = models.CharField(_("file SHA-256"), max_length=64)
    commitment = models.CharField(_("SHA-256 commitment"), max_length=64)
    count = models.PositiveIntegerField(_("allocations"))
    loaded_at = models.DateTimeField(_("loaded at"), auto_now_add=True)
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("historical allocation load")
        verbose_name_plural = _("historical allocation loads")
        ordering = ["-loaded_at"]

    def __str__(self) -> str:
        return f"{self.protocol_code} historical #{self.pk}"
