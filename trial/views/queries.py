"""Queries and the data-management actions on a form: verify, lock, unlock, sign."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import ListView

from accounts.lockout import password_reconfirm
from accounts.mixins import ActionRequiredMixin
from trial.blinding import policy_for
from trial.exceptions import TrialError
from trial.forms.queries import QueryFilterForm
from trial.models import FormInstance, Query
from trial.permissions import Action, may, sites_for
from trial.selectors.queries import form_instance_get, query_get, query_worklist
from trial.services.blinding import crf_blinded_texts_review
from trial.services.data_management import crf_lock, crf_sign, crf_unlock, crf_verify
from trial.services.queries import query_answer, query_close, query_raise, query_reopen

SIGNATURE_MEANING = _(
    "I confirm that I reviewed these data and that they are accurate and "
    "complete to the best of my knowledge."
)


def signature_password(request: HttpRequest) -> str:
    """Return the password typed to sign once the login lockout has counted it.

    A wrong one is a failed login attempt (django-axes); once locked out, even the right
    one is refused and the lockout page answers.
    """
    password = request.POST.get("password", "")
    if not password_reconfirm(request, password):
        raise TrialError(
            _("The password is not correct; the form was not signed."), code="signature_password"
        )
    return password


def form_page_url(instance: FormInstance) -> str:
    trial_id = instance.participant.trial_id
    if instance.visit_id:
        return reverse("trial:crf-entry", args=[trial_id, instance.visit.code, instance.form_code])
    return reverse("trial:log-edit", args=[trial_id, instance.form_code, instance.seq])


class QueryListView(ActionRequiredMixin, ListView):
    required_action = Action.VIEW_PARTICIPANTS
    template_name = "trial/queries/query_list.html"
    context_object_name = "queries"
    paginate_by = 50

    def get_queryset(self):
        params = self.request.GET
        self.filter_form = QueryFilterForm(params)
        return query_worklist(
            self.request.user,
            self.request.protocol.code,
            status=params.get("status", "open"),
            site_code=params.get("site", ""),
            older_than_days=self.filter_form.older_than_days(),
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        now = timezone.now()
        context = super().get_context_data(
            statuses=Query.Status.choices,
            status=self.request.GET.get("status", "open"),
            sites=sites_for(
                self.request.user, self.request.protocol.code, Action.VIEW_PARTICIPANTS
            ),
            site=self.request.GET.get("site", ""),
            older_than=self.request.GET.get("older_than", ""),
            older_than_errors=self.filter_form.errors.get("older_than", []),
            **kwargs,
        )
        context["rows"] = [
            (q, (now - q.raised_at).days, form_page_url(q.form_instance))
            for q in context["queries"]
        ]
        return context


class InstanceActionView(ActionRequiredMixin, View):
    """POST-only action on one form instance of a site the user may act at."""

    action_needed: Action = Action.VIEW_PARTICIPANTS
    unblinded_only = False

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        instance = form_instance_get(pk)
        code = instance.participant.protocol_code
        if code != request.protocol.code or not may(
            request.user, code, Action.VIEW_PARTICIPANTS, site=instance.participant.site
        ):
            raise Http404  # another trial's or another site's entry
        policy = policy_for(request.user, instance.participant.protocol_code)
        if not policy.shows_instance(instance) or (self.unblinded_only and policy.blinded):
            raise Http404  # as for an entry that does not exist
        if not may(request.user, code, self.action_needed, site=instance.participant.site):
            raise PermissionDenied
        try:
            message = self.act(request, instance)
        except TrialError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, message)
        return redirect(form_page_url(instance))


class VerifyView(InstanceActionView):
    action_needed = Action.VERIFY

    def act(self, request: HttpRequest, instance: FormInstance) -> Any:
        crf_verify(actor=request.user, instance=instance)
        return _("Form marked as source-data verified.")


class LockView(InstanceActionView):
    action_needed = Action.LOCK

    def act(self, request: HttpRequest, instance: FormInstance) -> Any:
        crf_lock(actor=request.user, instance=instance)
        return _("Form locked.")


class UnlockView(InstanceActionView):
    action_needed = Action.LOCK

    def act(self, request: HttpRequest, instance: FormInstance) -> Any:
        crf_unlock(actor=request.user, instance=instance, reason=request.POST.get("reason", ""))
        return _("Form unlocked.")


class SignView(InstanceActionView):
    action_needed = Action.SIGN

    def act(self, request: HttpRequest, instance: FormInstance) -> Any:
        crf_sign(
            actor=request.user,
            instance=instance,
            password=signature_password(request),
            meaning=str(SIGNATURE_MEANING),
        )
        return _("Form signed.")


class QueryRaiseView(InstanceActionView):
    action_needed = Action.RAISE_QUERY

    def act(self, request: HttpRequest, instance: FormInstance) -> Any:
        query_raise(
            actor=request.user,
            form_instance=instance,
            field=request.POST.get("field", "")[:80],
            text=request.POST.get("text", ""),
        )
        return _("Query raised.")


class TextReviewView(InstanceActionView):
    """An unblinded site user sets the wording of an entry's free text for blinded roles."""

    action_needed = Action.ENTER_DATA
    unblinded_only = True

    def act(self, request: HttpRequest, instance: FormInstance) -> Any:
        crf_blinded_texts_review(actor=request.user, instance=instance, texts=request.POST)
        return _("Free text reviewed: blinded roles now read the wording you saved.")


class QueryActionView(ActionRequiredMixin, View):
    """Answer, close or re-open a query."""

    def post(self, request: HttpRequest, pk: int, verb: str) -> HttpResponse:
        query = query_get(pk)
        site, code = (
            query.form_instance.participant.site,
            query.form_instance.participant.protocol_code,
        )
        if code != request.protocol.code or not may(
            request.user, code, Action.VIEW_PARTICIPANTS, site=site
        ):
            raise Http404
        if not policy_for(request.user, query.form_instance.participant.protocol_code).shows_query(
            query
        ):
            raise Http404  # a query on a hidden form or answer: as if it did not exist
        needed = {
            "answer": Action.ANSWER_QUERY,
            "close": Action.CLOSE_QUERY,
            "reopen": Action.CLOSE_QUERY,
        }.get(verb)
        if needed is None:
            raise Http404
        if not may(request.user, code, needed, site=site):
            raise PermissionDenied
        text = request.POST.get("text", "")
        try:
            if verb == "answer":
                query_answer(actor=request.user, query=query, answer=text)
            elif verb == "close":
                query_close(actor=request.user, query=query, note=text)
            else:
                query_reopen(actor=request.user, query=query, reason=text)
        except TrialError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Query updated."))
        target = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            target = form_page_url(query.form_instance)  # never off-site (open redirect)
        return redirect(target)
