"""Report pages: list and start, detail with live progress, downloads, sample size."""

from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.generic import FormView, TemplateView, View

from accounts.mixins import ActionRequiredMixin
from analysis.forms import ReportStartForm, SampleSizeForm
from analysis.models import ReportRun
from analysis.render.figures import figure_svg, power_curve_svg, svg_data_uri
from analysis.selectors import report_run_get, report_run_recent
from analysis.services import report_releases_for, report_run_create, report_run_rerun
from analysis.tables import sample_size_page
from analysis.trial_plans import get_plan
from jobs.lifecycle import job_queue_available
from trial.permissions import Action, is_blinded, report_sites_for, sees_comparative


class ReportListView(ActionRequiredMixin, FormView):
    required_action = Action.RUN_REPORTS
    template_name = "analysis/report_list.html"
    form_class = ReportStartForm

    def get_initial(self) -> dict[str, Any]:
        return {"language": "zh" if (get_language() or "").startswith("zh") else "en"}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user, code = self.request.user, self.request.protocol.code
        context["runs"] = report_run_recent(user, code)
        context["blinded"] = is_blinded(user, code)
        context["pooled"] = not sees_comparative(user, code)
        context["queue_available"] = job_queue_available()
        return context

    def get_form_kwargs(self) -> dict[str, Any]:
        user, code = self.request.user, self.request.protocol.code
        allowed = report_sites_for(user, code)
        return {**super().get_form_kwargs(), "protocol_code": code, "allowed_sites": allowed,
                "releases": report_releases_for(user, code, all_sites=allowed is None)}  # fmt: skip

    def form_valid(self, form: ReportStartForm) -> HttpResponse:
        run = report_run_create(
            actor=self.request.user,
            protocol_code=self.request.protocol.code,
            population=form.cleaned_data["population"],
            mode=form.cleaned_data["mode"],
            blinded=not sees_comparative(self.request.user, self.request.protocol.code),
            language=form.cleaned_data.get("language") or get_language() or "en",
            sites=form.report_sites(),
            release=form.cleaned_data.get("release"),
        )
        if run.status == ReportRun.Status.FAILED:
            messages.error(self.request, _("The report could not be started: %(why)s")
                           % {"why": run.error})  # fmt: skip
        return redirect("analysis:report-detail", pk=run.pk)


class ReportRerunView(ActionRequiredMixin, View):
    """Start a new run with the settings of a failed one."""

    required_action = Action.RUN_REPORTS

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        code = request.protocol.code
        failed = report_run_get(request.user, code, pk, failed_only=True)
        run = report_run_rerun(actor=request.user, run_id=failed.pk,
                               blinded=not sees_comparative(request.user, code))  # fmt: skip
        if run.status == ReportRun.Status.FAILED:
            messages.error(request, _("The report could not be started: %(why)s")
                           % {"why": run.error})  # fmt: skip
        return redirect("analysis:report-detail", pk=run.pk)


class ReportDetailView(ActionRequiredMixin, TemplateView):
    required_action = Action.RUN_REPORTS
    template_name = "analysis/report_detail.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        run = report_run_get(request.user, request.protocol.code, kwargs["pk"])
        if request.htmx:
            response = self.render_to_response(
                {"run": run}, template="analysis/report_detail.html#progress"
            )
            if run.is_finished and request.GET.get("poll"):
                response["HX-Refresh"] = "true"  # show the finished report
            return response
        return self.render_to_response(self._context(run))

    def render_to_response(self, context: dict, template: str | None = None, **kw: Any):
        return self.response_class(
            request=self.request, template=[template or self.template_name], context=context
        )

    def _context(self, run: ReportRun) -> dict[str, Any]:
        language = get_language() or "en"
        figures = [svg_data_uri(figure_svg(f, language)) for f in run.result.get("figures", [])]
        return {"run": run, "result": run.result, "figures": figures}


class ReportDownloadView(ActionRequiredMixin, View):
    required_action = Action.RUN_REPORTS
    FORMATS = {
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "pdf": "application/pdf",
    }

    def get(self, request: HttpRequest, pk: int, fmt: str) -> FileResponse:
        run = report_run_get(request.user, request.protocol.code, pk)
        field = getattr(run, fmt, None) if fmt in self.FORMATS else None
        if not field:
            raise Http404
        return FileResponse(
            field.open("rb"),
            as_attachment=True,
            filename=f"report-{run.pk}.{fmt}",
            content_type=self.FORMATS[fmt],
        )


class SampleSizeView(ActionRequiredMixin, TemplateView):
    required_action = Action.RUN_REPORTS
    template_name = "analysis/sample_size.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        defaults = get_plan(self.request.protocol.code).sample_size_inputs
        form = SampleSizeForm(self.request.GET or defaults)
        context["form"] = form
        if form.is_valid():
            try:
                page = sample_size_page(**form.cleaned_data)
            except ValueError as exc:
                form.add_error(None, str(exc))
            else:
                context["page"] = page
                context["curve_svg"] = svg_data_uri(power_curve_svg(page))
        return context
