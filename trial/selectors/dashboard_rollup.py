"""The dashboard's counts, grouped by site and arm in SQL: the one place the dashboard reads
clinical tables in bulk.

``dashboard_rollup`` returns a small JSON-ready dict (a few thousand rows at 100,000
participants): every figure on the dashboard is a sum over its rows, so the same rollup
serves any subset of sites and blinded users alike (``trial.selectors.dashboard`` sums
over arms and leaves out arm-only visits and forms for them). Stored as a
``DashboardSummary`` it is shared by every request until it is refreshed; grouped by
screening day as well (``RollupFilter.by_day``) it is split into the day and month
partitions a screening-date filter sums (``trial.selectors.dashboard_partitions``).

Every row carries the site's pk and, where it matters, the arm code (``None`` before
randomization). The rollup is never rendered as such: blinded users only ever see sums.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.db import connection
from django.db.models import Count, Exists, F, FloatField, OuterRef, Q, QuerySet, Sum, Window
from django.db.models.expressions import Combinable
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, RowNumber, TruncMonth
from django.utils import timezone

from trial.models import FormInstance, Participant, Query, Visit
from trial.protocol import Protocol
from trial.protocol.dictionary import dictionary_of

from .expected import VisitState, expected_q, state_q

ROLLUP_VERSION = 7  # bump whenever the layout changes: older summaries are recomputed
RECENT_DAYS = 84  # the projection uses the randomization rate of the last 12 weeks
UPCOMING_DAYS = 14
LIST_LIMIT = 25
AGE_BUCKETS = ((0, 7), (8, 30), (31, None))  # days a query has been open: 0–7, 8–30, > 30
# Not randomized and still in the journey: awaiting consent or randomization, not excluded.
AWAITING = [
    Participant.Status.SCREENING,
    Participant.Status.ELIGIBLE,
    Participant.Status.CONSENTED,
]
LEFT = [Participant.Status.WITHDRAWN, Participant.Status.LOST]
ARM = "participant__allocation__arm"
# A visit list row: [site pk, trial id, site code, visit code, target, window start, end]
LIST_FIELDS = ("participant__site_id", "participant__trial_id", "participant__site__code")
LIST_FIELDS += ("code", "target_date", "window_start", "window_end")
DONE, MISSED, SCHEDULED = Visit.Status.DONE, Visit.Status.MISSED, Visit.Status.SCHEDULED


@dataclass(frozen=True, slots=True)
class RollupFilter:
    """Which participants a rollup counts: a protocol, optionally some sites and a
    screening-date range (adverse events are dated by onset, queries not at all)."""

    protocol_code: str
    site_ids: tuple[int, ...] | None = None
    date_from: date | None = None
    date_to: date | None = None
    # the partitions (``trial.services.dashboard``): only these participants (pks), and
    # every row keyed by its screening day as well ("day", ISO), adverse events included
    people: tuple[int, ...] | None = None
    by_day: bool = False

    def q(self, path: str = "", *, dated: bool = True) -> Q:
        """Return the filter selecting these participants through ``path``."""
        p = f"{path}__" if path else ""
        q = Q(**{f"{p}protocol_code": self.protocol_code})
        if self.site_ids is not None:
            q &= Q(**{f"{p}site_id__in": list(self.site_ids)})
        if dated and self.date_from:
            q &= Q(**{f"{p}screening_date__gte": self.date_from})
        if dated and self.date_to:
            q &= Q(**{f"{p}screening_date__lte": self.date_to})
        if self.people is not None:
            q &= Q(**{f"{path}__in" if path else "pk__in": list(self.people)})
        return q

    def day(self, path: str = "") -> list[str]:
        """Return the screening-day field to group by too (none unless ``by_day``)."""
        return [f"{path}__screening_date" if path else "screening_date"] if self.by_day else []


def _keyed(where: RollupFilter, path: str, row: dict[str, Any]) -> dict[str, Any]:
    """Return ``row`` with its screening day (if grouped by it) moved to "day", ISO."""
    for field in where.day(path):
        row["day"] = row.pop(field).isoformat()
    return row


def dashboard_rollup(
    protocol: Protocol,
    where: RollupFilter,
    *,
    now: datetime | None = None,
    partitioned_only: bool = False,
) -> dict[str, Any]:
    """Return every dashboard count for ``where``, grouped by site (and arm), JSON-ready;
    with ``partitioned_only``, only the sections that are sums over screening days
    (``trial.selectors.dashboard_partitions``)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    data = {
        "version": ROLLUP_VERSION,
        "today": today.isoformat(),
        "people": _people(protocol, where, today),
        "months": _months(where),
        "reasons": _reasons(protocol, where),
        "visits": _visits(protocol, where, today),
        "open_visits": _open_visit_counts(protocol, where, today),
        "forms": _forms(where, today),
        "ae": _adverse_events(protocol, where),
        "ae_grades": _adverse_event_grades(protocol, where),
        "measures": _measures(protocol, where),
    }
    return data if partitioned_only else {**data, **live_sections(protocol, where, now=now)}


