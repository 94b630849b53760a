from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _

from trial.models import FormInstance
from trial.permissions import Action
from trial.services.participant_entries import crf_mark_invalid

from .queries import InstanceActionView


class MarkInvalidView(InstanceActionView):
    """Site staff mark a participant's ePRO entry invalid, with a reason."""

    action_needed = Action.ENTER_DATA

    def act(self, request: HttpRequest, instance: FormInstance) -> Any:
        crf_mark_invalid(
            actor=request.user, instance=instance, reason=request.POST.get("reason", "")
        )
        return _("Entry marked invalid: it stays visible and is left out of the datasets.")
