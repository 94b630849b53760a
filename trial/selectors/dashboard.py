"""Reads for the investigators' dashboard: every panel from a fixed number of aggregate queries.

No query here runs per participant: counts are grouped in SQL (by month, site, visit × form,
arm) and the per-participant matrix reads one page at a time. Blinded users never get
anything by arm: their queries do not group by arm, and arm-only visits and forms (whose
mere counts would reveal an arm's size) are left out of everything they see.
"""

import math
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import connection
from django.db.models import Avg, Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from trial.models import (
    AdverseEventData,
    Allocation,
    FormInstance,
    PainVasData,
    Participant,
    Site,
    Visit,
)
from trial.permissions import Action, sites_for
from trial.protocol import FormDef, Protocol, VisitDef

RECENT_DAYS = 84  # the projection uses the randomization rate of the last 12 weeks
UPCOMING_DAYS = 14
LIST_LIMIT = 25
PAGE_SIZE = 50
ACTIVE = [
    Participant.Status.SCREENING,
    Participant.Status.ELIGIBLE,
    Participant.Status.CONSENTED,
    Participant.Status.RANDOMIZED,
]
ARM = "participant__allocation__arm"
DONE, MISSED, SCHEDULED = Visit.Status.DONE, Visit.Status.MISSED, Visit.Status.SCHEDULED


@dataclass(frozen=True, slots=True)
class DashboardScope:
    """Who is looking, at which sites and dates; every dashboard read goes through it."""

    protocol: Protocol
    blinded: bool
    sites: tuple[tuple[int, str], ...]  # (pk, code) of the sites in view
    today: date
    date_from: date | None = None
    date_to: date | None = None

    def q(self, path: str = "", *, dated: bool = True) -> Q:
        """Return the filter selecting this scope's participants through ``path``."""
        p = f"{path}__" if path else ""
        q = Q(**{f"{p}protocol_code": self.protocol.code})
        q &= Q(**{f"{p}site_id__in": [pk for pk, _code in self.sites]})
        if dated and self.date_from:
            q &= Q(**{f"{p}screening_date__gte": self.date_from})
        if dated and self.date_to:
            q &= Q(**{f"{p}screening_date__lte": self.date_to})
        return q

    def visits(self) -> tuple[VisitDef, ...]:
        """Return the visits this user may see (blinded: no arm-only visits)."""
        return tuple(v for v in self.protocol.visits if not (self.blinded and v.arms))

    def pairs(self) -> list[tuple[VisitDef, FormDef]]:
        """Return the (visit, form) columns this user may see, in protocol order."""
        forms = ((v, self.protocol.form(code)) for v in self.visits() for code in v.forms)
        return [(v, f) for v, f in forms if not (self.blinded and f.arms)]

    def forms_q(self) -> Q:
        """Return the filter keeping only form instances this user may count."""
        if not self.blinded:
            return Q()
        visible = {f.code for f in self.protocol.forms if not f.arms}
        visits = [v.code for v in self.visits()]
        return Q(form_code__in=visible) & (Q(visit__isnull=True) | Q(visit__code__in=visits))


def dashboard_sites(user: Any) -> list[Site]:
    """Return the sites whose dashboard figures this user may see."""
    return list(sites_for(user, Action.VIEW_DASHBOARD).order_by("code"))


def _month(value: date | datetime | None) -> date | None:
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def _monthly(queryset: QuerySet, field: str) -> Counter:
    rows = queryset.annotate(m=TruncMonth(field)).values("m").annotate(n=Count("pk"))
    return Counter({_month(r["m"]): r["n"] for r in rows if r["m"] is not None})


