from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import ngettext
from django.views.generic import FormView

from accounts.mixins import ActionRequiredMixin
from trial.exceptions import FormIncomplete, ReasonRequired, TrialError
from trial.forms.summary import error_summary
from trial.models import Participant
from trial.permissions import Action, may
from trial.selectors.participants import participant_get


class ParticipantMixin(ActionRequiredMixin):
    """Load the participant of the URL; 404 outside the user's sites, 403 without the right."""

    required_action = Action.VIEW_PARTICIPANTS
    participant_action: Action = Action.VIEW_PARTICIPANTS
    participant: Participant

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        code = request.protocol.code  # a participant of another trial answers 404
        if request.user.is_authenticated and may(request.user, code, self.required_action):
            self.participant = participant_get(request.user, code, kwargs["trial_id"])
            if not may(request.user, code, self.participant_action, site=self.participant.site):
                raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(
            participant=self.participant, today=timezone.localdate(), **kwargs
        )

    def to_participant(self) -> HttpResponse:
        return redirect("trial:participant-detail", trial_id=self.participant.trial_id)


class ServiceFormView(FormView):
    """A form view whose ``perform(form)`` calls a service; domain errors become form errors.

    Subclasses define ``perform``; a ``TrialError`` it raises is shown on the form (next to
    the field it concerns when it names one) and nothing is saved (the service's
    transaction rolled back). A failed save says so in a message banner, and the template
    includes ``trial/_error_summary.html``: every error at the top, linked to its field
    (UXD-001); a subclass with a template without it sets ``shows_error_summary = False``.
    """

    success_message: Any = None
    shows_error_summary = True

    def get_form(self, form_class: Any = None) -> Any:
        form = super().get_form(form_class)
        form.error_summary_on_page = self.shows_error_summary
        return form

    def form_valid(self, form: Any) -> HttpResponse:
        try:
            self.result = self.perform(form)
        except TrialError as error:
            self.trial_error = error
            add_trial_error(form, error)
            return self.form_invalid(form)
        if self.success_message:
            messages.success(self.request, self.success_message)
        return self.get_success_response()

    def form_invalid(self, form: Any) -> HttpResponse:
        if form.errors:
            count = len(form.errors)
            messages.error(
                self.request,
                ngettext(
                    "Not saved: correct the problem marked on the form.",
                    "Not saved: correct the %(count)d problems marked on the form.",
                    count,
                )
                % {"count": count},
            )
        return super().form_invalid(form)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["error_summary"] = error_summary(context.get("form"))
        return context

    def get_success_response(self) -> HttpResponse:
        return self.to_participant()


def add_trial_error(form: Any, error: TrialError) -> None:
    """Show a service's refusal next to the field it concerns, else for the whole form."""
    if isinstance(error, FormIncomplete):
        fields = [name for name in error.fields if name in form.fields]
        for name in fields:
            form.add_error(name, form.fields[name].error_messages["required"])
        if fields:
            return
    if isinstance(error, ReasonRequired) and "reason" in form.fields:
        form.add_error("reason", error.message)
        return
    form.add_error(None, error.message)
