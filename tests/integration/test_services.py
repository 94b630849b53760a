"""The real services: PostgreSQL, Redis and a Celery worker."""

import os
import uuid

import pytest
from django.db import connection

pytestmark = pytest.mark.integration


@pytest.mark.django_db
@pytest.mark.services("postgres")
def test_ci_really_runs_on_postgresql():
    # In CI (EDC_REQUIRE_SERVICES=1) the suite must run on PostgreSQL, never SQLite.
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        assert int(cursor.fetchone()[0]) >= 150000
    assert connection.Database.__name__ == "psycopg"  # psycopg 3, not psycopg2


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_round_trips_a_task_on_the_test_database(celery_worker, settings):
    # given
    from config.celery import healthcheck_ping

    token = uuid.uuid4().hex
    # when
    result = healthcheck_ping.delay(token).get(timeout=30)
    # then: the answer came from another process that sees the same database
    assert result == {
        "token": token,
        "db_vendor": "postgresql",
        "db_name": connection.settings_dict["NAME"],
    }
    assert celery_worker.poll() is None


@pytest.mark.django_db
def test_healthz_reports_database_and_broker_up(client, redis_url):
    body = client.get("/healthz").json()
    assert body["database"]["status"] == "up"
    assert body["broker"]["status"] == "up"
    assert body["status"] == "ok"


@pytest.mark.django_db
def test_healthz_says_degraded_when_the_broker_is_unreachable(client, settings, monkeypatch):
    # given: a broker address where nothing listens
    from config.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = False
    monkeypatch.setattr(app.conf, "broker_url", "redis://127.0.0.1:1/0")
    # when
    response = client.get("/healthz")
    # then: still 200 (data entry works), but the queue is reported down
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["broker"]["status"] == "down"


def test_redis_url_is_used_by_celery(redis_url):
    from config.celery import app

    assert app.conf.broker_url == os.environ["REDIS_URL"]
