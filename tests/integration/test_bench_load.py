"""The benchmark's load driver against a live server: real logins, real audited saves."""

import pytest

from bench.load import User, form_save_action, page_action, run
from tests.factories import DEFAULT_PASSWORD, SiteFactory, allocated_participant, user_with_role
from trial.demo import assessment_day
from trial.models import AuditEvent, FormInstance, Role, Sf36Data

# PostgreSQL, as `make bench` runs: the driver's users save at the same time, and the test
# server over SQLite cannot take that. Its test database is in memory, so Django's live server
# hands the test's one SQLite connection to every request thread (pytest-django's LiveServer,
# like LiveServerTestCase); two concurrent saves then share one transaction state and the
# second is refused ("A durable atomic block cannot be nested", "cannot start a transaction
# within a transaction"). That is the test server only: runserver and gunicorn give each
# thread its own connection, and tests/integration/test_sqlite_concurrency.py proves
# concurrent saves on the SQLite demo's own server.
pytestmark = [
    pytest.mark.integration,
    pytest.mark.services("postgres"),
    pytest.mark.django_db(transaction=True),
]


def answer_sets() -> list[dict]:
    import scoring

    items = scoring.INSTRUMENTS["sf36"].items
    return [{i.id: i.allowed_values[k] for i in items} for k in (0, -1)]


def test_load_driver_saves_forms_and_loads_pages(live_server) -> None:
    # given two nurses of one site, each with a randomized participant
    site = SiteFactory()
    nurses = []
    for n in range(2):
        nurse = user_with_role(Role.RESEARCH_NURSE, site=site, username=f"bench-nurse-{n}")
        participant = allocated_participant(nurse, site)
        url = f"/participants/{participant.trial_id}/visits/admission/sf36/"
        day = assessment_day(participant, "admission").isoformat()  # inside the window
        nurses.append(
            User(nurse.username, DEFAULT_PASSWORD, [url], {url: {"assessment_date": day}})
        )
    # when both save their SF-36 for one second, then load the account page for one second
    saves = run(live_server.url, nurses, form_save_action(answer_sets()), name="save",
                duration=1.0)  # fmt: skip
    pages = run(live_server.url, nurses, page_action("/account/"), name="page", duration=0.5)
    # then every timed save went through the service: scored, audited, revision by revision
    assert saves.errors == []
    assert pages.errors == []
    summary = saves.summary()
    assert summary["requests"] >= 2
    assert summary["http_per_s"] == pytest.approx(2 * summary["throughput"], rel=0.01)
    assert summary["p50_ms"] <= summary["p95_ms"] <= summary["max_ms"]
    instances = FormInstance.objects.filter(form_code="sf36")
    assert instances.count() == 2
    for instance in instances:
        data = Sf36Data.objects.get(instance=instance)
        assert data.scores["pcs"] is not None
        assert instance.status == FormInstance.Status.COMPLETE
        audited = AuditEvent.objects.filter(object_type="trial.forminstance",
                                            object_id=str(instance.pk)).count()  # fmt: skip
        assert audited == instance.revision  # created at revision 1, then one row per change
    warm_up_saves = 2  # one untimed save per user before the clock starts
    assert sum(i.revision for i in instances) == summary["requests"] + warm_up_saves
    assert pages.summary()["requests"] >= 1


def test_a_refused_save_is_an_error_not_a_measurement(live_server) -> None:
    # given a nurse whose form URL is not a form of the protocol
    site = SiteFactory()
    nurse = user_with_role(Role.RESEARCH_NURSE, site=site, username="bench-nurse-x")
    participant = allocated_participant(nurse, site)
    url = f"/participants/{participant.trial_id}/visits/admission/no_such_form/"
    user = User(nurse.username, DEFAULT_PASSWORD, [url])
    # when the driver runs, nothing is timed and the failure is reported
    result = run(live_server.url, [user], form_save_action(answer_sets()), name="save",
                 duration=0.3)  # fmt: skip
    assert result.latencies == []
    assert "404" in result.errors[0]
