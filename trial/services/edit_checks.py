"""The nightly re-check: every edit check over all complete data; queries follow the data.

A finding without a query opens one (origin "check"); a check query whose finding has
gone (the data were corrected) closes itself with a note. Manual queries are left alone.
"""

from collections.abc import Iterator
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import transaction

from trial.edit_checks.registry import edit_check_run, has_edit_check
from trial.models import FormInstance, Participant, Query
from trial.protocol import get_protocol, protocols
from trial.selectors.anchors import anchor_dates_by_participant
from trial.services.queries import query_close_resolved, query_open

SYSTEM_USERNAME = "edc-system"
RESOLVED_NOTE = "resolved: the edit check passes on the current data"


def _system_user() -> Any:
    user, created = get_user_model().objects.get_or_create(
        username=SYSTEM_USERNAME,
        defaults={"is_active": False, "first_name": "EDC", "last_name": "edit checks"},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def _findings() -> Iterator[tuple[FormInstance, Any]]:
    """Yield (form instance, finding) for every complete form of every protocol."""
    for protocol in protocols():
        for formdef in protocol.forms:
            if not has_edit_check(formdef.model):
                continue
            model = apps.get_model(formdef.model)
            rows = model.objects.filter(
                instance__participant__protocol_code=protocol.code,
                instance__form_code=formdef.code,
                instance__is_voided=False,
                instance__status=FormInstance.Status.COMPLETE,
            ).select_related("instance__participant")
            anchors = anchor_dates_by_participant(
                Participant.objects.filter(protocol_code=protocol.code)
            )
            for row in rows.iterator(chunk_size=500):
                participant = row.instance.participant
                answers = {f.name: getattr(row, f.name) for f in model._meta.concrete_fields}
                for finding in edit_check_run(
                    formdef.model,
                    answers,
                    anchors=anchors.get(participant.pk, {}),
                    protocol=get_protocol(participant.protocol_code),
                    completing=True,
                ):
                    yield row.instance, finding


@transaction.atomic(durable=True)
def edit_checks_run_all() -> dict[str, int]:
    """Re-run every edit check; open and close check queries to match. Return counts."""
    actor = _system_user()
    live = {}
    for instance, finding in _findings():
        live[(instance.pk, finding.code, finding.field or "")] = (instance, finding)
    existing = {
        (q.form_instance_id, q.check_code, q.field): q
        for q in Query.objects.filter(origin=Query.Origin.CHECK).exclude(status=Query.Status.CLOSED)
    }
    opened = closed = 0
    for key, (instance, finding) in live.items():
        if key not in existing:
            query_open(
                actor=actor,
                form_instance=instance,
                field=key[2],
                text=str(finding.message),
                origin=Query.Origin.CHECK,
                check_code=finding.code,
            )
            opened += 1
    for key, query in existing.items():
        if key not in live:
            query_close_resolved(actor=actor, query=query, note=RESOLVED_NOTE)
            closed += 1
    return {"findings": len(live), "opened": opened, "closed": closed}
