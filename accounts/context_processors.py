from typing import Any

from django.http import HttpRequest

from trial.context import protocols_for
from trial.permissions import is_blinded

from .navigation import nav_items_for


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    protocol = request.protocol
    trials = protocols_for(user)
    return {
        "nav_items": nav_items_for(user, protocol.code),
        "user_is_blinded": is_blinded(user, protocol.code),
        "active_trial": protocol,
        "switchable_trials": trials if len(trials) > 1 else (),
    }
