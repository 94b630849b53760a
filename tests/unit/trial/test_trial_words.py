"""Shared code takes each trial's words and numbers from its definitions (issue 17): the
registration page's date and the dates page name the protocol's anchors, participants are
numbered per trial and site, a refused randomization names the stratification form, and the
report's adjusted-analyses title and per-protocol description come from the plan."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone, translation

from analysis.datasets import columns as C
from analysis.trial_plans import get_plan
from api.imports import ImportOptions, ImportOrigin, import_records
from api.project import event_name
from tests.factories import SiteFactory, UserFactory, register_participant, user_with_role
from trial.forms.participants import DatesForm, ParticipantRegisterForm
from trial.models import AnchorDate, AuditEvent, Participant, Role, Site
from trial.protocol import get_protocol
from trial.services.participants import participant_set_dates
from trial.services.randomization import stratum_missing

SEED, REHAB = "snrb_peld", "rehab_ldh"
TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)
ORIGIN = ImportOrigin("test", token_hint="AB12", file_sha256="f" * 64)


@pytest.fixture
def site():
    return SiteFactory(code="S01")


@pytest.fixture
def nurse(site):
    return user_with_role(Role.RESEARCH_NURSE, site=site, username="nurse1")


@pytest.fixture
def rehab_nurse(site):
    return user_with_role(Role.RESEARCH_NURSE, site=site, username="nurse2", protocol_code=REHAB)


# -- participant numbers ---------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.requirement("WFL-021")
def test_two_trials_at_one_site_each_number_from_one(nurse, site):
    first = register_participant(nurse, site)
    rehab = register_participant(nurse, site, protocol_code=REHAB)
    second = register_participant(nurse, site)
    rehab_2 = register_participant(nurse, site, protocol_code=REHAB)
    assert [first.trial_id, second.trial_id] == ["S01-0001", "S01-0002"]
    assert [rehab.trial_id, rehab_2.trial_id] == ["RH-S01-0001", "RH-S01-0002"]
    assert (rehab.site_sequence, first.site_sequence) == (1, 1)


@pytest.mark.django_db
@pytest.mark.requirement("WFL-021")
def test_an_id_taken_before_numbers_counted_per_trial_is_skipped(nurse, site):
    # a rehabilitation participant registered when numbers counted per site kept its id
    Participant.objects.create(
        trial_id="S01-0002", site=site, site_sequence=2, protocol_code=REHAB,
        screening_date=TODAY, created_by=nurse,
    )  # fmt: skip
    ids = [register_participant(nurse, site).trial_id for _ in range(2)]
    assert ids == ["S01-0001", "S01-0003"]
    assert register_participant(nurse, site, protocol_code=REHAB).trial_id == "RH-S01-0003"


def test_a_protocol_writes_and_reads_its_own_participant_ids():
    seed, rehab = get_protocol(SEED), get_protocol(REHAB)
    assert seed.participant_id("S02", 7) == "S02-0007"
    assert rehab.participant_id("S02", 7) == "RH-S02-0007"
    assert seed.parse_participant_id("S02-0007") == ("S02", 7)
    assert rehab.parse_participant_id("RH-S02-0007") == ("S02", 7)
    for text in ("S02-7", "S02-x", "-0001", "S02-00007"):
        assert seed.parse_participant_id(text) is None, text
    for text in ("S02-0007", "XX-S02-0007", "RH-S02-07"):
        assert rehab.parse_participant_id(text) is None, text


BEFORE = ("trial", "0018_merge_eq5d_membership")
AFTER = ("trial", "0019_participant_numbers_per_trial")


@pytest.mark.django_db(transaction=True)
@pytest.mark.requirement("WFL-021")
def test_the_migration_keeps_every_existing_trial_id():
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate([BEFORE])
    try:
        old = executor.loader.project_state([BEFORE]).apps
        user = UserFactory(username="migrator")
        site = old.get_model("trial", "Site").objects.create(code="S09", name="Old site")
        rows = [(1, SEED), (2, SEED), (3, REHAB)]  # numbered per site, across trials
        for number, code in rows:
            old.get_model("trial", "Participant").objects.create(
                trial_id=f"S09-{number:04d}", site=site, site_sequence=number,
                protocol_code=code, screening_date=TODAY, created_by_id=user.pk,
            )  # fmt: skip
        executor = MigrationExecutor(connection)
        executor.migrate([AFTER])
        new = executor.loader.project_state([AFTER]).apps.get_model("trial", "Participant")
        kept = {(p.trial_id, p.site_sequence, p.protocol_code) for p in new.objects.all()}
        assert kept == {(f"S09-{n:04d}", n, code) for n, code in rows}
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(latest)
    # new registrations count per trial, past the ids the old numbering took
    site, nurse = Site.objects.get(code="S09"), UserFactory(username="after")
    assert register_participant(nurse, site).trial_id == "S09-0004"
    assert register_participant(nurse, site, protocol_code=REHAB).trial_id == "RH-S09-0004"


def _import(user, code, rows):
    return import_records(
        protocol_code=code, user=user, rows=rows, options=ImportOptions(), origin=ORIGIN
    )


@pytest.mark.django_db
@pytest.mark.requirement("WFL-021")
@pytest.mark.requirement("WFL-020")
def test_an_import_keeps_a_new_records_id_in_its_trials_format(rehab_nurse, site):
    event = event_name(get_protocol(REHAB).visits[0].code)
    day = (TODAY - 2 * DAY).isoformat()
    row = {"record_id": "RH-S01-0005", "redcap_event_name": event, "screening_date": day,
           "registration_date": day}  # fmt: skip
    result = _import(rehab_nurse, REHAB, [row])
    assert result.committed, result.errors
    person = Participant.objects.get(trial_id="RH-S01-0005")
    assert (person.protocol_code, person.site_sequence) == (REHAB, 5)
    anchor = AnchorDate.objects.get(participant=person, code="registration")
    assert anchor.date == TODAY - 2 * DAY
    # the seed's format is not this trial's: refused, nothing registered
    refused = _import(rehab_nurse, REHAB, [{**row, "record_id": "S01-0006"}])
    assert not refused.committed
    assert [e.field for e in refused.errors] == ["record_id"]
    assert "RH-S01-0001" in refused.errors[0].message
    assert not Participant.objects.filter(trial_id="S01-0006").exists()


@pytest.mark.django_db
@pytest.mark.requirement("WFL-020")
def test_an_import_moves_the_registration_date_under_its_dictionary_name(nurse, site):
    person = register_participant(nurse, site, registration_date=TODAY - 3 * DAY)
    moved = (TODAY - 4 * DAY).isoformat()
    row = {"record_id": person.trial_id, "redcap_event_name": event_name("admission"),
           "admission_date": moved}  # fmt: skip
    result = import_records(protocol_code=SEED, user=nurse, rows=[row], origin=ORIGIN,
                            options=ImportOptions(reason="Typo"))  # fmt: skip
    assert result.committed, result.errors
    assert person.admission_date == TODAY - 4 * DAY
    update = AuditEvent.objects.filter(object_type="trial.participant", action="update").last()
    assert update.changes["admission_date"] == [(TODAY - 3 * DAY).isoformat(), moved]


# -- the registration page and the dates page ------------------------------------------------


@pytest.mark.django_db
@pytest.mark.requirement("WFL-020")
def test_the_registration_date_is_labelled_with_the_trials_anchors(site):
    sites = Site.objects.all()
    labels = {}
    for code in (SEED, REHAB):
        for language in ("en", "zh-hans"):
            with translation.override(language):
                form = ParticipantRegisterForm(sites=sites, protocol=get_protocol(code))
                labels[code, language] = str(form.fields["registration_date"].label)
    assert labels[SEED, "en"] == "Admission date"
    assert labels[REHAB, "en"] == "Registration date"
    assert "入院" in labels[SEED, "zh-hans"]
    assert "登记" in labels[REHAB, "zh-hans"]


@pytest.mark.django_db
@pytest.mark.requirement("WFL-020")
def test_the_rehabilitation_trials_pages_never_say_admission_or_surgery(client, rehab_nurse, site):
    person = register_participant(rehab_nurse, site, protocol_code=REHAB,
                                  registration_date=TODAY - DAY)  # fmt: skip
    client.force_login(rehab_nurse)  # who works in the rehabilitation trial only
    pages = [
        reverse("trial:participant-register"),
        reverse("trial:participant-detail", args=[person.trial_id]),
        reverse("trial:dates", args=[person.trial_id]),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        text = response.content.decode().lower()
        assert "admission" not in text, url
        assert "surgery" not in text, url
    detail = client.get(pages[1]).content.decode()
    assert "Dates: registration" in detail


@pytest.mark.django_db
@pytest.mark.requirement("WFL-022")
def test_the_dates_page_lists_the_anchors_staff_enter(nurse, site):
    seed = DatesForm(protocol=get_protocol(SEED))
    rehab = DatesForm(protocol=get_protocol(REHAB))
    assert list(seed.fields) == ["admission_date", "surgery_date", "reason"]
    assert list(rehab.fields) == ["registration_date", "reason"]
    assert str(seed.fields["surgery_date"].label) == "Planned surgery date"
    # a surgery before the admission is refused on the page, naming both anchors
    early = DatesForm(
        {"admission_date": "2024-03-05", "surgery_date": "2024-03-01"},
        protocol=get_protocol(SEED),
    )
    assert not early.is_valid()
    assert early.errors["surgery_date"] == ["The surgery date cannot be before the admission date."]


@pytest.mark.django_db
@pytest.mark.requirement("WFL-022")
def test_a_refused_date_changes_nothing(client, nurse, site):
    person = register_participant(nurse, site, registration_date=TODAY - 5 * DAY)
    participant_set_dates(actor=nurse, participant=person, surgery_date=TODAY - 2 * DAY)
    client.force_login(nurse)
    url = reverse("trial:dates", args=[person.trial_id])
    response = client.post(url, {"admission_date": (TODAY - 5 * DAY).isoformat(),
                                 "surgery_date": (TODAY - 9 * DAY).isoformat(),
                                 "reason": "moved"})  # fmt: skip
    assert response.status_code == 200
    assert "cannot be before" in response.content.decode()
    assert person.surgery_date == TODAY - 2 * DAY


# -- randomization and the report ------------------------------------------------------------


@pytest.mark.requirement("EXP-030")
def test_a_missing_stratification_answer_names_its_form():
    for code in (SEED, REHAB):
        protocol = get_protocol(code)
        factors = [f for f in protocol.stratification_factors if f.form]
        if not factors:
            continue
        form = protocol.form(factors[0].form)
        for language, text in (("en", form.label.en), ("zh-hans", form.label.zh)):
            with translation.override(language):
                message = stratum_missing(protocol, [factors[0].code])
            assert text in message, (code, language, message)


@pytest.mark.requirement("EXP-030")
def test_the_adjusted_title_and_the_per_protocol_description_come_from_the_plan():
    seed, rehab = get_plan(SEED), get_plan(REHAB)
    assert seed.adjusted_title.en == "Primary outcome and adjusted analyses (beyond the paper)"
    assert "paper" not in rehab.adjusted_title.en
    assert "paper" not in rehab.per_protocol_description()
    described = {
        code: next(c.description for c in C.wide_columns(get_protocol(code))
                   if c.name == "per_protocol")
        for code in (SEED, REHAB)
    }  # fmt: skip
    assert described[SEED] == "Received the allocated treatment and has the 3-month form"
    assert described[REHAB] == rehab.per_protocol_description()
    visit, form = rehab.per_protocol_form
    assert visit in described[REHAB]
    assert form in described[REHAB]


@pytest.mark.requirement("WFL-021")
def test_two_trials_writing_ids_alike_fail_the_system_check(monkeypatch):
    from dataclasses import replace
    from types import SimpleNamespace

    from trial import discovery

    seed = get_protocol(SEED)
    alike = SimpleNamespace(PROTOCOLS={SEED: seed, "other": replace(seed, code="other")})
    found, sources = discovery.merge({"alike.contributions": alike})
    monkeypatch.setattr(discovery, "_found", found)
    monkeypatch.setattr(discovery, "_sources", sources)
    assert "trial.E005" in {error.id for error in discovery.check_contributions()}
    # with its own prefix the second trial fits
    apart = SimpleNamespace(PROTOCOLS={
        SEED: seed, "other": replace(seed, code="other", participant_id_prefix="OT")})  # fmt: skip
    found, sources = discovery.merge({"apart.contributions": apart})
    monkeypatch.setattr(discovery, "_found", found)
    monkeypatch.setattr(discovery, "_sources", sources)
    assert "trial.E005" not in {error.id for error in discovery.check_contributions()}
