"""Forms of the report pages: start a report; the sample-size calculator's inputs."""

from django import forms
from django.utils.translation import gettext_lazy as _

from analysis.models import ReportRun
from trial.models import Site


class ReportStartForm(forms.Form):
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
    )


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
