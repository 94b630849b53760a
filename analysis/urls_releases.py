"""Dataset releases, included at ``data/releases/`` (namespace ``releases``)."""

from django.urls import path

from analysis import views_releases as views

app_name = "releases"

urlpatterns = [
    path("", views.ReleaseListView.as_view(), name="release-list"),
    path("<int:pk>/", views.ReleaseDetailView.as_view(), name="release-detail"),
    path("<int:pk>/retry/", views.ReleaseRetryView.as_view(), name="release-retry"),
    path(
        "<int:pk>/download/<str:variant>/",
        views.ReleaseDownloadView.as_view(),
        name="release-download",
    ),
]
