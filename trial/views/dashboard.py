"""The investigators' dashboard: filters, then one panel per question about the trial.

The selectors count; this module only arranges their figures into tables and chart data
(``json_script``, drawn by ``static/js/dashboard.js`` with the vendored Chart.js).
"""

from typing import Any

from django import forms
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.generic import TemplateView

from accounts.mixins import ActionRequiredMixin
from trial.forms.widgets import LocaleDateInput
from trial.models import Site
from trial.permissions import Action, is_blinded, sees_comparative
from trial.protocol import Dashboard, Protocol
from trial.selectors import dashboard as sel
from trial.selectors import dashboard_completeness as completeness
from trial.selectors.dashboard_partitions import dated_rollup
from trial.services.dashboard import dashboard_summary_current

CELL_TEMPLATE = "trial/dashboard/_cell.html"
CELL_STATES = ("complete", "in_progress", "not_started", "not_applicable")
STATUS_COLOURS = {"complete": "#198754", "in_progress": "#e0a800", "not_started": "#adb5bd"}


class DashboardFilterForm(forms.Form):
    """Site and screening-date filters; a bad value is reported and no filter applies."""

    site = forms.ChoiceField(label=gettext_lazy("Site"), required=False)
    date_from = forms.DateField(
        label=gettext_lazy("From"),
        required=False,
        widget=LocaleDateInput,
    )
    date_to = forms.DateField(
        label=gettext_lazy("To"),
        required=False,
        widget=LocaleDateInput,
    )

    def __init__(self, *args: Any, sites: list[Site], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", gettext_lazy("All my sites"))] + [(s.code, str(s)) for s in sites]
        self.fields["site"].choices = choices
        for name, field in self.fields.items():
            field.widget.attrs["class"] = "form-select" if name == "site" else "form-control"

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(
                gettext_lazy("The start date must not be after the end date."), code="date_order"
            )
        return data


def dashboard_scope(
    user: Any, protocol: Protocol, sites: list[Site], filters: dict[str, Any]
) -> sel.DashboardScope:
    """Return the scope for this user in the trial and these (validated) filters."""
    chosen = [s for s in sites if not filters.get("site") or s.code == filters["site"]]
    return sel.DashboardScope(
        protocol=protocol,
        blinded=is_blinded(user, protocol.code),
        sites=tuple((s.pk, s.code) for s in chosen),
        today=timezone.localdate(),
        date_from=filters.get("date_from"),
        date_to=filters.get("date_to"),
        comparative=sees_comparative(user, protocol.code),
    )


def _chart(kind: str, labels: list[Any], datasets: list[dict[str, Any]], **extra: Any) -> dict:
    return {"type": kind, "labels": [str(label) for label in labels], "datasets": datasets, **extra}


def _dataset(label: Any, data: list[Any], **extra: Any) -> dict[str, Any]:
    return {"label": str(label), "data": data, **extra}


def enrolment_panel(scope: sel.DashboardScope, data: sel.Rollup) -> dict[str, Any]:
    totals = sel.enrolment_totals(scope, data)
    months = sel.enrolment_by_month(scope, data)
    target = scope.protocol.target_sample_size
    keys = {
        "screened": _("Screened"),
        "eligible": _("Eligible"),
        "consented": _("Consented"),
        "randomized": _("Randomized"),
    }
    labels = [m["month"].strftime("%Y-%m") for m in months]
    lines = [_dataset(label, [m["cumulative"][k] for m in months]) for k, label in keys.items()]
    lines.append(_dataset(_("Target"), [target] * len(months), borderDash=[6, 4]))
    reasons = sel.ineligibility_reasons(scope, data)
    by_site = sel.enrolment_by_site(scope, data)
    return {
        "totals": totals,
        "keys": keys,
        "months": [{**m, "label": label} for m, label in zip(months, labels, strict=True)],
        "projection": sel.enrolment_projection(totals, target, scope.today),
        "chart": _chart("line", labels, lines),
        "reasons": reasons,
        "reasons_chart": _chart(
            "bar",
            [r["criterion"].text for r in reasons],
            [_dataset(_("Participants"), [r["n"] for r in reasons])],
            indexAxis="y",
        ),
        "by_site": by_site,
        "site_chart": _chart(
            "bar",
            [r["site"] for r in by_site],
            [_dataset(label, [r[k] for r in by_site]) for k, label in keys.items()],
        ),
    }


def arms_panel(scope: sel.DashboardScope, data: sel.Rollup) -> dict[str, Any] | None:
    rows = sel.arm_balance_by_site(scope, data)
    if rows is None:
        return None
    arms = scope.protocol.arms
    totals = [sum(r["counts"][i] for r in rows) for i in range(len(arms))]
    for row in rows:
        row["total"] = sum(row["counts"])
    return {
        "arms": arms,
        "rows": rows,
        "totals": totals,
        "total": sum(totals),
        "chart": _chart(
            "bar",
            [r["site"] for r in rows],
            [_dataset(a.label, [r["counts"][i] for r in rows]) for i, a in enumerate(arms)],
        ),
    }


def completeness_panel(
    scope: sel.DashboardScope, data: sel.Rollup, page_number: Any
) -> dict[str, Any]:
    matrix = completeness.completeness_matrix(scope, data)
    page, rows = completeness.completeness_page(scope, page_number)
    cells = {status: render_to_string(CELL_TEMPLATE, {"status": status}) for status in CELL_STATES}
    for row in rows:  # 50 rows × every (visit, form): render each kind of cell once
        row["html"] = mark_safe("".join(cells[status] for status in row["cells"]))  # noqa: S308
    statuses = {
        "complete": _("Complete"),
        "in_progress": _("In progress"),
        "not_started": _("Not started"),
    }
    labels = [v["visit"].label for v in matrix]
    datasets = [
        _dataset(label, [sum(c[k] for c in v["cells"]) for v in matrix], color=STATUS_COLOURS[k])
        for k, label in statuses.items()
    ]
    totals = {
        k: sum(c[k] for v in matrix for c in v["cells"])
        for k in ("expected", "complete", "in_progress", "not_started", "overdue", "missing")
    }
    return {
        "matrix": matrix,
        "totals": totals,
        "chart": _chart("bar", labels, datasets, indexAxis="y", stacked=True),
        "column_groups": _column_groups(scope),
        "page": page,
        "rows": rows,
    }


def _column_groups(scope: sel.DashboardScope) -> list[dict[str, Any]]:
    groups: list[dict[str, Any]] = []
    for visit, form in scope.pairs():
        if not groups or groups[-1]["visit"] is not visit:
            groups.append({"visit": visit, "forms": []})
        groups[-1]["forms"].append(form)
    return groups


def quality_panel(
    scope: sel.DashboardScope, data: sel.Rollup, completeness: dict[str, Any]
) -> dict[str, Any]:
    by_site = sel.forms_by_site(scope, data)
    totals = {
        key: sum(r[key] for r in by_site)
        for key in ("in_progress", "complete", "verified", "locked", "signed")
    }
    return {
        "by_site": by_site,
        **totals,
        "sdv_pct": round(100 * totals["verified"] / totals["complete"])
        if totals["complete"]
        else None,
        "queries": sel.queries_by_site_and_age(scope, data),
        "missing": completeness["totals"]["missing"],
        "overdue": completeness["totals"]["overdue"],
    }


def _group_labels(protocol: Protocol, pooled: bool) -> list[tuple[str | None, Any]]:
    if pooled:
        return [(None, _("All participants (pooled)"))]
    return [(a.code, a.label) for a in protocol.arms]


def safety_panel(
    scope: sel.DashboardScope, data: sel.Rollup, consort: dict[str | None, dict]
) -> dict[str, Any]:
    summary = sel.safety_summary(scope, data)
    groups = _group_labels(scope.protocol, scope.pooled)
    zero = {"events": 0, "serious_events": 0, "participants": 0, "participants_serious": 0}
    rows = []
    for key, label in groups:
        figures = summary["groups"].get(key if key is not None else "", zero)
        randomized = consort.get(key, {}).get("randomized", 0)
        rows.append({"key": key or "pooled", "label": label, "randomized": randomized, **figures})
    grade_rows = [
        {
            "label": label,
            "counts": [summary["grades"].get((k or "", code), 0) for k, _l in groups],
        }
        for code, label in sel.event_grades(scope.protocol)
    ]
    return {
        "grade_caption": scope.protocol.dashboard.grade_caption,
        "groups": groups,
        "rows": rows,
        "grades": grade_rows,
        "chart": _chart(
            "bar",
            [label for _k, label in groups],
            [
                _dataset(_("Adverse events"), [r["events"] for r in rows]),
                _dataset(_("Serious adverse events"), [r["serious_events"] for r in rows]),
            ],
        ),
    }


def consort_panel(
    scope: sel.DashboardScope, totals: dict[str, int], by_arm: dict[str | None, dict]
) -> dict[str, Any]:
    zero = {"randomized": 0, "withdrawn": 0, "lost": 0, "completed": 0}
    arms = [
        {"key": key or "pooled", "label": label, **by_arm.get(key, zero)}
        for key, label in _group_labels(scope.protocol, scope.pooled)
    ]
    return {
        "totals": totals,
        "excluded": totals["ineligible"] + totals["not_consented"] + totals["not_randomized"],
        "not_assessed": totals["screened"] - totals["assessed"],
        "arms": arms,
        "final_visit": scope.protocol.visits[-1].label,
    }


def _outcome_cell(spec: Dashboard, row: dict[str, Any] | None) -> dict[str, Any] | None:
    """One group's figures at one visit: each measure's mean (SD), then the forms' n."""
    if row is None:
        return None
    measures = [
        {"key": m.key, "mean": row[m.key], "sd": row[f"{m.key}_sd"], "label": m.label}
        for m in spec.measures
    ]
    parts = [
        _("%(label)s %(mean)s (%(sd)s)")
        % {"label": m["label"], "mean": m["mean"], "sd": "—" if m["sd"] is None else m["sd"]}
        for m in measures
    ]
    text = _("%(measures)s, n = %(n)s") % {
        "measures": pgettext("list separator", ", ").join(parts),
        "n": row["n"],
    }
    return {**row, "measures": measures, "text": capfirst(text)}


def outcome_panel(scope: sel.DashboardScope, data: sel.Rollup) -> dict[str, Any]:
    """The outcome panel: the protocol's dashboard measures per visit, by group."""
    spec = scope.protocol.dashboard
    rows = sel.measure_trend(scope, data)
    groups = _group_labels(scope.protocol, scope.pooled)
    visits = [v for v in scope.visits() if any(r["visit"] == v.code for r in rows)]
    index = {(r["visit"], r["arm"]): r for r in rows}
    table = [
        {
            "visit": v.label,
            "cells": [_outcome_cell(spec, index.get((v.code, key))) for key, _l in groups],
        }
        for v in visits
    ]
    datasets = [
        _dataset(
            _("%(measure)s · %(group)s") % {"measure": m.series, "group": label},
            [(index.get((v.code, key)) or {}).get(m.key) for v in visits],
        )
        for m in spec.measures
        for key, label in groups
    ]
    limits = {} if spec.scale_max is None else {"yMax": spec.scale_max}
    return {
        "spec": spec,
        "groups": groups,
        "table": table,
        "chart": _chart("line", [v.label for v in visits], datasets, **limits),
    }


class DashboardView(ActionRequiredMixin, TemplateView):
    required_action = Action.VIEW_DASHBOARD
    template_name = "trial/dashboard/dashboard.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        sites = sel.dashboard_sites(self.request.user, self.request.protocol.code)
        form = DashboardFilterForm(self.request.GET or None, sites=sites)
        filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
        scope = dashboard_scope(self.request.user, self.request.protocol, sites, filters)
        data, summary = self._figures(scope)
        enrolment = enrolment_panel(scope, data)
        completeness = completeness_panel(scope, data, self.request.GET.get("page"))
        by_arm = sel.consort_by_arm(scope, data)
        return super().get_context_data(
            form=form,
            scope=scope,
            summary=summary,
            refresh_minutes=max(round(settings.EDC_DASHBOARD_REFRESH_SECONDS / 60), 1),
            filtered=bool(
                filters.get("site") or filters.get("date_from") or filters.get("date_to")
            ),
            query=_query_without_page(self.request.GET),
            enrolment=enrolment,
            arms=arms_panel(scope, data),
            completeness=completeness,
            follow_up=sel.follow_up(scope, data),
            quality=quality_panel(scope, data, completeness),
            safety=safety_panel(scope, data, by_arm),
            consort=consort_panel(scope, enrolment["totals"], by_arm),
            outcome=outcome_panel(scope, data),
            **kwargs,
        )

    def _figures(self, scope: sel.DashboardScope) -> tuple[sel.Rollup, Any]:
        """Return the rollup to sum and the summary it came from (a screening-date filter
        sums the summary's day and month partitions of its range)."""
        summary = dashboard_summary_current(
            protocol_code=scope.protocol.code, refresh="refresh" in self.request.GET
        )
        if scope.dated:
            return dated_rollup(scope.protocol, scope.rollup_filter(), summary.data), summary
        return summary.data, summary


def _query_without_page(params: Any) -> str:
    query = params.copy()
    query.pop("page", None)
    query.pop("refresh", None)
    return query.urlencode()
