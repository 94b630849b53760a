"""Saving case report forms: one service for every form, audited field by field."""

from typing import Any

from django.apps import apps
from django.db import models, transaction

import scoring
from trial.exceptions import (
    FormLocked,
    FormNotApplicable,
    InvalidAnswer,
    ReasonRequired,
    StaleEdit,
)
from trial.locks import form_instance_qs_for_update, participant_qs_for_update
from trial.models import AuditEvent, FormInstance, Participant, Query, Visit
from trial.protocol import FormDef, Protocol, get_protocol
from trial.services.audit import audit_record
from trial.services.derivations import derive
from trial.services.locks import data_entry_allowed
from trial.services.queries import query_open
from trial.services.visits import participant_arm, visit_refresh_status, visit_schedule_sync

FI = FormInstance.Status


def crf_score(formdef: FormDef, values: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """Return (scores, scorer version) for a form's answers; ({}, "") if not scored.

    An instrument with one item scores each answer field on its own (leg and back VAS);
    otherwise the form's columns are the instrument's items.
    """
    if not formdef.instrument:
        return {}, ""
    instrument = scoring.INSTRUMENTS[formdef.instrument]
    item_ids = [item.id for item in instrument.items]
    try:
        if len(item_ids) == 1 and item_ids[0] not in values:
            scores = {
                name: scoring.score(formdef.instrument, {item_ids[0]: value})
                for name, value in values.items()
                if value is not None
            }
        else:
            # a blank choice ("" in a text column) is a missing answer, not an invalid one
            answers = {i: None if values.get(i) == "" else values.get(i) for i in item_ids}
            scores = scoring.score(formdef.instrument, answers)
    except scoring.InvalidAnswer as exc:
        raise InvalidAnswer(code=f"invalid_answer_{exc.code}") from exc
    return scores, instrument.version


def _applicable_formdef(
    protocol: Protocol, arm: str | None, visit: Visit | None, form_code: str
) -> FormDef:
    if visit is None:
        forms = protocol.log_forms(arm)
    else:
        definition = protocol.visit(visit.code)
        forms = protocol.forms_for(definition, arm) if definition.applies_to(arm) else ()
    formdef = next((f for f in forms if f.code == form_code), None)
    if formdef is None:
        raise FormNotApplicable()
    return formdef


def _changes(data: models.Model | None, values: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    old = (lambda name: getattr(data, name)) if data is not None else (lambda name: None)
    return {name: (old(name), new) for name, new in values.items() if old(name) != new}


def _next_seq(participant: Participant, form_code: str) -> int:
    last = (
        FormInstance.objects.filter(participant=participant, visit=None, form_code=form_code)
        .order_by("-seq")
        .values_list("seq", flat=True)
        .first()
    )
    return (last or 0) + 1


@transaction.atomic(durable=True)
def crf_save(
    *,
    actor: Any,
    participant: Participant,
    form_code: str,
    answers: dict[str, Any],
    complete: bool,
    visit: Visit | None = None,
    instance: FormInstance | None = None,
    base_revision: int | None = None,
    reason: str = "",
    check_queries: tuple[tuple[str, str, str], ...] = (),
) -> FormInstance:
    """Create or change one form's answers, score them, and audit every changed field.

    ``base_revision`` is the revision the user's copy started from: a save on a stale copy
    raises ``StaleEdit`` and changes nothing. Changing a complete form needs a ``reason``.
    Saving a log entry without ``instance`` adds a new entry. A locked form refuses any
    change; a change clears source-data verification and voids the signature.
    ``check_queries`` are (field, check code, message) of soft edit-check warnings the user
    saved over: saving over them needs a reason and opens one query each.
    """
    locked = participant_qs_for_update(participant.pk).get()
    if locked.site_id == participant.site_id and Participant.site.is_cached(participant):
        locked.site = participant.site  # sites never change; the row lock is the participant's
    data_entry_allowed(locked)
    protocol = get_protocol(locked.protocol_code)
    arm = participant_arm(locked)
    formdef = _applicable_formdef(protocol, arm, visit, form_code)
    model = apps.get_model(formdef.model)
    if instance is None and visit is not None and not formdef.repeating:
        instance = FormInstance.objects.filter(
            participant=locked, visit=visit, form_code=form_code
        ).first()
    data = None
    if instance is not None:
        instance = form_instance_qs_for_update(instance.pk).get()
        if instance.participant_id != locked.pk or instance.form_code != form_code:
            raise FormNotApplicable()
        instance.participant = locked  # the audit row names it without reading it again
        if visit is not None and instance.visit_id == visit.pk:
            instance.visit = visit
        if instance.locked_at:
            raise FormLocked()
        if base_revision != instance.revision:
            raise StaleEdit()
        data = model.objects.get(instance=instance)
    elif base_revision:
        raise StaleEdit()  # the user edited a form that has been created meanwhile
    values = {**answers, **derive(formdef.model, answers, locked)}
    scores, version = crf_score(formdef, values)
    changes = _changes(data, values)
    new_status = FI.COMPLETE if complete else FI.IN_PROGRESS
    old_status = instance.status if instance is not None else None
    if data is not None and data.scores != scores:
        changes["scores"] = (data.scores, scores)
    if not changes and old_status == new_status:
        return instance
    if (old_status == FI.COMPLETE or check_queries) and not reason.strip():
        raise ReasonRequired()
    if instance is not None:
        changes.update(_clear_review(instance))
    if old_status != new_status:
        changes["status"] = (old_status, new_status)
    instance = _write(
        actor, locked, visit, formdef, model, instance, data, values, scores, version, new_status
    )
    audit_record(
        actor=actor,
        action=AuditEvent.Action.UPDATE if old_status else AuditEvent.Action.CREATE,
        obj=instance,
        site=locked.site,
        changes=changes,
        reason=reason,
    )
    for field, code, message in check_queries:
        query_open(
            actor=actor,
            form_instance=instance,
            field=field,
            text=message,
            origin=Query.Origin.CHECK,
            check_code=code,
        )
    _after_save(actor, protocol, locked, arm, visit, form_code, values)
    return instance


def _clear_review(instance: FormInstance) -> dict[str, tuple[Any, Any]]:
    """A change clears verification and voids the signature (recorded in the audit row)."""
    changes: dict[str, tuple[Any, Any]] = {}
    if instance.verified_at:
        instance.verified_at, instance.verified_by = None, None
        changes["verified"] = (True, False)
    if instance.signed_at:
        instance.signed_at, instance.signed_by, instance.signature_meaning = None, None, ""
        changes["signed"] = (True, False)
    return changes


def _write(
    actor: Any,
    participant: Participant,
    visit: Visit | None,
    formdef: FormDef,
    model: type[models.Model],
    instance: FormInstance | None,
    data: Any,
    values: dict[str, Any],
    scores: dict[str, Any],
    version: str,
    status: str,
) -> FormInstance:
    if instance is None:
        seq = _next_seq(participant, formdef.code) if visit is None else 1
        instance = FormInstance.objects.create(
            participant=participant,
            visit=visit,
            form_code=formdef.code,
            seq=seq,
            status=status,
            created_by=actor,
            updated_by=actor,
        )
        model.objects.create(instance=instance, scores=scores, scorer_version=version, **values)
        return instance
    for name, value in values.items():
        setattr(data, name, value)
    data.scores, data.scorer_version = scores, version
    data.save(update_fields=[*values, "scores", "scorer_version"])
    instance.status, instance.updated_by = status, actor
    instance.revision += 1
    instance.save(
        update_fields=[
            "status",
            "updated_by",
            "revision",
            "updated_at",
            "verified_at",
            "verified_by",
            "signed_at",
            "signed_by",
            "signature_meaning",
        ]
    )
    return instance


def _after_save(
    actor: Any,
    protocol: Protocol,
    participant: Participant,
    arm: str | None,
    visit: Visit | None,
    form_code: str,
    values: dict[str, Any],
) -> None:
    """Move an anchor date the form records (surgery date), then refresh the visit status."""
    for anchor, source_form, field in protocol.anchor_sources:
        if source_form == form_code and values.get(field) is not None:
            name = "admission_date" if anchor.value == "admission" else "surgery_date"
            if getattr(participant, name) != values[field]:
                audit_record(
                    actor=actor,
                    action=AuditEvent.Action.UPDATE,
                    obj=participant,
                    site=participant.site,
                    changes={name: (getattr(participant, name), values[field])},
                    reason=f"recorded on form {form_code}",
                )
                setattr(participant, name, values[field])
                participant.save(update_fields=[name, "updated_at"])
                visit_schedule_sync(actor=actor, participant=participant)
    if visit is not None:
        fresh = Visit.objects.get(pk=visit.pk)
        fresh.participant = participant  # locked above; the arm cannot change meanwhile
        visit_refresh_status(actor=actor, visit=fresh, arm=arm)


@transaction.atomic(durable=True)
def crf_void(*, actor: Any, instance: FormInstance, reason: str) -> FormInstance:
    """Void a log entry entered in error (nothing clinical is ever deleted)."""
    if not reason.strip():
        raise ReasonRequired()
    data_entry_allowed(participant_qs_for_update(instance.participant_id).get())
    locked = form_instance_qs_for_update(instance.pk).get()
    if locked.visit_id is not None or locked.is_voided:
        raise FormNotApplicable()
    locked.is_voided, locked.void_reason = True, reason
    locked.revision += 1
    locked.save(update_fields=["is_voided", "void_reason", "revision", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.DELETE,
        obj=locked,
        site=locked.participant.site,
        changes={"is_voided": (False, True)},
        reason=reason,
    )
    return locked
