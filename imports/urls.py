from django.urls import path

from . import views

app_name = "imports"

urlpatterns = [
    path("", views.ImportListView.as_view(), name="import-list"),
    path("<int:pk>/", views.ImportDetailView.as_view(), name="import-detail"),
    path(
        "<int:pk>/<str:verb>/",
        views.ImportActionView.as_view(),
        name="import-action",
    ),
]
