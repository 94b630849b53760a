"""The completeness panel of the dashboard: visit × form status counts and a paged matrix.

Counts are sums over the dashboard rollup; the per-participant matrix reads one
page (``PAGE_SIZE`` participants) at a time with a fixed number of queries.
"""

from collections import Counter
from typing import Any

from django.core.paginator import Page, Paginator

from trial.models import FormInstance, Participant, Visit
from trial.protocol import FormDef

from .dashboard import PAGE_SIZE, DashboardScope, Rollup


def _form_counts(scope: DashboardScope, data: Rollup) -> Counter:
    counts: Counter = Counter()
    for r in scope.rows(data, "forms"):
        if r["visit"] is not None:
            counts[(r["visit"], r["form_code"], r["status"])] += r["n"]
            counts[(r["visit"], r["form_code"], r["status"], "closed")] += r["closed"]
    return counts


class CountedPaginator(Paginator):
    """A paginator given its count: counting the bare participant rows is far cheaper than
    counting the page query with its joins."""

    def __init__(self, object_list: Any, per_page: int, *, count: int) -> None:
        super().__init__(object_list, per_page)
        self.count = count  # shadows the cached_property


def _applies(form: FormDef, arm: str | None) -> bool:
    return form.arms is None or arm in form.arms


def completeness_matrix(scope: DashboardScope, data: Rollup) -> list[dict[str, Any]]:
    """Return per visit its adherence counts and, per form, expected/status/overdue counts."""
    visit_rows, forms = scope.rows(data, "visits"), _form_counts(scope, data)
    pairs = scope.pairs()
    result = []
    for visit in scope.visits():
        rows = [r for r in visit_rows if r["code"] == visit.code]
        state = {k: sum(r[k] for r in rows) for k in ("n", "done", "missed", "overdue", "due")}
        settled = state["done"] + state["missed"] + state["overdue"]
        state["adherence"] = round(100 * state["done"] / settled) if settled else None
        cells = []
        for form in (f for v, f in pairs if v is visit):
            expected = sum(r["n"] for r in rows if _applies(form, r["arm"]))
            closed = sum(r["closed"] for r in rows if _applies(form, r["arm"]))
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
    selected = Participant.objects.filter(scope.rollup_filter().q())
    people = selected.order_by("trial_id").values(*fields)
    page = CountedPaginator(people, PAGE_SIZE, count=selected.count()).get_page(number)
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
            applies = (person["pk"], visit.code) in visits and _applies(form, arm)
            key = (person["pk"], visit.code, form.code)
            cells.append(statuses.get(key, "not_started") if applies else "not_applicable")
        rows.append({"trial_id": person["trial_id"], "site": person["site__code"], "cells": cells})
    return page, rows
