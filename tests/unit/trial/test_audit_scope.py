"""Audit rows name their trial (issue 17 item 4): ``AuditEvent.protocol_code``.

Two shipped trials (the seed and ``rehab_ldh``) share a site here; each writes audited
changes through the services. Each trial's audit viewer and CSV export show that trial's
rows only, by any filter; account events follow ``trial.selectors.audit._account_condition``;
the writer refuses a row of trial data whose trial it cannot tell, and every model of the
project leads to a trial or is declared shared by every trial. The migration that added the
column fills the existing rows.
"""

import csv
import datetime
import io
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse

from tests.factories import SEED, SiteFactory, UserFactory, user_with_role
from tests.trials import randomized_participant
from trial.context import SESSION_KEY
from trial.models import AllocationList, AuditEvent, Membership, Role
from trial.protocol import get_protocol
from trial.services.audit import (
    TRIAL_LESS_MODELS,
    AuditScopeError,
    audit_protocol_code,
    audit_record,
    protocol_path,
)

OTHER = "rehab_ldh"  # the shipped second trial
REPO = Path(__file__).resolve().parents[3]
SWITCH = "/trial/switch/"


def _csv(response) -> list[dict[str, str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def _client(user, protocol_code: str) -> Client:
    client = Client()
    client.force_login(user)
    response = client.post(SWITCH, {"protocol": protocol_code})
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == protocol_code
    return client


# --- every model leads to a trial -----------------------------------------------------------


def _project_models() -> list:
    return [
        model
        for model in apps.get_models()
        if Path(model._meta.app_config.path).resolve().is_relative_to(REPO)
        and Path(model._meta.app_config.path).resolve().relative_to(REPO).parts[0] != ".venv"
    ]


@pytest.mark.requirement("AUD-010")
def test_every_model_of_the_project_leads_to_a_trial_or_is_declared_shared():
    models = _project_models()
    labels = {m._meta.label_lower for m in models}
    assert {"trial.participant", "trial.forminstance", "api.apitoken"} <= labels
    assert TRIAL_LESS_MODELS <= labels  # no stale declaration
    for model in models:
        label = model._meta.label_lower
        path = protocol_path(model)
        if label in TRIAL_LESS_MODELS:
            assert path is None, label
            continue
        assert path is not None, f"{label} leads to no trial: declare it or link it"
        *links, last = path.split("__")
        current = model
        for name in links:  # every step a link to one row; no link into a shared model
            field = current._meta.get_field(name)
            assert field.many_to_one or field.one_to_one, (label, name)
            current = field.related_model
            assert current._meta.label_lower not in TRIAL_LESS_MODELS, (label, path)
        assert last == "protocol_code", label
        assert current._meta.get_field(last).get_internal_type() == "CharField", label


def test_a_required_link_is_preferred_to_an_optional_one():
    slot = apps.get_model("trial", "AllocationSlot")
    assert slot._meta.get_field("participant").null  # an unassigned slot has no participant
    assert protocol_path(slot) == "stratum__allocation_list__protocol_code"
    assert protocol_path(apps.get_model("trial", "Query")) == (
        "form_instance__participant__protocol_code"
    )


# --- two trials at one site -----------------------------------------------------------------


@pytest.fixture
def two_trials(db, settings, tmp_path):
    """The seed and the second shipped trial at the shared site S01, each with a participant
    taken through registration, eligibility, consent, the pre-randomization forms, its list
    and randomization by that trial's nurse (every step audited)."""
    settings.MEDIA_ROOT = tmp_path
    site = SiteFactory(code="S01")
    people = {}
    for code in (SEED, OTHER):
        nurse = user_with_role(Role.RESEARCH_NURSE, site=site, protocol_code=code)
        statistician = user_with_role(Role.STATISTICIAN, site=None, protocol_code=code)
        manager = user_with_role(Role.DATA_MANAGER, site=None, protocol_code=code)
        first = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        participant = randomized_participant(nurse, site, get_protocol(code), complete=False)
        rows = AuditEvent.objects.filter(pk__gt=first)
        people[code] = {
            "nurse": nurse,
            "statistician": statistician,
            "manager": manager,
            "participant": participant,
            "rows": set(rows.values_list("pk", flat=True)),
        }
    return {"site": site, **people}


@pytest.mark.django_db
@pytest.mark.requirement("AUD-010")
def test_each_trials_writes_carry_that_trials_code(two_trials):
    seen_types = set()
    for code in (SEED, OTHER):
        rows = AuditEvent.objects.filter(pk__in=two_trials[code]["rows"])
        assert rows.count() > 5
        assert set(rows.values_list("protocol_code", flat=True)) == {code}
        for event in rows.exclude(object_type=""):  # the object tells the same trial
            model = apps.get_model(event.object_type)
            assert audit_protocol_code(model.objects.get(pk=event.object_id)) == code
            seen_types.add(event.object_type)
    assert {
        "trial.participant",
        "trial.forminstance",
        "trial.consent",
        "trial.eligibilityassessment",
        "trial.allocation",
        "trial.allocationlist",
    } <= seen_types


@pytest.mark.django_db
@pytest.mark.requirement("AUD-010")
def test_the_writer_refuses_a_row_of_trial_data_it_cannot_place(two_trials):
    nurse = two_trials[SEED]["nurse"]
    participant = two_trials[SEED]["participant"]
    count = AuditEvent.objects.count()
    with pytest.raises(AuditScopeError):  # trial data whose trial is blank
        audit_record(actor=nurse, action="update", obj=AllocationList(protocol_code=""))
    with pytest.raises(AuditScopeError):  # no object, and no trial named
        audit_record(actor=nurse, action=AuditEvent.Action.EXPORT)
    with pytest.raises(AuditScopeError):  # the caller names another trial than the object's
        audit_record(actor=nurse, action="update", obj=participant, protocol_code=OTHER)
    with pytest.raises(AuditScopeError):  # an account event belongs to no trial
        audit_record(actor=nurse, action=AuditEvent.Action.LOGIN, protocol_code=SEED)
    with pytest.raises(AuditScopeError):  # a model outside the project, no trial named
        audit_record(actor=nurse, action="update", obj=Group(name="outside"))
    assert AuditEvent.objects.count() == count
    # what the object does not tell, the caller names; a shared object alone has no trial
    site = two_trials["site"]
    assert audit_record(actor=nurse, action="update", obj=site).protocol_code == ""
    named = audit_record(actor=nurse, action="update", obj=site, protocol_code=OTHER)
    assert named.protocol_code == OTHER
    assert audit_record(actor=nurse, action=AuditEvent.Action.LOGOUT).protocol_code == ""


@pytest.mark.django_db
@pytest.mark.requirement("AUD-011")
def test_each_trials_viewer_and_export_show_only_its_own_rows(two_trials):
    both = user_with_role(Role.DATA_MANAGER, site=None, protocol_code=SEED)
    Membership.objects.create(user=both, protocol_code=OTHER, site=None, role=Role.DATA_MANAGER)
    for code, other in ((SEED, OTHER), (OTHER, SEED)):
        own, foreign = two_trials[code], two_trials[other]
        for reader in (own["manager"], both):
            client = _client(reader, code)
            rows = _csv(client.get(reverse("trial:audit-export")))
            keys = {(r["object_type"], r["object_id"]) for r in rows}
            events = AuditEvent.objects.filter(pk__in=own["rows"]).exclude(object_type="")
            assert {(e.object_type, e.object_id) for e in events} <= keys
            others = AuditEvent.objects.filter(pk__in=foreign["rows"]).exclude(object_type="")
            assert not keys & {(e.object_type, e.object_id) for e in others}
            trial_ids = {r["object"].split(" ")[0] for r in rows}
            assert foreign["participant"].trial_id not in trial_ids
            assert own["participant"].trial_id in trial_ids
            # the list: no row of the other trial, whatever the filters ask
            listed = client.get(reverse("trial:audit")).context["rows"]
            assert listed
            assert {e.protocol_code for e, _ in listed} <= {code, ""}
            for query in (
                {"participant": foreign["participant"].trial_id},
                {"user": foreign["nurse"].username},
                {"participant": foreign["participant"].trial_id, "action": "create"},
            ):
                assert not client.get(reverse("trial:audit"), query).context["rows"]
                assert not _csv(client.get(reverse("trial:audit-export"), query))
            by_participant = client.get(
                reverse("trial:audit"), {"participant": own["participant"].trial_id}
            ).context["rows"]
            assert by_participant
            assert {e.protocol_code for e, _ in by_participant} == {code}
        # the export itself is a row of the trial it was made in
        assert AuditEvent.objects.filter(action="export", protocol_code=code).exists()


@pytest.mark.django_db
@pytest.mark.requirement("AUD-011", "AUD-004")
def test_a_site_bound_reader_of_a_shared_site_sees_its_trials_rows_only(two_trials):
    reader = user_with_role(Role.DATA_MANAGER, site=two_trials["site"], protocol_code=OTHER)
    rows = _csv(_client(reader, OTHER).get(reverse("trial:audit-export")))
    trial_ids = {r["object"].split(" ")[0] for r in rows}
    assert two_trials[OTHER]["participant"].trial_id in trial_ids
    assert two_trials[SEED]["participant"].trial_id not in trial_ids
    assert {r["site"] for r in rows} <= {"S01", ""}


@pytest.mark.django_db
@pytest.mark.requirement("AUD-011")
def test_account_events_are_shown_to_whom_they_concern(two_trials):
    seed_nurse, other_nurse = two_trials[SEED]["nurse"], two_trials[OTHER]["nurse"]
    for nurse in (seed_nurse, other_nurse):  # a log-in through the real log-in signal
        Client().force_login(nurse)
    for name in ("mallory", other_nurse.username):  # no such account; a wrong password
        Client().post(reverse("accounts:login"), {"username": name, "password": "wrong guess"})
    logins = AuditEvent.objects.filter(action__in=["login", "login_failed"])
    assert set(logins.values_list("protocol_code", flat=True)) == {""}

    def account_rows(user):
        rows = _csv(_client(user, SEED).get(reverse("trial:audit-export")))
        return {(r["user"], r["action"]) for r in rows if r["action"].startswith("login")}

    manager = two_trials[SEED]["manager"]  # trial-wide reader: the trial's accounts
    assert (seed_nurse.username, "login") in account_rows(manager)
    assert (manager.username, "login") in account_rows(manager)
    assert not {u for u, _ in account_rows(manager)} & {other_nurse.username, "mallory"}
    site_reader = user_with_role(Role.DATA_MANAGER, site=two_trials["site"])
    assert {u for u, _ in account_rows(site_reader)} == {site_reader.username}  # own only
    administrator = user_with_role(Role.ADMINISTRATOR, site=None)
    seen = account_rows(administrator)
    assert ("mallory", "login_failed") in seen  # someone guessing names
    assert (other_nurse.username, "login_failed") not in seen  # an account of the other trial
    assert (other_nurse.username, "login") not in seen


# --- the migration fills the existing rows ------------------------------------------------

BEFORE = ("trial", "0018_merge_eq5d_membership")
AFTER = ("trial", "0019_audit_event_protocol_code")


@pytest.mark.django_db(transaction=True)
@pytest.mark.requirement("AUD-012")
def test_the_migration_gives_existing_rows_their_trial_and_keeps_them(settings):
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate([BEFORE])
    try:
        old = executor.loader.project_state([BEFORE, ("api", "0001_initial")]).apps
        user = UserFactory(username="migrator")  # the accounts app is not migrated back
        Site = old.get_model("trial", "Site")
        site = Site.objects.create(code="S09", name="Shared site")
        participants = {}
        for number, code in enumerate((SEED, OTHER), start=1):
            participants[code] = old.get_model("trial", "Participant").objects.create(
                trial_id=f"S09-{number:04d}",
                site=site,
                site_sequence=number,
                protocol_code=code,
                screening_date=datetime.date(2024, 2, 28),
                created_by_id=user.pk,
            )
        form = old.get_model("trial", "FormInstance").objects.create(
            participant=participants[OTHER],
            form_code="f",
            created_by_id=user.pk,
            updated_by_id=user.pk,
        )
        query = old.get_model("trial", "Query").objects.create(
            form_instance=form, text="?", origin="manual", raised_by_id=user.pk
        )
        token = old.get_model("api", "ApiToken").objects.create(
            user_id=user.pk, protocol_code=SEED, token_sha256="0" * 64, hint="abcd"
        )
        OldEvent = old.get_model("trial", "AuditEvent")

        def event(action, obj_type="", obj_id="", **kwargs):
            return OldEvent.objects.create(
                actor_username="someone",
                action=action,
                object_type=obj_type,
                object_id=str(obj_id),
                **kwargs,
            ).pk

        rows = {
            "seed participant": event("create", "trial.participant", participants[SEED].pk),
            "other participant": event("update", "trial.participant", participants[OTHER].pk),
            "other form": event("create", "trial.forminstance", form.pk, site=site),
            "other query": event("update", "trial.query", query.pk, site=site),
            "seed token": event("create", "api.apitoken", token.pk),
            "log-in": event("login"),
            "password": event("password_change"),
            "export": event("export"),
            "gone": event("update", "trial.participant", 999999, site=site),
        }
        expected = {
            "seed participant": SEED,
            "other participant": OTHER,
            "other form": OTHER,
            "other query": OTHER,
            "seed token": SEED,
            "log-in": "",
            "password": "",
            "export": "",  # two trials ran here: nothing tells which
            "gone": "",
        }

        def migrated_codes():
            executor = MigrationExecutor(connection)
            executor.migrate([AFTER])
            new = executor.loader.project_state([AFTER]).apps.get_model("trial", "AuditEvent")
            codes = dict(new.objects.values_list("pk", "protocol_code"))
            return {name: codes[pk] for name, pk in rows.items()}

        assert migrated_codes() == expected
        # back: every row kept, the column gone
        executor = MigrationExecutor(connection)
        executor.migrate([BEFORE])
        back = executor.loader.project_state([BEFORE]).apps.get_model("trial", "AuditEvent")
        assert set(back.objects.values_list("pk", flat=True)) >= set(rows.values())
        assert "protocol_code" not in {f.name for f in back._meta.get_fields()}
        # an instance that ran one trial only: what tells nothing is of that trial
        back.objects.filter(pk__in=[rows["other participant"], rows["other form"]]).delete()
        back.objects.filter(pk=rows["other query"]).delete()
        old.get_model("trial", "Query").objects.all().delete()
        old.get_model("trial", "FormInstance").objects.all().delete()
        participants[OTHER].delete()
        for name in ("other participant", "other form", "other query"):
            del rows[name], expected[name]
        assert migrated_codes() == {**expected, "export": SEED, "gone": SEED}
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(latest)
