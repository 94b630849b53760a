"""ePRO services: the only writers of invitations and the patient's pages.

API (keyword-only arguments; errors are ``epro.exceptions`` / ``trial.exceptions``):

* ``invitation_issue(participant=, visit=, actor=) -> (Invitation, raw_token)``: the raw
  token is returned once, only its SHA-256 is stored. Forms: the protocol's ePRO forms
  that apply to the visit and the arm and are not complete yet. Opens/expires with the
  visit window (``Visit.window_start``/``window_end`` at the site, from the schedule).
* ``invitation_revoke(invitation=, actor=, reason=)``; ``invitation_mark_sent(invitation=,
  actor=)`` (after the link was e-mailed or shown).
* ``invitation_open(token=, user_agent=) -> Invitation``: ``InvitationUnavailable`` for no
  such / expired / revoked / not yet open (one error); a submitted one is returned (the
  view shows the thank-you page).
* ``identity_verify(invitation=, answer=)``: ``IdentityMismatch`` / ``IdentityLocked``.
* ``page_save_draft(invitation=, form_code=, data=)`` keeps well-formed answers of an
  unfinished page; ``page_save(...)`` requires every answer (``PageInvalid`` with the form).
* ``invitation_submit(invitation=, user_agent=)`` writes every form through
  ``trial.services.crfs.crf_write`` (source ePRO) in one transaction; a second submission
  raises ``AlreadySubmitted``.
* ``invitation_status(invitation, now=None)`` (``epro.selectors``, importable here too):
  the status as patient and staff see it (an active one past ``expires_at`` is expired).
"""

import hashlib
import hmac
import secrets
from datetime import datetime, time, timedelta
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from epro.exceptions import (
    AlreadySubmitted,
    EnteredByStaff,
    IdentityLocked,
    IdentityMismatch,
    IdentityUnknown,
    InvitationExists,
    InvitationUnavailable,
    NothingToComplete,
    NotInvited,
    PageInvalid,
    PagesIncomplete,
    WindowClosed,
)
from epro.forms import page_data, patient_form
from epro.models import Invitation, PageDraft
from epro.selectors import invitation_status
from trial.exceptions import InvalidTransition, ReasonRequired
from trial.locks import participant_qs_for_update
from trial.models import AuditEvent, FormInstance, Participant, Visit, site_time_zone
from trial.protocol import Epro, get_protocol
from trial.services.audit import audit_record
from trial.services.crfs import crf_write
from trial.services.locks import data_entry_allowed
from trial.services.visits import participant_arm

S = Invitation.Status
S_ACTIVE = Invitation.ACTIVE
# The account that stands for "the participant, through ePRO" in created_by/updated_by.
EPRO_USERNAME = "epro-participant"
PATIENT = "ePRO"  # actor name of the patient's own actions in the audit trail


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _epro(participant: Participant) -> Epro:
    epro = get_protocol(participant.protocol_code).epro
    if epro is None:
        raise NothingToComplete()
    return epro


def invitation_window(visit: Visit) -> tuple[datetime, datetime]:
    """Return (opens_at, expires_at): the visit window's first and last day at the site."""
    if visit.window_start is None or visit.window_end is None:
        raise WindowClosed()
    zone = site_time_zone(visit.participant.site)
    opens = datetime.combine(visit.window_start, time.min, tzinfo=zone)
    closes = datetime.combine(visit.window_end + timedelta(days=1), time.min, tzinfo=zone)
    return opens, closes


def invitation_form_codes(participant: Participant, visit: Visit) -> list[str]:
    """Return the ePRO forms of this visit (for the participant's arm) not complete yet."""
    protocol, epro = get_protocol(participant.protocol_code), _epro(participant)
    definition = protocol.visit(visit.code)
    arm = participant_arm(participant)
    if not definition.applies_to(arm):
        return []
    applicable = {f.code for f in protocol.forms_for(definition, arm)}
    complete = set(
        FormInstance.objects.filter(
            participant=participant, visit=visit, status=FormInstance.Status.COMPLETE
        ).values_list("form_code", flat=True)
    )
    return [c for c in epro.form_codes if c in applicable and c not in complete]


