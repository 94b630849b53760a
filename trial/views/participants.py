from typing import Any

from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic import ListView, TemplateView

from accounts.mixins import ActionRequiredMixin
from trial.blinding import policy_for
from trial.forms.participants import (
    ConsentForm,
    DatesForm,
    EligibilityForm,
    EndForm,
    IdentityForm,
    ParticipantRegisterForm,
)
from trial.models import Participant
from trial.permissions import Action, may, sites_for
from trial.protocol import get_protocol
from trial.selectors.anchors import participant_anchor_dates
from trial.selectors.participants import (
    consent_staff,
    participant_identity_visible,
    participant_list,
)
from trial.selectors.queries import participant_review_progress
from trial.selectors.randomization import may_see_allocation
from trial.selectors.visits import participant_grid, participant_logs, participant_next_visit
from trial.services.consent import consent_record
from trial.services.eligibility import eligibility_record
from trial.services.participants import (
    participant_end,
    participant_register,
    participant_set_dates,
    participant_update_identity,
)
from trial.services.randomization import randomization_blockers

from .base import ParticipantMixin, ServiceFormView


class ParticipantListView(ActionRequiredMixin, ListView):
    required_action = Action.VIEW_PARTICIPANTS
    template_name = "trial/participants/participant_list.html"
    context_object_name = "participants"
    paginate_by = 50

    def get_queryset(self):
        return participant_list(
            self.request.user,
            self.request.protocol.code,
            search=self.request.GET.get("q", "").strip(),
            status=self.request.GET.get("status", ""),
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(
            statuses=Participant.Status.choices,
            q=self.request.GET.get("q", ""),
            status=self.request.GET.get("status", ""),
            blinded=policy_for(self.request.user, self.request.protocol.code).blinded,
            may_register=may(self.request.user, self.request.protocol.code, Action.ENTER_DATA),
            **kwargs,
        )


class ParticipantRegisterView(ActionRequiredMixin, ServiceFormView):
    required_action = Action.ENTER_DATA
    template_name = "trial/participants/participant_form.html"
    form_class = ParticipantRegisterForm
    success_message = _("Patient registered for screening.")

    def get_form_kwargs(self) -> dict[str, Any]:
        return {
            **super().get_form_kwargs(),
            "sites": sites_for(self.request.user, self.request.protocol.code, Action.ENTER_DATA),
        }

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(title=_("Screen a new patient"), **kwargs)

    def perform(self, form: ParticipantRegisterForm) -> Participant:
        return participant_register(
            actor=self.request.user, protocol_code=self.request.protocol.code, **form.cleaned_data
        )

    def get_success_response(self) -> HttpResponse:
        return redirect("trial:participant-detail", trial_id=self.result.trial_id)


class ParticipantDetailView(ParticipantMixin, TemplateView):
    template_name = "trial/participants/participant_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        user, participant = self.request.user, self.participant
        protocol, code = get_protocol(participant.protocol_code), participant.protocol_code
        rows = participant_grid(user, participant, timezone.localdate())
        policy = policy_for(user, participant.protocol_code)
        arm = getattr(getattr(participant, "allocation", None), "arm", None)
        logs = [(f, participant_logs(participant, f.code)) for f in policy.log_forms(arm)]
        return super().get_context_data(
            protocol=protocol,
            rows=rows,
            next_visit=participant_next_visit(rows),
            logs=logs,
            blinded=policy.blinded,
            identity=participant.personal_data
            if participant_identity_visible(user, participant)
            else None,
            may_enter=may(user, code, Action.ENTER_DATA, site=participant.site),
            may_randomize=may(user, code, Action.RANDOMIZE, site=participant.site),
            randomization_blockers=self._randomization_blockers(user),
            may_lock=may(user, code, Action.LOCK, site=participant.site),
            review=participant_review_progress(participant, user),
            may_sign=may(user, code, Action.SIGN, site=participant.site),
            show_arm=may_see_allocation(user, participant),
            may_request_unblinding=may(
                user, code, Action.REQUEST_UNBLINDING, site=participant.site
            ),
            failed_criteria=self._failed_criteria(protocol),
            anchor_dates=[
                (protocol.anchor(code), day)
                for code, day in participant_anchor_dates(participant, protocol).items()
            ],
            **kwargs,
        )

    def _randomization_blockers(self, user: Any) -> list[str] | None:
        """Why the randomize button is not offered (None: the question does not arise)."""
        participant = self.participant
        if participant.status not in (
            Participant.Status.ELIGIBLE,
            Participant.Status.CONSENTED,
        ) or not may(user, participant.protocol_code, Action.RANDOMIZE, site=participant.site):
            return None
        return randomization_blockers(participant)

    def _failed_criteria(self, protocol: Any) -> list[Any]:
        eligibility = getattr(self.participant, "eligibility", None)
        if eligibility is None:
            return []
        return [c for c in protocol.criteria if c.code in eligibility.failed_criteria]


class ParticipantStepView(ParticipantMixin, ServiceFormView):
    participant_action = Action.ENTER_DATA
    template_name = "trial/participants/participant_form.html"
    title: Any = ""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(title=self.title, **kwargs)

    def protocol(self):
        return get_protocol(self.participant.protocol_code)


class EligibilityView(ParticipantStepView):
    form_class = EligibilityForm
    title = _("Eligibility")
    success_message = _("Eligibility recorded.")

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "criteria": self.protocol().criteria}

    def get_initial(self) -> dict[str, Any]:
        previous = getattr(self.participant, "eligibility", None)
        if previous is None:
            return {"assessed_date": timezone.localdate()}
        return {
            "assessed_date": previous.assessed_date,
            **{f"c_{k}": "yes" if v else "no" for k, v in previous.answers.items()},
        }

    def perform(self, form: EligibilityForm) -> Any:
        return eligibility_record(
            actor=self.request.user,
            participant=self.participant,
            assessed_date=form.cleaned_data["assessed_date"],
            answers=form.answers(),
            reason=form.cleaned_data["reason"],
        )


