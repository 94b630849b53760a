"""Source data verification, form locks and investigator signatures."""

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from trial.exceptions import InvalidTransition, ReasonRequired, TrialError
from trial.locks import form_instance_qs_for_update
from trial.models import AuditEvent, FormInstance
from trial.services.audit import audit_record

FI = FormInstance.Status


def _audit(actor: Any, instance: FormInstance, changes: dict, reason: str = "") -> None:
    audit_record(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        obj=instance,
        site=instance.participant.site,
        changes=changes,
        reason=reason,
    )


def _complete(instance: FormInstance) -> FormInstance:
    locked = form_instance_qs_for_update(instance.pk).select_related("participant__site").get()
    if locked.status != FI.COMPLETE or locked.is_voided:
        raise TrialError(
            _("Only a complete form can be verified, locked or signed."), code="form_not_complete"
        )
    return locked


@transaction.atomic(durable=True)
def crf_verify(*, actor: Any, instance: FormInstance) -> FormInstance:
    """Mark a complete form as source-data verified (a later edit clears it)."""
    locked = _complete(instance)
    if locked.verified_at:
        raise InvalidTransition()
    locked.verified_at, locked.verified_by = timezone.now(), actor
    locked.save(update_fields=["verified_at", "verified_by"])
    _audit(actor, locked, {"verified": (False, True)})
    return locked


@transaction.atomic(durable=True)
def crf_lock(*, actor: Any, instance: FormInstance) -> FormInstance:
    """Lock a complete form: no change until a data manager unlocks it with a reason."""
    locked = _complete(instance)
    if locked.locked_at:
        raise InvalidTransition()
    locked.locked_at, locked.locked_by = timezone.now(), actor
    locked.save(update_fields=["locked_at", "locked_by"])
    _audit(actor, locked, {"locked": (False, True)})
    return locked


@transaction.atomic(durable=True)
def crf_unlock(*, actor: Any, instance: FormInstance, reason: str) -> FormInstance:
    """Unlock a form, saying why."""
    if not reason.strip():
        raise ReasonRequired()
    locked = form_instance_qs_for_update(instance.pk).select_related("participant__site").get()
    if not locked.locked_at:
        raise InvalidTransition()
    locked.locked_at, locked.locked_by = None, None
    locked.save(update_fields=["locked_at", "locked_by"])
    _audit(actor, locked, {"locked": (True, False)}, reason=reason)
    return locked


@transaction.atomic(durable=True)
def crf_sign(*, actor: Any, instance: FormInstance, password: str, meaning: str) -> FormInstance:
    """Sign a complete form: the investigator re-enters the password under a stated meaning."""
    if not actor.is_active or not actor.check_password(password):
        raise TrialError(
            _("The password is not correct; the form was not signed."), code="signature_password"
        )
    locked = _complete(instance)
    locked.signed_at, locked.signed_by = timezone.now(), actor
    locked.signature_meaning = meaning
    locked.save(update_fields=["signed_at", "signed_by", "signature_meaning"])
    _audit(actor, locked, {"signed": (False, True), "signature_meaning": ("", meaning)})
    return locked
