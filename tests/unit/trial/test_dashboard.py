"""The investigators' dashboard: figures, blinding, site scoping, filters and query count."""

import random
from collections import Counter

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import SiteFactory, user_with_role
from trial.demo import demo_allocation_list, demo_trial_load, sample_answers
from trial.models import Allocation, Membership, Participant, Role, Visit
from trial.protocol import get_protocol
from trial.services.crfs import crf_save
from trial.services.participants import participant_end

pytestmark = pytest.mark.django_db
PROTOCOL = get_protocol("snrb_peld")
URL = "/dashboard/"
# demo_trial_load makes six participants per site: screening, ineligible, consented and
# three randomized (after admission, after discharge, after the 3-month visit).
PER_SITE = {"screened": 6, "assessed": 5, "eligible": 4, "ineligible": 1, "consented": 4}


@pytest.fixture
def statistician():
    return user_with_role(Role.STATISTICIAN, site=None, username="stat1")


def load_sites(statistician, codes: list[str]) -> list:
    sites = [SiteFactory(code=code) for code in codes]
    demo_allocation_list(actor=statistician)  # stratified by site: sites first
    for site in sites:
        demo_trial_load(actor=statistician, site=site)
    return sites


def add_adverse_event(actor, participant: Participant, *, serious: bool) -> None:
    answers = sample_answers("adverse_event", participant, visit_code=None, rng=random.Random(1))
    answers.update(serious=serious, clavien_dindo="IVa" if serious else "I")
    crf_save(
        actor=actor,
        participant=participant,
        form_code="adverse_event",
        answers=answers,
        complete=True,
    )


def investigator(site=None, *, blinded: bool = False, username: str = "inv1"):
    user = user_with_role(Role.INVESTIGATOR, site=site, username=username)
    if blinded:
        Membership.objects.create(
            protocol_code="snrb_peld", user=user, site=site, role=Role.OUTCOME_ASSESSOR
        )
    return user


def test_panels_count_the_known_trial(client, statistician):
    # given: two demo sites, one serious AE, one withdrawn participant
    load_sites(statistician, ["S01", "S02"])
    randomized = list(Participant.objects.filter(allocation__isnull=False).order_by("trial_id"))
    add_adverse_event(statistician, randomized[0], serious=True)
    add_adverse_event(statistician, randomized[0], serious=False)
    participant_end(
        actor=statistician,
        participant=randomized[1],
        status=Participant.Status.WITHDRAWN,
        ended_date=timezone.localdate(),
        reason="moved away",
    )
    client.force_login(statistician)  # a comparative role: results by arm
    # when
    context = client.get(URL).context
    # then: enrolment
    totals = context["enrolment"]["totals"]
    for key, n in PER_SITE.items():
        assert totals[key] == 2 * n
    assert totals["randomized"] == 6
    # randomized on their admission day: the 3-month participants (admitted 95 days ago)
    # fall outside the projection's last 12 weeks
    assert context["enrolment"]["projection"]["recent"] == 4
    assert [r["n"] for r in context["enrolment"]["reasons"]] == [2]
    assert [r["screened"] for r in context["enrolment"]["by_site"]] == [6, 6]
    # arm balance matches the allocations
    arms = Counter(Allocation.objects.values_list("arm", flat=True))
    assert context["arms"]["totals"] == [arms[a.code] for a in PROTOCOL.arms]
    # safety: two events, one serious, in the first participant's arm
    first_arm = randomized[0].allocation.arm
    safety = {r["key"]: r for r in context["safety"]["rows"]}
    assert (safety[first_arm]["events"], safety[first_arm]["serious_events"]) == (2, 1)
    assert safety[first_arm]["participants"] == 1
    # CONSORT: withdrawn in its arm, completions of the final visit per arm
    consort = {a["key"]: a for a in context["consort"]["arms"]}
    assert consort[randomized[1].allocation.arm]["withdrawn"] == 1
    done = Counter(
        Visit.objects.filter(code=PROTOCOL.visits[-1].code, status="done").values_list(
            "participant__allocation__arm", flat=True
        )
    )
    assert {k: v["completed"] for k, v in consort.items()} == {
        a.code: done[a.code] for a in PROTOCOL.arms
    }


