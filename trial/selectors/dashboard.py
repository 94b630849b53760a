"""The investigators' dashboard: every panel's figures as sums over a rollup.

The counting happens in ``trial.selectors.dashboard_rollup`` (grouped SQL, by site and arm);
this module picks the rows of the sites in view and adds them up. Blinded users never get
anything by arm: their sums pool the arms, and arm-only visits and forms (whose mere
counts would reveal an arm's size) are left out of everything they see. Comparative
results (outcomes, safety and follow-up by arm) are split by arm only for the roles the
protocol names (``Protocol.comparative_roles``); for everyone else the same rollup rows
are summed over the arms (``DashboardScope.pooled``).
"""

import math
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from trial.models import Site
from trial.permissions import Action, sites_for
from trial.protocol import FormDef, Protocol, VisitDef
from trial.protocol.dictionary import dictionary_of

from .dashboard_rollup import LIST_LIMIT, RECENT_DAYS, UPCOMING_DAYS, RollupFilter

PAGE_SIZE = 50
Rollup = dict[str, Any]


@dataclass(frozen=True, slots=True)
class DashboardScope:
    """Who is looking, at which sites and dates; every dashboard read goes through it."""

    protocol: Protocol
    blinded: bool
    sites: tuple[tuple[int, str], ...]  # (pk, code) of the sites in view
    today: date
    date_from: date | None = None
    date_to: date | None = None
    comparative: bool = False  # may see results by arm (``permissions.sees_comparative``)

    @property
    def pooled(self) -> bool:
        """Whether comparative panels (VAS, safety, CONSORT) pool the arms for this user."""
        return self.blinded or not self.comparative

    @property
    def dated(self) -> bool:
        """Whether a screening-date filter applies (then the rollup is computed live)."""
        return bool(self.date_from or self.date_to)

    def rollup_filter(self) -> RollupFilter:
        """Return the filter that computes a rollup for exactly this scope's participants."""
        return RollupFilter(
            protocol_code=self.protocol.code,
            site_ids=tuple(pk for pk, _code in self.sites),
            date_from=self.date_from,
            date_to=self.date_to,
        )

    def visits(self) -> tuple[VisitDef, ...]:
        """Return the visits this user may see (blinded: no arm-only visits)."""
        return tuple(v for v in self.protocol.visits if not (self.blinded and v.arms))

    def pairs(self) -> list[tuple[VisitDef, FormDef]]:
        """Return the (visit, form) columns this user may see, in protocol order."""
        forms = ((v, self.protocol.form(code)) for v in self.visits() for code in v.forms)
        return [(v, f) for v, f in forms if not (self.blinded and f.arms)]

    def rows(self, data: Rollup, key: str) -> list[dict[str, Any]]:
        """Return the rollup rows of ``key`` at this scope's sites that this user may count:
        for blinded users, none of an arm-only visit or form."""
        sites = self.site_ids()
        return self.visible([r for r in data[key] if r["site"] in sites])

    def site_ids(self) -> set[int]:
        return {pk for pk, _code in self.sites}

    def visible(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Return ``rows`` without those of arm-only visits and forms, for blinded users."""
        if not self.blinded:
            return rows
        visits = {v.code for v in self.visits()}
        forms = {f.code for f in self.protocol.forms if not f.arms}
        return [
            r
            for r in rows
            if (r.get("visit") is None or r["visit"] in visits)
            and (r.get("code") is None or r["code"] in visits)
            and (r.get("form_code") is None or r["form_code"] in forms)
        ]


def dashboard_sites(user: Any, protocol_code: str) -> list[Site]:
    """Return the sites whose dashboard figures of the trial this user may see."""
    return list(sites_for(user, protocol_code, Action.VIEW_DASHBOARD).order_by("code"))


def _sum(rows: list[dict[str, Any]], keys: Any) -> dict[str, int]:
    return {k: sum(r[k] for r in rows) for k in keys}


def _by_site(scope: DashboardScope, rows: list[dict[str, Any]], keys: Any) -> list[dict]:
    return [
        {"site": code, **_sum([r for r in rows if r["site"] == pk], keys)}
        for pk, code in scope.sites
    ]


def enrolment_totals(scope: DashboardScope, data: Rollup) -> dict[str, int]:
    """Return screened, assessed, eligible, consented, randomized and ended counts."""
    keys = ("screened", "assessed", "eligible", "ineligible", "consented", "randomized")
    keys += ("recent", "not_consented", "not_randomized", "awaiting")
    return _sum(scope.rows(data, "people"), keys)


def enrolment_by_month(scope: DashboardScope, data: Rollup) -> list[dict[str, Any]]:
    """Return per month the new and cumulative screened/eligible/consented/randomized."""
    names = ("screened", "eligible", "consented", "randomized")
    series: dict[str, Counter] = {name: Counter() for name in names}
    sites = scope.site_ids()
    for name, site, month, n in data["months"]:
        if site in sites:
            series[name][date.fromisoformat(month)] += n
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


def ineligibility_reasons(scope: DashboardScope, data: Rollup) -> list[dict[str, Any]]:
    """Return, per failed criterion, how many ineligible participants failed it."""
    counts: Counter = Counter()
    for r in scope.rows(data, "reasons"):
        counts[r["criterion"]] += r["n"]
    rows = [{"criterion": c, "n": counts[c.code]} for c in scope.protocol.criteria]
    return sorted((r for r in rows if r["n"]), key=lambda r: -r["n"])


def enrolment_by_site(scope: DashboardScope, data: Rollup) -> list[dict[str, Any]]:
    """Return screened, eligible, consented and randomized per site in view."""
    keys = ("screened", "eligible", "consented", "randomized")
    return _by_site(scope, scope.rows(data, "people"), keys)


def arm_balance_by_site(scope: DashboardScope, data: Rollup) -> list[dict[str, Any]] | None:
    """Return allocations per site and arm; None for blinded users."""
    if scope.blinded:
        return None
    people = scope.rows(data, "people")
    return [
        {
            "site": code,
            "counts": [
                sum(r["randomized"] for r in people if r["site"] == pk and r["arm"] == arm.code)
                for arm in scope.protocol.arms
            ],
        }
        for pk, code in scope.sites
    ]


def follow_up(scope: DashboardScope, data: Rollup) -> dict[str, Any]:
    """Return overdue and upcoming visits per site, and the most pressing of each."""
    sites, visits = scope.site_ids(), {v.code for v in scope.visits()}
    lists = {}
    for name in ("overdue", "upcoming"):
        # rows: [site pk, trial id, site code, visit code, target, window start, window end]
        rows = [r for r in data["visit_lists"][name] if r[0] in sites and r[3] in visits]
        rows.sort(key=lambda r: (r[6], r[1]))
        lists[name] = [_visit_item(scope, r) for r in rows[:LIST_LIMIT]]
    return {
        "by_site": _by_site(scope, scope.rows(data, "open_visits"), ("overdue", "upcoming")),
        **lists,
        "days": UPCOMING_DAYS,
        "limit": LIST_LIMIT,
    }


def _visit_item(scope: DashboardScope, row: list[Any]) -> dict[str, Any]:
    _site, trial_id, site_code, code, *dates = row
    target, start, end = (None if d is None else date.fromisoformat(d) for d in dates)
    return {
        "participant__trial_id": trial_id,
        "participant__site__code": site_code,
        "code": code,
        "target_date": target,
        "window_start": start,
        "window_end": end,
        "label": scope.protocol.visit(code).label,
        "days_late": (scope.today - end).days,
    }


def forms_by_site(scope: DashboardScope, data: Rollup) -> list[dict[str, Any]]:
    """Return forms in progress and complete, verified, locked and signed per site."""
    forms = scope.rows(data, "forms")
    result = []
    for pk, code in scope.sites:
        rows = [r for r in forms if r["site"] == pk]
        result.append(
            {
                "site": code,
                "in_progress": sum(r["n"] for r in rows if r["status"] == "in_progress"),
                "complete": sum(r["n"] for r in rows if r["status"] == "complete"),
                **_sum(rows, ("verified", "locked", "signed")),
            }
        )
    return result


def queries_by_site_and_age(scope: DashboardScope, data: Rollup) -> list[dict[str, Any]]:
    """Return, per site, open queries by age bucket and answered queries awaiting closure."""
    keys = ("open_0", "open_8", "open_31", "answered")
    return _by_site(scope, scope.rows(data, "queries"), keys)


def safety_summary(scope: DashboardScope, data: Rollup) -> dict[str, Any]:
    """Return adverse and serious events by arm (comparative roles) or pooled."""
    keys = ("events", "serious_events", "participants", "participants_serious")
    groups: dict[str, dict[str, int]] = {}
    for r in scope.rows(data, "ae"):
        totals = groups.setdefault("" if scope.pooled else r["arm"], dict.fromkeys(keys, 0))
        for k in keys:
            totals[k] += r[k]
    grades: Counter = Counter()
    for r in scope.rows(data, "ae_grades"):
        grades[("" if scope.pooled else r["arm"], r["grade"])] += r["n"]
    return {"groups": groups, "grades": grades}


def consort_by_arm(scope: DashboardScope, data: Rollup) -> dict[str | None, dict[str, int]]:
    """Return randomized, withdrawn, lost and final-visit-completed counts per arm or pooled."""
    keys = ("randomized", "withdrawn", "lost", "completed")
    randomized = [r for r in scope.rows(data, "people") if r["arm"] is not None]
    if scope.pooled:
        return {None: _sum(randomized, keys)}
    arms = {r["arm"] for r in randomized}
    return {arm: _sum([r for r in randomized if r["arm"] == arm], keys) for arm in arms}


def event_grades(protocol: Protocol) -> tuple[tuple[str, Any], ...]:
    """Return (code, label) of each grade of the adverse-event log's grading variable
    (``Protocol.dashboard.grade``), from the variable dictionary; none when not named."""
    if not protocol.dashboard.grade:
        return ()
    return tuple((c.code, c.label) for c in dictionary_of(protocol)[protocol.dashboard.grade].codes)


def measure_trend(scope: DashboardScope, data: Rollup) -> list[dict[str, Any]]:
    """Return the mean and SD of each dashboard measure (``Protocol.dashboard``) per visit,
    by arm or pooled, randomized only: ``<key>`` and ``<key>_sd`` per measure, and ``n``,
    the complete forms of the first measure's form."""
    measures = scope.protocol.dashboard.measures
    names = [m.variable for m in measures]
    first = _measure_form(scope.protocol, names[0]) if names else None
    groups: dict[tuple[str, str | None], Counter] = {}
    for r in scope.rows(data, "measures"):
        total = groups.setdefault((r["visit"], None if scope.pooled else r["arm"]), Counter())
        if r["form_code"] == first:
            total["n"] += r["n"]
        for name in names:
            if f"{name}_n" not in r:
                continue
            total[f"{name}_n"] += r[f"{name}_n"]
            for part in ("sum", "sumsq"):
                total[f"{name}_{part}"] += Decimal(r[f"{name}_{part}"] or 0)
    out = []
    for (visit, arm), r in groups.items():
        row: dict[str, Any] = {"visit": visit, "arm": arm, "n": r["n"]}
        for m in measures:
            row[m.key], row[f"{m.key}_sd"] = _mean(r, m.variable), _sample_sd(r, m.variable)
        out.append(row)
    return out


def _measure_form(protocol: Protocol, name: str) -> str:
    return dictionary_of(protocol)[name].form


def _mean(row: dict[str, Any], field: str) -> float | None:
    n = row.get(f"{field}_n", 0)
    return round(float(Decimal(row[f"{field}_sum"]) / n), 1) if n else None


def _sample_sd(row: dict[str, Any], field: str) -> float | None:
    n = row.get(f"{field}_n", 0)
    if n < 2:
        return None
    total, squares = float(row[f"{field}_sum"]), float(row[f"{field}_sumsq"])
    variance = max((squares - total * total / n) / (n - 1), 0.0)
    return round(math.sqrt(variance), 1)
