"""Saving case report forms: one service for every form, audited field by field."""

from typing import Any

from django.apps import apps
from django.core.exceptions import ObjectDoesNotExist
from django.db import models, transaction
from django.utils.translation import gettext as _

import scoring
from trial.edit_checks import Severity
from trial.edit_checks.common import as_date, is_blank
from trial.edit_checks.timing import check_form_timing
from trial.exceptions import (
    FormIncomplete,
    FormLocked,
    FormNotApplicable,
    InvalidAnswer,
    InvalidAssessmentDate,
    ReasonRequired,
    StaleEdit,
)
from trial.locks import form_instance_qs_for_update, participant_qs_for_update
from trial.models import (
    RECORDED_ON_FORM,
    AnchorDate,
    AuditEvent,
    FormInstance,
    NotAnswered,
    Participant,
    Query,
    Visit,
    site_time_zone,
    site_today,
)
from trial.protocol import FormDef, Protocol, get_protocol
from trial.selectors.anchors import participant_anchor_dates, with_anchor_dates
from trial.services.anchors import anchor_dates_apply
from trial.services.audit import audit_record
from trial.services.derivations import derive
from trial.services.locks import data_entry_allowed
from trial.services.participant_entries import EnteredByParticipant
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
            bookkeeping = {formdef.date_field, "not_answered"}
            scores = {
                name: scoring.score(formdef.instrument, {item_ids[0]: value})
                for name, value in values.items()
                if value is not None and name not in bookkeeping
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


def crf_missing_items(
    model: type[models.Model], values: dict[str, Any], not_answered: dict[str, str] | None
) -> tuple[str, ...]:
    """Return the required items neither answered nor marked not answered (the one rule of
    completeness for every form; the instrument's missing-data rule then decides scoring)."""
    marked = not_answered or {}
    return tuple(
        name
        for name in getattr(model, "required_items", ())
        if is_blank(values.get(name)) and name not in marked
    )


def _check_not_answered(model: type[models.Model], values: dict[str, Any]) -> None:
    marked = values.get("not_answered") or {}
    if not isinstance(marked, dict):
        raise InvalidAnswer(code="invalid_not_answered")
    required, codes = set(getattr(model, "required_items", ())), set(NotAnswered.values)
    for name, code in marked.items():
        if name not in required or code not in codes or not is_blank(values.get(name)):
            raise InvalidAnswer(code="invalid_not_answered")


def _local_day(value: Any, participant: Participant) -> Any:
    """Return the calendar day of a date or datetime at the participant's site."""
    if hasattr(value, "tzinfo") and getattr(value, "tzinfo", None) is not None:
        return value.astimezone(site_time_zone(participant.site)).date()
    return as_date(value)


def _timing_findings(
    protocol: Protocol, formdef: FormDef, participant: Participant, visit: Visit | None, merged
) -> list:
    field = formdef.date_field
    day = _local_day(merged.get(field), participant)
    return check_form_timing(
        protocol,
        formdef,
        visit.code if visit is not None else None,
        {field: day},
        anchors=participant_anchor_dates(participant, protocol),
        today=site_today(participant.site),
    )


def _next_seq(participant: Participant, form_code: str) -> int:
    last = (
        FormInstance.objects.filter(participant=participant, visit=None, form_code=form_code)
        .order_by("-seq")
        .values_list("seq", flat=True)
        .first()
    )
    return (last or 0) + 1


def _crf_save(
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
    participant_entry: bool = False,
) -> FormInstance:
    """Create or change one form's answers, score them, and audit every changed field.

    Runs inside the caller's transaction (a service that writes several forms at once,
    e.g. an ePRO submission); ``crf_save`` is the entry point with its own transaction.
    ``base_revision`` is the revision the user's copy started from: a save on a stale copy
    raises ``StaleEdit`` and changes nothing. Changing a complete form needs a ``reason``.
    Saving a log entry without ``instance`` adds a new entry. A locked form refuses any
    change; a change clears source-data verification and voids the signature.
    ``check_queries`` are (field, check code, message) of soft edit-check warnings the user
    saved over: saving over them needs a reason and opens one query each.
    """
    # the anchor dates the timing check and the schedule need come with the locked row
    locked = with_anchor_dates(
        participant_qs_for_update(participant.pk), get_protocol(participant.protocol_code)
    ).get()
    if locked.site_id == participant.site_id and Participant.site.is_cached(participant):
        locked.site = participant.site  # sites never change; the row lock is the participant's
    data_entry_allowed(locked)
    protocol = get_protocol(locked.protocol_code)
    arm = _allocated_arm(participant) or participant_arm(locked)
    formdef = _applicable_formdef(protocol, arm, visit, form_code)
    model = apps.get_model(formdef.model)
    if instance is None and visit is not None and not formdef.repeating:
        instance = FormInstance.objects.filter(
            participant=locked, visit=visit, form_code=form_code
        ).first()
    data = None
    if instance is not None:
        # the data row, and its instance locked, in one statement (only this service writes
        # data rows, under this lock)
        data = (
            model.objects.select_related("instance")
            .select_for_update(of=("instance",))
            .get(instance_id=instance.pk)
        )
        instance = data.instance
        if instance.participant_id != locked.pk or instance.form_code != form_code:
            raise FormNotApplicable()
        if instance.source == FormInstance.Source.EPRO and not participant_entry:
            raise EnteredByParticipant()  # staff never change a participant's own answers
        instance.participant = locked  # the audit row names it without reading it again
        if visit is not None and instance.visit_id == visit.pk:
            instance.visit = visit
        if instance.locked_at:
            raise FormLocked()
        if base_revision != instance.revision:
            raise StaleEdit()
    elif base_revision:
        raise StaleEdit()  # the user edited a form that has been created meanwhile
    values = {**answers, **derive(formdef.model, answers, locked)}
    merged = _merged(model, data, values)
    _check_not_answered(model, merged)
    if complete and (missing := crf_missing_items(model, merged, merged.get("not_answered"))):
        raise FormIncomplete(
            _("The form cannot be complete: %(items)s not answered and not marked as such.")
            % {"items": ", ".join(missing)},
            fields=missing,
        )
    findings = _timing_findings(protocol, formdef, locked, visit, merged)
    if hard := [f for f in findings if f.severity is Severity.HARD]:
        raise InvalidAssessmentDate(hard[0].message, code=hard[0].code)
    window = [f for f in findings if f.severity is Severity.SOFT]
    if window and instance is not None and instance.out_of_window and data is not None:
        field = formdef.date_field
        if getattr(data, field) == merged.get(field):  # justified before: no second query
            check_queries = tuple(q for q in check_queries if q[1] != window[0].code)
            window_queries: list = []
        else:
            window_queries = window
    else:
        window_queries = window
    known = {(field, code) for field, code, _message in check_queries}
    check_queries = tuple(check_queries) + tuple(
        (f.field or "", f.code, str(f.message))
        for f in window_queries
        if (f.field, f.code) not in known
    )
    scores, version = crf_score(formdef, values)
    changes = _changes(data, values)
    new_status = FI.COMPLETE if complete else FI.IN_PROGRESS
    old_status = instance.status if instance is not None else None
    if data is not None and data.scores != scores:
        changes["scores"] = (data.scores, scores)
    old_flag = instance.out_of_window if instance is not None else False
    if old_flag != bool(window):
        changes["out_of_window"] = (old_flag, bool(window))
    if not changes and old_status == new_status:
        return instance
    if (old_status == FI.COMPLETE or check_queries) and not reason.strip():
        raise ReasonRequired()
    if instance is not None:
        changes.update(_clear_review(instance))
    if old_status != new_status:
        changes["status"] = (old_status, new_status)
    instance = _write(
        actor,
        locked,
        visit,
        formdef,
        model,
        instance,
        data,
        values,
        scores,
        version,
        new_status,
        out_of_window=bool(window),
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
    to_refresh = visit if old_status != new_status else None  # else the visit is as it was
    _after_save(actor, protocol, locked, arm, to_refresh, form_code, values)
    return instance


def _allocated_arm(participant: Participant) -> str | None:
    """The arm of an allocation the caller already read (``select_related``), else None.

    An allocation is assigned once and never reassigned, so an arm read before the row lock
    is still the arm; a participant read without one is looked up again under the lock.
    """
    if not Participant.allocation.is_cached(participant):
        return None
    try:
        return participant.allocation.arm
    except ObjectDoesNotExist:
        return None


def _participant_write(**kwargs: Any) -> FormInstance:
    return _crf_save(participant_entry=True, **kwargs)


# The staff's entry point: one form's answers in a transaction of its own; it refuses to
# change a participant's own ePRO entry (``participant_entry``).
crf_save = transaction.atomic(durable=True)(_crf_save)
# The same save as one step of a larger transaction (an import: all rows or none).
crf_save_step = transaction.atomic(_crf_save)
# The participant's own entry (ePRO, ``epro.services``), inside the submission's transaction.
crf_write = transaction.atomic(savepoint=False)(_participant_write)


def _merged(model: type[models.Model], data: Any, values: dict[str, Any]) -> dict[str, Any]:
    """Return the form's answers after this save: stored ones overlaid with the new ones."""
    if data is None:
        return dict(values)
    stored = {f.attname: getattr(data, f.attname) for f in model._meta.concrete_fields}
    return {**stored, **values}


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
    *,
    out_of_window: bool = False,
) -> FormInstance:
    if instance is None:
        seq = _next_seq(participant, formdef.code) if visit is None else 1
        instance = FormInstance.objects.create(
            participant=participant,
            visit=visit,
            form_code=formdef.code,
            seq=seq,
            status=status,
            out_of_window=out_of_window,
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
    instance.out_of_window = out_of_window
    instance.revision += 1
    instance.save(
        update_fields=[
            "status",
            "out_of_window",
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
    """Move an anchor date the form records (a procedure's date), then refresh the visit status.

    The caller passes no ``visit`` when the form's status did not change: a visit's status
    follows from which of its forms are complete (their dates are checked when saved, and
    again by ``visit_schedule_sync`` when an anchor moves), so it cannot have changed.
    """
    for anchor in protocol.anchors_recorded_by(form_code):
        if values.get(anchor.field) is not None:
            changes = anchor_dates_apply(
                participant=participant,
                dates={anchor.code: values[anchor.field]},
                source=AnchorDate.Source.FORM,
                source_form=form_code,
            )
            if changes:
                audit_record(
                    actor=actor,
                    action=AuditEvent.Action.UPDATE,
                    obj=participant,
                    site=participant.site,
                    changes=changes,
                    reason=RECORDED_ON_FORM.format(form_code=form_code),
                )
                participant.save(update_fields=["updated_at"])
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
