from datetime import date
from zoneinfo import ZoneInfo, available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


def site_time_zone(site: "Site | None") -> ZoneInfo:
    """Return the time zone a site keeps its calendar in.

    The site's own ``time_zone`` (site data, set by the administrator: ``Asia/Shanghai``
    for the seed trial's sites), else the trial's zone ``settings.TIME_ZONE``
    (``EDC_TIME_ZONE``). "Today", the "not in the future" limit and displayed times use it.
    """
    zone = getattr(site, "time_zone", "") or settings.TIME_ZONE
    return ZoneInfo(zone)


def site_today(site: "Site | None") -> date:
    """Return today's date at ``site`` (the default assessment date, the "future" limit)."""
    return timezone.localdate(timezone=site_time_zone(site))


def validate_time_zone(value: str) -> None:
    """Refuse a name that is not an IANA time zone (``Asia/Shanghai``, ``UTC``)."""
    if value and value not in available_timezones():
        raise ValidationError(
            _("%(value)s is not a time zone name such as Asia/Shanghai."),
            code="invalid_time_zone",
            params={"value": value},
        )


class Role(models.TextChoices):
    RESEARCH_NURSE = "research_nurse", _("Research nurse")
    INVESTIGATOR = "investigator", _("Investigator")
    DATA_MANAGER = "data_manager", _("Data manager / monitor")
    STATISTICIAN = "statistician", _("Statistician")
    OUTCOME_ASSESSOR = "outcome_assessor", _("Outcome assessor (blinded)")
    ADMINISTRATOR = "administrator", _("Administrator")
    DMC_MEMBER = "dmc_member", _("Data monitoring committee member")


class Site(models.Model):
    """A recruiting centre. Participants and site staff belong to exactly one site."""

    code = models.CharField(
        _("code"),
        max_length=8,
        unique=True,
        help_text=_("Short code used in participant ids, e.g. S01."),
    )
    name = models.CharField(_("name"), max_length=200)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200, blank=True)
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text=_(
            "IANA name such as Asia/Shanghai: the site's calendar (today, dates of entry) "
            "and the times its staff see. Empty: the trial's zone."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.display_name}"

    @property
    def display_name(self) -> str:
        """The site's name in the active language (Chinese name when there is one)."""
        language = get_language() or ""
        if language.lower().startswith("zh") and self.name_zh:
            return self.name_zh
        return self.name


class Membership(models.Model):
    """A user's role in one trial (``protocol_code``) at one site, or at every site of that
    trial when ``site`` is empty. Roles held in one trial give nothing in another."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="memberships",
        verbose_name=_("user"),
    )
    site = models.ForeignKey(
        Site,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("site"),
        help_text=_("Leave empty for a trial-wide role (all sites)."),
    )
    protocol_code = models.CharField(
        _("trial"),
        max_length=40,
        help_text=_("The protocol code of the trial this role is held in."),
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["user_id", "protocol_code", "site_id", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "protocol_code", "site", "role"],
                name="membership_unique_site_role",
            ),
            models.UniqueConstraint(
                fields=["user", "protocol_code", "role"],
                condition=Q(site__isnull=True),
                name="membership_unique_trialwide_role",
            ),
        ]

    def __str__(self) -> str:
        where = self.site.code if self.site_id else _("all sites")
        return f"{self.user} · {self.protocol_code} · {self.get_role_display()} · {where}"