def test_completeness_matrix_matches_the_form_instances(client, statistician):
    # given
    load_sites(statistician, ["S01"])
    client.force_login(investigator())
    # when
    context = client.get(URL).context
    # then: every cell's complete count is the number of complete instances
    from trial.models import FormInstance

    complete = Counter(
        FormInstance.objects.filter(status="complete", visit__isnull=False).values_list(
            "visit__code", "form_code"
        )
    )
    for visit in context["completeness"]["matrix"]:
        for cell in visit["cells"]:
            assert cell["complete"] == complete[(visit["visit"].code, cell["form"].code)]
            assert cell["expected"] >= cell["complete"] + cell["in_progress"]
    page_rows = context["completeness"]["rows"]
    assert len(page_rows) == 6
    assert {c for r in page_rows for c in r["cells"]} <= {
        "complete",
        "in_progress",
        "not_started",
        "not_applicable",
    }


@pytest.mark.requirement("BLD-004")
def test_vas_trend_splits_for_comparative_roles_only(client, statistician):
    load_sites(statistician, ["S01"])
    dmc = user_with_role(Role.DMC_MEMBER, site=None, username="dmc1")
    groups, cells = {}, {}
    for key, user in (
        ("statistician", statistician),
        ("dmc", dmc),
        ("investigator", investigator(username="open")),
        ("blinded", investigator(blinded=True, username="blind")),
    ):
        client.force_login(user)
        vas = client.get(URL).context["outcome"]
        groups[key] = [k for k, _label in vas["groups"]]
        cells[key] = sum(c["n"] for row in vas["table"] for c in row["cells"] if c)
    arms = [a.code for a in PROTOCOL.arms]
    assert groups == {"statistician": arms, "dmc": arms, "investigator": [None], "blinded": [None]}
    # the pooled figures are the same rollup summed over the arms
    assert cells["investigator"] == cells["blinded"] == cells["statistician"] == cells["dmc"] > 0


def test_site_staff_see_pooled_safety_and_consort_summed_from_the_split(client, statistician):
    load_sites(statistician, ["S01", "S02"])
    randomized = list(Participant.objects.filter(allocation__isnull=False).order_by("trial_id"))
    add_adverse_event(statistician, randomized[0], serious=True)
    client.force_login(statistician)
    split = client.get(URL)
    for user in (investigator(username="open"), user_with_role(Role.DATA_MANAGER, site=None)):
        client.force_login(user)
        response = client.get(URL)
        html = response.content.decode()
        pooled = response.context
        assert [r["key"] for r in pooled["safety"]["rows"]] == ["pooled"]
        assert [a["key"] for a in pooled["consort"]["arms"]] == ["pooled"]
        for key in ("events", "serious_events", "randomized"):
            assert pooled["safety"]["rows"][0][key] == sum(
                r[key] for r in split.context["safety"]["rows"]
            )
        for key in ("randomized", "withdrawn", "lost", "completed"):
            assert pooled["consort"]["arms"][0][key] == sum(
                a[key] for a in split.context["consort"]["arms"]
            )
        for arm in PROTOCOL.arms:  # no per-arm group in any comparative panel
            assert f'data-group="{arm.code}"' not in html


@pytest.mark.requirement("BLD-004")
def test_blinded_investigator_sees_no_arm_anywhere(client, statistician):
    # given
    load_sites(statistician, ["S01"])
    client.force_login(investigator(blinded=True))
    # when
    response = client.get(URL)
    html = response.content.decode()
    # then: no arm labels, no arm-only visits or forms, no per-arm grouping
    assert response.status_code == 200
    assert response.context["arms"] is None
    for arm in PROTOCOL.arms:
        assert arm.label.en not in html
        assert f'data-group="{arm.code}"' not in html
    arm_only = [v for v in PROTOCOL.visits if v.arms] + [f for f in PROTOCOL.forms if f.arms]
    for definition in arm_only:
        assert definition.label.en not in html
        assert f'"{definition.code}"' not in html
    assert 'data-testid="pooled-allocation"' in html


@pytest.mark.requirement("ACC-003")
def test_site_investigator_sees_only_their_site(client, statistician):
    s01, _s02 = load_sites(statistician, ["S01", "S02"])
    client.force_login(investigator(s01))
    context = client.get(URL).context
    assert [r["site"] for r in context["enrolment"]["by_site"]] == ["S01"]
    assert context["enrolment"]["totals"]["screened"] == 6
    assert {r["site"] for r in context["completeness"]["rows"]} == {"S01"}
    # a site outside the user's sites is refused as a filter value
    response = client.get(URL, {"site": "S02"})
    assert response.context["form"].errors["site"]
    assert response.context["enrolment"]["totals"]["screened"] == 6


