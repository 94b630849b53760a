from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from trial.permissions import Action, may, may_trial_wide


class ActionRequiredMixin(LoginRequiredMixin):
    """Let in only signed-in users whose roles in the active trial (``request.protocol``)
    grant ``required_action`` somewhere.

    With ``trial_wide`` the right must come from a trial-wide membership (pages whose data
    span every site).
    """

    required_action: Action | None = None
    trial_wide: bool = False

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        code = request.protocol.code  # the active trial (trial.context)
        if self.required_action is not None and not may(request.user, code, self.required_action):
            raise PermissionDenied
        if self.trial_wide and not may_trial_wide(request.user, code, self.required_action):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)
