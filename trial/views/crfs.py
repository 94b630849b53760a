from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from trial.blinding import policy_for, text_review_current
from trial.exceptions import StaleEdit
from trial.forms.participants import ReasonForm
from trial.forms.registry import form_class_for
from trial.models import FormInstance, Visit
from trial.permissions import Action, may
from trial.protocol import FormDef, get_protocol
from trial.selectors.crfs import (
    crf_audit_events,
    crf_data_row,
    crf_data_row_at_visit,
    crf_instance_find,
    visit_find,
)
from trial.selectors.queries import query_list_for_form
from trial.selectors.visits import crf_next_form, participant_grid, participant_logs, visible_forms
from trial.services.crfs import crf_save, crf_void
from trial.services.visits import visit_mark_missed

from .base import ParticipantMixin, ServiceFormView
from .queries import SIGNATURE_MEANING


def visible_visit(user: Any, participant: Any, kwargs: dict[str, Any]) -> Visit:
    """Return the visit of the URL, or 404 if it does not exist or is hidden from the user
    (a blinded user gets for an arm-only visit what the other arm's participant gives)."""
    code = kwargs["visit_code"]
    if not policy_for(user, participant.protocol_code).shows_visit(code):
        raise Http404
    visit = visit_find(participant, code)
    if visit is None:
        raise Http404
    return visit


class CrfMixin(ParticipantMixin):
    """Resolve visit, form definition and instance from the URL (404 if not applicable)."""

    participant_action = Action.ENTER_DATA

    def resolve(self) -> None:
        protocol = get_protocol(self.participant.protocol_code)
        self.policy = policy_for(self.request.user, protocol.code)
        arm = getattr(getattr(self.participant, "allocation", None), "arm", None)
        code = self.kwargs["form_code"]
        if "visit_code" in self.kwargs:
            self.visit = visible_visit(self.request.user, self.participant, self.kwargs)
            forms = visible_forms(
                protocol, protocol.visit(self.visit.code), self.participant, self.request.user
            )
        else:
            self.visit = None
            forms = self.policy.log_forms(arm)
        self.formdef: FormDef = next((f for f in forms if f.code == code), None)
        if self.formdef is None:
            raise Http404
        self.instance = self._instance()

    def _instance(self) -> FormInstance | None:
        seq = self.kwargs.get("seq") if self.visit is None else None
        instance = crf_instance_find(self.participant, self.formdef.code, visit=self.visit, seq=seq)
        if instance is None and seq is not None:
            raise Http404
        if instance is not None:  # read above; the page names them without reading again
            instance.participant = self.participant
            if self.visit is not None:
                instance.visit = self.visit
        return instance


