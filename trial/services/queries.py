"""Data queries: raise, answer, close, re-open. Who may do which is the view's check."""

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from trial.exceptions import DatabaseClosed, InvalidTransition, ReasonRequired
from trial.models import AuditEvent, DatabaseLock, FormInstance, Query
from trial.services.audit import audit_record

S = Query.Status


def _audit(actor: Any, query: Query, changes: dict[str, tuple[Any, Any]], reason: str = "") -> None:
    audit_record(
        actor=actor,
        action=AuditEvent.Action.UPDATE
        if changes.get("status", (None,))[0]
        else AuditEvent.Action.CREATE,
        obj=query,
        site=query.form_instance.participant.site,
        changes=changes,
        reason=reason,
    )


def query_open(
    *,
    actor: Any,
    form_instance: FormInstance,
    field: str,
    text: str,
    origin: str = Query.Origin.MANUAL,
    check_code: str = "",
) -> Query:
    """Open a query on a form field (inside the caller's transaction)."""
    if not text.strip():
        raise ReasonRequired(_("Write the question of the query."))
    with transaction.atomic():
        query = Query.objects.create(
            form_instance=form_instance,
            field=field,
            text=text,
            origin=origin,
            check_code=check_code,
            raised_by=actor,
        )
        _audit(
            actor, query, {"status": (None, S.OPEN), "field": (None, field), "text": (None, text)}
        )
        return query


@transaction.atomic(durable=True)
def query_raise(*, actor: Any, form_instance: FormInstance, field: str, text: str) -> Query:
    """Raise a query by hand."""
    return query_open(actor=actor, form_instance=form_instance, field=field, text=text)


def _database_not_locked(query: Query) -> None:
    """Queries are still resolved in a frozen database, but not in a locked one."""
    protocol_code = query.form_instance.participant.protocol_code
    if DatabaseLock.objects.filter(
        protocol_code=protocol_code, state=DatabaseLock.State.LOCKED
    ).exists():
        raise DatabaseClosed()


def _locked(query: Query) -> Query:
    return (
        Query.objects.select_for_update()
        .select_related("form_instance__participant__site")
        .get(pk=query.pk)
    )


@transaction.atomic(durable=True)
def query_answer(*, actor: Any, query: Query, answer: str) -> Query:
    """Answer an open query (site staff)."""
    locked = _locked(query)
    if locked.status != S.OPEN:
        raise InvalidTransition()
    _database_not_locked(locked)
    if not answer.strip():
        raise ReasonRequired(_("Write the answer."))
    locked.status, locked.answer = S.ANSWERED, answer
    locked.answered_at, locked.answered_by = timezone.now(), actor
    locked.save(update_fields=["status", "answer", "answered_at", "answered_by"])
    _audit(actor, locked, {"status": (S.OPEN, S.ANSWERED), "answer": ("", answer)})
    return locked


def query_close_resolved(*, actor: Any, query: Query, note: str) -> Query:
    """Close a query (inside the caller's transaction), e.g. when its check passes again."""
    locked = _locked(query)
    if locked.status == S.CLOSED:
        raise InvalidTransition()
    old = locked.status
    locked.status, locked.close_note = S.CLOSED, note
    locked.closed_at, locked.closed_by = timezone.now(), actor
    locked.save(update_fields=["status", "close_note", "closed_at", "closed_by"])
    _audit(actor, locked, {"status": (old, S.CLOSED)}, reason=note)
    return locked


@transaction.atomic(durable=True)
def query_close(*, actor: Any, query: Query, note: str = "") -> Query:
    """Close a query (data manager)."""
    return query_close_resolved(actor=actor, query=query, note=note)


@transaction.atomic(durable=True)
def query_reopen(*, actor: Any, query: Query, reason: str) -> Query:
    """Re-open an answered or closed query, saying why."""
    locked = _locked(query)
    if locked.status == S.OPEN:
        raise InvalidTransition()
    if not reason.strip():
        raise ReasonRequired()
    old = locked.status
    locked.status = S.OPEN
    locked.save(update_fields=["status"])
    _audit(actor, locked, {"status": (old, S.OPEN)}, reason=reason)
    return locked