def test_site_filter_narrows_every_panel(client, statistician):
    load_sites(statistician, ["S01", "S02"])
    client.force_login(investigator())
    context = client.get(URL, {"site": "S02"}).context
    assert context["enrolment"]["totals"]["screened"] == 6
    assert [r["site"] for r in context["follow_up"]["by_site"]] == ["S02"]
    assert {r["site"] for r in context["completeness"]["rows"]} == {"S02"}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"date_from": "2024-13-45"}, "date_from"),
        ({"date_to": "yesterday"}, "date_to"),
        ({"date_from": "2024-05-01", "date_to": "2024-04-01"}, "__all__"),
        ({"site": "NOPE"}, "site"),
    ],
)
def test_bad_filter_input_is_reported_and_ignored(client, statistician, params, field):
    load_sites(statistician, ["S01"])
    client.force_login(investigator())
    response = client.get(URL, {**params, "page": "x"})
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert b'data-testid="filter-errors"' in response.content
    assert response.context["enrolment"]["totals"]["screened"] == 6


def test_date_filter_selects_by_screening_date(client, statistician):
    load_sites(statistician, ["S01"])
    client.force_login(investigator())
    today = timezone.localdate().isoformat()
    context = client.get(URL, {"date_from": today, "date_to": today}).context
    expected = Participant.objects.filter(screening_date=timezone.localdate()).count()
    assert context["enrolment"]["totals"]["screened"] == expected


def test_roles_without_the_dashboard_are_refused(client):
    nurse = user_with_role(Role.RESEARCH_NURSE, site=SiteFactory(code="S01"), username="n1")
    client.force_login(nurse)
    assert client.get(URL).status_code == 403
    assert reverse("trial:dashboard") == URL


QUERY_BOUND = 48  # computing the summary: the rollup, its lock, markers and partitions


@pytest.mark.parametrize("site_codes", [["S01"], ["S01", "S02", "S03", "S04"]])
@pytest.mark.parametrize("blinded", [False, True])
def test_query_count_does_not_grow_with_participants(
    client, statistician, django_assert_max_num_queries, site_codes, blinded
):
    # given: 6 or 24 participants, with adverse events on every randomized one
    load_sites(statistician, site_codes)
    for participant in Participant.objects.filter(allocation__isnull=False):
        add_adverse_event(statistician, participant, serious=False)
    client.force_login(investigator(blinded=blinded))
    # when / then: the same fixed bound at both sizes
    with django_assert_max_num_queries(QUERY_BOUND):
        response = client.get(URL)
    assert response.status_code == 200


@pytest.mark.parametrize("values", [[1.0], [2.5, 3.5], [0.0, 10.0, 4.2, 6.6]])
def test_vas_sd_matches_the_sample_standard_deviation(values):
    import statistics

    from trial.selectors.dashboard import _sample_sd

    row = {
        "leg_vas_n": len(values),
        "leg_vas_sum": sum(values),
        "leg_vas_sumsq": sum(v * v for v in values),
    }
    expected = round(statistics.stdev(values), 1) if len(values) > 1 else None
    assert _sample_sd(row, "leg_vas") == expected


# THE SHARED SUMMARY
def _figures(context) -> dict:
    """The panel figures a reader sees, in a comparable form."""
    return {
        "totals": context["enrolment"]["totals"],
        "months": [(m["month"], m["cumulative"]) for m in context["enrolment"]["months"]],
        "reasons": [(r["criterion"].code, r["n"]) for r in context["enrolment"]["reasons"]],
        "by_site": context["enrolment"]["by_site"],
        "arms": context["arms"] and context["arms"]["rows"],
        "matrix": [
            (v["visit"].code, v["state"], [(c["form"].code, c) for c in v["cells"]])
            for v in context["completeness"]["matrix"]
        ],
        "follow_up": context["follow_up"],
        "quality": {k: v for k, v in context["quality"].items()},
        "safety": context["safety"]["rows"],
        "grades": context["safety"]["grades"],
        "consort": context["consort"]["arms"],
        "vas": context["outcome"]["table"],
    }


