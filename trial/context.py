"""The active trial: the one place that decides which trial a request, a command or a demo
works in.

An instance runs every discovered protocol (``trial.protocol.protocols()``). A signed-in
user works in one of the trials where they hold an active membership (a superuser: any
discovered trial), chosen with the trial switcher and kept in the session;
:class:`ActiveTrialMiddleware` puts it on the request as ``request.protocol``. Views read
``request.protocol``; services and selectors take the protocol code as an argument;
background jobs loop over ``protocols()``; the API uses its token's trial.

The instance's default trial, ``settings.EDC_PROTOCOL``, is read here and nowhere else
(``tests/unit/trial/test_trial_context.py`` greps for it): it is the trial a user without a
choice starts in, and the one a management command uses without ``--protocol``.
"""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from trial.permissions import trial_codes
from trial.protocol import Protocol, get_protocol, protocols

SESSION_KEY = "edc_protocol"


def default_protocol_code() -> str:
    """Return the code of the instance's default trial (``EDC_PROTOCOL``)."""
    code: str = settings.EDC_PROTOCOL
    return code


def default_protocol() -> Protocol:
    """Return the instance's default trial."""
    return get_protocol(default_protocol_code())


def protocol_for_command(code: str | None) -> Protocol:
    """Return the trial a management command's ``--protocol`` names, else the default;
    ``LookupError`` names the known codes."""
    return get_protocol(code) if code else default_protocol()


def protocols_for(user: Any) -> tuple[Protocol, ...]:
    """Return the trials the user may work in, in discovery order: those where they hold
    an active membership; every discovered trial for a superuser."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return ()
    if user.is_superuser:
        return protocols()
    held = trial_codes(user)
    return tuple(p for p in protocols() if p.code in held)


def active_protocol(request: HttpRequest) -> Protocol:
    """Return the request's trial: the one chosen in the session if the user may still
    work in it, else the default trial if they may, else their first trial. A user with no
    trial (and an anonymous request) gets the default trial, in which they hold nothing."""
    available = protocols_for(getattr(request, "user", None))
    codes = [p.code for p in available]
    session = getattr(request, "session", None)
    chosen = session.get(SESSION_KEY) if session is not None else None
    default = default_protocol_code()
    for code in (chosen, default):
        if code in codes:
            return get_protocol(code)
    return available[0] if available else default_protocol()


def active_protocol_set(request: HttpRequest, code: str) -> Protocol:
    """Make ``code`` the request's trial for this session; ``LookupError`` when the user
    may not work in it (unknown trial, or no membership in it)."""
    for protocol in protocols_for(request.user):
        if protocol.code == code:
            request.session[SESSION_KEY] = code
            request.protocol = protocol  # type: ignore[attr-defined]
            return protocol
    raise LookupError(code)


class ActiveTrialMiddleware:
    """Set ``request.protocol`` (a ``Protocol``) to the request's active trial.

    Runs after the session and authentication middleware.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.protocol = active_protocol(request)  # type: ignore[attr-defined]
        return self.get_response(request)
