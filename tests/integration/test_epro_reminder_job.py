"""The ePRO reminder beat job through a real Celery worker (Redis, PostgreSQL): invitations
past their window are expired and one reminder per invitation is recorded (the worker's
mail backend is the console one of its environment; SMTP delivery is tested in
tests/unit/epro_staff/test_mail_and_reminders.py)."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from epro.models import Invitation
from epro.notify import REMINDED
from epro.services import invitation_issue
from epro.tasks import invitation_reminders_task
from tests.factories import SiteFactory, user_with_role
from tests.unit.epro.conftest import epro_participant, month_3
from tests.unit.epro_staff.conftest import with_email
from trial.models import AuditEvent, Role

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.requirement("EPR-102"),
]


def _wait(condition, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.3)
    return False


def test_the_beat_task_expires_and_reminds_through_a_worker(celery_worker, settings):
    # given: one invitation closing within the lead time, one whose window has closed
    site = SiteFactory(code="S01")
    nurse = user_with_role(Role.RESEARCH_NURSE, site=site)
    closing = with_email(epro_participant(nurse, site))
    invitation = invitation_issue(participant=closing, visit=month_3(closing), actor=nurse)[0]
    soon = timezone.now() + timedelta(hours=1)  # inside the worker's default 48 h lead time
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=soon)
    past = epro_participant(nurse, site)
    old = invitation_issue(participant=past, visit=month_3(past), actor=nurse)[0]
    Invitation.objects.filter(pk=old.pk).update(expires_at=timezone.now())
    # when: the task the beat schedule names is sent to the worker, twice
    assert settings.CELERY_BEAT_SCHEDULE["epro-reminders"]["task"] == invitation_reminders_task.name
    invitation_reminders_task.delay()
    # then: the past one is expired by the worker, with its audit row
    assert _wait(lambda: Invitation.objects.get(pk=old.pk).status == Invitation.Status.EXPIRED)
    assert AuditEvent.objects.filter(
        object_type="epro.invitation", object_id=str(old.pk), actor_username="system"
    ).exists()
    reminded = AuditEvent.objects.filter(object_id=str(invitation.pk), changes__has_key=REMINDED)
    assert _wait(reminded.exists)
    invitation_reminders_task.delay()
    assert _wait(
        lambda: (
            not Invitation.objects.filter(status="issued", expires_at__lte=timezone.now()).exists()
        )
    )
    time.sleep(2)  # the second run has had its time: still one reminder
    assert reminded.count() == 1