def _live_figures(client, monkeypatch, params) -> dict:
    """The figures of the page with ``params`` counted directly (no summary, no partitions)."""
    from trial.selectors.dashboard_rollup import dashboard_rollup
    from trial.views.dashboard import DashboardView

    def live(self, scope):
        return dashboard_rollup(scope.protocol, scope.rollup_filter()), None

    with monkeypatch.context() as patch:
        patch.setattr(DashboardView, "_figures", live)
        return _figures(client.get(URL, params).context)


def spread_trial(statistician) -> list:
    """Two demo sites, participants screened over several months, adverse events, a
    withdrawal and a loss: a trial where date filters cut through every panel."""
    from tests.factories import register_participant

    s01, s02 = load_sites(statistician, ["S01", "S02"])
    today = timezone.localdate()
    for back in (3, 17, 40, 61, 62, 200, 400):
        register_participant(
            actor=statistician, site=s01 if back % 2 else s02,
            screening_date=today - timezone.timedelta(days=back),
        )  # fmt: skip
    randomized = list(Participant.objects.filter(allocation__isnull=False).order_by("trial_id"))
    add_adverse_event(statistician, randomized[0], serious=True)
    add_adverse_event(statistician, randomized[-1], serious=False)
    participant_end(
        actor=statistician,
        participant=randomized[2],
        status=Participant.Status.LOST,
        ended_date=timezone.localdate(),
        reason="no contact",
    )
    return [s01, s02]


def random_filters(rng: random.Random, count: int) -> list[dict[str, str]]:
    """Screening-date ranges of every kind: open ends, single days, whole months, spans."""
    first = Participant.objects.order_by("screening_date").first().screening_date
    today = timezone.localdate()
    span = (today - first).days + 20
    filters = [{"date_from": "2000-01-01", "date_to": "2100-01-01"}]
    for _i in range(count):
        a = first - timezone.timedelta(days=10) + timezone.timedelta(days=rng.randrange(span))
        b = a + timezone.timedelta(days=rng.choice([0, 1, 13, 31, 45, 120, 400]))
        kind = rng.choice(["both", "from", "to"])
        params = {"date_from": a.isoformat()} if kind != "to" else {}
        if kind != "from":
            params["date_to"] = b.isoformat()
        filters.append(params)
    return filters


@pytest.mark.parametrize("blinded", [False, True])
def test_partition_figures_match_a_direct_count_for_random_filters(
    client, statistician, monkeypatch, blinded
):
    # given: a trial spread over months, its summary computed, then more writes of every
    # kind (counted by the incremental refresh, not by a rebuild)
    from trial.services.dashboard import dashboard_summary_refresh

    s01, _s02 = spread_trial(statistician)
    dashboard_summary_refresh(protocol_code=PROTOCOL.code)
    register_more(statistician)
    randomized = list(Participant.objects.filter(allocation__isnull=False).order_by("trial_id"))
    add_adverse_event(statistician, randomized[1], serious=True)
    participant_end(
        actor=statistician,
        participant=randomized[3],
        status=Participant.Status.WITHDRAWN,
        ended_date=timezone.localdate(),
        reason="moved away",
    )
    dashboard_summary_refresh(protocol_code=PROTOCOL.code)
    client.force_login(investigator(s01 if blinded else None, blinded=blinded))
    rng = random.Random(20 + blinded)
    # when / then: every filter gives the figures a direct count gives
    for params in [{}, *random_filters(rng, 10)]:
        if not blinded and rng.random() < 0.5:
            params = {**params, "site": "S01"}
        page = client.get(URL, params).context
        assert page["summary"] is not None, params
        assert _figures(page) == _live_figures(client, monkeypatch, params), params


def test_the_incremental_refresh_equals_a_rebuild(statistician):
    from trial.models import DashboardChange, DashboardPartition, DashboardSummary
    from trial.selectors.dashboard_partitions import PARTITIONED, totals_of
    from trial.services.dashboard import dashboard_summary_refresh

    # given: a summary, then writes that leave change markers
    spread_trial(statistician)
    dashboard_summary_refresh(protocol_code=PROTOCOL.code)
    assert not DashboardChange.objects.exists()
    register_more(statistician)
    add_adverse_event(
        statistician, Participant.objects.filter(allocation__isnull=False)[0], serious=False
    )
    assert DashboardChange.objects.exists()

    # when: refreshed incrementally, then rebuilt
    def state():
        summary = DashboardSummary.objects.get()
        parts = {
            (p.grain, p.start, p.site_id): totals_of([p.data])
            for p in DashboardPartition.objects.all()
        }
        return totals_of([{k: summary.data[k] for k in PARTITIONED}]), parts

    dashboard_summary_refresh(protocol_code=PROTOCOL.code)
    incremental = state()
    assert not DashboardChange.objects.exists()
    dashboard_summary_refresh(protocol_code=PROTOCOL.code, rebuild=True)
    # then: the same summary and the same partitions
    assert incremental == state()


