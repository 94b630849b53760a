"""Celery tasks of the report engine: thin wrappers around ``analysis.services``.

Results are not stored: each job's row (``ReportRun``, ``DatasetRelease``) holds its state.
"""

from celery import shared_task


@shared_task(bind=True, acks_late=True, ignore_result=True)
def report_run_execute_task(self, run_id: int) -> str:
    """Run the report ``run_id``; the service records success or the reason for failure."""
    from analysis.services import report_run_execute

    return report_run_execute(run_id=run_id).status


@shared_task(bind=True, acks_late=True, ignore_result=True)
def dataset_release_build_task(self, release_id: int) -> str:
    """Build the dataset release ``release_id``; the service records readiness or failure."""
    from analysis.releases.services import dataset_release_build

    return dataset_release_build(release_id=release_id).status


@shared_task(ignore_result=True)
def jobs_fail_stale_task() -> dict[str, list[int]]:
    """Fail jobs whose worker died whole or that no worker took (beat, every 5 minutes)."""
    from analysis.jobs import jobs_fail_stale

    return jobs_fail_stale()
