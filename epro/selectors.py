"""Reads of ePRO invitations for the patient's pages and the staff side."""

from datetime import datetime

from django.utils import timezone

from epro.models import Invitation, PageDraft

S = Invitation.Status


def invitation_status(invitation: Invitation, now: datetime | None = None) -> str:
    """Return the invitation's status, reading an active one past its window as expired."""
    now = now or timezone.now()
    if invitation.is_active and now >= invitation.expires_at:
        return S.EXPIRED
    return invitation.status


def invitation_drafts(invitation: Invitation) -> dict[str, PageDraft]:
    """Return the invitation's saved pages by form code."""
    return {d.form_code: d for d in PageDraft.objects.filter(invitation=invitation)}


def invitation_next_page(invitation: Invitation) -> str | None:
    """Return the first form whose page is not finished (None: all are, ready to submit)."""
    drafts = invitation_drafts(invitation)
    return next(
        (c for c in invitation.form_codes if not getattr(drafts.get(c), "complete", False)),
        None,
    )


def invitation_get(pk: int | None) -> Invitation | None:
    """Return the invitation of a patient's session with its participant and visit."""
    if pk is None:
        return None
    row = Invitation.objects.select_related("participant__site", "visit").filter(pk=pk).first()
    if row is not None:
        row.visit.participant = row.participant
    return row
