"""The main navigation: each entry names the permission that shows it.

Later features add their pages here; the menu a user sees is computed from
``trial.permissions`` and never decided in a template.
"""

from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from trial.permissions import Action, is_blinded, may, may_trial_wide


@dataclass(frozen=True, slots=True)
class NavItem:
    key: str
    label: str | Promise
    url_name: str
    action: Action | None = None  # None: every signed-in user
    staff_only: bool = False
    unblinded_only: bool = False
    trial_wide: bool = False  # the right must be held trial-wide, not at one site


NAV_ITEMS: tuple[NavItem, ...] = (
    NavItem("home", _("Home"), "home"),
    NavItem("participants", _("Participants"), "trial:participant-list", Action.VIEW_PARTICIPANTS),
    NavItem("worklist", _("Worklist"), "trial:worklist", Action.ENTER_DATA),
    NavItem("dashboard", _("Dashboard"), "trial:dashboard", Action.VIEW_DASHBOARD),
    NavItem("reports", _("Statistical reports"), "analysis:report-list", Action.RUN_REPORTS),
    NavItem(
        "releases",
        _("Dataset releases"),
        "releases:release-list",
        Action.DOWNLOAD_RELEASES,
        trial_wide=True,
    ),  # fmt: skip
    NavItem(
        "allocation",
        _("Allocation"),
        "trial:allocation",
        Action.MANAGE_ALLOCATION,
        unblinded_only=True,
    ),
    NavItem("unblinding", _("Unblinding log"), "trial:unblinding-log", Action.DECIDE_UNBLINDING),
    NavItem("queries", _("Queries"), "trial:query-list", Action.VIEW_PARTICIPANTS),
    NavItem("database", _("Database lock"), "trial:database-lock", Action.LOCK, trial_wide=True),
    NavItem(
        "historical",
        _("Historical allocations"),
        "trial:historical-allocations",
        Action.LOAD_HISTORICAL_ALLOCATIONS,
        unblinded_only=True,
    ),
    NavItem("imports", _("Import data"), "imports:import-list", Action.IMPORT_DATA),
    NavItem("audit", _("Audit trail"), "trial:audit", Action.VIEW_AUDIT),
    NavItem("sites", _("Sites and staff"), "accounts:site-list", Action.VIEW_SITE_STAFF),
    NavItem("admin", _("Administration"), "admin:index", Action.MANAGE_USERS, staff_only=True),
)


def nav_items_for(user: Any, protocol_code: str) -> list[dict[str, Any]]:
    """Return the navigation entries this user may see in the trial, with their URLs."""
    visible = []
    for item in NAV_ITEMS:
        if item.action is not None and not may(user, protocol_code, item.action):
            continue
        if item.trial_wide and not may_trial_wide(user, protocol_code, item.action):
            continue
        if item.staff_only and not user.is_staff:
            continue
        if item.unblinded_only and is_blinded(user, protocol_code):
            continue
        visible.append({"key": item.key, "label": item.label, "url": reverse(item.url_name)})
    return visible
