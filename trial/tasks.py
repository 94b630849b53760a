from celery import shared_task

from trial.protocol import protocols
from trial.services.dashboard import dashboard_summary_refresh
from trial.services.edit_checks import edit_checks_run_all


@shared_task(acks_late=True)
def edit_checks_run_all_task() -> dict[str, int]:
    """Nightly: re-run every edit check over all data of every trial (see the service)."""
    return edit_checks_run_all()


@shared_task(ignore_result=True, expires=120)
def dashboard_summary_refresh_task() -> dict[str, int]:
    """Every minute: recompute the dashboard summary of every trial the instance runs.

    Returns the milliseconds each trial's refresh took, by protocol code."""
    return {
        protocol.code: dashboard_summary_refresh(protocol_code=protocol.code).duration_ms
        for protocol in protocols()
    }
