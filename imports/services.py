"""The data manager's import: upload, mapping, dry run and commit (both as jobs).

The file is written to ``MEDIA_ROOT/imports`` as it arrives (its SHA-256 computed on the
way) and read back in chunks by each step, so a 50,000-row file is never held whole. Rows
go through ``api.imports.import_records``, the one import service (the API's too): the
dry run rolls back, the commit is one transaction; both save the rows 500 records at a time
as batches of the ordinary services and keep only the counts of what changed. Progress is
written to the cache while the transaction runs (the job row only changes when it ends);
the dry run counts the file's rows first (one streaming pass) for its percentage.
"""

import hashlib
import logging
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from analysis.checkpoints import job_checkpoint
from api.imports import ImportOptions, ImportOrigin, ImportRefused, import_records
from imports.mapping import Variable, auto_map, mapped_rows, variables
from imports.models import ImportJob
from imports.readers import UnreadableFile, file_format, iter_chunks, read_header
from jobs.lifecycle import job_claim, job_enqueue, job_fail, job_queued_fields
from trial.exceptions import TrialError
from trial.models import AuditEvent
from trial.permissions import Action, is_blinded, may
from trial.services.audit import audit_record
from trial.services.locks import DB, database_state

log = logging.getLogger(__name__)
CHUNK = 2000
MAX_PROBLEMS = 1000  # kept on the job for the page; the count is always complete
S = ImportJob.Status


def import_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / "imports"


def import_path(job: ImportJob) -> Path:
    return import_dir() / job.stored_name


def _check_allowed(actor: Any, protocol_code: str) -> None:
    if not may(actor, protocol_code, Action.IMPORT_DATA):
        raise TrialError(_("You may not import data."), code="import_not_allowed")
    if database_state(protocol_code) != DB.OPEN:
        raise TrialError(
            _("The database is frozen or locked: nothing can be imported."), code="database_closed"
        )


def _store(upload: Any, fmt: str) -> tuple[str, str, int]:
    """Write the upload to disk chunk by chunk; return (stored name, SHA-256, size)."""
    import_dir().mkdir(parents=True, exist_ok=True)
    name, digest, size = f"{uuid.uuid4().hex}.{fmt}", hashlib.sha256(), 0
    with (import_dir() / name).open("wb") as out:
        for piece in upload.chunks():
            digest.update(piece)
            size += len(piece)
            out.write(piece)
    return name, digest.hexdigest(), size


def _header(path: Path, fmt: str) -> list[str]:
    try:
        header = read_header(path, fmt)
    except UnreadableFile as exc:
        path.unlink(missing_ok=True)
        raise TrialError(
            _("The file cannot be read as %(format)s.") % {"format": fmt.upper()},
            code="import_unreadable",
        ) from exc
    if len(set(header)) != len(header) or "" in header:
        path.unlink(missing_ok=True)
        raise TrialError(
            _("Every column needs a name, and no name may appear twice."),
            code="import_bad_header",
        )
    return header


@transaction.atomic(durable=True)
def import_upload(*, actor: Any, protocol_code: str, upload: Any) -> ImportJob:
    """Store an uploaded CSV/XLSX/.sav file for the trial and match its columns to its
    variables."""
    _check_allowed(actor, protocol_code)
    fmt = file_format(upload.name)
    if fmt is None:
        raise TrialError(_("Upload a CSV, XLSX or SPSS .sav file."), code="import_unknown_format")
    stored, checksum, size = _store(upload, fmt)
    header = _header(import_dir() / stored, fmt)
    job = ImportJob.objects.create(
        protocol_code=protocol_code,
        created_by=actor,
        file_name=upload.name[:200],
        file_format=fmt,
        stored_name=stored,
        file_checksum=checksum,
        file_size=size,
        header=header,
        mapping=auto_map(
            header, variables(protocol_code, blinded=is_blinded(actor, protocol_code))
        ),
    )
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        obj=job,
        changes={"file_name": (None, job.file_name), "file_checksum": (None, checksum),
                 "file_size": (None, size)},
    )  # fmt: skip
    return job


def import_set_mapping(*, actor: Any, job: ImportJob, mapping: dict[str, str]) -> ImportJob:
    """Replace the column mapping (a dry run must follow before committing)."""
    code = job.protocol_code
    _check_allowed(actor, code)
    known = variables(code, blinded=is_blinded(actor, code))
    targets = [t for t in mapping.values() if t]
    if any(t not in known for t in targets) or len(set(targets)) != len(targets):
        raise TrialError(_("Each variable may receive one column only."), code="import_bad_mapping")
    if job.is_busy or job.status == S.SUCCEEDED:
        raise TrialError(_("This import can no longer be changed."), code="import_finished")
    job.mapping = {column: mapping.get(column, "") for column in job.header}
    job.status = S.UPLOADED
    job.save(update_fields=["mapping", "status"])
    return job


