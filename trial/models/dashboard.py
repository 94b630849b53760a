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


class DashboardPartition(models.Model):
    """The rollup of the participants screened on one day at one site (``Grain.DAY``) or
    in one month at every site (``Grain.MONTH``, the sum of its days), as
    ``DashboardSummary.data`` has it without the sections that are never partitioned
    (queries, visit lists).

    A screening-date filter sums the whole months and edge days of its range instead of
    recounting the trial; the summary refresh recounts only the (day, site) partitions
    with changes (``DashboardChange``) and adds the differences to their month and to
    the summary. Derived data, never audited, never shown as such.
    """

    class Grain(models.TextChoices):
        DAY = "day", _("day")
        MONTH = "month", _("month")

    protocol_code = models.CharField(_("protocol"), max_length=40)
    grain = models.CharField(_("grain"), max_length=8, choices=Grain.choices)
    start = models.DateField(_("first day"))
    site_id = models.BigIntegerField(_("site"), default=0)  # 0: every site (a month)
    data = models.JSONField(_("counts"))

    class Meta:
        verbose_name = _("dashboard partition")
        verbose_name_plural = _("dashboard partitions")
        constraints = [
            models.UniqueConstraint(
                fields=["protocol_code", "grain", "start", "site_id"],
                name="dashboard_partition_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.protocol_code} {self.grain} {self.start:%Y-%m-%d} {self.site_id or ''}"


class DashboardChange(models.Model):
    """A marker that a participant's dashboard figures changed: written in the same
    transaction as the change (``trial.dashboard_changes``), read and deleted by the
    summary refresh, which recounts the screening days concerned.

    ``participant_id`` names the participant (its screening day is looked up at refresh);
    ``day`` names a screening day directly (a participant's old and new screening date).
    """

    participant_id = models.BigIntegerField(_("participant"), null=True)
    day = models.DateField(_("screening day"), null=True)

    class Meta:
        verbose_name = _("dashboard change")
        verbose_name_plural = _("dashboard changes")

    def __str__(self) -> str:
        return f"{self.participant_id or ''} {self.day or ''}".strip()
