"""The database connection is lost in the middle of a form save (over HTTP).

The connection of the request is terminated from another connection
(``pg_terminate_backend``) after the form's data row has been written and before its audit
row, i.e. inside ``crf_save``'s transaction. The user gets a translated 503 page saying
that nothing was saved; the database holds no trace of the save; submitting again works.
"""

from __future__ import annotations

from decimal import Decimal

import psycopg
import pytest
from django.db import connection
from django.urls import reverse
from django.utils import translation

import trial.services.crfs as crfs_service
from tests.factories import SiteFactory, allocated_participant, user_with_role
from trial.demo import assessment_day
from trial.models import AuditEvent, FormInstance, PainVasData, Query, Role, Visit
from trial.services.crfs import crf_save

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def t(language: str, message: str) -> str:
    with translation.override(language):
        return translation.gettext(message)


def terminate_own_backend() -> None:
    """Kill this process's database session from a second, independent connection."""
    pid = connection.connection.info.backend_pid
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as killer:
        killer.execute("SELECT pg_terminate_backend(%s)", [pid])


def snapshot(participant) -> dict:
    return {
        "instances": list(
            FormInstance.objects.filter(participant=participant).values().order_by("pk")
        ),
        "vas": list(PainVasData.objects.values().order_by("pk")),
        "audit": list(AuditEvent.objects.values_list("pk", flat=True).order_by("pk")),
        "queries": Query.objects.count(),
    }


@pytest.fixture
def vas_in_progress(postgres):
    """A nurse, and a participant whose pre-op VAS was saved in progress (leg 7.5)."""
    site = SiteFactory()
    nurse = user_with_role(Role.RESEARCH_NURSE, site=site)
    participant = allocated_participant(nurse, site)
    visit = Visit.objects.get(participant=participant, code="preop")
    answers = {"leg_vas": Decimal("7.5"), "back_vas": Decimal("3.0")}
    crf_save(actor=nurse, participant=participant, form_code="vas", visit=visit,
             complete=False, answers=answers)  # fmt: skip
    return nurse, participant, visit


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.requirement("JOB-004")
def test_connection_lost_mid_save_changes_nothing_and_says_so(
    vas_in_progress, client, monkeypatch, language
) -> None:
    # given a nurse editing the in-progress pre-op VAS form
    nurse, participant, visit = vas_in_progress
    client.force_login(nurse)
    url = reverse("trial:crf-entry", args=[participant.trial_id, visit.code, "vas"])
    instance = FormInstance.objects.get(participant=participant, form_code="vas")
    before = snapshot(participant)
    day = assessment_day(participant, visit.code).isoformat()  # inside the visit's window
    post = {"leg_vas": "2.0", "back_vas": "1.0", "assessment_date": day,
            "revision": instance.revision, "complete": "1"}  # fmt: skip
    # and a database that goes away after the data row is written, before the audit row
    real_audit_record = crfs_service.audit_record
    written = {}

    def audit_after_losing_the_connection(**kwargs):
        written["leg_vas"] = PainVasData.objects.get(instance=instance).leg_vas  # in the txn
        terminate_own_backend()
        return real_audit_record(**kwargs)

    monkeypatch.setattr(crfs_service, "audit_record", audit_after_losing_the_connection)
    # when the nurse saves the form as complete
    response = client.post(url, post, HTTP_ACCEPT_LANGUAGE=language)
    # then the save had reached the middle of its transaction ...
    assert written["leg_vas"] == Decimal("2.0")
    # ... and the user is told, in her language, that nothing was saved and to retry
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    body = response.content.decode()
    assert 'data-testid="database-unavailable"' in body
    assert t(language, "The database is unavailable") in body
    assert t(language, "Try again") in body
    assert f'lang="{language}"' in body
    # and the database holds no partial write: form, data row, audit rows, queries
    connection.close()
    assert snapshot(participant) == before
    assert PainVasData.objects.get(instance=instance).leg_vas == Decimal("7.5")
    # and once the database is back, the same submission saves and is audited
    monkeypatch.setattr(crfs_service, "audit_record", real_audit_record)
    response = client.post(url, post, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 302
    instance.refresh_from_db()
    assert instance.status == FormInstance.Status.COMPLETE
    assert PainVasData.objects.get(instance=instance).leg_vas == Decimal("2.0")
    (audit,) = AuditEvent.objects.filter(
        object_type="trial.forminstance", object_id=str(instance.pk)
    ).exclude(pk__in=before["audit"])
    assert audit.changes["leg_vas"] == ["7.5", "2.0"]


def test_other_database_errors_are_not_reported_as_an_outage() -> None:
    # given a view that fails with an integrity error (a bug, not an outage)
    from django.db import IntegrityError

    from config.middleware import DatabaseUnavailableMiddleware

    middleware = DatabaseUnavailableMiddleware(lambda request: None)
    # then the middleware leaves it to the normal error handling
    assert middleware.process_exception(None, IntegrityError("duplicate key")) is None


class Browser:
    """A minimal HTTP client for the gunicorn server: cookies, CSRF token, no redirects."""

    def __init__(self, base: str, cookies: dict[str, str], language: str) -> None:
        self.base, self.cookies, self.language = base, dict(cookies), language

    def request(self, path: str, data: dict | None = None) -> tuple[int, str]:
        import urllib.error
        import urllib.parse
        import urllib.request

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body, headers={
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
            "Accept-Language": self.language, "Referer": self.base + path,
        })  # fmt: skip
        opener = urllib.request.build_opener(NoRedirect)
        try:
            response = opener.open(req, timeout=30)
        except urllib.error.HTTPError as error:
            response = error
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        return response.status, response.read().decode()


