"""Dataset releases: declare a data cut (queue), build (worker), fail, download (audited).

A release row is created with the next version number under a table lock, the build runs in
the Celery worker (or in-process for ``manage.py release_create``), and the files are
published atomically by ``analysis.releases.builder``. A ready release is never changed.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from analysis.datasets.builders import Dataset, dataset_build
from analysis.datasets.sql import NoSqlForColumns, copy_dataset_csv, copy_supported
from analysis.models import DatasetRelease
from analysis.releases.builder import (
    EXTRACT,
    release_discard_unpublished,
    release_unpublish,
    stage_extract,
    stage_part,
    stage_publish,
    staged_metas,
    staging_open,
)
from analysis.services import json_safe, software_versions
from analysis.trial_plans import get_plan
from jobs.lifecycle import (
    attempts_exhausted_reason,
    job_claim,
    job_enqueue,
    job_fail,
    job_queued_fields,
)
from trial.models import AuditEvent
from trial.protocol import get_protocol
from trial.services.audit import audit_record
from trial.services.locks import database_state
from validation.evidence import evidence_record

log = logging.getLogger(__name__)
S = DatasetRelease.Status


class ReleaseError(ValueError):
    """A release cannot be declared or downloaded; ``code`` is stable, the message translated."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _lock_releases() -> None:
    """Serialize version numbering: concurrent cuts wait instead of colliding."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            table = DatasetRelease._meta.db_table
            cursor.execute(f'LOCK TABLE "{table}" IN SHARE ROW EXCLUSIVE MODE')


def dataset_release_declare(
    *,
    actor: Any,
    protocol_code: str,
    reason: str,
    population: str = "itt",
    enqueue: bool = True,
) -> DatasetRelease:
    """Record a data cut of the trial as its next release version and queue its build on
    commit.

    A cut declared while the database is locked is recorded as a database-lock release.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ReleaseError("reason_required", _("A data cut needs a reason."))
    if population not in ("itt", "pp"):
        raise ReleaseError("unknown_population", _("Unknown population."))
    authenticated = getattr(actor, "is_authenticated", False)
    with transaction.atomic():
        _lock_releases()
        latest = DatasetRelease.objects.filter(protocol_code=protocol_code).aggregate(
            v=Max("version"))["v"]  # fmt: skip
        release = DatasetRelease.objects.create(
            protocol_code=protocol_code, version=(latest or 0) + 1, reason=reason,
            cut_at=timezone.now(), population=population,
            kind=DatasetRelease.Kind.LOCK if database_state(protocol_code) == "locked"
            else DatasetRelease.Kind.DATA_CUT,
            created_by=actor if authenticated else None,
            created_by_name=actor.get_username() if authenticated else str(actor or ""),
            progress_message=_("Waiting for a worker"), queued_at=timezone.now(),
        )  # fmt: skip
        audit_record(actor=actor if authenticated else None, action=AuditEvent.Action.EXPORT,
                     obj=release, reason=reason, changes={"version": (None, release.version)},
                     actor_username="" if authenticated else str(actor or ""))  # fmt: skip
        if enqueue:
            transaction.on_commit(lambda: _enqueue(release.pk))
    release.refresh_from_db()
    return release


def dataset_release_retry(*, actor: Any, release_id: int) -> DatasetRelease:
    """Queue a failed release again under its version, cut now (audited).

    Versions stay gap-free; the files are built from the data as they are at the new cut.
    """
    with transaction.atomic():
        release = DatasetRelease.objects.select_for_update().get(pk=release_id)
        if release.status != S.FAILED:
            raise ReleaseError("not_failed", _("Only a failed release can be built again."))
        old_cut, old_error = release.cut_at, release.error
        queued = job_queued_fields()
        for name, value in queued.items():
            setattr(release, name, value)
        release.status, release.cut_at = S.QUEUED, timezone.now()
        release.progress_message = _("Waiting for a worker")
        release.save(update_fields=["status", "cut_at", "progress_message", *queued])
        audit_record(actor=actor, action=AuditEvent.Action.EXPORT, obj=release,
                     reason=_("Build again after a failure: %(error)s") % {"error": old_error},
                     changes={"status": (S.FAILED, S.QUEUED),
                              "cut_at": (old_cut, release.cut_at)})  # fmt: skip
        transaction.on_commit(lambda: _enqueue(release.pk))
    release.refresh_from_db()
    return release


def _enqueue(release_id: int) -> None:
    job_enqueue(DatasetRelease, release_id, "analysis.tasks.dataset_release_build_task", release_id)


