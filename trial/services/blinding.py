"""The review of free text for blinded roles (see ``trial.blinding``)."""

from typing import Any

from django.apps import apps
from django.db import transaction
from django.utils.translation import gettext as _

from trial.exceptions import TrialError
from trial.locks import form_instance_qs_for_update
from trial.models import AuditEvent, FormInstance
from trial.permissions import is_blinded
from trial.protocol import get_protocol
from trial.services.audit import audit_record

MAX_TEXT = 2000


@transaction.atomic(durable=True)
def crf_blinded_texts_review(
    *, actor: Any, instance: FormInstance, texts: dict[str, str]
) -> FormInstance:
    """Record the wording of an entry's free text that blinded roles may read.

    Only an unblinded user reviews (they can judge what reveals the arm); the wording is
    valid for the entry's current revision, so any later edit masks the text again. The
    entry's own answers never change. Audited: who, when, old -> new wording.
    """
    locked = form_instance_qs_for_update(instance.pk).select_related("participant__site").get()
    if is_blinded(actor, locked.participant.protocol_code):
        raise TrialError(_("A blinded user cannot review free text."), code="blinded_reviewer")
    formdef = get_protocol(locked.participant.protocol_code).form(locked.form_code)
    if locked.is_voided or not formdef.free_text_fields:
        raise TrialError(_("This entry has no free text to review."), code="no_free_text")
    data = apps.get_model(formdef.model).objects.get(instance=locked)
    wording = {}
    for name in formdef.free_text_fields:
        stored = getattr(data, name, "") or ""
        given = (texts.get(name) or "").strip()
        if len(given) > MAX_TEXT:
            raise TrialError(
                _("The wording is too long: at most %(n)s characters.") % {"n": MAX_TEXT},
                code="too_long",
            )
        wording[name] = given if stored else ""
    old = (dict(locked.blinded_texts or {}), locked.blinded_texts_revision)
    locked.blinded_texts, locked.blinded_texts_revision = wording, locked.revision
    locked.blinded_texts_by = actor
    locked.save(update_fields=["blinded_texts", "blinded_texts_revision", "blinded_texts_by"])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        obj=locked,
        site=locked.participant.site,
        changes={
            "blinded_texts": (old[0], wording),
            "blinded_texts_revision": (old[1], locked.revision),
        },
        reason=_("Free text reviewed for blinded roles"),
    )
    return locked
