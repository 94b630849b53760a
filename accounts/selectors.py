"""Reads for the account pages (views call these, never the ORM)."""

from typing import Any

from django.db.models import Prefetch, QuerySet

from trial.models import Membership, Site
from trial.permissions import Action, sites_for


def _active_staff() -> QuerySet[Membership]:
    return Membership.objects.filter(is_active=True, user__is_active=True).select_related("user")


def sites_with_staff(user: Any) -> QuerySet[Site]:
    """The sites whose staff ``user`` may see, each with its active staff as ``site.staff``."""
    return sites_for(user, Action.VIEW_SITE_STAFF).prefetch_related(
        Prefetch("memberships", queryset=_active_staff(), to_attr="staff")
    )


def trial_wide_staff() -> QuerySet[Membership]:
    """Active memberships that hold a role across all sites (no site)."""
    return _active_staff().filter(site__isnull=True)
