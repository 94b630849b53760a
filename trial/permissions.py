"""Who may do what, where. Views *and* selectors ask here; templates never decide.

A user's rights in a trial are the union of their active memberships in that trial
(``Membership.protocol_code``); a role held in one trial gives nothing in another, so every
question here names the trial (``protocol_code``, the second argument). A membership
without a site reaches every site of its trial. Blinding is decided here too, per trial, so
no page, export or API can forget it: a user blinded in one trial is judged by that trial's
blinded roles only.
"""

from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

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


def all_memberships(user: Any) -> list[Membership]:
    """Return the user's active memberships in every trial, read once per request and
    kept on the user."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached = getattr(user, "_edc_memberships", None)
    if cached is None:
        cached = list(Membership.objects.filter(user=user, is_active=True).select_related("site"))
        user._edc_memberships = cached
    return cached


def memberships(user: Any, protocol_code: str) -> list[Membership]:
    """Return the user's active memberships in the trial ``protocol_code``."""
    if not isinstance(protocol_code, str) or isinstance(protocol_code, Action):
        raise TypeError(f"a protocol code is expected, not {protocol_code!r}")
    return [m for m in all_memberships(user) if m.protocol_code == protocol_code]


def trial_codes(user: Any) -> set[str]:
    """Return the codes of the trials in which the user holds an active membership."""
    return {m.protocol_code for m in all_memberships(user)}


def user_time_zone(user: Any) -> ZoneInfo | None:
    """Return the zone to show this user's pages in: their one site's zone, else None
    (the trial's zone, ``settings.TIME_ZONE``) for trial-wide users and users at sites
    keeping different zones (in any of their trials)."""
    zones = {m.site.time_zone if m.site_id else "" for m in all_memberships(user)}
    if len(zones) != 1:
        return None
    (zone,) = zones
    return ZoneInfo(zone) if zone else None


def roles(user: Any, protocol_code: str) -> set[str]:
    """Return the set of roles the user holds in the trial ``protocol_code`` (any site)."""
    return {m.role for m in memberships(user, protocol_code)}


def may(user: Any, protocol_code: str, action: Action, *, site: Site | None = None) -> bool:
    """Return whether the user may do ``action`` in the trial ``protocol_code`` at ``site``
    (or anywhere in that trial, when no site)."""
    for membership in memberships(user, protocol_code):
        if action not in ROLE_ACTIONS.get(membership.role, frozenset()):
            continue
        if site is None or membership.site_id is None or membership.site_id == site.pk:
            return True
    return False


def may_import(user: Any, protocol_code: str, *, site: Site | None = None) -> bool:
    """Return whether the user may bring data in at ``site`` (anywhere, when no site):
    whoever enters data (the API) or imports it (the data manager's import page)."""
    return may(user, protocol_code, Action.ENTER_DATA, site=site) or may(
        user, protocol_code, Action.IMPORT_DATA, site=site
    )


def may_trial_wide(user: Any, protocol_code: str, action: Action) -> bool:
    """Return whether a trial-wide membership (no site) in the trial grants ``action``.

    Trial-wide objects that hold every site's data (dataset releases) or act on every site
    (the database lock) need it: a right held at one site does not reach the others.
    """
    return any(
        m.site_id is None and action in ROLE_ACTIONS.get(m.role, frozenset())
        for m in memberships(user, protocol_code)
    )


def sites_for(user: Any, protocol_code: str, action: Action) -> QuerySet[Site]:
    """Return the sites at which the user may do ``action`` in the trial ``protocol_code``."""
    granting = [
        m
        for m in memberships(user, protocol_code)
        if action in ROLE_ACTIONS.get(m.role, frozenset())
    ]
    if any(m.site_id is None for m in granting):
        return Site.objects.filter(is_active=True)
    return Site.objects.filter(pk__in={m.site_id for m in granting}, is_active=True)


def is_blinded(user: Any, protocol_code: str) -> bool:
    """Return whether the user must not see allocations of the trial ``protocol_code``
    (any of the user's roles in that trial that the trial blinds, blinds).

    Which roles are blinded is protocol configuration (``Protocol.blinded_roles``).
    """
    return bool(roles(user, protocol_code) & get_protocol(protocol_code).blinded_roles)


def sees_comparative(user: Any, protocol_code: str) -> bool:
    """Return whether the user may see comparative results (figures split by arm) of the
    trial ``protocol_code``.

    Only the roles the protocol names (``Protocol.comparative_roles``: the statistician and
    the data monitoring committee) see outcomes, safety and follow-up by arm while the trial
    runs; everyone else sees the same figures pooled. A blinded role never does.
    """
    if is_blinded(user, protocol_code):
        return False
    return bool(roles(user, protocol_code) & get_protocol(protocol_code).comparative_roles)


def report_sites_for(user: Any, protocol_code: str) -> set[str] | None:
    """Return the codes of the sites the user may report on in the trial; None means every
    site.

    A trial-wide right to run reports reaches every site (and the all-site runs); a right
    held at some sites reaches those sites only.
    """
    if may_trial_wide(user, protocol_code, Action.RUN_REPORTS):
        return None
    return set(sites_for(user, protocol_code, Action.RUN_REPORTS).values_list("code", flat=True))
