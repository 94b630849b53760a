"""Who may do what, where. Views *and* selectors ask here; templates never decide.

A user's rights are the union of their active memberships. A membership without a site is
trial-wide. Blinding is decided here too, so no page, export or API can forget it.
"""

from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import QuerySet

from trial.models import Membership, Role, Site
from trial.protocol import get_protocol


class Action(StrEnum):
    VIEW_PARTICIPANTS = "view_participants"
    VIEW_IDENTIFIERS = "view_identifiers"
    ENTER_DATA = "enter_data"
    RANDOMIZE = "randomize"
    SIGN = "sign"
    RAISE_QUERY = "raise_query"
    ANSWER_QUERY = "answer_query"
    CLOSE_QUERY = "close_query"
    VERIFY = "verify"
    LOCK = "lock"
    VIEW_DASHBOARD = "view_dashboard"
    RUN_REPORTS = "run_reports"
    DOWNLOAD_RELEASES = "download_releases"
    MANAGE_ALLOCATION = "manage_allocation"
    REQUEST_UNBLINDING = "request_unblinding"
    DECIDE_UNBLINDING = "decide_unblinding"
    VIEW_AUDIT = "view_audit"
    VIEW_SITE_STAFF = "view_site_staff"
    MANAGE_USERS = "manage_users"
    IMPORT_DATA = "import_data"
    LOAD_HISTORICAL_ALLOCATIONS = "load_historical_allocations"


A = Action
ROLE_ACTIONS: dict[str, frozenset[Action]] = {
    Role.RESEARCH_NURSE: frozenset(
        {
            A.VIEW_PARTICIPANTS,
            A.VIEW_IDENTIFIERS,
            A.ENTER_DATA,
            A.RANDOMIZE,
            A.ANSWER_QUERY,
            A.VIEW_SITE_STAFF,
        }
    ),
    Role.INVESTIGATOR: frozenset(
        {
            A.VIEW_PARTICIPANTS,
            A.VIEW_IDENTIFIERS,
            A.ENTER_DATA,
            A.RANDOMIZE,
            A.SIGN,
            A.ANSWER_QUERY,
            A.VIEW_DASHBOARD,
            A.RUN_REPORTS,
            A.REQUEST_UNBLINDING,
            A.VIEW_SITE_STAFF,
        }
    ),
    Role.DATA_MANAGER: frozenset(
        {
            A.VIEW_PARTICIPANTS,
            A.RAISE_QUERY,
            A.CLOSE_QUERY,
            A.VERIFY,
            A.LOCK,
            A.VIEW_DASHBOARD,
            A.VIEW_AUDIT,
            A.VIEW_SITE_STAFF,
            A.DOWNLOAD_RELEASES,
            A.IMPORT_DATA,
        }
    ),
    Role.STATISTICIAN: frozenset(
        {
            A.VIEW_DASHBOARD,
            A.RUN_REPORTS,
            A.DOWNLOAD_RELEASES,
            A.MANAGE_ALLOCATION,
            A.DECIDE_UNBLINDING,
        }
    ),
    Role.OUTCOME_ASSESSOR: frozenset({A.VIEW_PARTICIPANTS, A.ENTER_DATA, A.ANSWER_QUERY}),
    Role.ADMINISTRATOR: frozenset(
        {A.MANAGE_USERS, A.VIEW_AUDIT, A.VIEW_SITE_STAFF, A.LOAD_HISTORICAL_ALLOCATIONS}
    ),
    # The data monitoring committee reviews the accumulating results (dashboard, reports).
    Role.DMC_MEMBER: frozenset({A.VIEW_DASHBOARD, A.RUN_REPORTS}),
}


def memberships(user: Any) -> list[Membership]:
    """Return the user's active memberships, read once per request and kept on the user."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached = getattr(user, "_edc_memberships", None)
    if cached is None:
        cached = list(Membership.objects.filter(user=user, is_active=True).select_related("site"))
        user._edc_memberships = cached
    return cached


def user_time_zone(user: Any) -> ZoneInfo | None:
    """Return the zone to show this user's pages in: their one site's zone, else None
    (the trial's zone, ``settings.TIME_ZONE``) for trial-wide users and users at sites
    keeping different zones."""
    zones = {m.site.time_zone if m.site_id else "" for m in memberships(user)}
    if len(zones) != 1:
        return None
    (zone,) = zones
    return ZoneInfo(zone) if zone else None


def roles(user: Any) -> set[str]:
    """Return the set of roles the user holds anywhere."""
    return {m.role for m in memberships(user)}


def may(user: Any, action: Action, *, site: Site | None = None) -> bool:
    """Return whether the user may do ``action`` at ``site`` (or anywhere, when no site)."""
    for membership in memberships(user):
        if action not in ROLE_ACTIONS.get(membership.role, frozenset()):
            continue
        if site is None or membership.site_id is None or membership.site_id == site.pk:
            return True
    return False


def may_import(user: Any, *, site: Site | None = None) -> bool:
    """Return whether the user may bring data in at ``site`` (anywhere, when no site):
    whoever enters data (the API) or imports it (the data manager's import page)."""
    return may(user, Action.ENTER_DATA, site=site) or may(user, Action.IMPORT_DATA, site=site)


def may_trial_wide(user: Any, action: Action) -> bool:
    """Return whether a trial-wide membership (no site) grants ``action``.

    Trial-wide objects that hold every site's data (dataset releases) or act on every site
    (the database lock) need it: a right held at one site does not reach the others.
    """
    return any(
        m.site_id is None and action in ROLE_ACTIONS.get(m.role, frozenset())
        for m in memberships(user)
    )


def sites_for(user: Any, action: Action) -> QuerySet[Site]:
    """Return the sites at which the user may do ``action``."""
    granting = [m for m in memberships(user) if action in ROLE_ACTIONS.get(m.role, frozenset())]
    if any(m.site_id is None for m in granting):
        return Site.objects.filter(is_active=True)
    return Site.objects.filter(pk__in={m.site_id for m in granting}, is_active=True)


def is_blinded(user: Any) -> bool:
    """Return whether the user must not see allocations (any blinded role blinds).

    Which roles are blinded is protocol configuration (``Protocol.blinded_roles``).
    """
    return bool(roles(user) & get_protocol(settings.EDC_PROTOCOL).blinded_roles)


def sees_comparative(user: Any) -> bool:
    """Return whether the user may see comparative results (figures split by arm).

    Only the roles the protocol names (``Protocol.comparative_roles``: the statistician and
    the data monitoring committee) see outcomes, safety and follow-up by arm while the trial
    runs; everyone else sees the same figures pooled. A blinded role never does.
    """
    if is_blinded(user):
        return False
    return bool(roles(user) & get_protocol(settings.EDC_PROTOCOL).comparative_roles)


def report_sites_for(user: Any) -> set[str] | None:
    """Return the codes of the sites the user may report on; None means every site.

    A trial-wide right to run reports reaches every site (and the all-site runs); a right
    held at some sites reaches those sites only.
    """
    if may_trial_wide(user, Action.RUN_REPORTS):
        return None
    return set(sites_for(user, Action.RUN_REPORTS).values_list("code", flat=True))
