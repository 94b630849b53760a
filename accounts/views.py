from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse_lazy
from django.utils.translation import check_for_language
from django.utils.translation import gettext_lazy as _
from django.views.generic import ListView, TemplateView
from django.views.i18n import set_language as django_set_language

from api.selectors import api_release_versions_for, api_token_list_for
from trial.permissions import ROLE_ACTIONS, Action, all_memberships, is_blinded, memberships

from .forms import EdcPasswordChangeForm, LoginForm
from .mixins import ActionRequiredMixin
from .selectors import sites_with_staff, trial_wide_staff
from .services import user_change_password, user_set_language

ACTION_LABELS: dict[Action, Any] = {
    Action.VIEW_PARTICIPANTS: _("View participants"),
    Action.VIEW_IDENTIFIERS: _("See identifying data of own site's participants"),
    Action.ENTER_DATA: _("Enter and correct data"),
    Action.RANDOMIZE: _("Randomize participants"),
    Action.SIGN: _("Sign forms and casebooks"),
    Action.RAISE_QUERY: _("Raise data queries"),
    Action.ANSWER_QUERY: _("Answer data queries"),
    Action.CLOSE_QUERY: _("Close data queries"),
    Action.VERIFY: _("Verify source data"),
    Action.LOCK: _("Lock and unlock data"),
    Action.VIEW_DASHBOARD: _("Watch the trial dashboard"),
    Action.RUN_REPORTS: _("Run statistical reports"),
    Action.DOWNLOAD_RELEASES: _("Download locked dataset releases"),
    Action.MANAGE_ALLOCATION: _("Manage the allocation list"),
    Action.REQUEST_UNBLINDING: _("Request emergency unblinding"),
    Action.DECIDE_UNBLINDING: _("Approve or refuse unblinding"),
    Action.VIEW_AUDIT: _("Read the audit trail"),
    Action.VIEW_SITE_STAFF: _("See sites and their staff"),
    Action.MANAGE_USERS: _("Manage users and sites"),
    Action.IMPORT_DATA: _("Import data from files"),
    Action.LOAD_HISTORICAL_ALLOCATIONS: _("Load historical allocations"),
}


class EdcLoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class EdcLogoutView(auth_views.LogoutView):
    """Log out and say so on the login page it leads to (UXD-006)."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        was_in = request.user.is_authenticated
        response = super().post(request, *args, **kwargs)
        if was_in:  # the session was flushed: the message goes into the fresh one
            messages.success(request, _("You are logged out."))
        return response


class HomeView(LoginRequiredMixin, TemplateView):
    template_name = "accounts/home.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        user, code = self.request.user, self.request.protocol.code
        held = memberships(user, code)
        granted = {a for m in held for a in ROLE_ACTIONS.get(m.role, ())}
        return super().get_context_data(
            memberships=held,
            capabilities=[label for action, label in ACTION_LABELS.items() if action in granted],
            blinded=is_blinded(user, code),
            **kwargs,
        )


class AccountView(LoginRequiredMixin, TemplateView):
    template_name = "accounts/account.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        user = self.request.user
        return super().get_context_data(
            memberships=all_memberships(user),
            api_tokens=api_token_list_for(user, self.request.protocol.code),
            api_releases=api_release_versions_for(user, self.request.protocol.code),
            **kwargs,
        )


class EdcPasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    form_class = EdcPasswordChangeForm
    success_url = reverse_lazy("accounts:account")

    def form_valid(self, form: EdcPasswordChangeForm) -> HttpResponse:
        user = user_change_password(form=form, ip_address=self.request.META.get("REMOTE_ADDR"))
        update_session_auth_hash(self.request, user)
        messages.success(self.request, _("Your password was changed."))
        return super(auth_views.PasswordChangeView, self).form_valid(form)


class SiteListView(ActionRequiredMixin, ListView):
    template_name = "accounts/site_list.html"
    required_action = Action.VIEW_SITE_STAFF
    context_object_name = "sites"

    def get_queryset(self):
        return sites_with_staff(self.request.user, self.request.protocol.code)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        code = self.request.protocol.code
        return super().get_context_data(trial_wide=trial_wide_staff(code), **kwargs)


def locked_out(request: HttpRequest, credentials: dict | None = None, *args: Any, **kwargs: Any):
    """Tell a locked-out user, in their language, when they may try again (HTTP 429)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "accounts/locked_out.html", {"minutes": minutes}, status=429)


def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switcher, and for a signed-in user the choice is kept on the account
    (``User.language``), so it follows them to any device they log in on."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    user = request.user
    if (
        request.method == "POST"
        and user.is_authenticated
        and language
        and check_for_language(language)
    ):
        user_set_language(user=user, language=language)
    return response
