"""Dataset release pages: list and declare a cut, detail (files, manifest, diff), download."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView, View

from accounts.mixins import ActionRequiredMixin
from analysis.releases.services import (
    ReleaseError,
    dataset_release_declare,
    dataset_release_download,
    dataset_release_retry,
    release_list_for,
    release_variants_for,
)
from analysis.selectors import release_get
from jobs.lifecycle import job_queue_available
from trial.permissions import Action, is_blinded, may_trial_wide


class DataCutForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason for the data cut"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("For example: interim analysis for the DSMB, final analysis."),
    )


class ReleaseListView(ActionRequiredMixin, TemplateView):
    required_action = Action.DOWNLOAD_RELEASES
    trial_wide = True  # a release holds every site's data
    template_name = "analysis/releases/release_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user, code = self.request.user, self.request.protocol.code
        context["releases"] = release_list_for(user, code)[:100]
        context["can_cut"] = may_trial_wide(user, code, Action.LOCK)
        context["queue_available"] = job_queue_available()
        context.setdefault("form", DataCutForm())
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not may_trial_wide(request.user, request.protocol.code, Action.LOCK):
            raise PermissionDenied
        form = DataCutForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        try:
            release = dataset_release_declare(
                actor=request.user,
                protocol_code=request.protocol.code,
                reason=form.cleaned_data["reason"],
            )
        except ReleaseError as exc:
            form.add_error("reason", str(exc))
            return self.render_to_response(self.get_context_data(form=form))
        if release.status == release.Status.FAILED:
            messages.error(request, _("The release could not be started: %(why)s")
                           % {"why": release.error})  # fmt: skip
        return redirect("releases:release-detail", pk=release.pk)


class ReleaseRetryView(ActionRequiredMixin, View):
    """Queue a failed release again (trial-wide data managers, like declaring a cut)."""

    required_action = Action.LOCK
    trial_wide = True

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        release = release_get(request.user, request.protocol.code, pk)
        try:
            release = dataset_release_retry(actor=request.user, release_id=release.pk)
        except ReleaseError as exc:
            messages.error(request, str(exc))
            return redirect("releases:release-detail", pk=pk)
        if release.status == release.Status.FAILED:
            messages.error(request, _("The release could not be started: %(why)s")
                           % {"why": release.error})  # fmt: skip
        return redirect("releases:release-detail", pk=release.pk)


class ReleaseDetailView(ActionRequiredMixin, TemplateView):
    required_action = Action.DOWNLOAD_RELEASES
    trial_wide = True  # a release holds every site's data
    template_name = "analysis/releases/release_detail.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        release = release_get(request.user, request.protocol.code, kwargs["pk"])
        if getattr(request, "htmx", False):
            response = self.response_class(
                request=request, template=["analysis/releases/release_detail.html#status"],
                context={"release": release},
            )  # fmt: skip
            if release.is_finished and request.GET.get("poll"):
                response["HX-Refresh"] = "true"
            return response
        variants = release_variants_for(is_blinded(request.user, release.protocol_code))
        shown = variants[0]
        files = release.manifest.get(shown, {}).get("files", [])
        context = self.get_context_data(
            release=release, variants=variants, files=files,
            diff=release.diff.get(shown, {}), previous=release.diff.get("previous_version"),
            shown_variant=shown,
            can_retry=may_trial_wide(request.user, release.protocol_code, Action.LOCK),
        )  # fmt: skip
        return self.render_to_response(context)


class ReleaseDownloadView(ActionRequiredMixin, View):
    required_action = Action.DOWNLOAD_RELEASES
    trial_wide = True  # a release holds every site's data

    def get(self, request: HttpRequest, pk: int, variant: str) -> FileResponse:
        release = release_get(request.user, request.protocol.code, pk)
        try:
            path = dataset_release_download(
                actor=request.user, release=release, variant=variant,
                blinded=is_blinded(request.user, release.protocol_code),
                ip_address=request.META.get("REMOTE_ADDR"),
            )  # fmt: skip
        except ReleaseError as exc:
            if exc.code == "variant_forbidden":
                raise PermissionDenied from exc
            raise Http404 from exc
        if not path.is_file():
            raise Http404
        return FileResponse(path.open("rb"), as_attachment=True, filename=path.name,
                            content_type="application/zip")  # fmt: skip
