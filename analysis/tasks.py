"""Celery tasks of the report engine: thin wrappers around ``analysis.services``.

Results are not stored: each job's row (``ReportRun``, ``DatasetRelease``) holds its state.
Services queue these tasks by name (``analysis.jobs.job_send``) and never import this module.
Each task imports its service when it runs, not at import: that is no import cycle, it keeps
a worker's start-up free of pandas, SciPy and statsmodels until a job needs them.
"""

from celery import shared_task


@shared_task(bind=True, acks_late=True, ignore_result=True)
def report_run_execute_task(self, run_id: int) -> str:
    """Run the report ``run_id``; the service records success or the reason for failure."""
    from analysis.services import report_run_execute

    return report_run_execute(run_id=run_id).status


@shared_task(bind=True, acks_late=True, ignore_result=True)
def dataset_release_build_task(self, release_id: int) -> str:
    """Start the release workflow: extract once here, then one task per format and variant
    in parallel (a chord) whose callback publishes (docs/releases.md).

    The parts go to the queue this task came from, so whichever workers serve it share them.
    """
    from celery import chord

    from analysis.releases.services import release_extract

    staged = release_extract(release_id=release_id)
    if staged is None:
        return "not built"
    staging, parts = staged
    queue = (self.request.delivery_info or {}).get("routing_key")
    options = {"queue": queue} if queue else {}
    header = [
        dataset_release_part_task.signature((release_id, str(staging), variant, part), **options)
        for variant, part in parts
    ]
    body = dataset_release_publish_task.signature((release_id, str(staging)), **options)
    chord(header, body).apply_async(**options)
    return "extracted"


@shared_task(bind=True, acks_late=True)
def dataset_release_part_task(self, release_id: int, staging: str, variant: str, part: str) -> str:
    """Write one file format of one variant of a release (a chord member: its result counts)."""
    from pathlib import Path

    from analysis.releases.services import release_write_part

    return release_write_part(release_id=release_id, staging=Path(staging), variant=variant,
                              part=part)  # fmt: skip


@shared_task(bind=True, acks_late=True, ignore_result=True)
def dataset_release_publish_task(self, _results: list[str] | None, release_id: int,
                                 staging: str) -> str:  # fmt: skip
    """The chord's callback: manifests, zips and the atomic publish, then the row is ready."""
    from pathlib import Path

    from analysis.releases.services import release_publish

    return release_publish(release_id=release_id, staging=Path(staging)).status


@shared_task(ignore_result=True)
def jobs_fail_stale_task() -> dict[str, list[int]]:
    """Fail jobs whose worker died whole or that no worker took (beat, every 5 minutes)."""
    from analysis.jobs import jobs_fail_stale

    return jobs_fail_stale()
