"""Forms of the report pages: start a report; the sample-size calculator's inputs."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from analysis.models import DatasetRelease, ReportRun
from analysis.services import ReportSourceError, report_release_check
from trial.models import Site


class ReleaseChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: DatasetRelease) -> str:
        return _("Release v%(version)s, cut %(cut)s (%(population)s)") % {
            "version": obj.version, "cut": obj.cut_at.strftime("%Y-%m-%d %H:%M"),
            "population": obj.population.upper(),
        }  # fmt: skip


class ReportStartForm(forms.Form):
    release = ReleaseChoiceField(
        label=_("Data"),
        queryset=DatasetRelease.objects.none(),
        required=False,
        empty_label=_("Live extract (not locked): for monitoring only"),
        help_text=_("A report for the record reads a locked, published dataset release."),
    )
    population = forms.ChoiceField(
        label=_("Population"), choices=ReportRun.Population.choices, initial="itt"
    )
    mode = forms.ChoiceField(label=_("Mode"), choices=ReportRun.Mode.choices, initial="correct")
    language = forms.ChoiceField(
        label=_("Language of the files"),
        choices=ReportRun.Language.choices,
        required=False,
        help_text=_("DOCX, PDF and XLSX; the page itself follows your interface language."),
    )
    sites = forms.ModelMultipleChoiceField(
        label=_("Sites"),
        queryset=Site.objects.filter(is_active=True),
        required=False,
        to_field_name="code",
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave all unticked for every site."),
        error_messages={
            "invalid_choice": _("You may report on your own sites only: %(value)s is not one.")
        },
    )

    def __init__(
        self, *args: Any, protocol_code: str, allowed_sites: set[str] | None = None,
        releases: Any = None, **kwargs: Any,
    ) -> None:  # fmt: skip
        """``allowed_sites``: the codes the user may report on (None: every site);
        ``releases``: the published releases the user may read (none: live extract only)."""
        super().__init__(*args, **kwargs)
        self.protocol_code = protocol_code
        self.allowed_sites = allowed_sites
        if releases is None:
            del self.fields["release"]
        else:
            self.fields["release"].queryset = releases
        if allowed_sites is not None:
            field = self.fields["sites"]
            field.queryset = field.queryset.filter(code__in=allowed_sites)
            field.help_text = _("Leave all unticked for all your sites.")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        release = data.get("release")
        if release is not None and "population" in data and "sites" in data:
            try:
                report_release_check(release, protocol_code=self.protocol_code,
                                     population=data["population"],
                                     sites=tuple(s.code for s in data["sites"]))  # fmt: skip
            except ReportSourceError as exc:
                raise forms.ValidationError(str(exc)) from exc
        return data

    def report_sites(self) -> tuple[str, ...]:
        """Return the codes the run covers: those ticked, else every site the user may
        report on (the empty tuple, meaning every site, only for a trial-wide right)."""
        ticked = tuple(site.code for site in self.cleaned_data["sites"])
        if ticked or self.allowed_sites is None:
            return ticked
        return tuple(sorted(self.allowed_sites))


class SampleSizeForm(forms.Form):
    p1 = forms.FloatField(label=_("Proportion in group 1"), min_value=0.001, max_value=0.999)
    p2 = forms.FloatField(label=_("Proportion in group 2"), min_value=0.001, max_value=0.999)
    alpha = forms.FloatField(label=_("Two-sided α"), min_value=0.001, max_value=0.5)
    power = forms.FloatField(label=_("Power"), min_value=0.5, max_value=0.999)
    ratio = forms.FloatField(label=_("Allocation ratio n2/n1"), min_value=0.1, max_value=10)
    dropout = forms.FloatField(label=_("Dropout"), min_value=0.0, max_value=0.9)

    def clean(self) -> dict:
        data = super().clean()
        if data.get("p1") is not None and data.get("p1") == data.get("p2"):
            raise forms.ValidationError(_("The two proportions must differ."))
        return data