def _start(job: ImportJob, status: str, task_name: str) -> ImportJob:
    updated = (
        ImportJob.objects.filter(pk=job.pk)
        .exclude(status__in=[S.CHECKING, S.QUEUED, S.RUNNING, S.SUCCEEDED])
        .update(status=status, progress=0, **job_queued_fields())
    )
    if not updated:
        raise TrialError(_("This import is already running or done."), code="import_busy")
    transaction.on_commit(lambda: _enqueue(job.pk, task_name))
    job.refresh_from_db()
    return job


def import_check_start(*, actor: Any, job: ImportJob) -> ImportJob:
    """Queue the dry run: every row checked by the import service, nothing written."""
    _check_allowed(actor, job.protocol_code)
    return _start(job, S.CHECKING, "import_check_task")


def import_commit_start(
    *, actor: Any, job: ImportJob, reason: str, accept_warnings: bool
) -> ImportJob:
    """Queue the commit of a clean dry run made with the current mapping."""
    _check_allowed(actor, job.protocol_code)
    if job.status != S.CHECKED or job.problem_count or job.checked_mapping != job.mapping:
        raise TrialError(
            _("Run a dry run without errors before importing."), code="import_not_checked"
        )
    ImportJob.objects.filter(pk=job.pk).update(reason=reason, accept_warnings=accept_warnings)
    return _start(job, S.QUEUED, "import_commit_task")


def _enqueue(job_id: int, task_name: str) -> None:
    job_enqueue(ImportJob, job_id, f"imports.tasks.{task_name}", job_id)


def import_fail(*, job_id: int, reason: str) -> ImportJob:
    """Mark the job failed with ``reason`` (shown on the page)."""
    return job_fail(ImportJob, job_id, reason)


def progress_key(job_id: int) -> str:
    return f"import-job:{job_id}:progress"


def import_progress(job: ImportJob) -> int:
    """Return the job's progress in percent (from the cache while it runs)."""
    if job.status in (S.CHECKING, S.RUNNING):
        return int(cache.get(progress_key(job.pk)) or 0)
    return job.progress


def _rows(job: ImportJob, known: dict[str, Variable]) -> Iterator[dict[str, str]]:
    for _line, chunk in iter_chunks(import_path(job), job.file_format, size=CHUNK):
        yield from mapped_rows(job.header, chunk, job.mapping, known)


def _summary(result: Any) -> dict[str, Any]:
    return {"rows": result.rows, "records": len(result.records), "created": result.created(),
            "forms": dict(result.counts)}  # fmt: skip


def _count_rows(job: ImportJob) -> int:
    """Count the file's data rows (one streaming pass) for the dry run's progress."""
    return sum(len(chunk) for _line, chunk in iter_chunks(import_path(job), job.file_format,
                                                          size=CHUNK))  # fmt: skip


def import_run(*, job_id: int, dry_run: bool) -> ImportJob:
    """The worker's body: read the file in chunks, run the import service, record the end."""
    running = S.CHECKING if dry_run else S.RUNNING
    waiting = (S.CHECKING,) if dry_run else (S.QUEUED, S.RUNNING)
    job = job_claim(ImportJob, job_id, waiting=waiting, running=running)
    if job.status != running:
        return job  # cancelled, failed, done meanwhile, or its attempts are used up
    job_checkpoint(f"import-{job_id}-claimed")
    key, shown = progress_key(job_id), [-1]

    def progress(done: int, total: int) -> None:  # one cache write per percent, not per row
        percent = int(100 * done / max(total, 1))
        if percent != shown[0]:
            shown[0] = percent
            cache.set(key, percent, timeout=3600)

    origin = ImportOrigin(call=f"page job {job_id}", file_sha256=job.file_checksum,
                          file_name=job.file_name)  # fmt: skip
    options = ImportOptions(accept_warnings=job.accept_warnings, reason=job.reason)
    try:
        total = job.rows if not dry_run and job.rows else _count_rows(job)
        with translation.override(job.language):
            result = import_records(
                protocol_code=job.protocol_code, user=job.created_by,
                rows=_rows(job, variables(job.protocol_code,
                                          blinded=is_blinded(job.created_by, job.protocol_code))),
                options=options, origin=origin, dry_run=dry_run, progress=progress,
                total_rows=total, keep_changes=False,
            )  # fmt: skip
    except (ImportRefused, TrialError, UnreadableFile) as exc:
        return import_fail(job_id=job_id, reason=str(getattr(exc, "message", exc)))
    with translation.override(job.language):
        return _finish(job, result, dry_run)


def _finish(job: ImportJob, result: Any, dry_run: bool) -> ImportJob:
    errors = [e.as_dict() for e in result.errors]
    if dry_run:
        status = S.CHECKED
    else:
        status = S.SUCCEEDED if result.committed else S.FAILED
    ImportJob.objects.filter(pk=job.pk).update(
        status=status,
        rows=result.rows,
        summary=_summary(result),
        problems=errors[:MAX_PROBLEMS],
        problem_count=len(errors),
        checked_mapping=job.mapping,
        progress=100,
        finished_at=timezone.now(),
        error="" if status != S.FAILED else _("Nothing was imported: the rows have errors."),
    )
    return ImportJob.objects.get(pk=job.pk)
