"""The trial switcher: choose the active trial among those the user works in."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from trial.context import active_protocol_set
from trial.permissions import Action, may


@login_required
@require_POST
def trial_switch(request: HttpRequest) -> HttpResponse:
    """Make the posted trial the session's active trial and go to its dashboard (the home
    page for a user who does not watch the dashboard there). A trial the user holds no
    role in (or that does not exist) is refused with 404, and the active trial stays."""
    code = request.POST.get("protocol", "")
    try:
        protocol = active_protocol_set(request, code)
    except LookupError:
        messages.error(request, _("You cannot switch to this trial: you hold no role in it."))
        return render(request, "404.html", status=404)
    messages.success(request, _("You are now working in %(trial)s.") % {"trial": protocol.title})
    if may(request.user, protocol.code, Action.VIEW_DASHBOARD):
        return redirect("trial:dashboard")
    return redirect("home")
