"""A batch of writes through the ordinary services (an import's chunk of records).

Inside :func:`write_batch` the services run exactly as they do for one form, with three
reads and writes done once per batch instead of once per save:

* audit rows (and the dashboard's change markers) are collected and written by one
  ``bulk_create`` each when the batch is flushed (same rows, same order, same transaction
  as the writes they record);
* the database state (open, frozen, locked) is read once per batch (:func:`batch_flush`
  forgets it, so a long import reads it again at every chunk);
* a participant's arm is taken from the batch when its caller put it there (an import
  locks its chunk's participants and reads their allocations in one query each;
  allocations are never written inside a batch).

Outside a batch nothing changes. The batch must be used inside one transaction, and
flushed before it commits (:func:`write_batch` flushes on a clean exit).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from trial.models import AuditEvent, DashboardChange

_BATCH: ContextVar[Batch | None] = ContextVar("write_batch", default=None)
_MISSING: Any = object()


@dataclass
class Batch:
    audit: list[AuditEvent] = field(default_factory=list)
    dashboard: list[DashboardChange] = field(default_factory=list)  # the dashboard's markers
    database_states: dict[str, str] = field(default_factory=dict)
    arms: dict[str, str | None] = field(default_factory=dict)  # trial id -> arm
    audit_rows_written: int = 0


def current_batch() -> Batch | None:
    return _BATCH.get()


@contextmanager
def write_batch() -> Iterator[Batch]:
    """Collect the writes of the block as one batch; flushed when the block ends cleanly."""
    batch = Batch()
    token = _BATCH.set(batch)
    try:
        yield batch
        batch_flush(batch)
    finally:
        _BATCH.reset(token)


def batch_flush(batch: Batch) -> None:
    """Write the collected audit rows and forget the cached database state."""
    if batch.audit:
        AuditEvent.objects.bulk_create(batch.audit, batch_size=500)
        batch.audit_rows_written += len(batch.audit)
        batch.audit = []
    if batch.dashboard:
        DashboardChange.objects.bulk_create(batch.dashboard, batch_size=500)
        batch.dashboard = []
    batch.database_states.clear()


def batch_arm(trial_id: str) -> Any:
    """Return the arm the batch knows for the participant (by trial id), or ``MISSING``."""
    batch = _BATCH.get()
    return batch.arms.get(trial_id, _MISSING) if batch is not None else _MISSING


MISSING = _MISSING