def enrolment_totals(scope: DashboardScope) -> dict[str, int]:
    """Return screened, assessed, eligible, consented, randomized and ended counts."""
    recent = timezone.make_aware(datetime.combine(scope.today, time.min)) - timedelta(
        days=RECENT_DAYS
    )
    return Participant.objects.filter(scope.q()).aggregate(
        screened=Count("pk"),
        assessed=Count("eligibility"),
        eligible=Count("pk", filter=Q(eligibility__eligible=True)),
        ineligible=Count("pk", filter=Q(eligibility__eligible=False)),
        consented=Count("consent"),
        randomized=Count("allocation"),
        recent=Count("pk", filter=Q(allocation__allocated_at__gte=recent)),
        not_consented=Count("pk", filter=Q(eligibility__eligible=True, consent__isnull=True)),
        not_randomized=Count("pk", filter=Q(consent__isnull=False, allocation__isnull=True)),
    )


def enrolment_by_month(scope: DashboardScope) -> list[dict[str, Any]]:
    """Return per month the new and cumulative screened/eligible/consented/randomized."""
    base = Participant.objects.filter(scope.q())
    series = {
        "screened": _monthly(base, "screening_date"),
        "eligible": _monthly(base.filter(eligibility__eligible=True), "eligibility__assessed_date"),
        "consented": _monthly(base.filter(consent__isnull=False), "consent__consent_date"),
        "randomized": _monthly(base.filter(allocation__isnull=False), "allocation__allocated_at"),
    }
    months = sorted(set().union(*series.values()))
    if not months:
        return []
    rows, totals, month = [], Counter(), months[0]
    while month <= months[-1]:
        new = {key: counts[month] for key, counts in series.items()}
        totals.update(new)
        rows.append({"month": month, "new": new, "cumulative": dict(totals)})
        month = (month + timedelta(days=32)).replace(day=1)
    return rows


def enrolment_projection(totals: dict[str, int], target: int, today: date) -> dict[str, Any]:
    """Project when ``target`` is randomized, at the rate of the last ``RECENT_DAYS`` days."""
    remaining = max(target - totals["randomized"], 0)
    per_day = totals["recent"] / RECENT_DAYS
    projected = None
    if remaining and per_day:
        projected = today + timedelta(days=math.ceil(remaining / per_day))
    return {
        "target": target,
        "remaining": remaining,
        "reached": remaining == 0,
        "recent": totals["recent"],
        "per_month": round(per_day * 365.25 / 12, 1),
        "date": projected,
        "window_days": RECENT_DAYS,
    }


def ineligibility_reasons(scope: DashboardScope) -> list[dict[str, Any]]:
    """Return, per failed criterion, how many ineligible participants failed it."""
    ineligible = Participant.objects.filter(scope.q(), eligibility__eligible=False)
    criteria = scope.protocol.criteria
    if connection.vendor == "postgresql":  # jsonb containment, one aggregate
        counts = ineligible.aggregate(
            **{
                c.code: Count("pk", filter=Q(eligibility__failed_criteria__contains=[c.code]))
                for c in criteria
            }
        )
    else:  # the embedded demo database has no JSON containment: count the lists here
        counts = Counter(
            code
            for codes in ineligible.values_list("eligibility__failed_criteria", flat=True)
            for code in codes or []
        )
    rows = [{"criterion": c, "n": counts.get(c.code, 0)} for c in criteria]
    return sorted((r for r in rows if r["n"]), key=lambda r: -r["n"])


def enrolment_by_site(scope: DashboardScope) -> list[dict[str, Any]]:
    """Return screened, eligible, consented and randomized per site in view."""
    rows = {
        r["site_id"]: r
        for r in Participant.objects.filter(scope.q())
        .values("site_id")
        .annotate(
            screened=Count("pk"),
            eligible=Count("pk", filter=Q(eligibility__eligible=True)),
            consented=Count("consent"),
            randomized=Count("allocation"),
        )
    }
    empty = {"screened": 0, "eligible": 0, "consented": 0, "randomized": 0}
    return [{"site": code, **empty, **rows.get(pk, {})} for pk, code in scope.sites]


