"""The one writer of the audit trail.

Every row names the trial it belongs to (``AuditEvent.protocol_code``), so that each trial's
audit viewer shows its own rows only (issue 17 item 4). The code is read from the object
recorded, along the path :func:`protocol_path` finds (its own ``protocol_code``, or its
participant's, its form's, ...), or given by the caller when there is no object; an event
of trial data whose trial cannot be told raises :class:`AuditScopeError` instead of being
written without one. Only account events (log-ins, password changes) and objects shared by
every trial (``TRIAL_LESS_MODELS``) belong to no trial.
"""

from collections import deque
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from typing import Any

from django.conf import settings
from django.db import models, transaction

from trial.models import ACCOUNT_ACTIONS, AuditEvent, Site
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


PROTOCOL_FIELD = "protocol_code"
# Models of no single trial: shared by every trial of the instance (accounts, sites), the
# trail itself, and the dashboard's change markers (never audited; they name a participant
# by number only). Every other model of the project leads to a trial (a test walks them).
TRIAL_LESS_MODELS = frozenset(
    {
        settings.AUTH_USER_MODEL.lower(),
        "trial.site",
        "trial.auditevent",
        "trial.dashboardchange",
    }
)


class AuditScopeError(RuntimeError):
    """An audit row of trial data whose trial cannot be told (a programming error)."""


@cache
def protocol_path(model: type[models.Model]) -> str | None:
    """Return the lookup path from ``model`` to the trial code of its rows
    (``"protocol_code"``, ``"participant__protocol_code"``, ...), or None when the model
    leads to no trial (``TRIAL_LESS_MODELS``, or a model outside the project).

    The shortest path along required foreign keys wins (an optional link, e.g. an allocation
    slot's participant, is taken only when no required one leads there); links into models
    shared by every trial are not followed.
    """
    if model._meta.label_lower in TRIAL_LESS_MODELS:
        return None
    for required_only in (True, False):
        queue: deque[tuple[type[models.Model], tuple[str, ...]]] = deque([(model, ())])
        seen = {model._meta.label_lower}
        while queue:
            current, path = queue.popleft()
            names = {f.name for f in current._meta.concrete_fields}
            if PROTOCOL_FIELD in names:
                return "__".join((*path, PROTOCOL_FIELD))
            for field in current._meta.concrete_fields:
                target = field.related_model
                if not (field.many_to_one or field.one_to_one) or target is None:
                    continue
                label = target._meta.label_lower
                if label in TRIAL_LESS_MODELS or label in seen:
                    continue
                if required_only and field.null:
                    continue
                seen.add(label)
                queue.append((target, (*path, field.name)))
    return None


def audit_protocol_code(obj: models.Model) -> str | None:
    """Return the trial code of ``obj`` ("" when its path ends on an empty link), or None
    when ``obj`` leads to no trial."""
    path = protocol_path(type(obj))
    if path is None:
        return None
    value: Any = obj
    for name in path.split("__"):
        value = getattr(value, name, None)
        if value is None:
            return ""
    return str(value)


def _event_protocol_code(action: str, obj: models.Model | None, given: str | None) -> str:
    """Return the trial code of an event: the object's, else the one the caller gives."""
    if obj is None:
        if action in ACCOUNT_ACTIONS:
            if given:
                raise AuditScopeError(f"an account event ({action}) belongs to no trial")
            return ""
        if not given:
            raise AuditScopeError(f"an event without an object ({action}) must name its trial")
        return given
    found = audit_protocol_code(obj)
    label = obj._meta.label_lower
    if found and given and found != given:
        raise AuditScopeError(f"{label} {obj.pk} belongs to {found}, not to {given}")
    if found or given:
        return found or given or ""
    if found is None and label in TRIAL_LESS_MODELS:
        return ""
    raise AuditScopeError(
        f"the trial of {label} {obj.pk} cannot be told: pass protocol_code= to audit_record"
    )


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
    protocol_code: str | None = None,
) -> AuditEvent:
    """Append one audit row; call it inside the transaction of the write it records.

    The row's trial is read from ``obj``; ``protocol_code`` names it when ``obj`` does not
    tell (no object, or an object shared by every trial). Raises :class:`AuditScopeError`
    when an event of trial data would be written without its trial.

    No savepoint: if the row cannot be written, the write it records must not commit either.
    """
    scope = _event_protocol_code(action, obj, protocol_code)
    if origin := _ORIGIN.get():
        changes = {**(changes or {}), ORIGIN_KEY: (None, origin)}
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    event = AuditEvent(
        actor=actor if authenticated else None,
        actor_username=actor.get_username() if authenticated else actor_username,
        action=action,
        protocol_code=scope,
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