def test_the_summary_is_shared_until_refreshed(client, statistician, settings):
    from trial.models import DashboardSummary
    from trial.services.dashboard import MIN_AGE

    # given: a summary computed by a first visit
    load_sites(statistician, ["S01"])
    client.force_login(investigator())
    first = client.get(URL).context
    assert first["enrolment"]["totals"]["screened"] == 6
    computed = DashboardSummary.objects.get().computed_at
    # when: someone is screened, then the dashboard is read again within the refresh period
    register_more(statistician)
    again = client.get(URL)
    # then: the same summary is read (no recount), and the page says when it was computed
    assert again.context["enrolment"]["totals"]["screened"] == 6
    assert DashboardSummary.objects.get().computed_at == computed
    assert b'data-testid="figures-as-of"' in again.content
    # when: asked to refresh at once, the summary is kept (clicks cannot force recounts)
    assert client.get(URL, {"refresh": "1"}).context["enrolment"]["totals"]["screened"] == 6
    # when: asked once it is a few seconds old, the new participant is counted
    DashboardSummary.objects.update(computed_at=computed - MIN_AGE - timezone.timedelta(seconds=1))
    assert client.get(URL, {"refresh": "1"}).context["enrolment"]["totals"]["screened"] == 7
    # and: a summary older than the maximum age is recomputed without being asked
    register_more(statistician)
    DashboardSummary.objects.update(
        computed_at=timezone.now()
        - timezone.timedelta(seconds=settings.EDC_DASHBOARD_MAX_AGE_SECONDS + 1)
    )
    assert client.get(URL).context["enrolment"]["totals"]["screened"] == 8


def test_a_summary_of_another_day_is_recomputed(statistician):
    from datetime import timedelta

    from trial.models import DashboardSummary
    from trial.services.dashboard import dashboard_summary_current, summary_is_stale

    load_sites(statistician, ["S01"])
    summary = dashboard_summary_current(protocol_code=PROTOCOL.code)
    assert not summary_is_stale(summary)
    tomorrow = timezone.now() + timedelta(days=1)
    assert summary_is_stale(summary, now=tomorrow.replace(hour=12))
    DashboardSummary.objects.update(data={**summary.data, "version": 0})
    assert summary_is_stale(DashboardSummary.objects.get())


def register_more(actor) -> None:
    from tests.factories import register_participant

    register_participant(actor=actor, site=Participant.objects.first().site)


def test_summary_reads_need_few_queries(client, statistician, django_assert_max_num_queries):
    load_sites(statistician, ["S01", "S02", "S03", "S04"])
    client.force_login(investigator())
    client.get(URL)  # computes the summary
    with django_assert_max_num_queries(SUMMARY_READ_BOUND):
        assert client.get(URL).status_code == 200


SUMMARY_READ_BOUND = 14


def test_a_burst_of_changes_is_taken_in_batches_and_none_is_lost(statistician, monkeypatch):
    from trial.models import DashboardChange, DashboardSummary
    from trial.services import dashboard

    # given: a summary, then a burst of registrations, the refresh taking two markers a time
    load_sites(statistician, ["S01"])
    dashboard.dashboard_summary_refresh(protocol_code=PROTOCOL.code)
    for _i in range(3):
        register_more(statistician)
    waiting = DashboardChange.objects.count()
    assert waiting >= 3
    monkeypatch.setattr(dashboard, "MARKER_BATCH", 2)
    # when: refreshed once, then until no marker is left
    dashboard.dashboard_summary_refresh(protocol_code=PROTOCOL.code)
    assert DashboardChange.objects.count() == waiting - 2
    while DashboardChange.objects.exists():
        dashboard.dashboard_summary_refresh(protocol_code=PROTOCOL.code)
    # then: every new participant is counted
    people = DashboardSummary.objects.get().data["people"]
    assert sum(r["screened"] for r in people) == Participant.objects.count() == 9