def identity_expected(participant: Participant) -> str | None:
    """Return the expected answer to the protocol's identity question (e.g. "1968")."""
    check = _epro(participant).identity
    formdef = get_protocol(participant.protocol_code).form(check.form)
    model = apps.get_model(formdef.model)
    value = (
        model.objects.filter(instance__participant=participant, instance__form_code=check.form)
        .exclude(**{f"{check.field}__isnull": True})
        .values_list(check.field, flat=True)
        .first()
    )
    return None if value is None else f"{value.year:04d}"


def _audit(invitation: Invitation, action: str, changes: dict, *, actor: Any = None, reason=""):
    audit_record(
        actor=actor,
        actor_username="" if actor is not None else PATIENT,
        action=action,
        obj=invitation,
        site=invitation.participant.site,
        changes=changes,
        reason=reason,
    )


@transaction.atomic(durable=True)
def invitation_issue(
    *, participant: Participant, visit: Visit, actor: Any
) -> tuple[Invitation, str]:
    """Issue an invitation for the visit's self-completed forms; return it and its raw token."""
    participant = participant_qs_for_update(participant.pk).get()
    data_entry_allowed(participant)
    if visit.participant_id != participant.pk or not participant.is_active:
        raise InvalidTransition()
    visit.participant = participant
    opens_at, expires_at = invitation_window(visit)
    if expires_at <= timezone.now():
        raise WindowClosed()
    if identity_expected(participant) is None:
        raise IdentityUnknown()
    codes = invitation_form_codes(participant, visit)
    if not codes:
        raise NothingToComplete()
    active = Invitation.objects.filter(participant=participant, visit=visit, status__in=S_ACTIVE)
    for old in active:
        if invitation_status(old) != S.EXPIRED:
            raise InvitationExists()
        changes = {"status": (old.status, S.EXPIRED)}
        old.status = S.EXPIRED
        old.save(update_fields=["status", "updated_at"])
        _audit(old, AuditEvent.Action.UPDATE, changes, actor=actor)
    token = secrets.token_urlsafe(32)
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(
                participant=participant,
                visit=visit,
                form_codes=codes,
                token_hash=token_hash(token),
                opens_at=opens_at,
                expires_at=expires_at,
                created_by=actor,
            )
    except IntegrityError as exc:  # the constraint backs up the check above
        raise InvitationExists() from exc
    changes = {"status": (None, S.ISSUED), "forms": (None, ",".join(codes))}
    changes |= {"opens_at": (None, opens_at), "expires_at": (None, expires_at)}
    _audit(invitation, AuditEvent.Action.CREATE, changes, actor=actor)
    return invitation, token


def _locked(invitation: Invitation) -> Invitation:
    row = (
        Invitation.objects.select_for_update()
        .select_related("participant__site", "visit")
        .get(pk=invitation.pk)
    )
    row.visit.participant = row.participant
    return row


@transaction.atomic(durable=True)
def invitation_revoke(*, invitation: Invitation, actor: Any, reason: str) -> Invitation:
    """Withdraw an active invitation (its link stops working at once); a reason is required."""
    if not reason.strip():
        raise ReasonRequired()
    invitation = _locked(invitation)
    if not invitation.is_active:
        raise InvalidTransition()
    old = invitation.status
    invitation.status, invitation.revoked_reason = S.REVOKED, reason
    invitation.revoked_at, invitation.revoked_by = timezone.now(), actor
    invitation.save(
        update_fields=["status", "revoked_reason", "revoked_at", "revoked_by", "updated_at"]
    )
    _audit(
        invitation,
        AuditEvent.Action.UPDATE,
        {"status": (old, S.REVOKED)},
        actor=actor,
        reason=reason,
    )
    return invitation


