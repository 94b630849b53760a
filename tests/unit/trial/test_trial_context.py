"""Several trials in one instance (issue 17 item 4): roles per trial, the active trial of a
request (``trial.context``), the trial switcher, pages scoped to the active trial, the beat
job over every trial, and no other reader of the instance's default trial (ACC-009).

Only one trial ships today, so these tests add a second one: a copy of the seed protocol
under another code, contributed for the test (as ``test_anchor_dates`` adds one).
"""

import dataclasses
import datetime
import os
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client, override_settings
from django.urls import reverse

from api.models import ApiToken
from tests.factories import SEED, SiteFactory, UserFactory, register_participant, user_with_role
from trial import discovery
from trial.blinding import policy_for
from trial.context import SESSION_KEY, default_protocol_code, protocols_for
from trial.models import DashboardSummary, Membership, Role
from trial.permissions import Action, is_blinded, may, sees_comparative, sites_for
from trial.protocol import Text, get_protocol, protocols
from trial.tasks import dashboard_summary_refresh_task

OTHER = "second_trial"
REPO = Path(__file__).resolve().parents[3]
SWITCH = "/trial/switch/"


@pytest.fixture
def second_trial(monkeypatch):
    """A test-only second trial (never shipped): the seed protocol under another code."""
    seed = get_protocol(SEED)
    protocol = dataclasses.replace(seed, code=OTHER, title=Text("Second trial", "第二项试验"))
    shipped = [p.code for p in discovery.contributions("protocols").values()]  # the seed first
    monkeypatch.setitem(discovery._found["protocols"], OTHER, protocol)
    assert [p.code for p in protocols()] == [SEED, *shipped[1:], OTHER]
    return protocol


def add_role(user, role: str, *, site=None, protocol_code: str = OTHER) -> None:
    Membership.objects.create(user=user, protocol_code=protocol_code, site=site, role=role)
    user.__dict__.pop("_edc_memberships", None)  # read again
    user.__dict__.pop("_edc_blinding", None)


def logged_in(user, *, enforce_csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=enforce_csrf)
    client.force_login(user)
    return client


# --- one reader of the default trial ------------------------------------------------------

READS_DEFAULT = re.compile(r"""settings\.EDC_PROTOCOL|["']EDC_PROTOCOL["']""")
MAY_READ = {"config/settings.py", "trial/context.py"}  # the setting and the one resolver
SKIPPED_DIRS = {".venv", ".git", "tests", "node_modules", "var", "test-artifacts", "static"}


def default_trial_reads() -> list[str]:
    found = []
    for root, dirs, files in os.walk(REPO):
        dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS and not d.startswith(".")]
        # a migration runs once, on the data as they were (0017 gives existing roles the
        # configured trial); it is history, not a reader of the current trial
        if Path(root).name == "migrations":
            continue
        for name in files:
            path = Path(root, name)
            relative = path.relative_to(REPO).as_posix()
            if not name.endswith(".py") or relative in MAY_READ:
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if READS_DEFAULT.search(line):
                    found.append(f"{relative}:{number}: {line.strip()}")
    return found


@pytest.mark.requirement("ACC-009")
def test_only_the_resolver_reads_the_default_trial():
    # the pattern finds each way of reading it (so an empty result means something)
    for read in ('settings.EDC_PROTOCOL', 'getattr(settings, "EDC_PROTOCOL")',
                 "os.environ['EDC_PROTOCOL']"):  # fmt: skip
        assert READS_DEFAULT.search(read)
    assert not READS_DEFAULT.search('help="Protocol code (default: EDC_PROTOCOL)."')
    assert default_trial_reads() == []


