"""Reports: a site-bound user reports on own sites only and sees only runs whose sites are
all theirs; runs by arm only for the roles the protocol lets see comparative results."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import translation

from analysis.models import ReportRun
from tests.factories import SiteFactory, user_with_role
from trial.models import Membership, Role
from trial.permissions import sees_comparative
from trial.protocol import get_protocol

pytestmark = pytest.mark.django_db


@pytest.fixture
def sites(db):
    return {code: SiteFactory(code=code) for code in ("S01", "S02", "RPT")}


@pytest.fixture
def users(sites):
    return {
        "inv_s01": user_with_role(Role.INVESTIGATOR, site=sites["S01"], username="inv-s01"),
        "inv_all": user_with_role(Role.INVESTIGATOR, site=None, username="inv-all"),
        "stat": user_with_role(Role.STATISTICIAN, site=None, username="stat"),
        "stat_s01": user_with_role(Role.STATISTICIAN, site=sites["S01"], username="stat-s01"),
        "dmc": user_with_role(Role.DMC_MEMBER, site=None, username="dmc"),
    }


def _run(creator, sites: list[str], *, pooled: bool) -> ReportRun:
    run = ReportRun.objects.create(
        protocol_code="snrb_peld", created_by=creator, population="itt", mode="correct",
        blinded_view=pooled, sites=sites, status=ReportRun.Status.SUCCEEDED, progress=100,
    )  # fmt: skip
    run.xlsx.save(f"r{run.pk}.xlsx", ContentFile(b"PK\x03\x04 xlsx"), save=False)
    run.save()
    return run


@pytest.fixture
def runs(users, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    stat = users["stat"]
    return {
        "own pooled": _run(stat, ["S01"], pooled=True),
        "own by arm": _run(stat, ["S01"], pooled=False),
        "mixed pooled": _run(stat, ["S01", "S02"], pooled=True),
        "other pooled": _run(stat, ["RPT"], pooled=True),
        "all pooled": _run(stat, [], pooled=True),
        "all by arm": _run(stat, [], pooled=False),
    }


VISIBLE = {  # who -> the runs they may open, list and download; every other answers 404
    "inv_s01": {"own pooled"},
    "inv_all": {"own pooled", "mixed pooled", "other pooled", "all pooled"},
    "stat_s01": {"own pooled", "own by arm"},
    "stat": {
        "own pooled",
        "own by arm",
        "mixed pooled",
        "other pooled",
        "all pooled",
        "all by arm",
    },  # fmt: skip
    "dmc": {
        "own pooled",
        "own by arm",
        "mixed pooled",
        "other pooled",
        "all pooled",
        "all by arm",
    },  # fmt: skip
}


def test_comparative_results_are_for_the_roles_the_protocol_names(users):
    named = get_protocol("snrb_peld").comparative_roles
    assert named == {Role.STATISTICIAN, Role.DMC_MEMBER}
    assert {key for key, user in users.items() if sees_comparative(user, "snrb_peld")} == {
        "stat", "stat_s01", "dmc"
    }  # fmt: skip
    blinded_stat = users["stat"]
    Membership.objects.create(
        protocol_code="snrb_peld", user=blinded_stat, site=None, role=Role.OUTCOME_ASSESSOR
    )
    del blinded_stat._edc_memberships
    assert not sees_comparative(blinded_stat, "snrb_peld")  # a blinded role never compares arms


@pytest.mark.parametrize("who", list(VISIBLE))
def test_each_user_sees_opens_and_downloads_exactly_the_runs_of_their_sites(
    client, users, runs, who
):
    client.force_login(users[who])
    listed = {run.pk for run in client.get(reverse("analysis:report-list")).context["runs"]}
    assert listed == {runs[name].pk for name in VISIBLE[who]}
    for name, run in runs.items():
        expected = 200 if name in VISIBLE[who] else 404
        detail = client.get(reverse("analysis:report-detail", args=[run.pk]))
        download = client.get(reverse("analysis:report-download", args=[run.pk, "xlsx"]))
        assert (name, detail.status_code, download.status_code) == (name, expected, expected)


def test_a_failed_run_of_another_site_cannot_be_run_again(client, users, runs):
    failed = runs["other pooled"]
    ReportRun.objects.filter(pk=failed.pk).update(status=ReportRun.Status.FAILED)
    client.force_login(users["inv_s01"])
    before = ReportRun.objects.count()
    response = client.post(reverse("analysis:report-rerun", args=[failed.pk]))
    assert response.status_code == 404
    assert ReportRun.objects.count() == before


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_site_investigator_is_offered_and_may_start_only_own_sites(
    client, users, language, settings
):
    client.force_login(users["inv_s01"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    url = reverse("analysis:report-list")
    page = client.get(url)
    offered = [code for code, _label in page.context["form"].fields["sites"].choices]
    assert [str(code) for code in offered] == ["S01"]
    assert b'value="S02"' not in page.content
    assert b'value="RPT"' not in page.content
    for codes in (["S02"], ["S01", "RPT"]):
        response = client.post(url, {"population": "itt", "mode": "correct", "sites": codes})
        assert response.status_code == 200
        errors = response.context["form"].errors["sites"]
        with translation.override(language):
            expected = translation.gettext(
                "You may report on your own sites only: %(value)s is not one."
            ) % {"value": codes[-1]}
        assert errors == [expected]
        assert expected in response.content.decode()
    assert not ReportRun.objects.exists()


def test_no_site_ticked_means_all_the_users_own_sites_and_pooled(client, users, sites):
    Membership.objects.create(
        protocol_code="snrb_peld", user=users["inv_s01"], site=sites["S02"], role=Role.INVESTIGATOR
    )
    client.force_login(users["inv_s01"])
    client.post(reverse("analysis:report-list"), {"population": "itt", "mode": "correct"})
    run = ReportRun.objects.get()
    assert run.sites == ["S01", "S02"]  # never [] (every site) for a site-bound user
    assert run.blinded_view is True  # an investigator's runs are pooled


def test_comparative_roles_start_runs_by_arm(client, users):
    for key in ("stat", "dmc"):
        client.force_login(users[key])
        client.post(reverse("analysis:report-list"), {"population": "itt", "mode": "correct"})
    assert list(ReportRun.objects.values_list("blinded_view", "sites")) == [(False, [])] * 2


def test_pooled_note_for_site_staff(client, users):
    client.force_login(users["inv_all"])
    assert b'data-testid="pooled-note"' in client.get(reverse("analysis:report-list")).content
    client.force_login(users["dmc"])
    assert b'data-testid="pooled-note"' not in client.get(reverse("analysis:report-list")).content