@transaction.atomic(durable=True)
def invitation_mark_sent(*, invitation: Invitation, actor: Any) -> Invitation:
    """Record that the link was sent (e-mailed or handed over); an issued one becomes sent."""
    invitation = _locked(invitation)
    if invitation_status(invitation) not in S_ACTIVE:
        raise InvalidTransition()
    changes = {"sent_at": (invitation.sent_at, timezone.now())}
    invitation.sent_at = changes["sent_at"][1]
    fields = ["sent_at", "updated_at"]
    if invitation.status == S.ISSUED:
        changes["status"] = (S.ISSUED, S.SENT)
        invitation.status = S.SENT
        fields.append("status")
    invitation.save(update_fields=fields)
    _audit(invitation, AuditEvent.Action.UPDATE, changes, actor=actor)
    return invitation


def invitation_find(token: str) -> Invitation:
    """Return the invitation whose token this is, usable now or submitted; otherwise raise
    ``InvitationUnavailable`` whatever the reason (no such token, expired, revoked, early)."""
    digest = token_hash(token or "")
    row = (
        Invitation.objects.select_related("participant__site", "visit")
        .filter(token_hash=digest)
        .first()
    )
    stored = row.token_hash if row is not None else "0" * 64
    matches = hmac.compare_digest(stored, digest)  # constant time whether found or not
    if row is None or not matches:
        raise InvitationUnavailable()
    row.visit.participant = row.participant
    if row.status == S.SUBMITTED:
        return row
    now = timezone.now()
    if not row.is_active or not (row.opens_at <= now < row.expires_at):
        raise InvitationUnavailable()
    return row


@transaction.atomic(durable=True)
def invitation_open(*, token: str, user_agent: str = "") -> Invitation:
    """Return the token's invitation (see ``invitation_find``); the first open is recorded."""
    invitation = invitation_find(token)
    if invitation.status in (S.ISSUED, S.SENT):
        invitation = _locked(invitation)
        if invitation.status in (S.ISSUED, S.SENT):
            old = invitation.status
            invitation.status, invitation.opened_at = S.OPENED, timezone.now()
            invitation.user_agent = user_agent[:400]
            invitation.save(update_fields=["status", "opened_at", "user_agent", "updated_at"])
            _audit(invitation, AuditEvent.Action.UPDATE, {"status": (old, S.OPENED)})
    return invitation


def _usable(invitation: Invitation) -> Invitation:
    """Lock the invitation and check it may still take answers."""
    invitation = _locked(invitation)
    if invitation.status == S.SUBMITTED:
        raise AlreadySubmitted()
    if invitation_status(invitation) not in S_ACTIVE or timezone.now() < invitation.opens_at:
        raise InvitationUnavailable()
    return invitation


def identity_verify(*, invitation: Invitation, answer: str) -> Invitation:
    """Check the patient's answer to the identity question, counting wrong answers: after
    the protocol's limit the invitation is locked for its lockout time (right answers too)."""
    error = None
    with transaction.atomic(durable=True):
        invitation = _usable(invitation)
        check = _epro(invitation.participant).identity
        now = timezone.now()
        if invitation.locked_until and now < invitation.locked_until:
            raise IdentityLocked()
        expected = identity_expected(invitation.participant) or ""
        given = (answer or "").strip()[:10]
        if expected and hmac.compare_digest(expected.encode(), given.encode()):
            if invitation.failed_identity_attempts:
                invitation.failed_identity_attempts = 0
                invitation.save(update_fields=["failed_identity_attempts", "updated_at"])
            return invitation
        invitation.failed_identity_attempts += 1
        changes = {"failed_identity_attempts": (None, invitation.failed_identity_attempts)}
        error = IdentityMismatch()
        if invitation.failed_identity_attempts >= check.max_attempts:
            invitation.failed_identity_attempts = 0
            invitation.locked_until = now + timedelta(minutes=check.lockout_minutes)
            changes["locked_until"] = (None, invitation.locked_until)
            error = IdentityLocked()
        invitation.save(update_fields=["failed_identity_attempts", "locked_until", "updated_at"])
        _audit(invitation, AuditEvent.Action.LOGIN_FAILED, changes)
    raise error


def _page(invitation: Invitation, form_code: str) -> None:
    if form_code not in invitation.form_codes:
        raise NotInvited()


