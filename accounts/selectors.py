"""Reads for the account pages (views call these, never the ORM)."""

from typing import Any

from django.db.models import Prefetch, QuerySet

from trial.models import Membership, Site
from trial.permissions import Action, sites_for


def _active_staff(protocol_code: str) -> QuerySet[Membership]:
    return Membership.objects.filter(
        protocol_code=protocol_code, is_active=True, user__is_active=True
    ).select_related("user")


def sites_with_staff(user: Any, protocol_code: str) -> QuerySet[Site]:
    """The sites whose staff ``user`` may see in the trial, each with its active staff in
    that trial as ``site.staff``."""
    return sites_for(user, protocol_code, Action.VIEW_SITE_STAFF).prefetch_related(
        Prefetch("memberships", queryset=_active_staff(protocol_code), to_attr="staff")
    )


def trial_wide_staff(protocol_code: str) -> QuerySet[Membership]:
    """Active memberships that hold a role in the trial across all sites (no site)."""
    return _active_staff(protocol_code).filter(site__isnull=True)
