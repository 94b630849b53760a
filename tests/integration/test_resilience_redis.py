"""Redis (cache, job queue, results) goes down: data entry keeps working, job pages say so.

Policy: a report or release requested while the queue is down is recorded as failed with
the reason "the job queue is unavailable" (never left queued), and can be started again
once the queue is back.
"""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import translation

from analysis.models import DatasetRelease, ReportRun
from jobs.lifecycle import job_queue_available
from tests.factories import DEFAULT_PASSWORD, SiteFactory, allocated_participant, user_with_role
from trial.demo import assessment_day
from trial.models import AuditEvent, FormInstance, PainVasData, Role

# A queue that can go down: REDIS_URL configures Celery with a broker (without it, tasks run
# eagerly in-process and there is no queue); the test then moves it to a Redis of its own.
pytestmark = [
    pytest.mark.integration,
    pytest.mark.services("redis"),
    pytest.mark.django_db(transaction=True),
]

QUEUE_DOWN = (
    "The job queue is unavailable, so new jobs cannot start now. Data entry is not affected. "
    "A job started now is marked failed with the reason; start it again once the queue is back."
)


def t(language: str, message: str) -> str:
    with translation.override(language):
        return translation.gettext(message)


def log_in(client, user) -> None:
    response = client.post(
        reverse("accounts:login"), {"username": user.username, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 302, response.content[:500]


@pytest.mark.requirement("JOB-004")
def test_data_entry_keeps_working_while_redis_is_down(redis_to_stop, client) -> None:
    # given a nurse, a participant, and a cache that really uses the private Redis
    site = SiteFactory()
    nurse = user_with_role(Role.RESEARCH_NURSE, site=site)
    participant = allocated_participant(nurse, site)
    cache.set("resilience-probe", 1)
    assert cache.get("resilience-probe") == 1
    assert job_queue_available()
    assert client.get(reverse("accounts:login")).status_code == 200  # URLs imported: warm
    # when Redis stops
    redis_to_stop.stop()
    # then the cache misses instead of failing, and the queue is reported down
    assert cache.get("resilience-probe") is None
    assert not job_queue_available()
    # and the nurse logs in, opens the participant and saves a form, all audited
    started = time.monotonic()
    log_in(client, nurse)
    detail = client.get(reverse("trial:participant-detail", args=[participant.trial_id]))
    assert detail.status_code == 200
    url = reverse("trial:crf-entry", args=[participant.trial_id, "preop", "vas"])
    assert client.get(url).status_code == 200
    day = assessment_day(participant, "preop").isoformat()  # inside the visit's window
    response = client.post(
        url,
        {"leg_vas": "6.5", "back_vas": "2.0", "assessment_date": day, "revision": 0,
         "complete": "1"},
    )  # fmt: skip
    assert response.status_code == 302
    elapsed = time.monotonic() - started
    instance = FormInstance.objects.get(participant=participant, form_code="vas")
    assert instance.status == FormInstance.Status.COMPLETE
    assert PainVasData.objects.get(instance=instance).leg_vas == 6.5
    assert AuditEvent.objects.filter(object_id=str(instance.pk), action="create").exists()
    assert elapsed < 10, f"data entry took {elapsed:.1f} s without Redis"


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.requirement("JOB-004")
def test_job_pages_say_the_queue_is_unavailable_and_jobs_fail_with_the_reason(
    redis_to_stop, client, language
) -> None:
    # given a data manager (who may also run reports) and a stopped Redis
    manager = user_with_role(Role.DATA_MANAGER, site=None)
    statistician = user_with_role(Role.STATISTICIAN, site=None)
    redis_to_stop.stop()
    headers = {"HTTP_ACCEPT_LANGUAGE": language}
    # when the statistician opens the reports page
    log_in(client, statistician)
    page = client.get(reverse("analysis:report-list"), **headers)
    # then it loads and says, in her language, that the job queue is unavailable
    assert page.status_code == 200
    assert 'data-testid="queue-unavailable"' in page.content.decode()
    assert t(language, QUEUE_DOWN) in page.content.decode()
    # and a report she starts is recorded as failed with that reason, not left queued
    started = time.monotonic()
    response = client.post(reverse("analysis:report-list"),
                           {"population": "itt", "mode": "correct"}, **headers)  # fmt: skip
    elapsed = time.monotonic() - started
    assert elapsed < 5, f"starting a report took {elapsed:.1f} s with the queue down"
    run = ReportRun.objects.get()
    assert response.url == reverse("analysis:report-detail", args=[run.pk])
    assert run.status == ReportRun.Status.FAILED
    with translation.override(language):
        expected = translation.gettext("The job queue is unavailable: %(error)s") % {"error": ""}
    assert run.error.startswith(expected)
    detail = client.get(response.url, **headers).content.decode()
    assert 'data-testid="report-error"' in detail
    assert 'data-testid="report-rerun"' in detail
    # and the same for a data cut declared by the data manager: failed, nothing built
    client.logout()
    log_in(client, manager)
    page = client.get(reverse("releases:release-list"), **headers)
    assert t(language, QUEUE_DOWN) in page.content.decode()
    client.post(reverse("releases:release-list"), {"reason": "interim"}, **headers)
    release = DatasetRelease.objects.get()
    assert release.status == DatasetRelease.Status.FAILED
    assert release.error.startswith(expected)
    assert release.archive == ""


def test_healthz_reports_the_queue_down_but_the_service_up(redis_to_stop, client) -> None:
    redis_to_stop.stop()
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["database"]["status"] == "up"
    assert body["broker"]["status"] == "down"
