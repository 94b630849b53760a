from django.db import models
from django.utils.translation import gettext_lazy as _


class DashboardSummary(models.Model):
    """The dashboard's counts for one protocol, computed in one go and shared by every
    request until the next refresh (``trial.services.dashboard``).

    Derived data, not clinical data: it is replaced on every refresh and never audited.
    ``data`` is the rollup of ``trial.selectors.dashboard_rollup`` (counts by site and arm),
    which is never shown as such: blinded users only ever see sums over the arms.
    """

    protocol_code = models.CharField(_("protocol"), max_length=40, unique=True)
    computed_at = models.DateTimeField(_("computed at"))
    duration_ms = models.PositiveIntegerField(_("time to compute (ms)"))
    data = models.JSONField(_("counts"))

    class Meta:
        verbose_name = _("dashboard summary")
        verbose_name_plural = _("dashboard summaries")

    def __str__(self) -> str:
        return f"{self.protocol_code} @ {self.computed_at:%Y-%m-%d %H:%M:%S}"