def dataset_release_fail(*, release_id: int, reason: str) -> DatasetRelease:
    """Mark the release failed with ``reason`` (a ready release is never touched)."""
    return job_fail(DatasetRelease, release_id, reason)


def _previous(release: DatasetRelease) -> DatasetRelease | None:
    return (
        DatasetRelease.objects.filter(
            protocol_code=release.protocol_code, status=S.READY, version__lt=release.version
        )
        .order_by("-version")
        .first()
    )


def _meta(release: DatasetRelease, data: Any, previous: DatasetRelease | None) -> dict[str, Any]:
    protocol = get_protocol(release.protocol_code)
    software = software_versions()
    return json_safe({
        "title": f"{protocol.code} dataset release v{release.version}",
        "protocol": protocol.code, "protocol_version": protocol.version,
        "version": release.version, "kind": release.kind, "reason": release.reason,
        "cut_at": release.cut_at.isoformat(), "population": release.population,
        "n": len(data.wide), "data_checksum": data.checksum,
        "previous": previous.version if previous else None,
        "created_at": timezone.now().isoformat(timespec="seconds"),
        "file_oid": f"{protocol.code}.release.v{release.version}",
        "software": software, "scorer_versions": data.scorer_versions,
        "validation_evidence": evidence_record(commit=software["git_commit"]),
    })  # fmt: skip


def _claim(release_id: int) -> DatasetRelease:
    """Start one more build attempt (``jobs.lifecycle.job_claim``)."""
    return job_claim(DatasetRelease, release_id, waiting=(S.QUEUED, S.BUILDING),
                     running=S.BUILDING, progress_message=_("Building the files"))  # fmt: skip


def release_extract(*, release_id: int) -> tuple[Path, list[tuple[str, str]]] | None:
    """First step of a build: claim the release, read the data once, stage the extract.

    Returns the staging folder and the parts still to write, or None when there is nothing
    to build (already finished, attempts used up, or failed: the reason is recorded).
    """
    release = _claim(release_id)
    if release.status != S.BUILDING:
        return None  # finished, or failed for good: a redelivered task never rebuilds it
    media_root = Path(settings.MEDIA_ROOT)
    if release.attempts > 1:  # an earlier attempt died with its worker: drop its leftovers
        release_discard_unpublished(
            media_root, release.protocol_code, release.version, release.cut_at.isoformat()
        )
    staging = None
    try:
        previous = _previous(release)
        staging = staging_open(media_root, release.protocol_code, release.version)
        data = _extract(release, staging)
        meta = _meta(release, data, previous)
        parts = stage_extract(
            staging, data=data, protocol=get_protocol(release.protocol_code), meta=meta,
            previous=media_root / previous.folder if previous else None,
        )  # fmt: skip
    except Exception as exc:
        log.exception("release %s failed", release_id)
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        dataset_release_fail(release_id=release_id, reason=f"{type(exc).__name__}: {exc}")
        return None
    return staging, parts


def _extract(release: DatasetRelease, staging: Path) -> Dataset:
    """Read the data once: the frames, and on PostgreSQL the wide and long CSVs shaped and
    formatted by the database (``analysis.datasets.sql``), both from one snapshot."""
    plan = get_plan(release.protocol_code)
    if not copy_supported():
        return dataset_build(plan=plan, population=release.population)
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost:
            with connection.cursor() as cursor:  # one snapshot for every read below
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        folder = staging / EXTRACT
        folder.mkdir(exist_ok=True)
        try:
            copy_dataset_csv(plan=plan, population=release.population, folder=folder)
        except NoSqlForColumns as exc:  # nothing written: the CSVs come from the frames
            log.warning("release %s: CSVs written in Python: %s", release.pk, exc)
        return dataset_build(plan=plan, population=release.population)


def _current(release_id: int, staging: Path) -> DatasetRelease | None:
    """The release if ``staging`` is still its live build (not failed, not superseded)."""
    release = DatasetRelease.objects.get(pk=release_id)
    if release.status != S.BUILDING or not (staging / EXTRACT).is_dir():
        return None
    return release


def _part_attempt(staging: Path, variant: str, part: str) -> int:
    counter = staging / "_attempts" / f"{variant}-{part}"
    counter.parent.mkdir(exist_ok=True)
    attempt = int(counter.read_text() or 0) + 1 if counter.exists() else 1
    counter.write_text(str(attempt))
    return attempt


def _fail_staged(release_id: int, staging: Path, reason: str) -> DatasetRelease:
    shutil.rmtree(staging, ignore_errors=True)
    return dataset_release_fail(release_id=release_id, reason=reason)