def live_sections(
    protocol: Protocol, where: RollupFilter, *, now: datetime | None = None
) -> dict[str, Any]:
    """Return the sections that are never partitioned: the open queries (aged by the
    clock) and the first overdue and upcoming visits of each site and visit."""
    now = now or timezone.now()
    return {
        "visit_lists": _open_visit_lists(protocol, where, timezone.localdate(now)),
        "queries": _queries(where, now),
    }


def dated_sections(
    protocol: Protocol, where: RollupFilter, *, now: datetime | None = None
) -> dict[str, Any]:
    """Return the sections a screening-date filter cannot take from the partitions: the
    visit lists of its participants and the adverse events by onset date."""
    now = now or timezone.now()
    return {
        "visit_lists": _open_visit_lists(protocol, where, timezone.localdate(now)),
        "ae": _adverse_events(protocol, where),
        "ae_grades": _adverse_event_grades(protocol, where),
    }


def _people(protocol: Protocol, where: RollupFilter, today: date) -> list[dict[str, Any]]:
    recent = timezone.make_aware(datetime.combine(today, time.min)) - timedelta(days=RECENT_DAYS)
    final = protocol.visits[-1].code
    completed = Exists(Visit.objects.filter(participant=OuterRef("pk"), code=final, status=DONE))
    rows = (
        Participant.objects.filter(where.q())
        .values("site_id", "allocation__arm", *where.day())
        .annotate(
            screened=Count("pk"),
            assessed=Count("eligibility"),
            eligible=Count("pk", filter=Q(eligibility__eligible=True)),
            ineligible=Count("pk", filter=Q(eligibility__eligible=False)),
            consented=Count("consent"),
            randomized=Count("allocation"),
            recent=Count("pk", filter=Q(allocation__allocated_at__gte=recent)),
            # excluded before randomization: only people who left the journey (CONSORT)
            not_consented=Count(
                "pk",
                filter=Q(eligibility__eligible=True, consent__isnull=True, status__in=LEFT),
            ),
            not_randomized=Count(
                "pk", filter=Q(consent__isnull=False, allocation__isnull=True, status__in=LEFT)
            ),
            awaiting=Count(
                "pk",
                filter=Q(eligibility__eligible=True, allocation__isnull=True, status__in=AWAITING),
            ),
            withdrawn=Count("pk", filter=Q(status=Participant.Status.WITHDRAWN)),
            lost=Count("pk", filter=Q(status=Participant.Status.LOST)),
            completed=Count("pk", filter=Q(completed)),
        )
        .order_by()
    )
    return [
        _keyed(where, "", {"site": r.pop("site_id"), "arm": r.pop("allocation__arm"), **r})
        for r in rows
    ]