def _store(invitation: Invitation, form_code: str, data: dict, *, complete: bool) -> PageDraft:
    draft, _created = PageDraft.objects.get_or_create(invitation=invitation, form_code=form_code)
    draft.data, draft.complete = data, complete
    draft.save(update_fields=["data", "complete", "updated_at"])
    if invitation.status in (S.ISSUED, S.SENT, S.OPENED):
        old = invitation.status
        invitation.status, invitation.started_at = S.IN_PROGRESS, timezone.now()
        invitation.save(update_fields=["status", "started_at", "updated_at"])
        _audit(invitation, AuditEvent.Action.UPDATE, {"status": (old, S.IN_PROGRESS)})
    return draft


def _page_store(invitation: Invitation, form_code: str, data: Any, *, complete: bool):
    invitation = _usable(invitation)
    _page(invitation, form_code)
    answers = page_data(patient_form(invitation, form_code, None, completing=complete), data)
    bound = patient_form(invitation, form_code, answers, completing=complete)
    if not bound.is_valid():
        raise PageInvalid(bound)
    return _store(invitation, form_code, answers, complete=complete)


@transaction.atomic(durable=True)
def page_save_draft(*, invitation: Invitation, form_code: str, data: Any) -> PageDraft:
    """Keep the answers given so far on a page (each must be well-formed, none required)."""
    return _page_store(invitation, form_code, data, complete=False)


@transaction.atomic(durable=True)
def page_save(*, invitation: Invitation, form_code: str, data: Any) -> PageDraft:
    """Save a finished page: every answer given and valid, else ``PageInvalid``."""
    return _page_store(invitation, form_code, data, complete=True)


def epro_actor() -> Any:
    """Return the account that stands for participants' own entries (it cannot log in)."""
    user, created = get_user_model().objects.get_or_create(
        username=EPRO_USERNAME,
        defaults={"is_active": False, "first_name": "ePRO", "last_name": "participant"},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


@transaction.atomic(durable=True)
def invitation_submit(*, invitation: Invitation, user_agent: str = "") -> Invitation:
    """Write every page through the nurse's CRF service as complete, source ePRO, in one
    transaction; the invitation is then closed (a second submission is refused)."""
    invitation = _usable(invitation)
    drafts = {d.form_code: d for d in invitation.drafts.all()}
    missing = tuple(c for c in invitation.form_codes if not getattr(drafts.get(c), "complete", 0))
    if missing:
        raise PagesIncomplete(missing)
    now, actor = timezone.now(), epro_actor()
    opened = invitation.opened_at.isoformat() if invitation.opened_at else "-"
    reason = (
        f"ePRO: entered by the participant (invitation {invitation.pk}; opened {opened}; "
        f"submitted {now.isoformat()}; user agent {user_agent[:300]})"
    )
    for code in invitation.form_codes:
        _submit_form(invitation, code, drafts[code].data, actor, reason)
    old = invitation.status
    invitation.status, invitation.submitted_at = S.SUBMITTED, now
    invitation.user_agent = user_agent[:400]
    invitation.save(update_fields=["status", "submitted_at", "user_agent", "updated_at"])
    changes = {"status": (old, S.SUBMITTED), "user_agent": (None, invitation.user_agent)}
    _audit(invitation, AuditEvent.Action.UPDATE, changes)
    return invitation


def _submit_form(invitation: Invitation, code: str, data: dict, actor: Any, reason: str) -> None:
    form = patient_form(invitation, code, data, completing=True)
    if not form.is_valid():
        raise PageInvalid(form)
    existing = FormInstance.objects.filter(
        participant=invitation.participant, visit=invitation.visit, form_code=code
    ).first()
    if existing is not None and (
        existing.status == FormInstance.Status.COMPLETE or existing.is_voided
    ):
        raise EnteredByStaff()
    instance = crf_write(
        actor=actor,
        participant=invitation.participant,
        form_code=code,
        visit=invitation.visit,
        instance=existing,
        answers=form.answers(),
        complete=True,
        base_revision=existing.revision if existing is not None else None,
        reason=reason,
        check_queries=tuple((f.field or "", f.code, str(f.message)) for f in form.soft_findings),
    )
    instance.source = FormInstance.Source.EPRO
    instance.save(update_fields=["source"])