class ConsentView(ParticipantStepView):
    form_class = ConsentForm
    title = _("Informed consent")
    success_message = _("Consent recorded.")

    def get_form_kwargs(self) -> dict[str, Any]:
        site = self.participant.site
        return {
            **super().get_form_kwargs(),
            "versions": self.protocol().consent_versions,
            "staff": consent_staff(site),
        }

    def get_initial(self) -> dict[str, Any]:
        return {"consent_date": timezone.localdate(), "obtained_by": self.request.user.pk}

    def perform(self, form: ConsentForm) -> Any:
        data = form.cleaned_data
        return consent_record(
            actor=self.request.user,
            participant=self.participant,
            version=data["version"],
            consent_date=data["consent_date"],
            obtained_by=data["obtained_by"],
        )


class DatesView(ParticipantStepView):
    form_class = DatesForm
    title = _("Schedule dates")
    success_message = _("Dates saved; the visit schedule follows them.")

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "anchors": self.protocol().anchors}

    def get_initial(self) -> dict[str, Any]:
        dates = participant_anchor_dates(self.participant)
        return {
            f"{code}_date": day
            for code, day in dates.items()
            if any(a.code == code and a.entered for a in self.protocol().anchors)
        }

    def perform(self, form: DatesForm) -> Any:
        return participant_set_dates(
            actor=self.request.user, participant=self.participant, **form.cleaned_data
        )


class IdentityView(ParticipantStepView):
    participant_action = Action.VIEW_IDENTIFIERS
    form_class = IdentityForm
    title = _("Identifying data")
    success_message = _("Identifying data saved.")

    def get_initial(self) -> dict[str, Any]:
        identity = self.participant.personal_data
        return {
            name: getattr(identity, name)
            for name in ("full_name", "phone", "hospital_number", "email")
        }

    def perform(self, form: IdentityForm) -> Any:
        data = dict(form.cleaned_data)
        reason = data.pop("reason")
        return participant_update_identity(
            actor=self.request.user, participant=self.participant, reason=reason, **data
        )


class EndView(ParticipantStepView):
    form_class = EndForm
    title = _("End participation")
    success_message = _("Participation ended.")

    def perform(self, form: EndForm) -> Any:
        return participant_end(
            actor=self.request.user, participant=self.participant, **form.cleaned_data
        )
