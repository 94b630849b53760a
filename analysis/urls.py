from django.urls import path

from analysis import views

app_name = "analysis"

urlpatterns = [
    path("reports/", views.ReportListView.as_view(), name="report-list"),
    path("reports/sample-size/", views.SampleSizeView.as_view(), name="sample-size"),
    path("reports/<int:pk>/", views.ReportDetailView.as_view(), name="report-detail"),
    path("reports/<int:pk>/rerun/", views.ReportRerunView.as_view(), name="report-rerun"),
    path(
        "reports/<int:pk>/download/<str:fmt>/",
        views.ReportDownloadView.as_view(),
        name="report-download",
    ),
]
