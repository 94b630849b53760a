from django.urls import path

from . import staff_views

app_name = "epro_staff"

V = "participants/<str:trial_id>/visits/<str:visit_code>/epro/"
urlpatterns = [
    path(V + "issue/", staff_views.InvitationIssueView.as_view(), name="invitation-issue"),
    path(
        V + "<int:pk>/revoke/", staff_views.InvitationRevokeView.as_view(), name="invitation-revoke"
    ),
]
