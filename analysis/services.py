"""Report runs: create (and queue), execute (with visible progress), fail.

``report_run_execute`` runs in the Celery worker. Progress is written with single-row
updates outside any transaction, so the report page sees each step as it happens.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import platform
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from analysis.checkpoints import job_checkpoint
from analysis.datasets.builders import Dataset, dataset_build
from analysis.models import DatasetRelease, ReportRun
from analysis.plans import AnalysisPlan
from analysis.releases.reader import release_dataset
from analysis.tables import TableContext, adjusted_analyses, consort_flow, figures, wide_tables
from analysis.trial_plans import event_log, get_plan
from jobs.lifecycle import job_claim, job_enqueue, job_fail, job_progress
from trial.permissions import Action, may
from trial.protocol import get_protocol
from validation.evidence import package_version

log = logging.getLogger(__name__)


class ReportQueueUnavailable(Exception):
    """The job queue (Celery broker) cannot be reached; the run is marked failed."""


class ReportSourceError(ValueError):
    """The chosen release cannot be the run's data; the message is translated."""


def report_releases_for(user: Any, protocol_code: str, *, all_sites: bool) -> Any:
    """Return the published releases the user may report on, or None (live extract only).

    A release holds every site, so only a user reporting on every site who may read
    releases gets them; a pooled run reads the blinded variant (``ReportRun.release_variant``),
    the only one a blinded user may read (``release_variants_for``).
    """
    if not all_sites or not may(user, protocol_code, Action.DOWNLOAD_RELEASES):
        return None
    return DatasetRelease.objects.filter(
        protocol_code=protocol_code, status=DatasetRelease.Status.READY
    ).order_by("-version")


def report_release_check(
    release: DatasetRelease, *, protocol_code: str, population: str, sites: tuple[str, ...]
) -> None:
    """Refuse a release that cannot hold the run's data of the trial ``protocol_code``
    (with the reason, translated)."""
    if release.status != DatasetRelease.Status.READY or release.protocol_code != protocol_code:
        raise ReportSourceError(_("Only a published release of this trial can be reported on."))
    if sites:
        raise ReportSourceError(
            _("A report on a release covers every site: untick the sites, or report on the "
              "live extract.")
        )  # fmt: skip
    if population == ReportRun.Population.ITT and release.population == "pp":
        raise ReportSourceError(
            _("This release holds the per-protocol population only: report on it per protocol.")
        )


def report_run_create(
    *,
    actor: Any,
    protocol_code: str,
    population: str,
    mode: str,
    blinded: bool,
    data_source: str = "live",
    language: str = "en",
    sites: tuple[str, ...] = (),
    release: DatasetRelease | None = None,
) -> ReportRun:
    """Record a queued report run and send it to the worker once the row is committed.

    With ``release`` the run reads that published release (``data_source`` "snapshot");
    without, the live extract (not locked, for monitoring).
    """
    if population not in ReportRun.Population.values or mode not in ReportRun.Mode.values:
        raise ValueError("unknown population or mode")
    if release is not None:
        report_release_check(
            release, protocol_code=protocol_code, population=population, sites=sites
        )
        data_source = ReportRun.Source.SNAPSHOT
    elif data_source != ReportRun.Source.LIVE:
        raise ReportSourceError(_("Choose the release to report on."))
    with transaction.atomic():
        run = ReportRun.objects.create(
            protocol_code=protocol_code,
            created_by=actor,
            population=population,
            mode=mode,
            blinded_view=blinded,
            data_source=data_source,
            release=release,
            sites=sorted(sites),
            language=report_language(language),
            progress_message=_("Waiting for a worker"),
            queued_at=timezone.now(),
        )
        transaction.on_commit(lambda: _enqueue(run.pk))
    run.refresh_from_db()
    return run


def report_language(language: str) -> str:
    """Return the files' language: ``en``, ``zh`` or ``zh_en`` (Chinese, bilingual titles)."""
    if language in ReportRun.Language.values:
        return language
    return "zh" if language.startswith("zh") else "en"


