"""The patient's pages: no account, one questionnaire per page, in the language they pick.

The session holds which invitation the browser opened (``epro_invitation``) and whether
the identity question was answered (``epro_verified``); the token itself stays only in
the link. Every refusal is a page in the patient's language that changed nothing.
"""

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.http import require_GET, require_POST

from epro import ratelimit, services
from epro.exceptions import (
    AlreadySubmitted,
    IdentityMismatch,
    InvitationUnavailable,
    NotInvited,
    PageInvalid,
    PagesIncomplete,
)
from epro.forms import page_sections, patient_form
from epro.models import Invitation
from trial.exceptions import TrialError
from trial.protocol import get_protocol

SESSION_INVITATION, SESSION_VERIFIED = "epro_invitation", "epro_verified"


def message_page(
    request: HttpRequest, message: Any, *, status: int = 200, title: str = "", link: str = ""
) -> HttpResponse:
    """Render the one plain page every refusal and notice uses (``link``: continue there)."""
    context = {"title": title or _("Your questionnaires"), "message": message, "link": link}
    return render(request, "epro/message.html", context, status=status)


def unavailable(request: HttpRequest) -> HttpResponse:
    return message_page(request, InvitationUnavailable.default_message, status=404)


def too_many(request: HttpRequest) -> HttpResponse:
    minutes = max(1, settings.EPRO_FAILURE_WINDOW_SECONDS // 60)
    message = _(
        "Too many attempts from this device. Please wait %(minutes)d minutes and try again."
    ) % {"minutes": minutes}
    return message_page(request, message, status=429)


def session_invitation(request: HttpRequest, *, verified: bool = True) -> Invitation | None:
    """Return the invitation this browser opened (and verified, unless told otherwise)."""
    pk = request.session.get(SESSION_INVITATION)
    if verified and request.session.get(SESSION_VERIFIED) != pk:
        return None
    return services.invitation_get(pk)


@require_GET
def start(request: HttpRequest, token: str) -> HttpResponse:
    """Open the link: remember the invitation in the session and ask the identity question."""
    if ratelimit.client_blocked(request):
        return too_many(request)
    try:
        invitation = services.invitation_open(
            token=token, user_agent=request.headers.get("user-agent", "")
        )
    except InvitationUnavailable:
        ratelimit.client_failed(request)
        return unavailable(request)
    request.session.cycle_key()
    request.session[SESSION_INVITATION] = invitation.pk
    request.session.pop(SESSION_VERIFIED, None)
    if invitation.status == Invitation.Status.SUBMITTED:
        return redirect("epro:done")
    return redirect("epro:identity")


class IdentityView(View):
    """Ask the protocol's identity question (e.g. the year of birth)."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.invitation = session_invitation(request, verified=False)
        if self.invitation is None:
            return unavailable(request)
        if self.invitation.status == Invitation.Status.SUBMITTED:
            return redirect("epro:done")
        return super().dispatch(request, *args, **kwargs)

    def render(self, error: Any = None, status: int = 200) -> HttpResponse:
        protocol = get_protocol(self.invitation.participant.protocol_code)
        context = {"question": protocol.epro.identity.question, "error": error}
        return render(self.request, "epro/identity.html", context, status=status)

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render()

    def post(self, request: HttpRequest) -> HttpResponse:
        if ratelimit.client_blocked(request):
            return too_many(request)
        try:
            services.identity_verify(
                invitation=self.invitation, answer=request.POST.get("answer", "")
            )
        except IdentityMismatch as error:
            ratelimit.client_failed(request)
            return self.render(error.message, status=400)
        except AlreadySubmitted:
            return redirect("epro:done")
        except TrialError as error:  # locked, or the invitation closed meanwhile
            ratelimit.client_failed(request)
            return message_page(request, error.message, status=403)
        request.session.cycle_key()
        request.session[SESSION_VERIFIED] = self.invitation.pk
        return redirect("epro:resume")


class PatientView(View):
    """A page of a verified, unsubmitted invitation (else the generic or thank-you page)."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.invitation = session_invitation(request)
        if self.invitation is None:
            return unavailable(request)
        if self.invitation.status == Invitation.Status.SUBMITTED:
            return redirect("epro:done")
        if services.invitation_status(self.invitation) not in Invitation.ACTIVE:
            return unavailable(request)
        return super().dispatch(request, *args, **kwargs)


class ResumeView(PatientView):
    def get(self, request: HttpRequest) -> HttpResponse:
        code = services.invitation_next_page(self.invitation)
        if code is None:
            return redirect("epro:review")
        return redirect("epro:page", form_code=code)


class PageView(PatientView):
    """One questionnaire: its instructions, recall period and questions; saved per page."""

    def context(self, form: Any) -> dict[str, Any]:
        codes = self.invitation.form_codes
        protocol = get_protocol(self.invitation.participant.protocol_code)
        return {
            "form": form,
            "formdef": protocol.form(self.code),
            "texts": protocol.epro.form(self.code),
            "sections": page_sections(form),
            "number": codes.index(self.code) + 1,
            "total": len(codes),
            "previous": codes[codes.index(self.code) - 1] if codes.index(self.code) else None,
        }

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.code = kwargs.get("form_code", "")
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest, form_code: str) -> HttpResponse:
        if form_code not in self.invitation.form_codes:
            return message_page(request, NotInvited.default_message, status=404)
        draft = services.invitation_drafts(self.invitation).get(form_code)
        form = patient_form(
            self.invitation, form_code, None, completing=True, initial=draft.data if draft else {}
        )
        return render(request, "epro/page.html", self.context(form))

    def post(self, request: HttpRequest, form_code: str) -> HttpResponse:
        later = "save_later" in request.POST
        save = services.page_save_draft if later else services.page_save
        try:
            save(invitation=self.invitation, form_code=form_code, data=request.POST)
        except PageInvalid as error:
            context = {**self.context(error.form), "error": error.message}
            return render(request, "epro/page.html", context, status=400)
        except AlreadySubmitted:
            return redirect("epro:done")
        except TrialError as error:
            return message_page(request, error.message, status=400)
        if later:
            message = _(
                "Your answers on this page are saved. You may close this page and continue "
                "later with your link, or continue now."
            )
            return message_page(request, message, title=_("Saved"), link=request.path)
        return redirect("epro:resume")


