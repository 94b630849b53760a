from celery import shared_task
from django.conf import settings

from trial.services.dashboard import dashboard_summary_refresh
from trial.services.edit_checks import edit_checks_run_all


@shared_task(acks_late=True)
def edit_checks_run_all_task() -> dict[str, int]:
    """Nightly: re-run every edit check over all data (see the service)."""
    return edit_checks_run_all()


@shared_task(ignore_result=True, expires=120)
def dashboard_summary_refresh_task() -> int:
    """Every minute: recompute the dashboard summary of the configured protocol."""
    return dashboard_summary_refresh(protocol_code=settings.EDC_PROTOCOL).duration_ms
