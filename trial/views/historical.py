from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _

from accounts.mixins import ActionRequiredMixin
from trial.exceptions import TrialError
from trial.forms.randomization import HistoricalAllocationsForm, historical_problem_message
from trial.models import HistoricalAllocationLoad
from trial.permissions import Action, is_blinded
from trial.selectors.randomization import historical_allocation_loads
from trial.services.historical_allocations import (
    historical_allocations_load,
    historical_allocations_verify,
    in_system_randomization_started,
)
from trial.services.randomization import UploadInvalid

from .base import ServiceFormView


class HistoricalAllocationsView(ActionRequiredMixin, ServiceFormView):
    """Administrators load a trial's earlier allocations (404 for blinded users)."""

    required_action = Action.LOAD_HISTORICAL_ALLOCATIONS
    form_class = HistoricalAllocationsForm
    template_name = "trial/randomization/historical_allocations.html"
    success_message = _("The historical allocations were loaded and sealed.")

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and is_blinded(request.user, request.protocol.code):
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        loads = historical_allocation_loads(self.request.protocol.code)
        verify = self.request.GET.get("verify")
        return super().get_context_data(
            loads=[
                (load, historical_allocations_verify(load) if verify == str(load.pk) else None)
                for load in loads
            ],
            started=in_system_randomization_started(self.request.protocol.code),
            **kwargs,
        )

    def perform(self, form: HistoricalAllocationsForm) -> HistoricalAllocationLoad:
        name, content = form.cleaned_data["file"]
        try:
            return historical_allocations_load(
                actor=self.request.user,
                protocol_code=self.request.protocol.code,
                file_name=name,
                content=content,
                reason=form.cleaned_data["reason"],
            )
        except UploadInvalid as invalid:
            for problem in invalid.problems:
                form.add_error("file", historical_problem_message(problem))
            raise TrialError(
                _("Nothing was loaded: correct the file and load it again."), code=invalid.code
            ) from invalid

    def get_success_response(self) -> HttpResponse:
        return redirect("trial:historical-allocations")
