"""Reads for participant pages, always scoped to the sites the user may see."""

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.http import Http404

from trial.models import Participant, Site
from trial.permissions import Action, may, sites_for


def participant_list(
    user: Any, protocol_code: str, *, search: str = "", status: str = ""
) -> QuerySet[Participant]:
    """Return the participants of the trial at the user's sites, optionally searched and
    filtered."""
    qs = Participant.objects.filter(
        protocol_code=protocol_code,
        site__in=sites_for(user, protocol_code, Action.VIEW_PARTICIPANTS),
    ).select_related("site", "allocation")
    if status:
        qs = qs.filter(status=status)
    if search:
        condition = Q(trial_id__icontains=search)
        if may(user, protocol_code, Action.VIEW_IDENTIFIERS):
            identifiable = sites_for(user, protocol_code, Action.VIEW_IDENTIFIERS)
            condition |= Q(site__in=identifiable) & (
                Q(personal_data__full_name__icontains=search)
                | Q(personal_data__hospital_number__icontains=search)
            )
        qs = qs.filter(condition)
    return qs.order_by("site__code", "site_sequence")


def participant_get(user: Any, protocol_code: str, trial_id: str) -> Participant:
    """Return one participant of the trial the user may see, or raise 404 (never reveal it
    exists, nor that it belongs to another trial)."""
    participant = (
        Participant.objects.select_related("site", "eligibility", "consent", "allocation")
        .filter(trial_id=trial_id, protocol_code=protocol_code)
        .first()
    )
    if participant is None or not may(
        user, protocol_code, Action.VIEW_PARTICIPANTS, site=participant.site
    ):
        raise Http404
    return participant


def participant_identity_visible(user: Any, participant: Participant) -> bool:
    return may(user, participant.protocol_code, Action.VIEW_IDENTIFIERS, site=participant.site)


def consent_staff(site: Site) -> QuerySet[Any]:
    """Active users who may take consent at ``site`` (its nurses and investigators, or
    trial-wide ones)."""
    return (
        get_user_model()
        .objects.filter(
            Q(memberships__site=site) | Q(memberships__site__isnull=True),
            memberships__role__in=["research_nurse", "investigator"],
            is_active=True,
        )
        .distinct()
    )


def trial_id_taken(trial_id: str) -> bool:
    """Whether a participant of any trial already has this trial id (ids are unique across
    the instance: pages and the API name a participant by it)."""
    return Participant.objects.filter(trial_id=trial_id).exists()
