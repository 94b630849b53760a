from django.urls import path

from . import views

app_name = "epro"

urlpatterns = [
    path("", views.IdentityView.as_view(), name="identity"),
    path("continue/", views.ResumeView.as_view(), name="resume"),
    path("q/<slug:form_code>/", views.PageView.as_view(), name="page"),
    path("submit/", views.ReviewView.as_view(), name="review"),
    path("thanks/", views.done, name="done"),
    path("leave/", views.leave, name="leave"),
    path("<str:token>/", views.start, name="start"),
]