def _month(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value.isoformat()


def _months(where: RollupFilter) -> list[list[Any]]:
    base = Participant.objects.filter(where.q())
    series = {
        "screened": (base, "screening_date"),
        "eligible": (base.filter(eligibility__eligible=True), "eligibility__assessed_date"),
        "consented": (base.filter(consent__isnull=False), "consent__consent_date"),
        "randomized": (base.filter(allocation__isnull=False), "allocation__allocated_at"),
    }
    rows = []
    for name, (queryset, field) in series.items():
        grouped = (
            queryset.annotate(m=TruncMonth(field))
            .values("site_id", "m", *where.day())
            .annotate(n=Count("pk"))
            .order_by()
        )
        # compact rows (thousands at 100,000 participants): [series, site pk, month, n]
        # (and the screening day last when grouped by it)
        rows += [
            [name, r["site_id"], _month(r["m"]), r["n"]] + [r[f].isoformat() for f in where.day()]
            for r in grouped
            if r["m"]
        ]
    return rows


def _reasons(protocol: Protocol, where: RollupFilter) -> list[dict[str, Any]]:
    ineligible = Participant.objects.filter(where.q(), eligibility__eligible=False)
    criteria = [c.code for c in protocol.criteria]
    counts: Counter = Counter()
    if connection.vendor == "postgresql":  # jsonb containment, one grouped aggregate
        measures = {
            f"c{i}": Count("pk", filter=Q(eligibility__failed_criteria__contains=[code]))
            for i, code in enumerate(criteria)
        }
        for r in ineligible.values("site_id", *where.day()).annotate(**measures).order_by():
            day = tuple(r[f].isoformat() for f in where.day())
            for i, code in enumerate(criteria):
                counts[(r["site_id"], code, *day)] += r[f"c{i}"]
    else:  # the embedded demo database has no JSON containment: count the lists here
        fields = ("site_id", "eligibility__failed_criteria", *where.day())
        for site, codes, *day in ineligible.values_list(*fields):
            day = [d.isoformat() for d in day]
            counts.update((site, code, *day) for code in codes or [] if code in criteria)
    return [
        {"site": site, "criterion": code, "n": n, **({"day": day[0]} if day else {})}
        for (site, code, *day), n in counts.items()
        if n
    ]


def _visits(protocol: Protocol, where: RollupFilter, today: date) -> list[dict[str, Any]]:
    """Expected visits per (site, visit, arm) and their states (``trial.selectors.expected``)."""
    states = (VisitState.DONE, VisitState.MISSED, VisitState.OVERDUE, VisitState.DUE)
    rows = (
        Visit.objects.filter(where.q("participant"), expected_q())
        .values("participant__site_id", "code", ARM, *where.day("participant"))
        .annotate(
            n=Count("pk"),
            **{s: Count("pk", filter=state_q(s, protocol, today)) for s in states},
            closed=Count("pk", filter=Q(window_end__lt=today) & ~Q(status=MISSED)),
        )
        .order_by()
    )
    site = "participant__site_id"
    return [
        _keyed(where, "participant", {"site": r.pop(site), "arm": r.pop(ARM), **r}) for r in rows
    ]


def _open_visits(where: RollupFilter) -> QuerySet[Visit]:
    return Visit.objects.filter(
        where.q("participant"),
        expected_q(),
        status=SCHEDULED,
        window_start__isnull=False,
    )


def _windows(protocol: Protocol, today: date) -> dict[str, Q]:
    """Overdue as the worklist has it; upcoming: due now or opening within UPCOMING_DAYS."""
    horizon = today + timedelta(days=UPCOMING_DAYS)
    return {
        "overdue": state_q(VisitState.OVERDUE, protocol, today),
        "upcoming": Q(window_end__gte=today, window_start__lte=horizon),
    }


def _open_visit_counts(
    protocol: Protocol, where: RollupFilter, today: date
) -> list[dict[str, Any]]:
    rows = (
        _open_visits(where)
        .values("participant__site_id", "code", *where.day("participant"))
        .annotate(**{k: Count("pk", filter=q) for k, q in _windows(protocol, today).items()})
        .order_by()
    )
    return [
        _keyed(where, "participant", {"site": r.pop("participant__site_id"), **r}) for r in rows
    ]


def _open_visit_lists(
    protocol: Protocol, where: RollupFilter, today: date
) -> dict[str, list[dict[str, Any]]]:
    """The most pressing ``LIST_LIMIT`` overdue and upcoming visits of each (site, visit):
    enough for any subset of sites and visits to find its own first ``LIST_LIMIT``."""
    fields = LIST_FIELDS
    order = [F("window_end").asc(), F("participant__trial_id").asc()]
    lists = {}
    for name, condition in _windows(protocol, today).items():
        rank = Window(
            RowNumber(), partition_by=[F("participant__site_id"), F("code")], order_by=order
        )
        rows = (
            _open_visits(where)
            .filter(condition)
            .annotate(rank=rank)
            .filter(rank__lte=LIST_LIMIT)
            .values(*fields)
            .order_by()
        )
        lists[name] = [[_plain(r[f]) for f in fields] for r in rows]  # compact lists
    return lists


def _plain(value: Any) -> Any:
    """Return ``value`` as JSON has it (dates as ISO strings)."""
    return value.isoformat() if isinstance(value, date) else value


def _forms(where: RollupFilter, today: date) -> list[dict[str, Any]]:
    closed = Q(visit__window_end__lt=today) & ~Q(visit__status=MISSED)
    rows = (
        FormInstance.objects.filter(
            where.q("participant"), Q(visit__isnull=True) | expected_q("visit"), is_voided=False
        )
        .values(
            "participant__site_id", "visit__code", "form_code", "status", *where.day("participant")
        )
        .annotate(
            n=Count("pk"),
            closed=Count("pk", filter=closed),
            verified=Count("pk", filter=Q(verified_at__isnull=False)),
            locked=Count("pk", filter=Q(locked_at__isnull=False)),
            signed=Count("pk", filter=Q(signed_at__isnull=False)),
        )
        .order_by()
    )
    site, visit = "participant__site_id", "visit__code"
    return [
        _keyed(where, "participant", {"site": r.pop(site), "visit": r.pop(visit), **r})
        for r in rows
    ]


def _events(protocol: Protocol, where: RollupFilter) -> QuerySet | None:
    """Return the entries of the protocol's adverse-event log (``Protocol.dashboard``), dated
    by the form's date field; None when the protocol names no such log."""
    if not protocol.dashboard.events_form:
        return None
    formdef = protocol.form(protocol.dashboard.events_form)
    events = apps.get_model(formdef.model).objects.filter(
        where.q("instance__participant", dated=False),
        instance__form_code=formdef.code,
        instance__is_voided=False,
    )
    if where.date_from:
        events = events.filter(**{f"{formdef.date_field}__gte": where.date_from})
    if where.date_to:
        events = events.filter(**{f"{formdef.date_field}__lte": where.date_to})
    return events


def _adverse_events(protocol: Protocol, where: RollupFilter) -> list[dict[str, Any]]:
    events = _events(protocol, where)
    if events is None:
        return []
    is_serious = Q(**{_source(protocol, protocol.dashboard.serious_flag): True})
    person, arm, site = (
        "instance__participant",
        f"instance__{ARM}",
        "instance__participant__site_id",
    )
    rows = (
        events.values(site, arm, *where.day(person))
        .annotate(
            events=Count("pk"),
            serious_events=Count("pk", filter=is_serious),
            participants=Count(person, distinct=True),
            participants_serious=Count(person, filter=is_serious, distinct=True),
        )
        .order_by()
    )
    return [_keyed(where, person, {"site": r.pop(site), "arm": r.pop(arm), **r}) for r in rows]


def _adverse_event_grades(protocol: Protocol, where: RollupFilter) -> list[dict[str, Any]]:
    events = _events(protocol, where)
    if events is None or not protocol.dashboard.grade:
        return []
    grade = _source(protocol, protocol.dashboard.grade)
    arm, site = f"instance__{ARM}", "instance__participant__site_id"
    person = "instance__participant"
    rows = events.values(site, arm, grade, *where.day(person)).annotate(n=Count("pk")).order_by()
    return [
        _keyed(
            where,
            person,
            {"site": r.pop(site), "arm": r.pop(arm), "grade": r.pop(grade), **r},
        )
        for r in rows
    ]


def _source(protocol: Protocol, name: str) -> str:
    """Return the model field of the dictionary variable ``name``."""
    return dictionary_of(protocol)[name].source


def _value(source: str) -> Combinable:
    """Return the value of a measure's source: a model field, or a stored score
    (``scores.<key>``, read from the form's JSON scores as a number)."""
    if source.startswith("scores."):
        return Cast(KT(source.replace(".", "__")), FloatField())
    return F(source)


def _measures(protocol: Protocol, where: RollupFilter) -> list[dict[str, Any]]:
    """Count, sum and sum of squares of each dashboard measure (``Protocol.dashboard``) per
    (site, form, visit, arm): means and sample SDs of any union of groups follow exactly
    (sums are kept as decimal strings). One query per form holding a measure."""
    dictionary = dictionary_of(protocol)
    by_form: dict[str, list[Any]] = {}
    for measure in protocol.dashboard.measures:
        variable = dictionary[measure.variable]
        by_form.setdefault(variable.form, []).append(variable)
    site, arm = "instance__participant__site_id", f"instance__{ARM}"
    # Every row carries every measure's columns (a measure of another form counts 0 and
    # sums nothing), so that a section's rows have one shape whichever forms hold measures.
    blank: dict[str, Any] = {}
    for variables in by_form.values():
        for v in variables:
            blank.update({f"{v.name}_n": 0, f"{v.name}_sum": None, f"{v.name}_sumsq": None})
    out = []
    for form, variables in by_form.items():
        sums: dict[str, Any] = {"n": Count("pk")}
        for v in variables:
            sums[f"{v.name}_n"] = Count(_value(v.source))
            sums[f"{v.name}_sum"] = Sum(_value(v.source))
            sums[f"{v.name}_sumsq"] = Sum(_value(v.source) * _value(v.source))
        rows = (
            apps.get_model(protocol.form(form).model)
            .objects.filter(
                where.q("instance__participant"),
                instance__participant__allocation__isnull=False,
                instance__form_code=form,
                instance__status=FormInstance.Status.COMPLETE,
                instance__is_voided=False,
                instance__visit__isnull=False,
            )
            .values(site, "instance__visit__code", arm, *where.day("instance__participant"))
            .annotate(**sums)
            .order_by()
        )
        out += [
            _keyed(
                where,
                "instance__participant",
                {
                    "site": r.pop(site),
                    "form_code": form,
                    "visit": r.pop("instance__visit__code"),
                    "arm": r.pop(arm),
                    **blank,
                    **{k: str(v) if isinstance(v, Decimal | float) else v for k, v in r.items()},
                },
            )
            for r in rows
        ]
    return out


def _queries(where: RollupFilter, now: datetime) -> list[dict[str, Any]]:
    buckets = {}
    for low, high in AGE_BUCKETS:
        condition = Q(status=Query.Status.OPEN, raised_at__lte=now - timedelta(days=low))
        if high is not None:
            condition &= Q(raised_at__gt=now - timedelta(days=high + 1))
        buckets[f"open_{low}"] = Count("pk", filter=condition)
    site = "form_instance__participant__site_id"
    rows = (
        Query.objects.filter(where.q("form_instance__participant", dated=False))
        .values(site)
        .annotate(answered=Count("pk", filter=Q(status=Query.Status.ANSWERED)), **buckets)
        .order_by()
    )
    return [{"site": r.pop(site), **r} for r in rows]
