from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView

from accounts.mixins import ActionRequiredMixin
from trial.exceptions import TrialError
from trial.forms.randomization import (
    GenerateListForm,
    MinimizationForm,
    UnblindingDecisionForm,
    UnblindingRequestForm,
    UploadListForm,
    upload_problem_message,
)
from trial.models import AllocationList, UnblindingRequest
from trial.permissions import Action, is_blinded, may, roles
from trial.selectors.randomization import (
    allocation_list_get,
    allocation_list_overview,
    allocation_lists,
    arm_balance,
    may_see_allocation,
    unblinding_request_get,
    unblinding_request_list,
)
from trial.services.randomization import (
    UploadInvalid,
    allocation_list_activate,
    allocation_list_create_minimization,
    allocation_list_generate,
    allocation_list_upload,
    allocation_list_verify,
    participant_randomize,
)
from trial.services.unblinding import (
    unblinding_request_approve,
    unblinding_request_create,
    unblinding_request_refuse,
)

from .base import ParticipantMixin, ServiceFormView


class UnblindedMixin(ActionRequiredMixin):
    """Allocation lists: only unblinded users with MANAGE_ALLOCATION (404 for the blinded)."""

    required_action = Action.MANAGE_ALLOCATION

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and is_blinded(request.user, request.protocol.code):
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def protocol(self):
        return self.request.protocol


class AllocationOverviewView(UnblindedMixin, TemplateView):
    template_name = "trial/randomization/allocation_overview.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        protocol = self.protocol()
        return super().get_context_data(
            lists=allocation_lists(protocol.code),
            balance=arm_balance(protocol.code),
            protocol=protocol,
            **kwargs,
        )


class AllocationListDetailView(UnblindedMixin, TemplateView):
    template_name = "trial/randomization/allocation_list_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        allocation_list = allocation_list_get(self.request.protocol.code, self.kwargs["pk"])
        verified = None
        if self.request.GET.get("verify") and allocation_list.commitment:
            verified = allocation_list_verify(allocation_list)
        labels = {f.code: f.label for f in self.protocol().stratification_factors}
        return super().get_context_data(
            allocation_list=allocation_list,
            factor_labels=[labels.get(code, code) for code in allocation_list.factors],
            strata=allocation_list_overview(allocation_list),
            verified=verified,
            **kwargs,
        )


class AllocationListActivateView(UnblindedMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        allocation_list = allocation_list_get(request.protocol.code, pk)
        try:
            sealed = allocation_list_activate(actor=request.user, allocation_list=allocation_list)
        except TrialError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _("List sealed. Commitment (SHA-256): %(hex)s") % {"hex": sealed.commitment},
            )
        return redirect("trial:allocation-list", pk=pk)


class ListCreateView(UnblindedMixin, ServiceFormView):
    template_name = "trial/participants/participant_form.html"
    title: Any = ""

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "factors": self.protocol().stratification_factors}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(title=self.title, **kwargs)

    def get_success_response(self) -> HttpResponse:
        return redirect("trial:allocation-list", pk=self.result.pk)


class GenerateListView(ListCreateView):
    form_class = GenerateListForm
    title = _("Generate a permuted-block list")
    success_message = _("List generated. Check it, then seal it to start randomizing.")

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "ratio": self.protocol().allocation_ratio}

    def perform(self, form: GenerateListForm) -> AllocationList:
        return allocation_list_generate(
            actor=self.request.user, protocol_code=self.request.protocol.code, **form.cleaned_data
        )


class UploadListView(ListCreateView):
    form_class = UploadListForm
    title = _("Upload an allocation list")
    success_message = _("List uploaded. Check it, then seal it to start randomizing.")

    def perform(self, form: UploadListForm) -> AllocationList:
        data = form.cleaned_data
        try:
            return allocation_list_upload(
                protocol_code=self.request.protocol.code,
                actor=self.request.user,
                name=data["name"],
                factors=data["factors"],
                csv_text=data["file"],
            )
        except UploadInvalid as invalid:
            for problem in invalid.problems:
                form.add_error("file", upload_problem_message(problem))
            raise TrialError(
                _("The list was not stored: correct every line listed and upload it again."),
                code=invalid.code,
            ) from invalid


class MinimizationView(ListCreateView):
    form_class = MinimizationForm
    title = _("Set up minimization")
    success_message = _("Minimization set up. Seal it to start randomizing.")

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "ratio": self.protocol().allocation_ratio}

    def perform(self, form: MinimizationForm) -> AllocationList:
        # the ratio is shown, not chosen: the service takes the protocol's
        data = {k: v for k, v in form.cleaned_data.items() if k != "ratio"}
        return allocation_list_create_minimization(
            actor=self.request.user, protocol_code=self.request.protocol.code, **data
        )


class RandomizeView(ParticipantMixin, TemplateView):
    participant_action = Action.RANDOMIZE
    template_name = "trial/randomization/randomize.html"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            allocation = participant_randomize(actor=request.user, participant=self.participant)
        except TrialError as error:
            messages.error(request, error.message)
            return self.get(request, *args, **kwargs)
        messages.success(
            request,
            _("Randomized. Randomization number: %(number)s")
            % {"number": allocation.randomization_number},
        )
        return self.to_participant()


class UnblindingRequestView(ParticipantMixin, ServiceFormView):
    participant_action = Action.REQUEST_UNBLINDING
    template_name = "trial/participants/participant_form.html"
    form_class = UnblindingRequestForm
    success_message = _("Unblinding requested. You will see the arm once it is approved.")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(title=_("Request emergency unblinding"), **kwargs)

    def perform(self, form: UnblindingRequestForm) -> UnblindingRequest:
        return unblinding_request_create(
            actor=self.request.user,
            participant=self.participant,
            reason=form.cleaned_data["reason"],
        )


class UnblindingLogView(ActionRequiredMixin, TemplateView):
    template_name = "trial/randomization/unblinding_log.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if user.is_authenticated and not (
            may(user, request.protocol.code, Action.REQUEST_UNBLINDING)
            or may(user, request.protocol.code, Action.DECIDE_UNBLINDING)
        ):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        user, protocol = self.request.user, self.request.protocol
        approver = bool(roles(user, protocol.code) & protocol.unblinding_approver_roles)
        rows = [
            {
                "request": r,
                "arm": r.participant.allocation.arm
                if r.status == "approved" and may_see_allocation(user, r.participant)
                else None,
            }
            for r in unblinding_request_list(user, protocol.code)
        ]
        return super().get_context_data(
            rows=rows, approver=approver, decision_form=UnblindingDecisionForm(), **kwargs
        )


class UnblindingDecideView(ActionRequiredMixin, View):
    required_action = Action.DECIDE_UNBLINDING

    def post(self, request: HttpRequest, pk: int, decision: str) -> HttpResponse:
        unblinding = unblinding_request_get(pk)
        participant = unblinding.participant
        if participant.protocol_code != request.protocol.code or not may(
            request.user, participant.protocol_code, Action.DECIDE_UNBLINDING, site=participant.site
        ):
            raise Http404  # another site's request: as if it did not exist
        form = UnblindingDecisionForm(request.POST)
        note = form.cleaned_data["note"] if form.is_valid() else ""
        service = {"approve": unblinding_request_approve, "refuse": unblinding_request_refuse}.get(
            decision
        )
        if service is None:
            raise Http404
        try:
            service(actor=request.user, request=unblinding, note=note)
        except TrialError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Decision recorded."))
        return redirect("trial:unblinding-log")
