from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from trial.permissions import Action, may


class ActionRequiredMixin(LoginRequiredMixin):
    """Let in only signed-in users whose roles grant ``required_action`` somewhere."""

    required_action: Action | None = None

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if self.required_action is not None and not may(request.user, self.required_action):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)
