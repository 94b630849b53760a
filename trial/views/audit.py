import csv
from collections.abc import Iterator
from typing import Any

from django import forms
from django.http import HttpRequest, StreamingHttpResponse
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import ListView

from accounts.mixins import ActionRequiredMixin
from trial.display import audit_rows
from trial.forms.widgets import LocaleDateInput
from trial.models import AuditEvent
from trial.permissions import Action
from trial.selectors.audit import (
    AuditFilter,
    audit_changes_for,
    audit_event_list,
    audit_event_stream,
)
from trial.services.audit import audit_record
from trial.spreadsheet import spreadsheet_text


class AuditFilterForm(forms.Form):
    participant = forms.CharField(label=_("Trial id"), required=False, max_length=20)
    form = forms.CharField(label=_("Form"), required=False, max_length=40)
    user = forms.CharField(label=_("User"), required=False, max_length=150)
    action = forms.ChoiceField(
        label=_("Action"),
        required=False,
        choices=[("", _("All actions")), *AuditEvent.Action.choices],
    )
    date_from = forms.DateField(
        label=_("From"),
        required=False,
        widget=LocaleDateInput,
    )
    date_to = forms.DateField(
        label=_("To"),
        required=False,
        widget=LocaleDateInput,
    )

    def filters(self) -> AuditFilter:
        data = self.cleaned_data if self.is_valid() else {}
        return AuditFilter(**{k: v for k, v in data.items() if v not in (None, "")})


class AuditListView(ActionRequiredMixin, ListView):
    required_action = Action.VIEW_AUDIT
    template_name = "trial/audit/audit_list.html"
    context_object_name = "events"
    paginate_by = 100

    def get_queryset(self):
        self.filter_form = AuditFilterForm(self.request.GET or None)
        return audit_event_list(
            self.request.user, self.request.protocol.code, self.filter_form.filters()
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(
            filter_form=self.filter_form, query=self.request.GET.urlencode(), **kwargs
        )
        context["rows"] = audit_rows(
            context["events"],
            lambda event: audit_changes_for(self.request.user, self.request.protocol.code, event),
        )
        return context


class _Echo:
    def write(self, value: str) -> str:
        return value


class AuditExportView(ActionRequiredMixin, View):
    """Stream the filtered trail as CSV; the export itself is audited."""

    required_action = Action.VIEW_AUDIT

    def get(self, request: HttpRequest) -> StreamingHttpResponse:
        form = AuditFilterForm(request.GET or None)
        filters = form.filters()
        events = audit_event_stream(request.user, request.protocol.code, filters)
        audit_record(
            actor=request.user,
            action=AuditEvent.Action.EXPORT,
            changes={"audit_filter": (None, str(filters))},
            protocol_code=request.protocol.code,
        )
        response = StreamingHttpResponse(self._rows(request, events), content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="audit-trail.csv"'
        return response

    def _rows(self, request: HttpRequest, events: Any) -> Iterator[str]:
        writer = csv.writer(_Echo())
        yield "\ufeff" + writer.writerow(
            [
                "at",
                "user",
                "action",
                "object_type",
                "object_id",
                "object",
                "site",
                "field",
                "old",
                "new",
                "reason",
            ]
        )
        for event in events:
            changes = audit_changes_for(request.user, request.protocol.code, event) or {
                "": ["", ""]
            }
            for field, (old, new) in changes.items():
                yield writer.writerow(
                    [
                        spreadsheet_text(v)
                        for v in (
                            event.at.isoformat(),
                            event.actor_username,
                            event.action,
                            event.object_type,
                            event.object_id,
                            event.object_repr,
                            event.site.code if event.site else "",
                            field,
                            old,
                            new,
                            event.reason,
                        )
                    ]
                )
