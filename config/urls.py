from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from accounts.views import HomeView, set_language

from .health import healthz

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="home", permanent=False)),
    path("home/", HomeView.as_view(), name="home"),
    # Django's conventional log-in address (bookmarks, other apps' defaults): to ours, with ?next
    path(
        "accounts/login/",
        RedirectView.as_view(pattern_name="accounts:login", query_string=True, permanent=False),
    ),
    path("", include("accounts.urls")),
    path("", include("trial.urls")),
    path("", include("analysis.urls")),
    path("", include("api.urls")),
    path("data/releases/", include("analysis.urls_releases")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
]

handler500 = "config.middleware.server_error"
