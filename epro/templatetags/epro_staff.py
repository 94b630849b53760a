"""Template tags placing ePRO state on trial pages (participant page, grid, worklist)
without the trial app importing ePRO: the page asks once, then each visit reads its part."""

from typing import Any

from django import template

from epro.models import Invitation
from epro.staff_selectors import (
    completion_total,
    epro_completion,
    participant_invitations,
    worklist_invitation_statuses,
)

register = template.Library()


@register.simple_tag(takes_context=True)
def epro_participant(context: Any, participant: Any, rows: Any) -> dict:
    """Return per visit id the ePRO state the user sees (one read for the whole page)."""
    user = context["request"].user
    return participant_invitations(user, participant, [row.visit for row in rows])


@register.simple_tag(takes_context=True)
def epro_worklist(context: Any, groups: dict) -> dict:
    """Return the invitation status of every visit listed on the worklist."""
    visits = [item["visit"] for items in groups.values() for item in items]
    return worklist_invitation_statuses(context["request"].user, visits)


@register.filter
def epro_for(states: dict, key: Any) -> Any:
    """Return the entry of ``key`` (a visit id) in a dict made by the tags above."""
    return (states or {}).get(key)


@register.inclusion_tag("epro/staff/_visit.html", takes_context=True)
def epro_visit(context: Any, states: dict, row: Any) -> dict:
    """The ePRO block of one visit row: status, issue (or why not), revoke."""
    return {
        "state": (states or {}).get(row.visit.pk),
        "participant": context["participant"],
        "row": row,
        "csrf_token": context.get("csrf_token"),
    }


@register.filter
def epro_status_label(status: str) -> str:
    """Return the translated label of an invitation status code."""
    return str(Invitation.Status(status).label) if status else ""


@register.inclusion_tag("epro/staff/_dashboard.html", takes_context=True)
def epro_dashboard(context: Any, scope: Any) -> dict:
    """The dashboard's ePRO panel: invitations and completion per site, never by arm."""
    rows = epro_completion(
        context["request"].user, [pk for pk, _code in scope.sites], scope.protocol.code
    )
    return {"rows": rows, "total": completion_total(rows)}
