"""The record import service (api.imports): every rule of issue 22's import core."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone, translation

from api.imports import ImportOptions, ImportOrigin, ImportRefused, import_records
from tests.factories import allocated_participant, user_with_role
from tests.unit.api.fixtures import make_trial, post_json
from tests.unit.api.import_world import day, new_record
from trial.display import reason_label
from trial.models import (
    AuditEvent,
    FormInstance,
    OutcomeData,
    PainVasData,
    Participant,
    Query,
    Role,
    SystemReason,
    Visit,
)
from trial.services.crfs import crf_save
from trial.services.locks import database_set_state

pytestmark = pytest.mark.django_db
PROTOCOL = "snrb_peld"
ORIGIN = ImportOrigin("test", token_hint="AB12", file_sha256="f" * 64)


def run(user, rows, dry_run=False, **options):
    return import_records(
        protocol_code=PROTOCOL,
        user=user,
        rows=rows,
        options=ImportOptions(**options),
        origin=ORIGIN,
        dry_run=dry_run,
    )


def vas_row(person, event="admission_arm_1", **cells) -> dict[str, str]:
    return {"record_id": person.trial_id, "redcap_event_name": event, **cells}


def save_vas(world, complete=True):
    visit = Visit.objects.get(participant=world.person, code="admission")
    return crf_save(actor=world.nurse, participant=world.person, form_code="vas", visit=visit,
                    complete=complete, answers={"assessment_date": world.person.admission_date,
                                                "leg_vas": 5, "back_vas": 2})  # fmt: skip


@pytest.mark.requirement("IMP-001")
def test_an_export_imported_again_changes_nothing(client) -> None:
    # given a trial with complete casebooks and the investigator's own export of it
    trial = make_trial()
    inv = trial.people[0].created_by
    from api.services import api_token_create

    token = api_token_create(actor=inv, user=inv, protocol_code=PROTOCOL)[1]
    rows = post_json(client, token, content="record")
    before = AuditEvent.objects.count()
    # when the export is imported as it is
    result = run(inv, rows)
    # then it is accepted, nothing is written and every form is unchanged
    assert result.committed, result.errors[:3]
    assert AuditEvent.objects.count() == before
    assert result.count == 0
    assert {c.action for c in result.changes} == {"unchanged"}
    assert len(result.changes) == FormInstance.objects.filter(is_voided=False).count()


@pytest.mark.requirement("IMP-002")
def test_a_new_participant_is_registered_scored_and_audited(world) -> None:
    # when a nurse imports a new record with its admission VAS
    result = run(world.nurse, new_record())
    # then the participant exists under its record id, registered by the service
    assert result.committed, result.errors
    person = Participant.objects.get(trial_id="S01-0101")
    assert person.site == world.site_a
    assert person.screening_date.isoformat() == day(2)
    assert Visit.objects.filter(participant=person).exists()
    # and the form is complete and scored by the scorer
    vas = PainVasData.objects.get(instance__participant=person)
    assert vas.instance.status == FormInstance.Status.COMPLETE
    assert str(vas.leg_vas) == "6.5"
    assert vas.scores["leg_vas"]["vas"] == 6.5
    assert vas.scorer_version
    # and every audit row of the call names the import
    rows = AuditEvent.objects.filter(actor=world.nurse, changes__has_key="origin")
    assert rows.filter(object_type="trial.participant", action="create").exists()
    assert rows.filter(object_type="trial.forminstance", action="create").exists()
    origin = rows.first().changes["origin"][1]
    assert "user nurse" in origin
    assert "token …AB12" in origin
    assert "f" * 64 in origin
    assert result.records == ["S01-0101"]
    assert result.created() == ["S01-0101"]


@pytest.mark.requirement("IMP-002")
def test_a_repeating_log_form_gets_its_instances_in_order(world) -> None:
    base = {"record_id": world.person.trial_id, "redcap_event_name": "admission_arm_1",
            "redcap_repeat_instrument": "medication", "drug": "etoricoxib", "dose_mg": "60",
            "frequency_per_day": "1", "route": "oral", "start_date": day(3), "ongoing": "1",
            "medication_complete": "2"}  # fmt: skip
    # when two entries are imported, then a gap
    result = run(world.nurse, [{**base, "redcap_repeat_instance": "1"},
                               {**base, "redcap_repeat_instance": "2"}])  # fmt: skip
    assert result.committed, result.errors
    assert (
        FormInstance.objects.filter(participant=world.person, form_code="medication").count() == 2
    )
    gap = run(world.nurse, [{**base, "redcap_repeat_instance": "5"}])
    assert not gap.committed
    assert gap.errors[0].field == "redcap_repeat_instance"
    assert "3" in gap.errors[0].message


@pytest.mark.requirement("IMP-003")
def test_any_bad_row_writes_nothing_and_every_problem_is_listed(world) -> None:
    before = (Participant.objects.count(), AuditEvent.objects.count())
    rows = new_record() + new_record("S01-0102", vas_leg="11", vas_back="x")
    rows += [vas_row(world.person, vas_assessment_date="2020-02-31", nosuch="1")]
    # when one good and two bad records are imported together
    result = run(world.nurse, rows)
    # then nothing is written, not even the good record
    assert not result.committed
    assert (Participant.objects.count(), AuditEvent.objects.count()) == before
    # and each problem names record, event, field and value
    found = {(e.record, e.event, e.field, e.value) for e in result.errors}
    assert ("S01-0102", "admission_arm_1", "vas_leg", "11") in found
    assert ("S01-0102", "admission_arm_1", "vas_back", "x") in found
    assert (world.person.trial_id, "admission_arm_1", "nosuch", "1") in found
    assert (world.person.trial_id, "admission_arm_1", "vas_assessment_date", "2020-02-31") in found
    assert all(e.message for e in result.errors)


@pytest.mark.requirement("IMP-003")
def test_errors_are_in_the_callers_language(world) -> None:
    with translation.override("zh-hans"):
        result = run(world.nurse, [vas_row(world.person, nosuch="1")])
    assert "数据字典" in result.errors[0].message


@pytest.mark.requirement("IMP-004")
def test_changing_a_complete_form_needs_the_reason(world) -> None:
    save_vas(world)
    change = [vas_row(world.person, vas_leg="7.0")]
    # without a reason the change is refused
    refused = run(world.nurse, change)
    assert not refused.committed
    assert refused.errors[0].field == "vas_complete"
    assert "reason" in refused.errors[0].message.lower()
    # new data in the same casebook need none
    fresh = [vas_row(world.person, "preop_arm_1", vas_assessment_date=day(2), vas_leg="4",
                     vas_back="1", vas_complete="2")]  # fmt: skip
    assert run(world.nurse, fresh).committed
    # with a reason the change is saved and audited with the reason and the import
    done = run(world.nurse, change, reason="Source document re-read")
    assert done.committed, done.errors
    row = AuditEvent.objects.filter(reason="Source document re-read").get()
    assert row.changes["leg_vas"][1] == "7.0"
    assert "origin" in row.changes
    change = next(c for c in done.changes if c.form == "vas")
    assert change.action == "changed"
    assert str(change.changes["leg_vas"][1]) == "7.0"


@pytest.mark.requirement("IMP-005")
def test_soft_warnings_refuse_unless_accepted_and_then_open_a_query(world) -> None:
    # the admission window is admission day + 3: a VAS a day later is out of window (soft)
    late = (world.person.admission_date + datetime.timedelta(days=4)).isoformat()
    row = [vas_row(world.person, vas_assessment_date=late, vas_leg="5", vas_back="2",
                   vas_complete="2")]  # fmt: skip
    refused = run(world.nurse, row)
    assert not refused.committed
    assert "acceptWarnings" in refused.errors[0].message
    assert (refused.errors[0].field, refused.errors[0].value) == ("vas_assessment_date", late)
    accepted = run(world.nurse, row, accept_warnings=True, reason="Patient came late")
    assert accepted.committed, accepted.errors
    query = Query.objects.get(form_instance__participant=world.person)
    assert query.origin == Query.Origin.CHECK


@pytest.mark.requirement("IMP-005")
def test_warnings_accepted_without_a_reason_are_audited_as_such_in_the_readers_language(
    world,
) -> None:
    late = (world.person.admission_date + datetime.timedelta(days=4)).isoformat()
    row = [vas_row(world.person, vas_assessment_date=late, vas_leg="5", vas_back="2",
                   vas_complete="2")]  # fmt: skip
    assert run(world.nurse, row, accept_warnings=True).committed
    event = AuditEvent.objects.filter(reason=SystemReason.IMPORT_WARNINGS_ACCEPTED).first()
    assert event is not None
    with translation.override("zh-hans"):
        assert reason_label(event.reason) != event.reason  # not the stored English sentence


@pytest.mark.requirement("IMP-006")
def test_normal_keeps_stored_values_under_blanks_and_overwrite_erases(world) -> None:
    save_vas(world, complete=False)
    blank = [vas_row(world.person, vas_leg="", vas_back="4")]
    assert run(world.nurse, blank).committed
    data = PainVasData.objects.get(instance__participant=world.person)
    assert (str(data.leg_vas), str(data.back_vas)) == ("5.0", "4.0")
    assert run(world.nurse, blank, overwrite=True).committed
    data.refresh_from_db()
    assert data.leg_vas is None


@pytest.mark.requirement("IMP-006")
@pytest.mark.parametrize("fmt", ["MDY", "DMY"])
def test_dates_in_the_callers_format(world, fmt) -> None:
    d = timezone.localdate() - datetime.timedelta(days=2)
    text = d.strftime("%m/%d/%Y") if fmt == "MDY" else d.strftime("%d/%m/%Y")
    rows = new_record(screening_date=text, admission_date=text, vas_assessment_date=text)
    result = run(world.nurse, rows, date_format=fmt)
    assert result.committed, result.errors
    assert Participant.objects.get(trial_id="S01-0101").admission_date == d


@pytest.mark.requirement("IMP-006")
def test_eav_rows(world) -> None:
    flat = new_record()[0]
    rows = [
        {"record": flat["record_id"], "redcap_event_name": "admission_arm_1",
         "field_name": name, "value": value}
        for name, value in flat.items() if name not in ("record_id", "redcap_event_name")
    ]  # fmt: skip
    result = run(world.nurse, rows, kind="eav")
    assert result.committed, result.errors
    assert PainVasData.objects.filter(instance__participant__trial_id="S01-0101").exists()


@pytest.mark.requirement("IMP-007")
def test_other_sites_and_roles_without_data_entry_are_refused(world) -> None:
    # a nurse of S02 writes neither to S01's participant nor a new S01 record
    result = run(world.nurse_b, [vas_row(world.person, vas_leg="5")] + new_record())
    assert not result.committed
    assert {e.record for e in result.errors} == {world.person.trial_id, "S01-0101"}
    # a role with neither the data-entry nor the import right may not import at all
    statistician = user_with_role(Role.STATISTICIAN, site=None, username="statistician")
    with pytest.raises(ImportRefused):
        run(statistician, new_record())
    # a data manager holds the import right (the import page's user): allowed
    assert run(world.dm, new_record()).committed


@pytest.mark.requirement("IMP-007")
def test_allocation_and_status_are_never_imported(world) -> None:
    person = world.person
    same = [vas_row(person, arm="S", status=person.status)]
    assert run(world.nurse, same).committed  # an export's own values are left alone
    result = run(world.nurse, [vas_row(person, arm="P", status="completed")])
    assert not result.committed
    assert {e.field for e in result.errors} == {"arm", "status"}
    assert "randomized" in next(e.message for e in result.errors if e.field == "arm")
    assert not run(world.nurse, new_record(arm="S")).committed


@pytest.mark.requirement("IMP-007")
def test_blinded_users_cannot_write_arm_revealing_fields(world) -> None:
    # the outcome assessor is blinded: the SNRB form and the adverse-event relation reveal arms
    rows = [vas_row(world.person, "snrb_arm_1", level="L4/5"),
            {**vas_row(world.person), "redcap_repeat_instrument": "adverse_event",
             "redcap_repeat_instance": "1", "term": "Headache", "relation": "snrb"}]  # fmt: skip
    result = run(world.assessor, rows)
    assert not result.committed
    assert {e.field for e in result.errors} == {"relation", "redcap_event_name"}
    assert all("allocation" in e.message for e in result.errors)


@pytest.mark.requirement("IMP-007")
def test_frozen_database_and_locked_forms_refuse(world) -> None:
    instance = save_vas(world, complete=False)
    FormInstance.objects.filter(pk=instance.pk).update(locked_at=timezone.now())
    locked = run(world.nurse, [vas_row(world.person, vas_leg="7")], reason="r")
    assert not locked.committed
    assert "locked" in locked.errors[0].message
    database_set_state(actor=world.dm, protocol_code=PROTOCOL, state="frozen", reason="cut")
    frozen = run(world.nurse, new_record())
    assert not frozen.committed
    assert "frozen" in frozen.errors[0].message


@pytest.mark.requirement("IMP-009")
def test_a_dry_run_writes_nothing_and_tells_what_would_change(world) -> None:
    save_vas(world, complete=False)
    before = AuditEvent.objects.count()
    rows = new_record() + [vas_row(world.person, vas_leg="8")]
    plan = run(world.nurse, rows, dry_run=True)
    assert plan.ok
    assert not plan.committed
    assert AuditEvent.objects.count() == before
    assert not Participant.objects.filter(trial_id="S01-0101").exists()
    actions = {(c.record, c.form): c for c in plan.changes}
    assert actions[("S01-0101", "enrolment")].action == "created"
    assert actions[("S01-0101", "vas")].action == "created"
    changed = actions[(world.person.trial_id, "vas")]
    assert changed.action == "changed"
    assert [str(v) for v in changed.changes["leg_vas"]] == ["5.0", "8"]


@pytest.mark.requirement("IMP-007")
def test_blinded_users_cannot_replace_stored_free_text(world) -> None:
    visit = Visit.objects.get(participant=world.person, code="surgery")
    answers = {"surgery_date": world.person.surgery_date, "surgeon": "Dr Li",
               "approach": "transforaminal", "anaesthesia": "local", "foraminoplasty": True,
               "annuloplasty": False, "duration_minutes": 80, "blood_loss_ml": 20,
               "intraoperative_events": "other", "event_details": "Dural tear"}  # fmt: skip
    crf_save(actor=world.nurse, participant=world.person, form_code="peld", visit=visit,
             complete=False, answers=answers)  # fmt: skip
    row = [vas_row(world.person, "surgery_arm_1", event_details="Nothing happened")]
    result = run(world.assessor, row)
    assert not result.committed
    assert [(e.field, e.value) for e in result.errors] == [("event_details", "Nothing happened")]


@pytest.mark.requirement("IMP-004")
def test_a_changed_admission_date_goes_through_the_date_service(world) -> None:
    moved = (world.person.admission_date - datetime.timedelta(days=1)).isoformat()
    refused = run(world.nurse, [vas_row(world.person, admission_date=moved)])
    assert not refused.committed
    assert refused.errors[0].field == "admission_date"
    done = run(world.nurse, [vas_row(world.person, admission_date=moved)], reason="Typo")
    assert done.committed, done.errors
    world.person.refresh_from_db()
    assert world.person.admission_date.isoformat() == moved


@pytest.mark.requirement("IMP-006")
def test_checkbox_choices_tick_and_untick_in_flat_and_eav_rows(world) -> None:
    today = timezone.localdate()
    person = allocated_participant(world.nurse, world.site_a, admission_date=today
                                   - datetime.timedelta(days=100),
                                   surgery_date=today - datetime.timedelta(days=97))  # fmt: skip
    dated = (person.surgery_date + datetime.timedelta(days=90)).isoformat()
    row = vas_row(person, "month_3_arm_1", outcome_assessment_date=dated,
                  serious_complication="1", serious_complications___dural_tear="1",
                  serious_complication_details="Small tear", outcome_complete="0")  # fmt: skip
    assert run(world.nurse, [row]).committed
    eav = {"record": person.trial_id, "redcap_event_name": "month_3_arm_1",
           "field_name": "serious_complications", "value": "other"}  # fmt: skip
    assert run(world.nurse, [eav], kind="eav").committed
    data = OutcomeData.objects.get(instance__participant=person)
    assert sorted(data.serious_complications) == ["dural_tear", "other"]
    unknown = run(world.nurse, [{**eav, "value": "nosuch"}], kind="eav")
    assert [(e.field, e.value) for e in unknown.errors] == [("serious_complications", "nosuch")]
    untick = vas_row(person, "month_3_arm_1", serious_complications___dural_tear="0")
    assert run(world.nurse, [untick]).committed
    data.refresh_from_db()
    assert data.serious_complications == ["other"]
