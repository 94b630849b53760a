"""The Celery application. Tasks live in the apps (``@shared_task``); config only wires."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="config.healthcheck_ping")
def healthcheck_ping(token: str) -> dict[str, str]:
    """Echo the token with the database this worker sees, to prove a real round trip."""
    from django.db import connection

    return {
        "token": token,
        "db_vendor": connection.vendor,
        "db_name": str(connection.settings_dict["NAME"]),
    }
