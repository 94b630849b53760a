from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.generic import FormView

from accounts.mixins import ActionRequiredMixin
from trial.exceptions import TrialError
from trial.models import Participant
from trial.permissions import Action, may
from trial.selectors.participants import participant_get


class ParticipantMixin(ActionRequiredMixin):
    """Load the participant of the URL; 404 outside the user's sites, 403 without the right."""

    required_action = Action.VIEW_PARTICIPANTS
    participant_action: Action = Action.VIEW_PARTICIPANTS
    participant: Participant

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and may(request.user, self.required_action):
            self.participant = participant_get(request.user, kwargs["trial_id"])
            if not may(request.user, self.participant_action, site=self.participant.site):
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

    Subclasses define ``perform``; a ``TrialError`` it raises is shown on the form and
    nothing is saved (the service's transaction rolled back).
    """

    success_message: Any = None

    def form_valid(self, form: Any) -> HttpResponse:
        try:
            self.result = self.perform(form)
        except TrialError as error:
            self.trial_error = error
            form.add_error(None, error.message)
            return self.form_invalid(form)
        if self.success_message:
            messages.success(self.request, self.success_message)
        return self.get_success_response()

    def get_success_response(self) -> HttpResponse:
        return self.to_participant()
