from celery import shared_task


@shared_task(acks_late=True)
def edit_checks_run_all_task() -> dict[str, int]:
    """Nightly: re-run every edit check over all data (see the service)."""
    from trial.services.edit_checks import edit_checks_run_all

    return edit_checks_run_all()
