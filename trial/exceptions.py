"""Domain errors: a stable ``code`` for callers and tests, a translated message for people."""

from django.utils.translation import gettext_lazy as _


class TrialError(Exception):
    code = "trial_error"
    default_message = _("The action could not be done.")

    def __init__(self, message: object = None, *, code: str | None = None) -> None:
        self.message = message if message is not None else self.default_message
        if code:
            self.code = code
        super().__init__(str(self.message))


class InvalidTransition(TrialError):
    code = "invalid_transition"
    default_message = _("This step is not possible in the participant's current status.")


class StaleEdit(TrialError):
    code = "stale_edit"
    default_message = _(
        "Someone else saved this form after you opened it. Your changes were not saved: "
        "reload the form, check their changes and enter yours again."
    )


class ReasonRequired(TrialError):
    code = "reason_required"
    default_message = _("Give a reason for changing data that were already recorded.")


class AlreadyAllocated(TrialError):
    code = "already_allocated"
    default_message = _("This participant is already allocated; an allocation never changes.")


class FormNotApplicable(TrialError):
    code = "form_not_applicable"
    default_message = _("This form does not apply to this participant or visit.")


class InvalidAnswer(TrialError):
    code = "invalid_answer"
    default_message = _("An answer is outside the allowed values.")


class FormLocked(TrialError):
    code = "form_locked"
    default_message = _("This form is locked. A data manager must unlock it before any change.")


class ParticipantLocked(TrialError):
    code = "participant_locked"
    default_message = _(
        "This participant's casebook is locked. A data manager must unlock it before any change."
    )


class DatabaseClosed(TrialError):
    code = "database_closed"
    default_message = _("The database is frozen or locked: no data can be entered or changed.")


class FormIncomplete(TrialError):
    code = "form_incomplete"
    default_message = _(
        "The form cannot be complete: answer every required item, or mark it as not answered "
        "with a reason (declined, not applicable, unknown)."
    )

    def __init__(self, message: object = None, *, fields: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.fields = fields


class InvalidAssessmentDate(TrialError):
    code = "invalid_assessment_date"
    default_message = _("The assessment date is not possible for this visit.")
