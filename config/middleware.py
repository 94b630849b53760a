"""Turn a lost database connection into a clear, translated "nothing was saved" page."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.views import defaults

log = logging.getLogger(__name__)


class DatabaseUnavailableMiddleware:
    """Answer 503 with a retry message when the database connection fails during a request.

    Every write runs in one transaction, so a connection lost mid-save rolls the whole save
    back in PostgreSQL: the page can truthfully say that nothing was saved. The page is
    rendered without context processors, which would query the lost database. With a 5xx
    status the session middleware neither saves the session nor drops its cookie.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if not _connection_lost(exc):
            return None
        log.error("database unavailable during %s %s: %s", request.method, request.path, exc)
        return database_unavailable_response(request)


def _connection_lost(exc: Exception) -> bool:
    """Return whether ``exc`` means the database failed (not a constraint or a bad query).

    ``OperationalError`` covers a lost connection, a server shutting down and timeouts;
    ``InterfaceError`` a connection already closed. Integrity and data errors are bugs or
    bad input and keep their own handling.
    """
    return isinstance(exc, OperationalError | InterfaceError)


def database_unavailable_response(request: HttpRequest) -> HttpResponse:
    """Return the 503 "nothing was saved, try again" page, rendered without the database."""
    body = render_to_string("errors/database_unavailable.html", {"path": request.path})
    response = HttpResponse(body, status=503)
    response["Retry-After"] = "30"
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: a database failure outside a view (e.g. in a middleware) is a 503 too."""
    exc = sys.exc_info()[1]
    if exc is not None and _connection_lost(exc):
        return database_unavailable_response(request)
    return defaults.server_error(request)


class NoStoreMiddleware:
    """Mark every response Django makes ``Cache-Control: no-store`` (and ``private``).

    Pages show participants' data, downloads carry whole datasets and the API answers with
    records: none may stay in a shared proxy cache or the browser's cache after logout (the
    back button on a shared ward computer). Static files never reach this middleware
    (WhiteNoise answers them first) and keep their long cache lifetimes.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        add_never_cache_headers(response)
        patch_cache_control(response, private=True)
        return response
