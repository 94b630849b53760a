"""Celery tasks of the import page: thin wrappers around ``imports.services``.

The service queues them by name (``analysis.jobs.job_send``) and never imports this module;
a task imports the service when it runs (worker start-up stays light; no import cycle).
"""

from celery import shared_task


@shared_task(bind=True, acks_late=True, ignore_result=True)
def import_check_task(self, job_id: int) -> str:
    """Dry-run the import ``job_id`` (nothing written); the service records the outcome."""
    from imports.services import import_run

    return import_run(job_id=job_id, dry_run=True).status


@shared_task(bind=True, acks_late=True, ignore_result=True)
def import_commit_task(self, job_id: int) -> str:
    """Import ``job_id`` in one transaction; the service records success or failure."""
    from imports.services import import_run

    return import_run(job_id=job_id, dry_run=False).status