# --- roles per trial -----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.requirement("ACC-009")
def test_a_role_in_one_trial_grants_nothing_in_another(second_trial):
    site = SiteFactory(code="S01")
    nurse = user_with_role(Role.RESEARCH_NURSE, site=site)  # in the seed trial only
    assert may(nurse, SEED, Action.ENTER_DATA, site=site)
    assert not may(nurse, OTHER, Action.ENTER_DATA, site=site)
    assert not may(nurse, OTHER, Action.VIEW_PARTICIPANTS)
    assert list(sites_for(nurse, OTHER, Action.VIEW_PARTICIPANTS)) == []
    assert protocols_for(nurse) == (get_protocol(SEED),)
    with pytest.raises(TypeError):  # the trial and the action in the wrong order
        may(nurse, Action.ENTER_DATA, SEED)  # type: ignore[arg-type]


@pytest.mark.django_db
@pytest.mark.requirement("ACC-009")
def test_a_nurse_of_one_trial_sees_nothing_of_the_other(second_trial):
    site = SiteFactory(code="S01")
    nurse = user_with_role(Role.RESEARCH_NURSE, site=site)
    ours = register_participant(nurse, site, full_name="Ours")
    manager = user_with_role(Role.DATA_MANAGER, site=None, protocol_code=OTHER)
    theirs = register_participant(manager, site, protocol_code=OTHER, full_name="Theirs")
    client = logged_in(nurse)
    listed = client.get("/participants/").content.decode()
    assert ours.trial_id in listed
    assert theirs.trial_id not in listed
    assert client.get(f"/participants/{theirs.trial_id}/").status_code == 404
    assert client.get(f"/participants/{ours.trial_id}/").status_code == 200
    # a session naming the other trial (no role there) is not obeyed
    session = client.session
    session[SESSION_KEY] = OTHER
    session.save()
    assert client.get(f"/participants/{theirs.trial_id}/").status_code == 404
    assert client.get("/participants/").context["request"].protocol.code == SEED


@pytest.mark.django_db
@pytest.mark.requirement("ACC-009", "BLD-001")
def test_blinding_follows_the_roles_of_each_trial(second_trial):
    site = SiteFactory(code="S01")
    user = user_with_role(Role.OUTCOME_ASSESSOR, site=site)  # blinded in the seed trial
    add_role(user, Role.STATISTICIAN)  # unblinded (and comparative) in the other
    assert is_blinded(user, SEED)
    assert not is_blinded(user, OTHER)
    assert policy_for(user, SEED).blinded
    assert not policy_for(user, OTHER).blinded
    assert not sees_comparative(user, SEED)
    assert sees_comparative(user, OTHER)
    # the other trial's roles never unblind the first: a statistician of the seed trial who
    # assesses outcomes of the other is blinded there only
    other = user_with_role(Role.STATISTICIAN, site=None)
    add_role(other, Role.OUTCOME_ASSESSOR, site=site)
    assert not is_blinded(other, SEED)
    assert is_blinded(other, OTHER)
    # the page says so for the active trial
    client = logged_in(user)
    assert 'data-testid="blinded-badge"' in client.get(reverse("home")).content.decode()
    client.post(SWITCH, {"protocol": OTHER})
    assert 'data-testid="blinded-badge"' not in client.get(reverse("home")).content.decode()


# --- the switcher --------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.requirement("ACC-009")
def test_the_switcher_is_shown_only_to_a_user_of_several_trials(second_trial):
    user = user_with_role(Role.INVESTIGATOR, site=None)
    page = logged_in(user).get(reverse("home")).content.decode()
    assert 'data-testid="trial-form"' not in page
    add_role(user, Role.INVESTIGATOR)
    page = logged_in(user).get(reverse("home")).content.decode()
    assert 'data-testid="trial-form"' in page
    assert f'value="{SEED}" selected' in page
    assert f'value="{OTHER}"' in page
    assert "Second trial" in page


