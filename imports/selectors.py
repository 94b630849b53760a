"""Reads for the import pages (views call these, never the ORM)."""

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from imports.models import ImportJob

RECENT_JOBS = 50  # imports listed on the page


def import_job_recent(user: Any, protocol_code: str) -> QuerySet[ImportJob]:
    """The user's own most recent imports into the trial (each data manager sees their
    own)."""
    return ImportJob.objects.filter(created_by=user, protocol_code=protocol_code)[:RECENT_JOBS]


def import_job_get(user: Any, protocol_code: str, pk: int) -> ImportJob:
    """Return one of the user's own imports into the trial, or 404 (another's, or another
    trial's, is not revealed)."""
    return get_object_or_404(ImportJob, pk=pk, created_by=user, protocol_code=protocol_code)
