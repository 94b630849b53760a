from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView

from accounts.mixins import ActionRequiredMixin
from trial.exceptions import TrialError
from trial.models import DatabaseLock
from trial.permissions import Action, may
from trial.selectors.participants import participant_get
from trial.services.locks import (
    casebook_sign,
    database_set_state,
    database_state,
    participant_lock,
    participant_unlock,
)

from .queries import SIGNATURE_MEANING, signature_password


class CasebookActionView(ActionRequiredMixin, View):
    """Lock, unlock or sign a participant's whole casebook (POST)."""

    required_action = Action.VIEW_PARTICIPANTS

    def post(self, request: HttpRequest, trial_id: str, verb: str) -> HttpResponse:
        participant = participant_get(request.user, request.protocol.code, trial_id)
        needed = Action.SIGN if verb == "sign" else Action.LOCK
        if verb not in ("lock", "unlock", "sign") or not may(
            request.user, participant.protocol_code, needed, site=participant.site
        ):
            raise PermissionDenied
        try:
            if verb == "lock":
                participant_lock(actor=request.user, participant=participant)
                messages.success(request, _("Casebook locked."))
            elif verb == "unlock":
                participant_unlock(
                    actor=request.user,
                    participant=participant,
                    reason=request.POST.get("reason", ""),
                )
                messages.success(request, _("Casebook unlocked."))
            else:
                count = casebook_sign(
                    actor=request.user,
                    participant=participant,
                    password=signature_password(request),
                    meaning=str(SIGNATURE_MEANING),
                )
                messages.success(request, _("%(n)s forms signed.") % {"n": count})
        except TrialError as error:
            messages.error(request, error.message)
        return redirect("trial:participant-detail", trial_id=trial_id)


class DatabaseLockView(ActionRequiredMixin, TemplateView):
    required_action = Action.LOCK
    trial_wide = True  # the state applies to every site
    template_name = "trial/locks/database_lock.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        state = database_state(self.request.protocol.code)
        return super().get_context_data(state=state, states=DatabaseLock.State, **kwargs)

    def post(self, request: HttpRequest) -> HttpResponse:
        target = request.POST.get("state", "")
        if target not in DatabaseLock.State.values:
            raise PermissionDenied
        try:
            database_set_state(
                actor=request.user,
                protocol_code=request.protocol.code,
                state=target,
                reason=request.POST.get("reason", ""),
            )
        except TrialError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Database state changed."))
        return redirect("trial:database-lock")
