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


# INCREMENTAL MAINTENANCE UNDER CONCURRENT WRITES (two and more PostgreSQL connections)
def _screened() -> int:
    from trial.models import DashboardSummary

    summary = DashboardSummary.objects.get(protocol_code=PROTOCOL_CODE)
    return sum(r["screened"] for r in summary.data["people"])


def _partitioned_state() -> tuple:
    from trial.models import DashboardPartition, DashboardSummary
    from trial.selectors.dashboard_partitions import PARTITIONED, totals_of

    summary = DashboardSummary.objects.get(protocol_code=PROTOCOL_CODE)
    parts = {
        (p.grain, p.start, p.site_id): totals_of([p.data]) for p in DashboardPartition.objects.all()
    }
    return totals_of([{k: summary.data[k] for k in PARTITIONED}]), parts


PROTOCOL_CODE = "snrb_peld"


def test_a_write_committed_during_a_refresh_is_counted_by_the_next(postgres, monkeypatch):
    import threading

    from django.db import connections

    from tests.factories import register_participant
    from trial.services import audit
    from trial.services.dashboard import dashboard_summary_refresh

    # given: a small trial and its summary
    actor = user_with_role(Role.STATISTICIAN, site=None)
    site = SiteFactory(code="S01")
    demo_allocation_list(actor=actor)
    demo_trial_load(actor=actor, site=site)
    dashboard_summary_refresh(protocol_code=PROTOCOL_CODE)
    assert _screened() == 6
    # when: another connection registers someone and holds its transaction open while
    # the summary is refreshed, then commits
    written, release, errors = threading.Event(), threading.Event(), []
    note = audit.dashboard_note_change

    def note_and_hold(obj, changes=None):  # the writer stops inside its transaction
        note(obj, changes)
        written.set()
        assert release.wait(30)

    def writer():
        try:
            register_participant(actor=actor, site=site)
        except Exception as exc:  # asserted on below
            errors.append(exc)
            written.set()
        finally:
            connections.close_all()

    monkeypatch.setattr(audit, "dashboard_note_change", note_and_hold)
    thread = threading.Thread(target=writer)
    thread.start()
    assert written.wait(30)
    dashboard_summary_refresh(protocol_code=PROTOCOL_CODE)  # does not wait for the writer
    during = _screened()
    release.set()
    thread.join(30)
    monkeypatch.undo()
    assert not errors
    # then: the refresh during the transaction did not see it; the next one counts it
    assert during == 6
    dashboard_summary_refresh(protocol_code=PROTOCOL_CODE)
    assert _screened() == 7


def test_concurrent_writes_and_refreshes_end_equal_to_a_rebuild(postgres):
    import threading

    from django.db import connections

    from tests.factories import register_participant
    from tests.unit.trial.test_dashboard import add_adverse_event
    from trial.services.dashboard import dashboard_summary_refresh
    from trial.services.participants import participant_end

    # given: a trial of two sites and its summary
    actor = user_with_role(Role.STATISTICIAN, site=None)
    sites = [SiteFactory(code="S01"), SiteFactory(code="S02")]
    demo_allocation_list(actor=actor)
    for site in sites:
        demo_trial_load(actor=actor, site=site)
    dashboard_summary_refresh(protocol_code=PROTOCOL_CODE)
    randomized = list(Participant.objects.filter(allocation__isnull=False).order_by("pk"))
    # when: three connections write (registrations on several days, adverse events, an
    # end of participation) while two others refresh the summary over and over
    done, errors = threading.Event(), []

    def run(work):
        try:
            work()
        except Exception as exc:  # asserted on below
            errors.append(exc)
        finally:
            connections.close_all()

    def registrations(site):
        from django.utils import timezone

        for back in range(0, 60, 7):
            register_participant(
                actor=actor,
                site=site,
                screening_date=timezone.localdate() - timezone.timedelta(days=back),
            )

    def events():
        for participant in randomized:
            add_adverse_event(actor, participant, serious=participant.pk % 2 == 0)
        participant_end(
            actor=actor, participant=randomized[0], status=Participant.Status.LOST,
            ended_date=randomized[0].screening_date, reason="no contact",
        )  # fmt: skip

    def refreshes():
        while not done.is_set():
            dashboard_summary_refresh(protocol_code=PROTOCOL_CODE)

    writers = [threading.Thread(target=run, args=(lambda s=s: registrations(s),)) for s in sites]
    writers.append(threading.Thread(target=run, args=(events,)))
    refreshers = [threading.Thread(target=run, args=(refreshes,)) for _i in range(2)]
    for thread in writers + refreshers:
        thread.start()
    for thread in writers:
        thread.join(120)
    done.set()
    for thread in refreshers:
        thread.join(120)
    assert not errors
    # then: one more refresh leaves exactly what a rebuild from scratch gives
    dashboard_summary_refresh(protocol_code=PROTOCOL_CODE)
    incremental = _partitioned_state()
    assert _screened() == Participant.objects.count() == 12 + 2 * 9
    dashboard_summary_refresh(protocol_code=PROTOCOL_CODE, rebuild=True)
    assert incremental == _partitioned_state()