def report_run_rerun(*, actor: Any, run_id: int, blinded: bool) -> ReportRun:
    """Start a new run with the parameters of a failed one (runs are kept, never reused)."""
    failed = ReportRun.objects.get(pk=run_id)
    if failed.status != ReportRun.Status.FAILED:
        raise ValueError("only a failed report is run again")
    return report_run_create(
        actor=actor, protocol_code=failed.protocol_code, population=failed.population,
        mode=failed.mode,
        blinded=blinded or failed.blinded_view, data_source=failed.data_source,
        language=failed.language, sites=tuple(failed.sites), release=failed.release,
    )  # fmt: skip


def _enqueue(run_id: int) -> None:
    job_enqueue(ReportRun, run_id, "analysis.tasks.report_run_execute_task", run_id)


def json_safe(value: Any) -> Any:
    """Return ``value`` with NaN/inf as None and numpy scalars as Python numbers."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def report_run_fail(*, run_id: int, reason: str) -> ReportRun:
    """Mark the run failed with ``reason`` (shown to the user)."""
    return job_fail(ReportRun, run_id, reason)


def _progress(run_id: int, percent: int, message: str) -> None:
    job_progress(ReportRun, run_id, progress=percent, progress_message=message)


def software_versions() -> dict[str, str]:
    """Return the versions of Python and the libraries the numbers depend on."""
    import django
    import numpy
    import pandas
    import scipy
    import statsmodels

    return {
        "python": platform.python_version(),
        "django": django.get_version(),
        "numpy": numpy.__version__,
        "pandas": pandas.__version__,
        "scipy": scipy.__version__,
        "statsmodels": statsmodels.__version__,
        "git_commit": _git_commit(),
        "trialedc": package_version(),
    }


def _git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=Path(settings.BASE_DIR),
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.strip()


def _source(run: ReportRun) -> dict[str, Any]:
    """What the run's data are: the release (number, variant, checksums) or the live extract."""
    with translation.override("zh-hans" if run.language.startswith("zh") else "en"):
        label = run.source_label
    release = run.release
    if release is None:
        return {"data_source": run.data_source, "data": label}
    source = {
        "data_source": run.data_source,
        "data": label,
        "release_version": release.version,
        "release_variant": run.release_variant,
        "release_cut_at": release.cut_at.isoformat(),
        "release_archive_sha256": run.release_archive_sha256,
    }
    if run.release_variant == "unblinded":  # the unblinded data's checksum stays unblinded
        source["release_data_checksum"] = release.data_checksum
    return source


def report_dataset(run: ReportRun, plan: AnalysisPlan) -> Dataset:
    """The run's data: the release's Parquet files, or the live extract from the database."""
    if run.release is None:
        return dataset_build(plan=plan, population=run.population, sites=tuple(run.sites))
    release = run.release
    folder = Path(settings.MEDIA_ROOT) / release.folder / run.release_variant
    return release_dataset(folder, protocol_code=run.protocol_code, population=run.population,
                           released=release.population)  # fmt: skip


def _inputs(run: ReportRun, data: Dataset) -> dict[str, Any]:
    return {
        **_source(run),
        "protocol": run.protocol_code,
        "checksum_sha256": data.checksum,
        "population": run.population,
        "sites": list(run.sites) or "all",
        "mode": run.mode,
        "blinded_view": run.blinded_view,
        "n": len(data.wide),
        "software": software_versions(),
        "scorer_versions": data.scorer_versions,
        "extracted_at": timezone.now().isoformat(),
    }


def _reason_labels(protocol_code: str) -> dict[str, dict[str, str]]:
    protocol = get_protocol(protocol_code)
    labels = {c.code: {"en": c.text.en, "zh": c.text.zh} for c in protocol.criteria}
    labels.update(
        not_assessed={"en": "Eligibility not yet assessed", "zh": "尚未评估纳入标准"},
        not_consented={"en": "Eligible, consent not given", "zh": "符合标准但未签署知情同意"},
        not_randomized={"en": "Consented, not randomized", "zh": "已同意但未随机"},
    )
    return labels