@pytest.mark.django_db
@pytest.mark.requirement("ACC-009")
def test_switching_keeps_the_trial_in_the_session_and_scopes_the_pages(second_trial):
    site = SiteFactory(code="S01")
    user = user_with_role(Role.INVESTIGATOR, site=None)
    add_role(user, Role.INVESTIGATOR)
    ours = register_participant(user, site, full_name="Ours")
    theirs = register_participant(user, site, protocol_code=OTHER, full_name="Theirs")
    client = logged_in(user)
    response = client.post(SWITCH, {"protocol": OTHER})
    assert response.status_code == 302
    assert response["Location"] == "/dashboard/"
    assert client.session[SESSION_KEY] == OTHER
    listed = client.get("/participants/").content.decode()
    assert theirs.trial_id in listed
    assert ours.trial_id not in listed
    assert client.get(f"/participants/{ours.trial_id}/").status_code == 404
    assert client.get(f"/participants/{theirs.trial_id}/").status_code == 200
    assert client.get("/dashboard/").status_code == 200
    # and back
    client.post(SWITCH, {"protocol": SEED})
    assert client.session[SESSION_KEY] == SEED
    assert client.get(f"/participants/{ours.trial_id}/").status_code == 200


@pytest.mark.django_db
@pytest.mark.requirement("ACC-009")
def test_a_user_cannot_switch_to_a_trial_without_a_role_in_it(second_trial):
    nurse = user_with_role(Role.RESEARCH_NURSE, site=None)
    client = logged_in(nurse)
    for code in (OTHER, "no_such_trial", ""):
        response = client.post(SWITCH, {"protocol": code})
        assert response.status_code == 404
        assert "you hold no role in it" in response.content.decode()
        assert SESSION_KEY not in client.session
    # a nurse of both goes to the home page (the dashboard is not theirs)
    add_role(nurse, Role.RESEARCH_NURSE)
    response = client.post(SWITCH, {"protocol": OTHER})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


@pytest.mark.django_db
@pytest.mark.requirement("ACC-009", "ACC-007")
def test_the_switch_is_a_post_with_the_csrf_token(second_trial):
    user = user_with_role(Role.INVESTIGATOR, site=None)
    add_role(user, Role.INVESTIGATOR)
    assert logged_in(user).get(SWITCH, {"protocol": OTHER}).status_code == 405
    client = logged_in(user, enforce_csrf=True)
    assert client.post(SWITCH, {"protocol": OTHER}).status_code == 403
    assert SESSION_KEY not in client.session
    assert Client().post(SWITCH, {"protocol": OTHER}).status_code == 302  # to the log-in


@pytest.mark.django_db
def test_a_superuser_may_work_in_every_trial(second_trial):
    admin = UserFactory(is_superuser=True, is_staff=True)
    # every discovered trial: the seed, the shipped second trial and the test's own
    assert [p.code for p in protocols_for(admin)] == [p.code for p in protocols()]
    assert {SEED, OTHER} <= {p.code for p in protocols_for(admin)}
    assert default_protocol_code() == SEED


# --- jobs and commands ---------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.requirement("ACC-009")
def test_the_dashboard_refresh_job_covers_every_trial(second_trial):
    site = SiteFactory(code="S01")
    manager = user_with_role(Role.DATA_MANAGER, site=None, protocol_code=OTHER)
    register_participant(manager, site, protocol_code=OTHER)
    durations = dashboard_summary_refresh_task()
    assert set(durations) == {p.code for p in protocols()} >= {SEED, OTHER}
    summaries = {s.protocol_code: s.data for s in DashboardSummary.objects.all()}
    assert set(summaries) == {p.code for p in protocols()} >= {SEED, OTHER}
    assert summaries[OTHER] != summaries[SEED]  # each counts its own participants


@pytest.mark.django_db
def test_a_command_takes_the_trial_or_the_default(second_trial):
    user = user_with_role(Role.STATISTICIAN, site=None)
    add_role(user, Role.STATISTICIAN)
    call_command("api_token", user.username, "--protocol", OTHER, stdout=StringIO())
    call_command("api_token", user.username, stdout=StringIO())
    assert set(ApiToken.objects.values_list("protocol_code", flat=True)) == {SEED, OTHER}
    with pytest.raises(CommandError, match="no_such_trial"):
        call_command("api_token", user.username, "--protocol", "no_such_trial")


