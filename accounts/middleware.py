"""Refuse requests carrying a NUL character before any view sees them."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render

NUL = "\x00"


def _has_nul(params: QueryDict) -> bool:
    return any(NUL in key or any(NUL in v for v in values) for key, values in params.lists())


class RejectNulMiddleware:
    """Answer 400 to a request whose address or parameters hold a NUL character.

    PostgreSQL text cannot hold NUL. Form fields already refuse it, but a view that reads a
    parameter directly (a filter, an action button, an id in the address) would fail with a
    server error instead of a clear message. Nothing is read or written for such a request.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            NUL in request.path
            or _has_nul(request.GET)
            or (request.method == "POST" and _has_nul(request.POST))
        ):
            return render(request, "400.html", status=400)
        return self.get_response(request)
