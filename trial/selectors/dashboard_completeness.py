"""The completeness panel of the dashboard: visit × form status counts and a paged matrix.

Counts come from grouped SQL, never per participant; the per-participant matrix reads one
page (``PAGE_SIZE`` participants) at a time with a fixed number of queries.
"""

from collections import Counter
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, Q

from trial.models import FormInstance, Participant, Visit
from trial.protocol import FormDef

from .dashboard import ARM, DONE, MISSED, PAGE_SIZE, SCHEDULED, DashboardScope


def _visit_counts(scope: DashboardScope) -> list[dict[str, Any]]:
    today = scope.today
    group = ["code"] if scope.blinded else ["code", ARM]
    return list(
        Visit.objects.filter(scope.q("participant"), code__in=[v.code for v in scope.visits()])
        .values(*group)
        .annotate(
            n=Count("pk"),
            done=Count("pk", filter=Q(status=DONE)),
            missed=Count("pk", filter=Q(status=MISSED)),
            overdue=Count("pk", filter=Q(status=SCHEDULED, window_end__lt=today)),
            due=Count(
                "pk", filter=Q(status=SCHEDULED, window_start__lte=today, window_end__gte=today)
            ),
            closed=Count("pk", filter=Q(window_end__lt=today) & ~Q(status=MISSED)),
        )
    )


def _form_counts(scope: DashboardScope) -> Counter:
    closed = Q(visit__window_end__lt=scope.today) & ~Q(visit__status=MISSED)
    rows = (
        FormInstance.objects.filter(
            scope.q("participant"), scope.forms_q(), visit__isnull=False, is_voided=False
        )
        .values("visit__code", "form_code", "status")
        .annotate(n=Count("pk"), closed=Count("pk", filter=closed))
    )
    counts: Counter = Counter()
    for r in rows:
        counts[(r["visit__code"], r["form_code"], r["status"])] += r["n"]
        counts[(r["visit__code"], r["form_code"], r["status"], "closed")] += r["closed"]
    return counts


def _applies(form: FormDef, row: dict[str, Any]) -> bool:
    return form.arms is None or row.get(ARM) in form.arms


def completeness_matrix(scope: DashboardScope) -> list[dict[str, Any]]:
    """Return per visit its adherence counts and, per form, expected/status/overdue counts."""
    visit_rows, forms = _visit_counts(scope), _form_counts(scope)
    pairs = scope.pairs()
    result = []
    for visit in scope.visits():
        rows = [r for r in visit_rows if r["code"] == visit.code]
        state = {k: sum(r[k] for r in rows) for k in ("n", "done", "missed", "overdue", "due")}
        settled = state["done"] + state["missed"] + state["overdue"]
        state["adherence"] = round(100 * state["done"] / settled) if settled else None
        cells = []
        for form in (f for v, f in pairs if v is visit):
            expected = sum(r["n"] for r in rows if _applies(form, r))
            closed = sum(r["closed"] for r in rows if _applies(form, r))
            done = (visit.code, form.code, FormInstance.Status.COMPLETE)
            busy = (visit.code, form.code, FormInstance.Status.IN_PROGRESS)
            cell = {"form": form, "expected": expected, "complete": forms[done]}
            cell["in_progress"] = forms[busy]
            cell["not_started"] = max(expected - cell["complete"] - cell["in_progress"], 0)
            cell["overdue"] = max(closed - forms[(*done, "closed")], 0)
            cell["missing"] = max(cell["overdue"] - forms[(*busy, "closed")], 0)
            cells.append(cell)
        result.append({"visit": visit, "state": state, "cells": cells})
    return result


def completeness_page(scope: DashboardScope, number: Any) -> tuple[Page, list[dict[str, Any]]]:
    """Return one page of participants with the status of each visible (visit, form)."""
    fields = ["pk", "trial_id", "site__code"] + ([] if scope.blinded else ["allocation__arm"])
    people = Participant.objects.filter(scope.q()).order_by("trial_id").values(*fields)
    page = Paginator(people, PAGE_SIZE).get_page(number)
    ids = [p["pk"] for p in page.object_list]
    visits = set(Visit.objects.filter(participant_id__in=ids).values_list("participant_id", "code"))
    statuses = {
        (i["participant_id"], i["visit__code"], i["form_code"]): i["status"]
        for i in FormInstance.objects.filter(
            participant_id__in=ids, visit__isnull=False, is_voided=False
        ).values("participant_id", "visit__code", "form_code", "status")
    }
    rows, pairs = [], scope.pairs()
    for person in page.object_list:
        cells = []
        for visit, form in pairs:
            arm = person.get("allocation__arm")
            applies = (person["pk"], visit.code) in visits and _applies(form, {ARM: arm})
            key = (person["pk"], visit.code, form.code)
            cells.append(statuses.get(key, "not_started") if applies else "not_applicable")
        rows.append({"trial_id": person["trial_id"], "site": person["site__code"], "cells": cells})
    return page, rows
