from typing import Any

from django.utils import timezone
from django.views.generic import TemplateView

from accounts.mixins import ActionRequiredMixin
from trial.permissions import Action
from trial.selectors.visits import visit_list_worklist


class WorklistView(ActionRequiredMixin, TemplateView):
    required_action = Action.ENTER_DATA
    template_name = "trial/visits/worklist.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        today = timezone.localdate()
        return super().get_context_data(
            today=today,
            groups=visit_list_worklist(self.request.user, self.request.protocol.code, today),
            **kwargs,
        )
