from django.urls import path

from .views import (
    audit,
    crfs,
    dashboard,
    historical,
    locks,
    participant_entries,
    participants,
    queries,
    randomization,
    trials,
    visits,
)

app_name = "trial"

P = "participants/<str:trial_id>/"
urlpatterns = [
    path("trial/switch/", trials.trial_switch, name="trial-switch"),
    path("participants/", participants.ParticipantListView.as_view(), name="participant-list"),
    path(
        "participants/new/",
        participants.ParticipantRegisterView.as_view(),
        name="participant-register",
    ),
    path(P, participants.ParticipantDetailView.as_view(), name="participant-detail"),
    path(P + "eligibility/", participants.EligibilityView.as_view(), name="eligibility"),
    path(P + "consent/", participants.ConsentView.as_view(), name="consent"),
    path(P + "randomize/", randomization.RandomizeView.as_view(), name="randomize"),
    path(
        P + "unblinding/", randomization.UnblindingRequestView.as_view(), name="unblinding-request"
    ),
    path(P + "dates/", participants.DatesView.as_view(), name="dates"),
    path(P + "identity/", participants.IdentityView.as_view(), name="identity"),
    path(P + "end/", participants.EndView.as_view(), name="end"),
    path(
        P + "visits/<str:visit_code>/missed/", crfs.VisitMissedView.as_view(), name="visit-missed"
    ),
    path(
        P + "visits/<str:visit_code>/<str:form_code>/",
        crfs.CrfEntryView.as_view(),
        name="crf-entry",
    ),
    path(
        P + "visits/<str:visit_code>/<str:form_code>/history/",
        crfs.CrfHistoryView.as_view(),
        name="crf-history",
    ),
    path(P + "logs/<str:form_code>/", crfs.LogListView.as_view(), name="log-list"),
    path(P + "logs/<str:form_code>/new/", crfs.CrfEntryView.as_view(), name="log-new"),
    path(P + "logs/<str:form_code>/<int:seq>/", crfs.CrfEntryView.as_view(), name="log-edit"),
    path(P + "logs/<str:form_code>/<int:seq>/void/", crfs.LogVoidView.as_view(), name="log-void"),
    path(
        P + "logs/<str:form_code>/<int:seq>/history/",
        crfs.CrfHistoryView.as_view(),
        name="log-history",
    ),
    path("worklist/", visits.WorklistView.as_view(), name="worklist"),
    path("dashboard/", dashboard.DashboardView.as_view(), name="dashboard"),
    path("allocation/", randomization.AllocationOverviewView.as_view(), name="allocation"),
    path(
        "allocation/generate/", randomization.GenerateListView.as_view(), name="allocation-generate"
    ),
    path(
        "allocation/historical/",
        historical.HistoricalAllocationsView.as_view(),
        name="historical-allocations",
    ),
    path("allocation/upload/", randomization.UploadListView.as_view(), name="allocation-upload"),
    path(
        "allocation/minimization/",
        randomization.MinimizationView.as_view(),
        name="allocation-minimization",
    ),
    path(
        "allocation/<int:pk>/",
        randomization.AllocationListDetailView.as_view(),
        name="allocation-list",
    ),
    path(
        "allocation/<int:pk>/activate/",
        randomization.AllocationListActivateView.as_view(),
        name="allocation-activate",
    ),
    path("queries/", queries.QueryListView.as_view(), name="query-list"),
    path(P + "casebook/<str:verb>/", locks.CasebookActionView.as_view(), name="casebook"),
    path("data/lock/", locks.DatabaseLockView.as_view(), name="database-lock"),
    path("queries/<int:pk>/<str:verb>/", queries.QueryActionView.as_view(), name="query-action"),
    path("forms/<int:pk>/queries/raise/", queries.QueryRaiseView.as_view(), name="query-raise"),
    path("forms/<int:pk>/verify/", queries.VerifyView.as_view(), name="crf-verify"),
    path("forms/<int:pk>/lock/", queries.LockView.as_view(), name="crf-lock"),
    path("forms/<int:pk>/unlock/", queries.UnlockView.as_view(), name="crf-unlock"),
    path("forms/<int:pk>/sign/", queries.SignView.as_view(), name="crf-sign"),
    path(
        "forms/<int:pk>/invalid/",
        participant_entries.MarkInvalidView.as_view(),
        name="crf-mark-invalid",
    ),
    path("forms/<int:pk>/blinded-text/", queries.TextReviewView.as_view(), name="crf-text-review"),
    path("audit/", audit.AuditListView.as_view(), name="audit"),
    path("audit/export.csv", audit.AuditExportView.as_view(), name="audit-export"),
    path("unblinding/", randomization.UnblindingLogView.as_view(), name="unblinding-log"),
    path(
        "unblinding/<int:pk>/<str:decision>/",
        randomization.UnblindingDecideView.as_view(),
        name="unblinding-decide",
    ),
]
