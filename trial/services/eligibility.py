from datetime import date
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from trial.exceptions import InvalidTransition, ReasonRequired, TrialError
from trial.locks import participant_qs_for_update
from trial.models import AuditEvent, EligibilityAssessment, Participant
from trial.protocol import get_protocol
from trial.services.audit import audit_record
from trial.services.locks import data_entry_allowed

S = Participant.Status
ASSESSABLE = {S.SCREENING, S.ELIGIBLE, S.INELIGIBLE}


@transaction.atomic(durable=True)
def eligibility_record(
    *,
    actor: Any,
    participant: Participant,
    assessed_date: date,
    answers: dict[str, bool],
    reason: str = "",
) -> EligibilityAssessment:
    """Record the answer to every criterion; the participant becomes eligible or ineligible.

    A re-assessment (before consent) replaces the answers and needs a reason.
    """
    locked = participant_qs_for_update(participant.pk).get()
    data_entry_allowed(locked)
    if locked.status not in ASSESSABLE:
        raise InvalidTransition()
    try:
        eligible, failed = get_protocol(locked.protocol_code).is_eligible(answers)
    except ValueError as exc:
        raise TrialError(_("Answer every criterion."), code="criteria_unanswered") from exc
    new_status = S.ELIGIBLE if eligible else S.INELIGIBLE
    previous = EligibilityAssessment.objects.filter(participant=locked).first()
    if previous is None:
        assessment = EligibilityAssessment.objects.create(
            participant=locked,
            assessed_date=assessed_date,
            answers=answers,
            eligible=eligible,
            failed_criteria=failed,
            assessed_by=actor,
        )
        changes: dict[str, tuple[Any, Any]] = {"answers": (None, answers)}
    else:
        if not reason.strip():
            raise ReasonRequired()
        changes = {
            "answers": (previous.answers, answers),
            "assessed_date": (previous.assessed_date, assessed_date),
        }
        previous.answers, previous.assessed_date = answers, assessed_date
        previous.eligible, previous.failed_criteria = eligible, failed
        previous.assessed_by = actor
        previous.save(
            update_fields=[
                "answers",
                "assessed_date",
                "eligible",
                "failed_criteria",
                "assessed_by",
                "updated_at",
            ]
        )
        assessment = previous
    changes["status"] = (locked.status, new_status)
    locked.status = new_status
    locked.revision += 1
    locked.save(update_fields=["status", "revision", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.UPDATE if previous else AuditEvent.Action.CREATE,
        obj=assessment,
        site=locked.site,
        changes=changes,
        reason=reason,
    )
    return assessment