# --- the migration -------------------------------------------------------------------------

BEFORE = ("trial", "0016_merge_anchors_dashboard")
AFTER = ("trial", "0017_membership_protocol_code")


def _old_roles(executor, with_participant: bool) -> list[int]:
    old = executor.loader.project_state([BEFORE]).apps
    user = UserFactory()  # the accounts app is not migrated back
    site = old.get_model("trial", "Site").objects.create(code="S09", name="Old site")
    if with_participant:
        old.get_model("trial", "Participant").objects.create(
            trial_id="S09-0001", site=site, site_sequence=1, protocol_code="legacy_trial",
            screening_date=datetime.date(2024, 2, 28), created_by_id=user.pk,
        )  # fmt: skip
    Membership = old.get_model("trial", "Membership")
    return [
        Membership.objects.create(user_id=user.pk, site=site, role="research_nurse").pk,
        Membership.objects.create(user_id=user.pk, site=None, role="data_manager").pk,
    ]


@pytest.mark.django_db(transaction=True)
@pytest.mark.requirement("ACC-009")
@pytest.mark.parametrize("with_participant", [True, False])
def test_the_migration_keeps_existing_roles_in_the_existing_trial(with_participant):
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate([BEFORE])
    try:
        pks = _old_roles(executor, with_participant)
        with override_settings(EDC_PROTOCOL="configured_trial"):
            executor = MigrationExecutor(connection)
            executor.migrate([AFTER])
        new = executor.loader.project_state([AFTER]).apps.get_model("trial", "Membership")
        expected = "legacy_trial" if with_participant else "configured_trial"
        assert {m.pk: m.protocol_code for m in new.objects.all()} == dict.fromkeys(pks, expected)
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(latest)


@pytest.mark.django_db
def test_the_administrator_gives_a_role_in_a_discovered_trial(second_trial):
    admin = UserFactory(is_superuser=True, is_staff=True)
    client = logged_in(admin)
    for url in ("/admin/trial/membership/add/", f"/admin/accounts/user/{admin.pk}/change/"):
        page = client.get(url).content.decode()
        assert f'<option value="{OTHER}">' in page
    nurse = UserFactory()
    response = client.post(
        "/admin/trial/membership/add/",
        {"user": nurse.pk, "protocol_code": "no_such_trial", "role": Role.RESEARCH_NURSE},
    )
    assert response.status_code == 200  # the form again, with the error
    assert not Membership.objects.filter(user=nurse).exists()


@pytest.mark.django_db
@pytest.mark.requirement("ACC-009")
def test_a_trials_refresh_leaves_the_other_trials_changes_to_it(second_trial):
    from trial.models import DashboardChange
    from trial.services.dashboard import dashboard_change_markers, dashboard_summary_refresh

    site = SiteFactory(code="S01")
    manager = user_with_role(Role.DATA_MANAGER, site=None, protocol_code=OTHER)
    dashboard_summary_refresh_task()  # both summaries exist (empty)
    theirs = register_participant(manager, site, protocol_code=OTHER)
    assert DashboardChange.objects.exists()
    dashboard_summary_refresh(protocol_code=SEED)  # the seed trial's refresh comes first
    assert DashboardChange.objects.exists()  # the other trial's markers are not consumed
    dashboard_summary_refresh(protocol_code=OTHER)
    assert not DashboardChange.objects.exists()
    summary = DashboardSummary.objects.get(protocol_code=OTHER)
    assert summary.data == dashboard_summary_refresh(protocol_code=OTHER, rebuild=True).data
    # a moved screening date: the marker of the day it left names the participant too
    left = theirs.screening_date - datetime.timedelta(days=3)
    markers = dashboard_change_markers(theirs, {"screening_date": (left, theirs.screening_date)})
    assert {(m.participant_id, m.day) for m in markers} == {
        (theirs.pk, theirs.screening_date),
        (theirs.pk, left),
    }