@pytest.mark.requirement("JOB-004")
def test_database_down_for_the_whole_server_answers_503_then_recovers(
    vas_in_progress, client, database_proxy, web_server
) -> None:
    # given a nurse logged in on a real server whose database is reached through a proxy
    nurse, participant, visit = vas_in_progress
    client.force_login(nurse)
    browser = Browser(web_server, {"sessionid": client.cookies["sessionid"].value}, "zh-hans")
    path = reverse("trial:crf-entry", args=[participant.trial_id, visit.code, "vas"])
    status, page = browser.request(path)
    assert status == 200
    token = page.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    instance = FormInstance.objects.get(participant=participant, form_code="vas")
    day = assessment_day(participant, visit.code).isoformat()  # inside the visit's window
    post = {"csrfmiddlewaretoken": token, "leg_vas": "1.5", "back_vas": "1.0",
            "assessment_date": day, "revision": instance.revision, "complete": "1"}  # fmt: skip
    before = snapshot(participant)
    # when the database goes away for the server
    database_proxy.cut()
    # then pages and saves answer 503 with the translated page, and nothing is written
    for status, body in (browser.request(path), browser.request(path, post)):
        assert status == 503
        assert 'data-testid="database-unavailable"' in body
        assert t("zh-hans", "The database is unavailable") in body
    assert snapshot(participant) == before
    assert browser.request("/healthz")[0] == 503
    # and once it is back the same session saves the form (the cookie was kept)
    database_proxy.restore()
    status, _ = browser.request(path, post)
    assert status == 302
    assert PainVasData.objects.get(instance=instance).leg_vas == Decimal("1.5")


def test_a_database_failure_outside_a_view_also_gets_the_503_page(rf) -> None:
    from django.db import OperationalError

    from config.middleware import server_error

    # given the handler500 Django calls for an exception raised outside a view
    request = rf.get("/participants/")
    try:
        raise OperationalError("server closed the connection unexpectedly")
    except OperationalError:
        outage = server_error(request)
    try:
        raise ValueError("a bug")
    except ValueError:
        bug = server_error(request)
    # then a database failure is a 503 "nothing was saved", anything else the usual 500
    assert outage.status_code == 503
    assert b'data-testid="database-unavailable"' in outage.content
    assert bug.status_code == 500
