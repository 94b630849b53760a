"""A per-client limit on failed ePRO attempts (wrong tokens, wrong identity answers).

Counted in the shared cache (Redis in production, so every worker sees the same count):
``EPRO_FAILURE_LIMIT`` failures from one address within ``EPRO_FAILURE_WINDOW_SECONDS``
block that address's further attempts until the window ends. If the cache is down the
count is lost and the limit does not apply; the per-invitation lockout still does.
"""

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from accounts.lockout import client_address


def _key(request: HttpRequest) -> str:
    return address_key(client_address(request))


def address_key(address: str | None) -> str:
    return f"epro:failures:{address or 'unknown'}"


def client_reset(address: str | None) -> None:
    """Forget an address's failed attempts (tests; an operator unblocking a clinic)."""
    try:
        cache.delete(address_key(address))
    except Exception:  # the count is gone with the cache anyway
        pass


def client_blocked(request: HttpRequest) -> bool:
    """Return whether this client has used up its failed attempts for now."""
    try:
        count = cache.get(_key(request)) or 0
    except Exception:  # a cache outage must not lock patients out
        return False
    return count >= settings.EPRO_FAILURE_LIMIT


def client_failed(request: HttpRequest) -> None:
    """Count one failed attempt of this client."""
    key = _key(request)
    try:
        if not cache.add(key, 1, settings.EPRO_FAILURE_WINDOW_SECONDS):
            cache.incr(key)
    except Exception:  # counting is best effort (see the module docstring)
        pass