def arm_balance_by_site(scope: DashboardScope) -> list[dict[str, Any]] | None:
    """Return allocations per site and arm; None for blinded users (never queried)."""
    if scope.blinded:
        return None
    counts = {
        (r["participant__site_id"], r["arm"]): r["n"]
        for r in Allocation.objects.filter(scope.q("participant"))
        .values("participant__site_id", "arm")
        .annotate(n=Count("pk"))
    }
    arms = [a.code for a in scope.protocol.arms]
    return [
        {"site": code, "counts": [counts.get((pk, arm), 0) for arm in arms]}
        for pk, code in scope.sites
    ]


def _open_visits(scope: DashboardScope) -> QuerySet[Visit]:
    return Visit.objects.filter(
        scope.q("participant"),
        participant__status__in=ACTIVE,
        status=SCHEDULED,
        window_start__isnull=False,
        code__in=[v.code for v in scope.visits()],
    )


def follow_up(scope: DashboardScope) -> dict[str, Any]:
    """Return overdue and upcoming visits per site, and the most pressing of each."""
    today, horizon = scope.today, scope.today + timedelta(days=UPCOMING_DAYS)
    visits = _open_visits(scope)
    overdue, upcoming = Q(window_end__lt=today), Q(window_end__gte=today, window_start__lte=horizon)
    counts = {
        r["participant__site_id"]: r
        for r in visits.values("participant__site_id").annotate(
            overdue=Count("pk", filter=overdue), upcoming=Count("pk", filter=upcoming)
        )
    }
    fields = ("participant__trial_id", "participant__site__code", "code", "target_date")
    fields += ("window_start", "window_end")
    late = visits.filter(overdue).order_by("window_end", "participant__trial_id")
    soon = visits.filter(upcoming).order_by("window_end", "participant__trial_id")
    return {
        "by_site": [
            {
                "site": code,
                "overdue": counts.get(pk, {}).get("overdue", 0),
                "upcoming": counts.get(pk, {}).get("upcoming", 0),
            }
            for pk, code in scope.sites
        ],
        "overdue": [_visit_item(scope, v) for v in late.values(*fields)[:LIST_LIMIT]],
        "upcoming": [_visit_item(scope, v) for v in soon.values(*fields)[:LIST_LIMIT]],
        "days": UPCOMING_DAYS,
        "limit": LIST_LIMIT,
    }


def _visit_item(scope: DashboardScope, row: dict[str, Any]) -> dict[str, Any]:
    return {
        **row,
        "label": scope.protocol.visit(row["code"]).label,
        "days_late": (scope.today - row["window_end"]).days,
    }


def forms_by_site(scope: DashboardScope) -> list[dict[str, Any]]:
    """Return forms in progress and complete per site (voided entries left out)."""
    counts = {
        r["participant__site_id"]: r
        for r in FormInstance.objects.filter(scope.q("participant"), scope.forms_q())
        .filter(is_voided=False)
        .values("participant__site_id")
        .annotate(
            in_progress=Count("pk", filter=Q(status=FormInstance.Status.IN_PROGRESS)),
            complete=Count("pk", filter=Q(status=FormInstance.Status.COMPLETE)),
            verified=Count("pk", filter=Q(verified_at__isnull=False)),
            locked=Count("pk", filter=Q(locked_at__isnull=False)),
            signed=Count("pk", filter=Q(signed_at__isnull=False)),
        )
    }
    keys = ("in_progress", "complete", "verified", "locked", "signed")
    return [
        {"site": code, **{key: counts.get(pk, {}).get(key, 0) for key in keys}}
        for pk, code in scope.sites
    ]


def _safety_queryset(scope: DashboardScope) -> QuerySet[AdverseEventData]:
    codes = [f.code for f in scope.protocol.forms if f.model == "trial.AdverseEventData"]
    events = AdverseEventData.objects.filter(
        scope.q("instance__participant", dated=False),
        instance__form_code__in=codes,
        instance__is_voided=False,
    )
    if scope.date_from:
        events = events.filter(onset_date__gte=scope.date_from)
    if scope.date_to:
        events = events.filter(onset_date__lte=scope.date_to)
    return events


