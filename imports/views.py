from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView

from accounts.mixins import ActionRequiredMixin
from imports.forms import CommitForm, MappingForm, UploadForm
from imports.mapping import variables
from imports.models import ImportJob
from imports.selectors import import_job_get, import_job_recent
from imports.services import (
    import_check_start,
    import_commit_start,
    import_progress,
    import_set_mapping,
    import_upload,
)
from jobs.lifecycle import job_queue_available
from trial.exceptions import TrialError
from trial.permissions import Action, is_blinded


class ImportMixin(ActionRequiredMixin):
    required_action = Action.IMPORT_DATA

    def job(self) -> ImportJob:
        """The URL's import; each data manager sees their own (404 otherwise)."""
        return import_job_get(self.request.user, self.request.protocol.code, self.kwargs["pk"])


class ImportListView(ImportMixin, TemplateView):
    template_name = "imports/import_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(
            jobs=import_job_recent(self.request.user, self.request.protocol.code),
            form=kwargs.pop("form", None) or UploadForm(),
            **kwargs,
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                job = import_upload(
                    actor=request.user,
                    protocol_code=request.protocol.code,
                    upload=form.cleaned_data["file"],
                )
            except TrialError as error:
                form.add_error("file", error.message)
            else:
                return redirect("imports:import-detail", pk=job.pk)
        return self.render_to_response(self.get_context_data(form=form))


class ImportDetailView(ImportMixin, TemplateView):
    template_name = "imports/import_detail.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        job = self.job()
        if request.GET.get("poll"):
            response = self.response_class(
                request=request,
                template=["imports/import_detail.html#progress"],
                context={"job": job, "progress": import_progress(job)},
            )
            if not job.is_busy:
                response["HX-Refresh"] = "true"  # show the finished step
            return response
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        job = self.job()
        names = sorted(
            variables(job.protocol_code, blinded=is_blinded(self.request.user, job.protocol_code))
        )
        initial = {f"col_{i}": job.mapping.get(c, "") for i, c in enumerate(job.header)}
        reverse = {v: k for k, v in job.mapping.items() if v}
        return super().get_context_data(
            job=job,
            progress=import_progress(job),
            mapping_form=kwargs.pop("mapping_form", None)
            or MappingForm(initial=initial, header=job.header, names=names),
            commit_form=CommitForm(),
            problems=[{**p, "column": reverse.get(p["field_name"], "")} for p in job.problems],
            forms_summary=sorted(job.summary.get("forms", {}).items()),
            queue_available=job_queue_available(),
            **kwargs,
        )


class ImportActionView(ImportMixin, View):
    """POST mapping / check / commit; domain errors come back as messages."""

    def post(self, request: HttpRequest, pk: int, verb: str) -> HttpResponse:
        job = self.job()
        if verb not in ("mapping", "check", "commit"):
            raise Http404
        try:
            if verb == "mapping":
                names = sorted(
                    variables(
                        job.protocol_code, blinded=is_blinded(request.user, job.protocol_code)
                    )
                )
                form = MappingForm(request.POST, header=job.header, names=names)
                if not form.is_valid():
                    raise TrialError(_("The mapping is not valid."))
                import_set_mapping(actor=request.user, job=job, mapping=form.mapping())
                messages.success(request, _("Mapping saved. Run the dry run next."))
            elif verb == "check":
                import_check_start(actor=request.user, job=job)
            elif verb == "commit":
                form = CommitForm(request.POST)
                form.is_valid()
                import_commit_start(
                    actor=request.user,
                    job=job,
                    reason=form.cleaned_data.get("reason", ""),
                    accept_warnings=form.cleaned_data.get("accept_warnings", False),
                )
        except TrialError as error:
            messages.error(request, error.message)
        return redirect("imports:import-detail", pk=pk)