def release_write_part(*, release_id: int, staging: Path, variant: str, part: str) -> str:
    """Write one format of one variant; on failure fail the release and drop its staging.

    A part whose worker died is delivered again and written again alone (at most
    ``EDC_JOB_MAX_ATTEMPTS`` times, counted in the staging folder). A part of a build that
    is no longer live (failed, or replaced by a later attempt) does nothing.
    """
    release = _current(release_id, staging)
    if release is None:
        return "skipped"
    attempt = _part_attempt(staging, variant, part)
    if attempt > settings.EDC_JOB_MAX_ATTEMPTS:
        _fail_staged(release_id, staging, attempts_exhausted_reason(attempt - 1))
        return "failed"
    try:
        stage_part(staging, get_protocol(release.protocol_code), variant, part)
    except Exception as exc:
        if _current(release_id, staging) is None:
            return "skipped"  # the build was dropped under us; the live one carries on
        log.exception("release %s part %s/%s failed", release_id, variant, part)
        _fail_staged(release_id, staging, f"{variant} {part}: {type(exc).__name__}: {exc}")
        return "failed"
    return "written"


def release_publish(*, release_id: int, staging: Path) -> DatasetRelease:
    """Last step: manifests, diffs and zips, the atomic publish, then the row is made ready.

    Publishes only when every part is written (``stage_publish`` refuses otherwise).
    """
    release = _current(release_id, staging)
    if release is None:
        return DatasetRelease.objects.get(pk=release_id)
    media_root = Path(settings.MEDIA_ROOT)
    try:
        previous = _previous(release)
        metas = staged_metas(staging)
        built = stage_publish(
            staging, protocol_code=release.protocol_code,
            previous=media_root / previous.folder if previous else None,
        )  # fmt: skip
    except Exception as exc:
        log.exception("release %s failed", release_id)
        return _fail_staged(release_id, staging, f"{type(exc).__name__}: {exc}")
    meta = metas["unblinded"]
    try:
        updated = DatasetRelease.objects.filter(pk=release_id, status=S.BUILDING).update(
            status=S.READY, finished_at=timezone.now(), progress_message=_("Ready"),
            n_participants=meta["n"], data_checksum=meta["data_checksum"], folder=built.folder,
            archive=built.archives["unblinded"], archive_sha256=built.archive_sha256["unblinded"],
            blinded_archive=built.archives["blinded"],
            blinded_archive_sha256=built.archive_sha256["blinded"],
            manifest=built.manifest, diff=built.diff,
            inputs={k: meta[k] for k in ("software", "validation_evidence", "scorer_versions",
                                         "previous", "n")},
        )  # fmt: skip
    except Exception:
        release_unpublish(media_root, release.protocol_code, release.version)
        raise
    if not updated:  # failed meanwhile (e.g. marked failed by an operator): do not publish
        release_unpublish(media_root, release.protocol_code, release.version)
    return DatasetRelease.objects.get(pk=release_id)


def dataset_release_build(*, release_id: int) -> DatasetRelease:
    """Build and publish the release in this process: the workflow's steps in a row."""
    staged = release_extract(release_id=release_id)
    if staged is None:
        return DatasetRelease.objects.get(pk=release_id)
    staging, parts = staged
    for variant, part in parts:
        if release_write_part(release_id=release_id, staging=staging, variant=variant,
                              part=part) != "written":  # fmt: skip
            return DatasetRelease.objects.get(pk=release_id)
    return release_publish(release_id=release_id, staging=staging)


def release_list_for(user: Any, protocol_code: str) -> QuerySet[DatasetRelease]:
    """Return the releases of the trial (every downloader in it sees every release)."""
    return DatasetRelease.objects.filter(protocol_code=protocol_code).select_related("created_by")


def release_variants_for(blinded: bool) -> tuple[str, ...]:
    """Return the variants a user may download: blinded users only the blinded one."""
    return ("blinded",) if blinded else ("unblinded", "blinded")


def dataset_release_download(
    *,
    actor: Any,
    release: DatasetRelease,
    variant: str,
    blinded: bool,
    ip_address: str | None = None,
) -> Path:
    """Audit a download of one variant's archive and return its path."""
    if release.status != S.READY:
        raise ReleaseError("not_ready", _("This release is not ready."))
    if variant not in release_variants_for(blinded):
        raise ReleaseError("variant_forbidden", _("You may download only the blinded variant."))
    relative = release.archive if variant == "unblinded" else release.blinded_archive
    path = Path(settings.MEDIA_ROOT) / relative
    audit_record(actor=actor, action=AuditEvent.Action.DOWNLOAD, obj=release,
                 changes={"variant": (None, variant), "file": (None, path.name)},
                 ip_address=ip_address)  # fmt: skip
    return path