def safety_summary(scope: DashboardScope) -> dict[str, Any]:
    """Return adverse and serious events by arm (unblinded) or pooled (blinded)."""
    events, person = _safety_queryset(scope), "instance__participant"
    measures = {
        "events": Count("pk"),
        "serious_events": Count("pk", filter=Q(serious=True)),
        "participants": Count(person, distinct=True),
        "participants_serious": Count(person, filter=Q(serious=True), distinct=True),
    }
    if scope.blinded:
        groups = {"": events.aggregate(**measures)}
        grades = {("", r["clavien_dindo"]): r["n"] for r in _grades(events, [])}
    else:
        arm = f"instance__{ARM}"
        groups = {r[arm]: r for r in events.values(arm).annotate(**measures)}
        grades = {(r[arm], r["clavien_dindo"]): r["n"] for r in _grades(events, [arm])}
    return {"groups": groups, "grades": grades}


def _grades(events: QuerySet, group: list[str]) -> QuerySet:
    return events.values(*group, "clavien_dindo").annotate(n=Count("pk"))


def consort_by_arm(scope: DashboardScope) -> dict[str | None, dict[str, int]]:
    """Return randomized, withdrawn, lost and final-visit-completed counts per arm or pooled."""
    final = scope.protocol.visits[-1].code
    completed = Exists(Visit.objects.filter(participant=OuterRef("pk"), code=final, status=DONE))
    measures = {
        "randomized": Count("pk"),
        "withdrawn": Count("pk", filter=Q(status=Participant.Status.WITHDRAWN)),
        "lost": Count("pk", filter=Q(status=Participant.Status.LOST)),
        "completed": Count("pk", filter=Q(completed)),
    }
    randomized = Participant.objects.filter(scope.q(), allocation__isnull=False)
    if scope.blinded:
        return {None: randomized.aggregate(**measures)}
    rows = randomized.values("allocation__arm").annotate(**measures)
    return {r.pop("allocation__arm"): r for r in rows}


def vas_trend(scope: DashboardScope) -> list[dict[str, Any]]:
    """Return mean (SD, n) leg and back VAS per visit, by arm or pooled, randomized only."""
    codes = [f.code for f in scope.protocol.forms if f.model == "trial.PainVasData"]
    group = ["instance__visit__code"] + ([] if scope.blinded else [f"instance__{ARM}"])
    rows = (
        PainVasData.objects.filter(
            scope.q("instance__participant"),
            instance__participant__allocation__isnull=False,
            instance__form_code__in=codes,
            instance__status=FormInstance.Status.COMPLETE,
            instance__is_voided=False,
            instance__visit__code__in=[v.code for v in scope.visits()],
        )
        .values(*group)
        .annotate(
            n=Count("pk"),
            leg=Avg("leg_vas"),
            back=Avg("back_vas"),
            **_sd_parts("leg_vas"),
            **_sd_parts("back_vas"),
        )
    )
    return [
        {
            "visit": r["instance__visit__code"],
            "arm": r.get(f"instance__{ARM}"),
            "n": r["n"],
            **{k: None if r[k] is None else round(float(r[k]), 1) for k in ("leg", "back")},
            "leg_sd": _sample_sd(r, "leg_vas"),
            "back_sd": _sample_sd(r, "back_vas"),
        }
        for r in rows
    ]


def _sd_parts(field: str) -> dict[str, Any]:
    """Count, sum and sum of squares: a sample SD every database computes the same way
    (SQLite's STDDEV fails on a group of one)."""
    return {
        f"{field}_n": Count(field),
        f"{field}_sum": Sum(field),
        f"{field}_sumsq": Sum(F(field) * F(field)),
    }


def _sample_sd(row: dict[str, Any], field: str) -> float | None:
    n = row[f"{field}_n"]
    if n < 2:
        return None
    total, squares = float(row[f"{field}_sum"]), float(row[f"{field}_sumsq"])
    variance = max((squares - total * total / n) / (n - 1), 0.0)
    return round(math.sqrt(variance), 1)
