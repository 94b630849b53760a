"""Staff pages of ePRO: issue (QR code and link, shown once; optionally e-mailed), revoke.

Both are POSTs from the participant page, for one visit the user may see and enter data
at. The raw token exists only in the response to the issuing POST: it is never stored,
logged or put in a URL of this site's own pages (the QR code is an SVG ``data:`` image).
"""

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from epro.notify import invitation_email
from epro.qr import qr_data_uri
from epro.services import invitation_issue, invitation_revoke
from epro.staff_selectors import epro_visit_forms, invitation_get
from trial.exceptions import TrialError
from trial.permissions import Action
from trial.protocol import get_protocol
from trial.views.base import ParticipantMixin
from trial.views.crfs import visible_visit

PATIENT_URL = "epro:start"  # the patient's entry page, by token (epro.urls)


def invitation_link(request: HttpRequest, token: str) -> str:
    """Return the absolute short link the patient opens."""
    return request.build_absolute_uri(reverse(PATIENT_URL, args=[token]))


class VisitActionView(ParticipantMixin, View):
    """A POST on one visit of the URL's participant (404 for a visit the user may not see)."""

    participant_action = Action.ENTER_DATA
    http_method_names = ["post"]

    def setup_visit(self) -> None:
        self.visit = visible_visit(self.request.user, self.participant, self.kwargs)
        self.visit.participant = self.participant
        self.definition = get_protocol(self.participant.protocol_code).visit(self.visit.code)


class InvitationIssueView(VisitActionView):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.setup_visit()
        if not epro_visit_forms(request.user, self.participant, self.visit):
            messages.error(request, _("This visit has no self-completed forms."))
            return self.to_participant()
        if request.POST.get("issue") != "1":  # only the page's button issues
            messages.error(request, _("Nothing was issued: use the button on the visit."))
            return self.to_participant()
        try:
            invitation, token = invitation_issue(
                participant=self.participant, visit=self.visit, actor=request.user
            )
        except TrialError as error:
            messages.error(request, error.message)
            return self.to_participant()
        link = invitation_link(request, token)
        emailed = False
        if request.POST.get("send_email"):
            try:
                invitation = invitation_email(actor=request.user, invitation=invitation, link=link)
                emailed = True
            except TrialError as error:
                messages.warning(request, error.message)
            except OSError:
                messages.warning(request, _("The e-mail could not be sent; show the QR code."))
        protocol = get_protocol(self.participant.protocol_code)
        context = {
            "participant": self.participant,
            "visit": self.visit,
            "definition": self.definition,
            "invitation": invitation,
            "forms": [protocol.form(code) for code in invitation.form_codes],
            "link": link,
            "qr": qr_data_uri(link),
            "emailed": emailed,
        }
        return TemplateResponse(request, "epro/staff/invitation_issued.html", context)


class InvitationRevokeView(VisitActionView):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.setup_visit()
        invitation = invitation_get(self.participant, self.visit, kwargs["pk"])
        try:
            invitation_revoke(
                invitation=invitation, actor=request.user, reason=request.POST.get("reason", "")
            )
        except TrialError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Invitation revoked: its link no longer works."))
        return redirect(
            reverse("trial:participant-detail", args=[self.participant.trial_id])
            + f"#visit-{self.visit.code}"
        )
