"""The one writer of the audit trail."""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import models, transaction

from trial.models import AuditEvent, Site
from trial.services.batch import current_batch
from trial.services.dashboard import dashboard_change_markers, dashboard_note_change

_ORIGIN: ContextVar[str] = ContextVar("audit_origin", default="")
ORIGIN_KEY = "origin"


@contextmanager
def audit_origin(label: str) -> Iterator[None]:
    """Name where the writes inside come from (an import: user, token, call, file checksum):
    every audit row written meanwhile carries it under ``changes["origin"]``."""
    token = _ORIGIN.set(label)
    try:
        yield
    finally:
        _ORIGIN.reset(token)


def _plain(value: Any) -> Any:
    """Return a JSON-safe form of a field value for the ``changes`` column."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, models.Model):
        return str(value.pk)
    return str(value)


def audit_record(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    changes: Mapping[str, tuple[Any, Any]] | None = None,
    reason: str = "",
    site: Site | None = None,
    ip_address: str | None = None,
    actor_username: str = "",
) -> AuditEvent:
    """Append one audit row; call it inside the transaction of the write it records.

    No savepoint: if the row cannot be written, the write it records must not commit either.
    """
    if origin := _ORIGIN.get():
        changes = {**(changes or {}), ORIGIN_KEY: (None, origin)}
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    event = AuditEvent(
        actor=actor if authenticated else None,
        actor_username=actor.get_username() if authenticated else actor_username,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        site=site,
        changes={k: [_plain(old), _plain(new)] for k, (old, new) in (changes or {}).items()},
        reason=reason,
        ip_address=ip_address,
    )
    with transaction.atomic(savepoint=False):
        batch = current_batch()
        if batch is not None:  # written with the batch, in the same transaction
            batch.audit.append(event)
            if obj is not None:
                batch.dashboard.extend(dashboard_change_markers(obj, dict(changes or {})))
        else:
            if obj is not None:  # the dashboard recounts this participant's screening day
                dashboard_note_change(obj, dict(changes or {}))
            event.save(force_insert=True)
    return event
