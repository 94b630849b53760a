"""Request middleware of the accounts app: NUL refusal, the user's language and time zone."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils import timezone, translation

from trial.permissions import user_time_zone

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


class UserLanguageMiddleware:
    """Use the signed-in user's saved language, whatever device or cookie the request has.

    Runs after ``LocaleMiddleware`` (cookie, then ``Accept-Language``) and after
    ``AuthenticationMiddleware``: a saved preference overrides the cookie, and the cookie is
    brought in line so that the log-in page of the next visit on this device speaks it too.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        language = getattr(user, "language", "") if user is not None else ""
        if language and getattr(user, "is_authenticated", False):
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        # the log-in or the switcher may have set the preference during this request
        user = getattr(request, "user", None)
        language = getattr(user, "language", "") if user is not None else ""
        if (
            language
            and getattr(user, "is_authenticated", False)
            and request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) != language
            and settings.LANGUAGE_COOKIE_NAME not in response.cookies
        ):
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        return response


class SiteTimeZoneMiddleware:
    """Show times in the zone of the user's site (``Site.time_zone``).

    A user whose memberships are all at one site sees that site's zone; a trial-wide user
    (or one at sites in different zones) sees the trial's zone, ``settings.TIME_ZONE``.
    Storage stays UTC; only display and form input use the active zone.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        zone = user_time_zone(getattr(request, "user", None))
        if zone is None:
            timezone.deactivate()
        else:
            timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