class CrfEntryView(CrfMixin, ServiceFormView):
    """A form page: site staff enter data; reviewers (monitors) read it and act on it."""

    template_name = "trial/crfs/crf_form.html"
    participant_action = Action.VIEW_PARTICIPANTS

    def _instance(self) -> FormInstance | None:
        """A visit form's instance and data row in one query (the page shows both)."""
        if self.visit is None:
            return super()._instance()
        data = crf_data_row_at_visit(self.formdef, self.participant, self.visit)
        if data is None:  # not started yet
            return super()._instance()
        self._data_row = data
        data.instance.participant, data.instance.visit = self.participant, self.visit
        return data.instance

    def may_enter(self) -> bool:
        instance = getattr(self, "instance", None)
        if instance is not None and instance.source == FormInstance.Source.EPRO:
            return False  # the participant's own answers (trial.services.participant_entries)
        return may(
            self.request.user,
            self.participant.protocol_code,
            Action.ENTER_DATA,
            site=self.participant.site,
        )

    def may_enter_any(self) -> bool:
        """Whether the user enters data at the participant's site (whatever the source)."""
        participant = self.participant
        return may(
            self.request.user, participant.protocol_code, Action.ENTER_DATA, site=participant.site
        )

    def read_only(self) -> str:
        """Why the form is shown read-only ("" when it is editable), UX-004.

        Locked: the service refuses any change. Signed: a change voids the signature, so
        the form opens read-only and editing is asked for explicitly (``?edit=1``).
        """
        instance = self.instance
        if not self.may_enter():
            return "no_right"
        if instance is None:
            return ""
        if instance.is_voided:
            return "voided"
        if instance.locked_at:
            return "locked"
        if instance.signed_at and "edit" not in self.request.GET:
            return "signed"
        return ""

    def get(self, request, *args, **kwargs):
        self.resolve()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        if not self.may_enter():
            raise PermissionDenied
        self.resolve()
        if self.instance is not None and self.instance.is_voided:
            raise Http404
        return super().post(request, *args, **kwargs)

    def get_form_class(self):
        return form_class_for(self.formdef.model)

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        form.withhold(self.policy.hidden_fields(self.formdef))
        form.withhold(self.policy.masked_texts(self.formdef, self.instance))
        if self.read_only():
            for field in form.fields.values():
                field.disabled = True
        return form

    def completing(self) -> bool:
        if self.request.method == "POST":
            return (
                "complete" in self.request.POST
                or "next" in self.request.POST
                or (
                    self.instance is not None
                    and self.instance.status == FormInstance.Status.COMPLETE
                )
            )
        return False

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        data = self.data_row()
        if data is not None:
            kwargs["instance"] = data
        kwargs["initial"] = {"revision": self.instance.revision if self.instance else 0}
        return {
            **kwargs,
            "completing": self.completing(),
            "participant": self.participant,
            "visit": self.visit,
            "formdef": self.formdef,
        }

    def data_row(self) -> Any:
        """Return the form's typed data row (read once per request)."""
        if self.instance is None:
            return None
        if getattr(self, "_data_row", None) is None:
            self._data_row = crf_data_row(self.formdef, self.instance)
        return self._data_row

    def form_valid(self, form: Any) -> HttpResponse:
        soft = getattr(form, "soft_findings", [])
        if soft and "confirm_warnings" not in self.request.POST:
            self.needs_confirmation = True  # show the warnings; nothing is saved yet
            return self.form_invalid(form)
        if soft and not (form.cleaned_data.get("reason") or "").strip():
            self.needs_confirmation = True
            form.add_error("reason", _("Give a reason for saving despite the warnings."))
            return self.form_invalid(form)
        return super().form_valid(form)

    def form_invalid(self, form: Any) -> HttpResponse:
        if getattr(self, "needs_confirmation", False) and not form.errors:
            messages.warning(
                self.request,
                _("Not saved yet: read the warnings, then save anyway with a reason or correct."),
            )
        return super().form_invalid(form)

    def perform(self, form: Any) -> FormInstance:
        self.soft_findings = getattr(form, "soft_findings", [])
        return crf_save(
            check_queries=tuple(
                (f.field or "", f.code, str(f.message)) for f in self.soft_findings
            ),
            actor=self.request.user,
            participant=self.participant,
            form_code=self.formdef.code,
            visit=self.visit,
            instance=self.instance,
            answers=form.answers(),
            complete=self.completing(),
            base_revision=form.cleaned_data.get("revision") or 0,
            reason=form.cleaned_data.get("reason") or "",
        )

    def get_success_response(self) -> HttpResponse:
        if self.completing():
            messages.success(self.request, _("Form saved as complete."))
        else:
            messages.success(self.request, _("Form saved in progress."))
        for finding in self.soft_findings:
            messages.warning(self.request, finding.message)
        if "next" in self.request.POST and self.visit is not None:
            return self.to_next_form()
        if self.visit is None:
            return redirect(
                "trial:log-edit",
                trial_id=self.participant.trial_id,
                form_code=self.formdef.code,
                seq=self.result.seq,
            )
        return redirect(self.request.path)

    def to_next_form(self) -> HttpResponse:
        """Open the next form due (this visit, then the next visits); else the participant."""
        rows = participant_grid(self.request.user, self.participant, timezone.localdate())
        found = crf_next_form(rows, self.visit.code, self.formdef.code)
        if found is None:
            messages.info(self.request, _("No form is left to enter in this and later visits."))
            return self.to_participant()
        row, cell = found
        args = (self.participant.trial_id, row.visit.code, cell.form.code)
        return redirect(reverse("trial:crf-entry", args=args))

    def present_reason(self, form: Any) -> None:
        """Label the reason box for why it is asked; hide it where no reason is needed."""
        field = form.fields.get("reason")
        if field is None or self.read_only():
            return
        if self.instance is not None and self.instance.status == FormInstance.Status.COMPLETE:
            return  # the form's own label: the reason for changing a complete form
        if getattr(self, "needs_confirmation", False) or "reason" in form.errors:
            field.label = _("Reason for saving despite the warnings")
            field.help_text = _("Required: a query is opened for each warning, with this reason.")
        else:
            field.widget = forms.HiddenInput()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        data = self.data_row()
        self.present_reason(kwargs.setdefault("form", self.get_form()))
        return super().get_context_data(
            formdef=self.formdef,
            visit=self.visit,
            instance=self.instance,
            visit_label=get_protocol(self.participant.protocol_code).visit(self.visit.code).label
            if self.visit
            else None,
            scores=data.scores if data is not None else {},
            scorer_version=data.scorer_version if data is not None else "",
            soft_findings=getattr(kwargs.get("form"), "soft_findings", []),
            stale=getattr(getattr(self, "trial_error", None), "code", "") == StaleEdit.code,
            needs_confirmation=getattr(self, "needs_confirmation", False),
            queries=query_list_for_form(self.instance, self.request.user),
            reviewed_texts=self._reviewed_texts(data),
            text_review=self._text_review(data),
            review=self._review_rights(),
            may_enter=self.may_enter(),
            read_only=self.read_only(),
            save_failed=self.request.method == "POST",
            may_mark_invalid=self.may_enter_any(),
            signature_meaning=SIGNATURE_MEANING,
            **kwargs,
        )

    def _reviewed_texts(self, data: Any) -> list[tuple[Any, Any]]:
        """Free text withheld from a blinded user's form, shown as they may read it."""
        if not self.policy.masked_texts(self.formdef, self.instance):
            return []
        return [
            (data._meta.get_field(name).verbose_name, text)
            for name, text in self.policy.reviewed_texts(self.formdef, self.instance, data)
        ]

    def _text_review(self, data: Any) -> dict[str, Any] | None:
        """The wording for blinded roles, reviewable by unblinded staff of the site."""
        if (
            self.policy.blinded
            or data is None
            or not self.formdef.free_text_fields
            or self.instance.is_voided
            or not self.may_enter()
        ):
            return None
        current = text_review_current(self.instance)
        fields = []
        for name in self.formdef.free_text_fields:
            stored = getattr(data, name, "") or ""
            reviewed = (self.instance.blinded_texts or {}).get(name) if current else None
            label = data._meta.get_field(name).verbose_name
            fields.append((name, label, stored, reviewed if reviewed is not None else stored))
        return {"current": current, "fields": fields}

    def _review_rights(self) -> dict[str, bool]:
        site, user = self.participant.site, self.request.user
        rights = (
            ("raise", Action.RAISE_QUERY),
            ("answer", Action.ANSWER_QUERY),
            ("close", Action.CLOSE_QUERY),
            ("verify", Action.VERIFY),
            ("lock", Action.LOCK),
            ("sign", Action.SIGN),
        )
        code = self.participant.protocol_code
        return {name: may(user, code, action, site=site) for name, action in rights}


