"""The user's API tokens on the account page: create (shown once) and revoke."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from api.services import ApiError, api_token_create, api_token_revoke


def _release(request: HttpRequest) -> int | None:
    value = (request.POST.get("release") or "").strip()
    if value and not (value.isascii() and value.isdigit()):
        raise ApiError(_("Choose a ready release you may read."))
    return int(value) if value else None


@login_required
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    """Create the user's token for the active trial and show it this once."""
    try:
        token, raw = api_token_create(
            actor=request.user,
            user=request.user,
            protocol_code=request.protocol.code,
            release_version=_release(request),
        )
    except ApiError as exc:
        messages.error(request, exc.message)
        return redirect("accounts:account")
    url = request.build_absolute_uri("/api/")
    response = render(request, "api/token_created.html", {"token": token, "raw": raw, "url": url})
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """Revoke one of the user's tokens."""
    try:
        api_token_revoke(actor=request.user, token_id=pk)
        messages.success(request, _("The API token was revoked."))
    except ApiError as exc:
        messages.error(request, exc.message)
    return redirect("accounts:account")