def build_result(
    data: Dataset, plan: AnalysisPlan, ctx: TableContext, step: Callable[[int, str], None]
) -> dict[str, Any]:
    """Compose every table and figure of the report as plain data, reporting progress."""
    wide, long, events = data.wide, data.long, data.events
    if ctx.pooled:  # blinded: the arm never leaves this function
        wide, long = wide.assign(arm="all"), long.assign(arm="all")
        events = None if events is None else events.assign(arm="all")
    log = event_log(get_protocol(plan.protocol_code))
    ctx = dataclasses.replace(ctx, events=events, event_log=log)
    tables = []
    for i, (spec, build) in enumerate(wide_tables(plan)):
        step(20 + min(10 * i, 45), _("Computing %(table)s") % {"table": spec.key})
        tables.append(build(wide, ctx, spec))
    step(70, _("Fitting adjusted models"))
    tables.append(adjusted_analyses(wide, long, ctx))
    step(80, _("Drawing the CONSORT flow and figures"))
    screening = data.screening.assign(arm=data.screening["arm"].map(
        lambda a: None if a is None else ("all" if ctx.pooled else a)))  # fmt: skip
    return {
        "tables": tables,
        "consort": consort_flow(screening, ctx, reason_labels=_reason_labels(plan.protocol_code)),
        "figures": figures(long, ctx),
        "dictionary": data.dictionary,
    }


def _claim(run_id: int) -> ReportRun:
    """Start one more attempt of the run (``jobs.lifecycle.job_claim``)."""
    S = ReportRun.Status
    return job_claim(ReportRun, run_id, waiting=(S.QUEUED, S.RUNNING), running=S.RUNNING,
                     progress=5, progress_message=_("Reading the data"))  # fmt: skip


def report_run_execute(*, run_id: int) -> ReportRun:
    """Build the dataset, compute the tables, render XLSX, DOCX and PDF; fail with the reason."""
    from analysis.render.docx import render_docx
    from analysis.render.pdf import render_pdf
    from analysis.render.xlsx import render_xlsx

    run = _claim(run_id)
    if run.status != ReportRun.Status.RUNNING:
        return run  # finished, or failed for good: a redelivered task does not redo it
    try:
        plan = get_plan(run.protocol_code)
        data = report_dataset(run, plan)
        if data.wide.empty:
            raise ValueError(_("The population has no participants."))
        _progress(run_id, 15, _("Recording the inputs"))
        inputs = _inputs(run, data)
        ctx = TableContext(plan, mode=run.mode, pooled=run.blinded_view)
        result = build_result(data, plan, ctx, lambda p, m: _progress(run_id, p, m))
        _progress(run_id, 88, _("Writing the XLSX, DOCX and PDF files"))
        job_checkpoint(f"report-{run_id}-computed")
        inputs, result = json_safe(inputs), json_safe(result)
        meta = {"run_id": run.pk, "inputs": inputs, "language": run.language}
        xlsx, docx = render_xlsx(result, meta), render_docx(result, meta)
        pdf = render_pdf(result, meta)
    except Exception as exc:
        log.exception("report run %s failed", run_id)
        return report_run_fail(run_id=run_id, reason=f"{type(exc).__name__}: {exc}")
    run.refresh_from_db()
    run.inputs, run.result = inputs, result
    run.xlsx.save(f"report-{run.pk}.xlsx", ContentFile(xlsx), save=False)
    run.docx.save(f"report-{run.pk}.docx", ContentFile(docx), save=False)
    run.pdf.save(f"report-{run.pk}.pdf", ContentFile(pdf), save=False)
    run.status, run.progress, run.finished_at = ReportRun.Status.SUCCEEDED, 100, timezone.now()
    run.progress_message = _("Done")
    run.save(update_fields=["inputs", "result", "xlsx", "docx", "pdf", "status", "progress",
                            "finished_at", "progress_message"])  # fmt: skip
    return run
