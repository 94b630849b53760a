"""API tokens: create (shown once), revoke, authenticate, rate-limit; every change audited."""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from analysis.models import DatasetRelease
from api.models import ApiToken
from trial.models import AuditEvent
from trial.permissions import Action, may, memberships
from trial.services.audit import audit_record

TOKEN_RE = re.compile(r"^[0-9A-Fa-f]{32}$")


class ApiError(Exception):
    """A refused call: HTTP ``status`` and a translated message for ``{"error": …}``."""

    def __init__(self, message: str, status: int = 400, code: str = "bad_request") -> None:
        super().__init__(message)
        self.message, self.status, self.code = message, status, code


def no_permission() -> ApiError:
    return ApiError(_("You do not have permissions to use the API"), 403, "forbidden")


def token_hash(raw: str) -> str:
    """Return the SHA-256 of a token (case-insensitive: hex digits are upper-cased first)."""
    return hashlib.sha256(raw.strip().upper().encode()).hexdigest()


@transaction.atomic
def api_token_create(
    *, actor: Any, user: Any, protocol_code: str, release_version: int | None = None
) -> tuple[ApiToken, str]:
    """Create the user's token for a project, revoking the previous one; return it and the
    token itself (32 hex characters), which is never stored and cannot be shown again."""
    if not user.is_active or not memberships(user, protocol_code):
        raise ApiError(
            _("This user has no active role in this trial, so cannot have an API token."),
            code="no_role",
        )
    if release_version is not None:
        _check_release(user, protocol_code, release_version)
    for old in (
        ApiToken.objects.select_for_update()
        .filter(user=user, protocol_code=protocol_code, revoked_at__isnull=True)
        .order_by("pk")
    ):
        _revoke(actor=actor, token=old)
    raw = secrets.token_hex(16).upper()
    token = ApiToken.objects.create(
        user=user,
        protocol_code=protocol_code,
        token_sha256=token_hash(raw),
        hint=raw[-4:],
        release_version=release_version,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        obj=token,
        changes={
            "user": (None, user.get_username()),
            "project": (None, protocol_code),
            "release": (None, release_version),
        },
        actor_username=""
        if getattr(actor, "is_authenticated", False)
        else str(actor or "manage.py api_token"),
    )
    return token, raw


def _check_release(user: Any, protocol_code: str, version: int) -> None:
    ready = DatasetRelease.objects.filter(
        protocol_code=protocol_code, version=version, status=DatasetRelease.Status.READY
    ).exists()
    if not ready or not may(user, protocol_code, Action.DOWNLOAD_RELEASES):
        raise ApiError(_("Choose a ready release you may read."), code="release_not_allowed")


def _revoke(*, actor: Any, token: ApiToken) -> ApiToken:
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        obj=token,
        changes={"revoked_at": (None, token.revoked_at.isoformat())},
        actor_username=""
        if getattr(actor, "is_authenticated", False)
        else str(actor or "manage.py api_token"),
    )
    return token


@transaction.atomic
def api_token_revoke(*, actor: Any, token_id: int) -> ApiToken:
    """Revoke one of the actor's own tokens (refused for anyone else's)."""
    token = ApiToken.objects.select_for_update().filter(pk=token_id, user=actor).first()
    if token is None:
        raise ApiError(_("No such API token."), 404, "not_found")
    if token.revoked_at is not None:
        return token
    return _revoke(actor=actor, token=token)


def api_token_authenticate(raw: str | None) -> ApiToken:
    """Return the active token ``raw`` of an active user with a role, or refuse with 403."""
    if not raw or not TOKEN_RE.match(raw.strip()):
        raise no_permission()
    token = (
        ApiToken.objects.select_related("user")
        .filter(token_sha256=token_hash(raw), revoked_at__isnull=True)
        .first()
    )
    if (
        token is None
        or not token.user.is_active
        or not memberships(token.user, token.protocol_code)
    ):
        raise no_permission()
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token


def rate_window() -> int:
    """Return the number of the current one-minute rate-limit window."""
    return int(time.time() // 60)


def api_rate_check(token: ApiToken) -> None:
    """Count the call in this minute's window; refuse with 429 past ``EDC_API_RATE_LIMIT``."""
    limit = int(getattr(settings, "EDC_API_RATE_LIMIT", 600))
    key = f"api-rate:{token.pk}:{rate_window()}"
    cache.add(key, 0, timeout=120)
    try:
        calls = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=120)
        calls = 1
    if calls > limit:
        raise ApiError(
            _("Too many API calls: at most %(limit)s per minute. Wait a minute and try again.")
            % {"limit": limit},
            429,
            "rate_limited",
        )
