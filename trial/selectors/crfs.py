"""Reads for the form pages: the visit, the form instance, its data row and its history.

Access (site, blinding) is checked by the caller before or after, as each view says.
"""

from typing import Any

from django.apps import apps

from trial.models import AuditEvent, FormInstance, Visit
from trial.protocol import FormDef


def visit_find(participant: Any, code: str) -> Visit | None:
    """Return the participant's visit ``code``, or None."""
    return Visit.objects.filter(participant=participant, code=code).first()


def crf_instance_find(
    participant: Any, form_code: str, *, visit: Visit | None, seq: int | None
) -> FormInstance | None:
    """Return the participant's instance of ``form_code``: at ``visit``, or else the log
    entry ``seq``; None when there is none (or neither is given)."""
    qs = FormInstance.objects.filter(participant=participant, form_code=form_code)
    if visit is not None:
        return qs.filter(visit=visit).first()
    if seq is not None:
        return qs.filter(visit=None, seq=seq).first()
    return None


def crf_data_row_at_visit(formdef: FormDef, participant: Any, visit: Visit) -> Any:
    """Return the typed data row of the participant's ``formdef`` at ``visit`` with its
    instance, in one query (None when the form is not started)."""
    return (
        apps.get_model(formdef.model)
        .objects.select_related("instance")
        .filter(
            instance__participant=participant,
            instance__form_code=formdef.code,
            instance__visit=visit,
        )
        .first()
    )


def crf_data_row(formdef: FormDef, instance: FormInstance) -> Any:
    """Return the typed data row of a form instance (its ``FormDef.model`` row)."""
    return apps.get_model(formdef.model).objects.get(instance=instance)


def crf_audit_events(instance: FormInstance) -> list[AuditEvent]:
    """Return the audit events of a form instance, oldest first (unmasked: mask them)."""
    return list(
        AuditEvent.objects.filter(
            protocol_code=instance.participant.protocol_code,
            object_type="trial.forminstance",
            object_id=str(instance.pk),
        ).order_by("at", "id")
    )