class ReviewView(PatientView):
    """Every questionnaire answered: submit them (answers cannot be changed afterwards)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        if services.invitation_next_page(self.invitation) is not None:
            return redirect("epro:resume")
        protocol = get_protocol(self.invitation.participant.protocol_code)
        forms = [protocol.form(code) for code in self.invitation.form_codes]
        return render(request, "epro/review.html", {"forms": forms})

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            services.invitation_submit(
                invitation=self.invitation, user_agent=request.headers.get("user-agent", "")
            )
        except AlreadySubmitted:
            return redirect("epro:done")
        except PagesIncomplete as error:
            return message_page(request, error.message, status=400)
        except TrialError as error:
            return message_page(request, error.message, status=409)
        return redirect("epro:done")


def done(request: HttpRequest) -> HttpResponse:
    """The thank-you page: the only page a submitted invitation still shows."""
    invitation = session_invitation(request, verified=False)
    if invitation is None or invitation.status != Invitation.Status.SUBMITTED:
        return unavailable(request)
    return render(request, "epro/done.html", {})


@require_POST
def leave(request: HttpRequest) -> HttpResponse:
    """Forget the invitation in this browser (a shared clinic tablet)."""
    request.session.pop(SESSION_VERIFIED, None)
    request.session.pop(SESSION_INVITATION, None)
    return message_page(
        request, _("Your answers are saved. Open your link again to continue."), title=_("Saved")
    )
