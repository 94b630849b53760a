from typing import Any

from django.http import HttpRequest

from trial.permissions import is_blinded

from .navigation import nav_items_for


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    return {"nav_items": nav_items_for(user), "user_is_blinded": is_blinded(user)}
