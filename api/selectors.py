"""Reads of API tokens and releases for the API and its pages (views never call the ORM)."""

from typing import Any

from django.db.models import QuerySet

from analysis.models import DatasetRelease
from api.models import ApiToken
from trial.permissions import Action, may


def api_token_list_for(user: Any, protocol_code: str) -> QuerySet[ApiToken]:
    """Return the user's tokens for the trial, newest first (revoked ones too, for their
    history)."""
    return ApiToken.objects.filter(user=user, protocol_code=protocol_code).order_by(
        "-created_at", "-id"
    )


def api_release_versions_for(user: Any, protocol_code: str) -> list[int]:
    """Return the trial's ready release versions a user's token may be bound to (newest
    first)."""
    if not may(user, protocol_code, Action.DOWNLOAD_RELEASES):
        return []
    return list(
        DatasetRelease.objects.filter(
            protocol_code=protocol_code, status=DatasetRelease.Status.READY
        )
        .order_by("-version")
        .values_list("version", flat=True)
    )


def api_ready_release_latest(protocol_code: str) -> int | None:
    """Return the newest ready release version of a protocol, or None."""
    return (
        DatasetRelease.objects.filter(
            protocol_code=protocol_code, status=DatasetRelease.Status.READY
        )
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
    )


def api_ready_release(protocol_code: str, version: int) -> DatasetRelease | None:
    """Return the ready release ``version`` of a protocol, or None."""
    return DatasetRelease.objects.filter(
        protocol_code=protocol_code, version=version, status=DatasetRelease.Status.READY
    ).first()
