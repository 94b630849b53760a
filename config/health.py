"""``/healthz``: database and job-queue state as JSON, for load balancers and operators."""

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .celery import app as celery_app


def _database_state() -> dict[str, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means "down"; the message says which
        return {"status": "down", "vendor": connection.vendor, "error": exc.__class__.__name__}
    return {"status": "up", "vendor": connection.vendor}


def _broker_state() -> dict[str, str]:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return {"status": "eager"}
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
    except Exception as exc:
        return {"status": "down", "error": exc.__class__.__name__}
    return {"status": "up"}


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    database, broker = _database_state(), _broker_state()
    if database["status"] != "up":
        overall, code = "error", 503
    elif broker["status"] == "down":
        overall, code = "degraded", 200  # data entry works without the job queue
    else:
        overall, code = "ok", 200
    return JsonResponse({"status": overall, "database": database, "broker": broker}, status=code)
