"""Invitation mails and reminders: through a real SMTP server (aiosmtpd, started here), once
per invitation, audited, and expiry of invitations past their window."""

import asyncio
import datetime
import email
import socket
from email.message import Message

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.core import mail

from epro.models import Invitation
from epro.notify import REMINDED, invitation_email, invitation_reminders_run
from epro.services import invitation_issue
from trial.models import AuditEvent

from .conftest import EMAIL, submitted

LINK = "http://testserver/p/abc/"
pytestmark = pytest.mark.django_db


class Inbox:
    """An aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        message = email.message_from_bytes(envelope.original_content)
        message["X-Rcpt"] = ",".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on a loopback port, and Django's SMTP backend pointed at it."""
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, loop=asyncio.new_event_loop())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    yield inbox
    controller.stop()


def _text(message: Message) -> str:
    parts = message.walk() if message.is_multipart() else [message]
    return "".join(
        p.get_payload(decode=True).decode(p.get_content_charset() or "utf-8")
        for p in parts
        if p.get_content_type() == "text/plain"
    )


def _subject(message: Message) -> str:
    return str(email.header.make_header(email.header.decode_header(message["Subject"])))


def _invitation(participant, visit, nurse):
    return invitation_issue(participant=participant, visit=visit, actor=nurse)[0]


def _reminders(invitation) -> int:
    return AuditEvent.objects.filter(
        object_type="epro.invitation", object_id=str(invitation.pk), changes__has_key=REMINDED
    ).count()


@pytest.mark.requirement("EPR-102")
def test_the_invitation_mail_is_delivered_by_a_real_smtp_server(
    smtp_server, participant, visit, nurse
):
    # given
    invitation = _invitation(participant, visit, nurse)
    # when
    invitation_email(actor=nurse, invitation=invitation, link=LINK)
    # then: one message to the recorded address, both languages, the link, nothing else
    [message] = smtp_server.messages
    assert message["X-Rcpt"] == EMAIL
    body, subject = _text(message), _subject(message)
    assert LINK in body
    assert "Your study questionnaires" in subject
    assert "您的研究问卷" in subject
    assert "3 months" in body
    assert "3个月" in body.replace(" ", "")
    assert participant.trial_id not in body
    assert participant.personal_data.full_name not in body
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.SENT


@pytest.mark.requirement("EPR-102")
def test_a_reminder_goes_once_through_smtp_before_the_window_closes(
    smtp_server, participant, visit, nurse, settings
):
    # given: an invitation whose window closes within the reminder lead time
    settings.EDC_EPRO_REMINDER_HOURS = 48
    invitation = _invitation(participant, visit, nurse)
    almost = invitation.expires_at - datetime.timedelta(hours=47)
    early = invitation.expires_at - datetime.timedelta(hours=49)
    # when: a run before the lead time, two runs inside it
    with time_machine.travel(early, tick=False):
        assert invitation_reminders_run()["reminded"] == 0
    with time_machine.travel(almost, tick=False):
        first, second = invitation_reminders_run(), invitation_reminders_run()
    # then: one reminder, audited, without the link (the token is not stored)
    assert (first["reminded"], second["reminded"]) == (1, 0)
    [message] = smtp_server.messages
    assert message["X-Rcpt"] == EMAIL
    assert "Reminder" in _subject(message)
    assert "http" not in _text(message)
    assert _reminders(invitation) == 1
    row = AuditEvent.objects.get(object_id=str(invitation.pk), changes__has_key=REMINDED)
    assert row.actor_username == "system"
    assert row.reason


@pytest.mark.requirement("EPR-102")
def test_a_failed_smtp_delivery_records_no_reminder_and_is_tried_again(
    participant, visit, nurse, settings
):
    # given: nothing listens on the SMTP port
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", _free_port(), 2
    invitation = _invitation(participant, visit, nurse)
    # when
    with time_machine.travel(invitation.expires_at - datetime.timedelta(hours=1), tick=False):
        result = invitation_reminders_run()
    # then
    assert result["failed"] == 1
    assert result["reminded"] == 0
    assert _reminders(invitation) == 0


@pytest.mark.requirement("EPR-102")
def test_no_reminder_without_an_address_or_after_submission(participant, visit, nurse):
    # given: submitted; a second participant without an e-mail address
    submitted(participant, nurse)
    from tests.unit.epro.conftest import epro_participant, month_3

    other = epro_participant(nurse, participant.site)
    invitation = _invitation(other, month_3(other), nurse)
    # when
    with time_machine.travel(invitation.expires_at - datetime.timedelta(hours=1), tick=False):
        result = invitation_reminders_run()
    # then
    assert result["reminded"] == 0
    assert not mail.outbox


@pytest.mark.requirement("EPR-102", "EPR-103")
def test_the_job_marks_invitations_past_their_window_expired_with_an_audit_row(
    participant, visit, nurse
):
    # given
    invitation = _invitation(participant, visit, nurse)
    # when: after the window closed
    with time_machine.travel(invitation.expires_at + datetime.timedelta(minutes=1), tick=False):
        result = invitation_reminders_run()
        again = invitation_reminders_run()
    # then
    assert (result["expired"], again["expired"]) == (1, 0)
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.EXPIRED
    assert AuditEvent.objects.filter(
        object_id=str(invitation.pk), changes__status=["issued", "expired"]
    ).exists()
    assert not mail.outbox


def test_the_beat_schedule_names_the_reminder_task(settings):
    from epro.tasks import invitation_reminders_task

    entry = settings.CELERY_BEAT_SCHEDULE["epro-reminders"]
    assert entry["task"] == invitation_reminders_task.name
    assert entry["schedule"] >= datetime.timedelta(minutes=1)
