"""E-mail of ePRO invitations, reminders before the window closes, and expiry.

Mails go through Django's e-mail backend (SMTP configured by ``EMAIL_*``; the demo prints
them on the console), in English and Simplified Chinese in one message. They name the
visit and the closing day only: no trial id, no name, nothing about the allocation. The
address is the participant's recorded e-mail (identifying data, ``PersonalData.email``).

The raw token exists only while the nurse issues the invitation, so only the invitation
mail carries the link; a reminder asks the participant to use that earlier message.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from epro.models import Invitation
from epro.services import invitation_mark_sent, invitation_status
from trial.exceptions import InvalidTransition, TrialError
from trial.models import AuditEvent, site_time_zone
from trial.protocol import get_protocol
from trial.services.audit import audit_record

S = Invitation.Status
LANGUAGES = ("zh-hans", "en")  # both in every mail, Chinese first
SYSTEM = "system"  # actor name of the beat job in the audit trail
REMINDED = "reminded_at"  # the audit change that records a reminder (one per invitation)
logger = logging.getLogger(__name__)


class NoEmailAddress(TrialError):
    code = "no_email_address"
    default_message = gettext_lazy(
        "No e-mail address is recorded for this participant (identifying data)."
    )


def invitation_address(invitation: Invitation) -> str:
    """Return the participant's recorded e-mail address ("" when none)."""
    identity = getattr(invitation.participant, "personal_data", None)
    return (getattr(identity, "email", "") or "").strip()


def _closing_day(invitation: Invitation) -> str:
    """Return the last day the link works, on the site's calendar (YYYY-MM-DD)."""
    zone = site_time_zone(invitation.participant.site)
    return (invitation.expires_at.astimezone(zone) - timedelta(seconds=1)).date().isoformat()


def _bilingual(template: str, subject: Any, invitation: Invitation, **extra: Any) -> tuple:
    definition = get_protocol(invitation.participant.protocol_code).visit(invitation.visit.code)
    subjects, bodies = [], []
    for language in LANGUAGES:
        with translation.override(language):
            context = {
                "visit": definition.label.in_language(language),
                "closes": _closing_day(invitation),
                **extra,
            }
            subjects.append(str(subject))
            bodies.append(render_to_string(template, context).strip())
    return " / ".join(subjects), "\n\n----------\n\n".join(bodies) + "\n"


def invitation_email(*, actor: Any, invitation: Invitation, link: str) -> Invitation:
    """E-mail the invitation's link to the participant, then record it as sent (audited)."""
    address = invitation_address(invitation)
    if not address:
        raise NoEmailAddress()
    if invitation_status(invitation) not in Invitation.ACTIVE:
        raise InvalidTransition()
    subject, body = _bilingual(
        "epro/mail/invitation.txt", gettext_lazy("Your study questionnaires"), invitation,
        link=link,
    )  # fmt: skip
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [address])
    return invitation_mark_sent(invitation=invitation, actor=actor)


def _locked(invitation_id: int) -> Invitation:
    return (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("participant__site", "participant__personal_data", "visit")
        .get(pk=invitation_id)
    )


def _audit(row: Invitation, changes: dict, reason: str) -> None:
    """Record what the beat job did to an invitation (actor ``system``)."""
    audit_record(
        actor=None,
        actor_username=SYSTEM,
        action=AuditEvent.Action.UPDATE,
        obj=row,
        site=row.participant.site,
        changes=changes,
        reason=reason,
    )


def _expire(invitation_id: int, now: datetime) -> bool:
    with transaction.atomic(durable=True):
        row = _locked(invitation_id)
        if not (row.is_active and row.expires_at <= now):
            return False
        old, row.status = row.status, S.EXPIRED
        row.save(update_fields=["status", "updated_at"])
        _audit(row, {"status": (old, S.EXPIRED)}, _("The visit window closed."))
    return True


def _reminded(invitation_id: int) -> bool:
    return AuditEvent.objects.filter(
        object_type=Invitation._meta.label_lower,
        object_id=str(invitation_id),
        changes__has_key=REMINDED,
    ).exists()


def _remind(invitation_id: int, now: datetime) -> bool:
    """Send one invitation's reminder, once: the audit row and the mail commit together."""
    with transaction.atomic(durable=True):
        row = _locked(invitation_id)
        address = invitation_address(row)
        if not (row.is_active and row.opens_at <= now < row.expires_at and address):
            return False
        if _reminded(row.pk):
            return False
        _audit(row, {REMINDED: (None, now)}, _("Reminder e-mailed before the visit window closes."))
        subject, body = _bilingual(
            "epro/mail/reminder.txt", gettext_lazy("Reminder: your study questionnaires"), row
        )
        # inside the transaction: a mail that fails rolls the audit row back (tried again)
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [address])
    return True


def invitation_reminders_run(*, now: datetime | None = None) -> dict[str, int]:
    """Mark invitations past their window expired, and e-mail one reminder to each active
    invitation whose window closes within ``EDC_EPRO_REMINDER_HOURS``; return the counts."""
    now = now or timezone.now()
    past = Invitation.objects.filter(status__in=Invitation.ACTIVE, expires_at__lte=now)
    expired = sum(_expire(pk, now) for pk in past.values_list("pk", flat=True))
    lead = timedelta(hours=settings.EDC_EPRO_REMINDER_HOURS)
    due = Invitation.objects.filter(
        status__in=Invitation.ACTIVE,
        opens_at__lte=now,
        expires_at__gt=now,
        expires_at__lte=now + lead,
    ).exclude(participant__personal_data__email="")
    reminded = failed = 0
    for pk in due.values_list("pk", flat=True):
        try:
            reminded += _remind(pk, now)
        except OSError:  # SMTP down or refusing: logged, tried again on the next run
            logger.exception("ePRO reminder for invitation %s could not be sent", pk)
            failed += 1
    return {"expired": expired, "reminded": reminded, "failed": failed}
