"""The dashboard summary is refreshed by a real Celery worker (Redis, PostgreSQL)."""

import time

import pytest

from tests.factories import SiteFactory, user_with_role
from trial.demo import demo_allocation_list, demo_trial_load
from trial.models import DashboardSummary, Participant, Role
from trial.tasks import dashboard_summary_refresh_task

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_the_beat_task_refreshes_the_summary_through_a_worker(celery_worker, settings):
    # given: a small trial and no summary yet
    actor = user_with_role(Role.STATISTICIAN, site=None)
    site = SiteFactory(code="S01")
    demo_allocation_list(actor=actor)
    demo_trial_load(actor=actor, site=site)
    assert not DashboardSummary.objects.exists()
    # when: the task the beat schedule names is sent to the worker
    schedule = settings.CELERY_BEAT_SCHEDULE["dashboard-summary"]
    assert schedule["task"] == dashboard_summary_refresh_task.name
    dashboard_summary_refresh_task.delay()
    # then: the worker stores the summary, counting every participant
    deadline = time.monotonic() + 60
    while not DashboardSummary.objects.exists() and time.monotonic() < deadline:
        time.sleep(0.3)
    summary = DashboardSummary.objects.get(protocol_code=settings.EDC_PROTOCOL)
    screened = sum(r["screened"] for r in summary.data["people"])
    assert screened == Participant.objects.count() == 6