class LogListView(CrfMixin, TemplateView):
    template_name = "trial/crfs/log_list.html"
    participant_action = Action.VIEW_PARTICIPANTS

    def get(self, request, *args, **kwargs):
        self.resolve()
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(
            formdef=self.formdef,
            entries=participant_logs(self.participant, self.formdef.code),
            **kwargs,
        )


class LogVoidView(CrfMixin, ServiceFormView):
    template_name = "trial/participants/participant_form.html"
    form_class = ReasonForm
    success_message = _("Entry voided. It stays in the record and its history.")

    def get(self, request, *args, **kwargs):
        self.resolve()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.resolve()
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(title=_("Void entry"), **kwargs)

    def perform(self, form: ReasonForm) -> FormInstance:
        return crf_void(
            actor=self.request.user, instance=self.instance, reason=form.cleaned_data["reason"]
        )


class CrfHistoryView(CrfMixin, TemplateView):
    template_name = "trial/crfs/crf_history.html"
    participant_action = Action.VIEW_PARTICIPANTS

    def get(self, request, *args, **kwargs):
        self.resolve()
        if self.instance is None:
            raise Http404
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        events = crf_audit_events(self.instance)
        for event in events:  # masked in memory only; the trail itself never changes
            event.changes = self.policy.audit_changes(event, self.formdef)
        return super().get_context_data(
            formdef=self.formdef, instance=self.instance, events=events, **kwargs
        )


class VisitMissedView(ParticipantMixin, ServiceFormView):
    """Mark a visit missed: only a visit the participant has and the user may know of."""

    participant_action = Action.ENTER_DATA
    template_name = "trial/participants/participant_form.html"
    form_class = ReasonForm
    success_message = _("Visit marked as missed.")

    def get(self, request, *args, **kwargs):
        self.visit = visible_visit(request.user, self.participant, self.kwargs)
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.visit = visible_visit(request.user, self.participant, self.kwargs)
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(title=_("Mark visit as missed"), **kwargs)

    def perform(self, form: ReasonForm) -> Visit:
        return visit_mark_missed(
            actor=self.request.user, visit=self.visit, reason=form.cleaned_data["reason"]
        )
