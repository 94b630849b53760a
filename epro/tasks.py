from celery import shared_task

from epro.notify import invitation_reminders_run


@shared_task(ignore_result=True, expires=600)
def invitation_reminders_task() -> dict[str, int]:
    """Every EDC_EPRO_REMINDER_EVERY_MINUTES: expire past invitations, send due reminders."""
    return invitation_reminders_run()
