"""ePRO domain errors (``TrialError`` codes); messages are what the patient or nurse reads."""

from django.utils.translation import gettext_lazy as _

from trial.exceptions import TrialError


class InvitationUnavailable(TrialError):
    """No such token, expired, revoked, not yet open: deliberately one error for all."""

    code = "invitation_unavailable"
    default_message = _(
        "This link cannot be used. It may be mistyped, not open yet, expired or withdrawn. "
        "Please contact your study team."
    )


class AlreadySubmitted(TrialError):
    code = "already_submitted"
    default_message = _(
        "These questionnaires have already been submitted. Thank you: nothing more is needed."
    )


class IdentityMismatch(TrialError):
    code = "identity_mismatch"
    default_message = _("That answer does not match our records. Please try again.")


class IdentityLocked(TrialError):
    code = "identity_locked"
    default_message = _(
        "Too many wrong answers. For your security the questionnaire is locked for a while. "
        "Please try again later or contact your study team."
    )


class IdentityUnknown(TrialError):
    code = "identity_unknown"
    default_message = _(
        "The answer to the participant's identity question is not recorded yet (see the "
        "protocol's ePRO identity check): record it before issuing an invitation."
    )


class InvitationExists(TrialError):
    code = "invitation_exists"
    default_message = _(
        "This visit already has an active invitation. Revoke it before issuing a new one."
    )


class NothingToComplete(TrialError):
    code = "nothing_to_complete"
    default_message = _(
        "No self-completed form of this visit is left to fill in (none applies, or all are "
        "already complete)."
    )


class WindowClosed(TrialError):
    code = "window_closed"
    default_message = _(
        "The visit window is unknown or already closed: an invitation cannot be issued."
    )


class NotInvited(TrialError):
    code = "not_invited"
    default_message = _("This questionnaire is not part of your invitation.")


class PageInvalid(TrialError):
    """A page's answers failed the form's validation; ``form`` carries the errors."""

    code = "page_invalid"
    default_message = _("Please check the answers marked below.")

    def __init__(self, form: object, message: object = None) -> None:
        super().__init__(message)
        self.form = form


class PagesIncomplete(TrialError):
    code = "pages_incomplete"
    default_message = _("Some questionnaires are not finished yet. Please answer them first.")

    def __init__(self, form_codes: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.form_codes = form_codes


class EnteredByStaff(TrialError):
    code = "entered_by_staff"
    default_message = _(
        "Your study team has already recorded this questionnaire. Nothing was changed. "
        "Please contact your study team."
    )
