"""Turn a lost database connection into a clear, translated "nothing was saved" page."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

log = logging.getLogger(__name__)


class DatabaseUnavailableMiddleware:
    """Answer 503 with a retry message when the database connection fails during a request.

    Every write runs in one transaction, so a connection lost mid-save rolls the whole save
    back in PostgreSQL: the page can truthfully say that nothing was saved. The page is
    rendered without context processors, which would query the lost database.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if not _connection_lost(exc):
            return None
        log.error("database unavailable during %s %s: %s", request.method, request.path, exc)
        body = render_to_string("errors/database_unavailable.html", {"path": request.path})
        response = HttpResponse(body, status=503)
        response["Retry-After"] = "30"
        return response


def _connection_lost(exc: Exception) -> bool:
    """Return whether ``exc`` means the database failed (not a constraint or a bad query).

    ``OperationalError`` covers a lost connection, a server shutting down and timeouts;
    ``InterfaceError`` a connection already closed. Integrity and data errors are bugs or
    bad input and keep their own handling.
    """
    return isinstance(exc, OperationalError | InterfaceError)
