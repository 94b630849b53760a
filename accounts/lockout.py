"""The login lockout (django-axes): which address a request comes from, and password
re-entry (e-signatures) counted with the logins.

Policy (docs/security.md): failures are counted per **username and address** together.
Five wrong passwords for ``admin`` from one address lock ``admin`` out *from that address*
for the cool-off time; the real ``admin`` elsewhere can still log in, so nobody can lock an
account out from afar. A password typed to sign a form is a password attempt like a login:
it is counted, and a locked-out user cannot sign even with the right password.
"""

from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str | None:
    """Return the client's address: ``REMOTE_ADDR``, or behind ``EDC_PROXY_HOPS`` trusted
    reverse proxies the entry of ``X-Forwarded-For`` that the outermost proxy appended.

    Each proxy appends the address it received the request from, so entries further left
    were written by the client and are not trusted.
    """
    remote = request.META.get("REMOTE_ADDR")
    hops = settings.EDC_PROXY_HOPS
    if hops <= 0:
        return remote
    header = request.META.get("HTTP_X_FORWARDED_FOR", "")
    forwarded = [part.strip() for part in header.split(",") if part.strip()]
    return forwarded[-hops] if len(forwarded) >= hops else remote


def password_reconfirm(request: HttpRequest, password: str) -> bool:
    """Return whether ``password`` is the signed-in user's own, counting a wrong one as a
    failed login (and refusing any once the user is locked out at this address).

    ``authenticate`` runs the axes backend first: when locked out it refuses without
    checking the password and marks the request, and the axes middleware then answers with
    the lockout page (HTTP 429).
    """
    user: Any = request.user
    if not getattr(user, "is_authenticated", False):
        return False
    confirmed = authenticate(request, username=user.get_username(), password=password)
    return confirmed is not None and confirmed.pk == user.pk
