import random

import pytest
from django.urls import reverse

from tests.factories import DEFAULT_PASSWORD, SiteFactory, allocated_participant, user_with_role
from trial.demo import sample_answers
from trial.exceptions import FormLocked, InvalidTransition, TrialError
from trial.models import AuditEvent, FormInstance, Query, Role, Visit
from trial.services.crfs import crf_save
from trial.services.data_management import crf_lock, crf_sign, crf_unlock, crf_verify
from trial.services.queries import query_answer, query_close, query_raise, query_reopen

pytestmark = pytest.mark.django_db


@pytest.fixture
def site():
    return SiteFactory(code="S01")


@pytest.fixture
def nurse(site):
    return user_with_role(Role.RESEARCH_NURSE, site=site, username="nurse1")


@pytest.fixture
def manager():
    return user_with_role(Role.DATA_MANAGER, site=None, username="dm1")


@pytest.fixture
def vas(nurse, site):
    participant = allocated_participant(nurse, site, arm="P")
    visit = Visit.objects.get(participant=participant, code="admission")
    answers = sample_answers("vas", participant, visit_code="admission", rng=random.Random(1))
    instance = crf_save(
        actor=nurse,
        participant=participant,
        form_code="vas",
        visit=visit,
        answers=answers,
        complete=True,
    )
    return participant, visit, instance, answers


def _change(nurse, participant, visit, instance, answers, **kwargs):
    instance.refresh_from_db()
    return crf_save(
        actor=nurse,
        participant=participant,
        form_code="vas",
        visit=visit,
        instance=instance,
        answers={**answers, "leg_vas": answers["leg_vas"] + 1},
        complete=True,
        base_revision=instance.revision,
        reason="correction",
        **kwargs,
    )


@pytest.mark.requirement("QRY-001")
def test_a_query_goes_open_answered_closed_and_reopened_with_audit(vas, nurse, manager):
    _, _, instance, _ = vas
    query = query_raise(
        actor=manager, form_instance=instance, field="leg_vas", text="Source says 4.5?"
    )
    query = query_answer(actor=nurse, query=query, answer="Corrected source was 5.5")
    with pytest.raises(InvalidTransition):
        query_answer(actor=nurse, query=query, answer="again")
    query = query_close(actor=manager, query=query, note="ok")
    query = query_reopen(actor=manager, query=query, reason="new evidence")
    assert query.status == Query.Status.OPEN
    statuses = [
        e.changes["status"]
        for e in AuditEvent.objects.filter(object_type="trial.query").order_by("id")
    ]
    assert statuses == [
        [None, "open"],
        ["open", "answered"],
        ["answered", "closed"],
        ["closed", "open"],
    ]


@pytest.mark.requirement("SIG-002")
def test_a_later_edit_clears_verification_and_voids_the_signature(vas, nurse, site):
    participant, visit, instance, answers = vas
    monitor = user_with_role(Role.DATA_MANAGER, site=None)
    investigator = user_with_role(Role.INVESTIGATOR, site=site)
    crf_verify(actor=monitor, instance=instance)
    crf_sign(actor=investigator, instance=instance, password=DEFAULT_PASSWORD, meaning="reviewed")
    instance = _change(nurse, participant, visit, instance, answers)
    assert instance.verified_at is None
    assert instance.signed_at is None
    changes = (
        AuditEvent.objects.filter(object_type="trial.forminstance").order_by("id").last().changes
    )
    assert changes["verified"] == [True, False]
    assert changes["signed"] == [True, False]


@pytest.mark.requirement("SIG-001")
def test_a_signature_needs_the_right_password(vas, site):
    _, _, instance, _ = vas
    investigator = user_with_role(Role.INVESTIGATOR, site=site)
    with pytest.raises(TrialError) as error:
        crf_sign(actor=investigator, instance=instance, password="wrong", meaning="reviewed")
    assert error.value.code == "signature_password"
    instance.refresh_from_db()
    assert instance.signed_at is None


@pytest.mark.requirement("LCK-001")
def test_a_locked_form_refuses_changes_until_unlocked_with_a_reason(vas, nurse, manager):
    participant, visit, instance, answers = vas
    crf_lock(actor=manager, instance=instance)
    with pytest.raises(FormLocked):
        _change(nurse, participant, visit, instance, answers)
    with pytest.raises(TrialError):
        crf_unlock(actor=manager, instance=instance, reason=" ")
    crf_unlock(actor=manager, instance=instance, reason="query answered")
    assert _change(nurse, participant, visit, instance, answers).revision == 2


@pytest.mark.requirement("RFC-002", "DEC-003")
def test_saving_over_a_soft_warning_needs_a_reason_and_opens_a_query(client, nurse, site):
    participant = allocated_participant(nurse, site, arm="P")
    client.force_login(nurse)
    url = reverse("trial:crf-entry", args=[participant.trial_id, "admission", "baseline"])
    answers = sample_answers("baseline", participant, visit_code="admission", rng=random.Random(2))
    data = {k: ("True" if v is True else "False" if v is False else v) for k, v in answers.items()}
    data.update(height_cm="170", weight_kg="95", revision="0", complete="1")  # BMI 32.9
    first = client.post(url, data)
    assert first.status_code == 200
    assert first.context["needs_confirmation"]
    assert not FormInstance.objects.filter(participant=participant, form_code="baseline").exists()
    no_reason = client.post(url, {**data, "confirm_warnings": "1"})
    assert "reason" in no_reason.context["form"].errors
    saved = client.post(url, {**data, "confirm_warnings": "1", "reason": "weighed twice"})
    assert saved.status_code == 302
    query = Query.objects.get()
    assert (query.origin, query.check_code, query.field) == (
        "check",
        "bmi_outside_eligibility",
        "weight_kg",
    )


@pytest.mark.requirement("QRY-003")
def test_query_list_shows_open_queries_of_the_users_sites_with_age(client, vas, manager):
    _, _, instance, _ = vas
    query_raise(actor=manager, form_instance=instance, field="", text="Check please")
    other_site = SiteFactory(code="S02")
    other = allocated_participant(
        user_with_role(Role.RESEARCH_NURSE, site=other_site), other_site, arm="S"
    )
    other_vas = crf_save(
        actor=manager,
        participant=other,
        form_code="vas",
        visit=Visit.objects.get(participant=other, code="admission"),
        answers={"leg_vas": 1, "back_vas": 1, "assessment_date": other.admission_date},
        complete=True,
    )
    query_raise(actor=manager, form_instance=other_vas, field="", text="Other site")
    client.force_login(user_with_role(Role.RESEARCH_NURSE, site=instance.participant.site))
    rows = client.get(reverse("trial:query-list")).context["rows"]
    assert [(q.text, age) for q, age, _url in rows] == [("Check please", 0)]


def test_only_the_right_roles_act(client, vas, nurse):
    _, _, instance, _ = vas
    client.force_login(nurse)
    assert client.post(reverse("trial:crf-lock", args=[instance.pk])).status_code == 403
    assert client.post(reverse("trial:crf-verify", args=[instance.pk])).status_code == 403
    instance.refresh_from_db()
    assert instance.locked_at is None
    assert instance.verified_at is None


@pytest.mark.requirement("QRY-002")
def test_the_nightly_recheck_opens_queries_and_closes_them_once_fixed(nurse, site):
    from trial.services.edit_checks import edit_checks_run_all
    from trial.tasks import edit_checks_run_all_task

    participant = allocated_participant(nurse, site, arm="P")
    visit = Visit.objects.get(participant=participant, code="admission")
    answers = sample_answers("baseline", participant, visit_code="admission", rng=random.Random(5))
    bad = {**answers, "height_cm": 170, "weight_kg": 95}  # BMI above the eligibility bound
    instance = crf_save(
        actor=nurse,
        participant=participant,
        form_code="baseline",
        visit=visit,
        answers=bad,
        complete=True,
    )
    first = edit_checks_run_all_task()  # the task the beat schedule runs, called in-process
    assert first["opened"] == 1
    query = Query.objects.get()
    assert (query.origin, query.check_code, query.status) == (
        "check",
        "bmi_outside_eligibility",
        "open",
    )
    assert edit_checks_run_all()["opened"] == 0  # no duplicate on the next night
    instance.refresh_from_db()
    crf_save(
        actor=nurse,
        participant=participant,
        form_code="baseline",
        visit=visit,
        instance=instance,
        answers={**bad, "weight_kg": 72},
        complete=True,
        base_revision=instance.revision,
        reason="re-weighed",
    )
    assert edit_checks_run_all()["closed"] == 1
    query.refresh_from_db()
    assert query.status == "closed"


@pytest.mark.requirement("LCK-002")
def test_a_locked_casebook_refuses_changes_until_unlocked(vas, nurse, manager):
    from trial.exceptions import ParticipantLocked
    from trial.services.locks import participant_lock, participant_unlock

    participant, visit, instance, answers = vas
    participant_lock(actor=manager, participant=participant)
    participant.refresh_from_db()
    with pytest.raises(ParticipantLocked):
        _change(nurse, participant, visit, instance, answers)
    participant_unlock(actor=manager, participant=participant, reason="late lab value")
    participant.refresh_from_db()
    assert _change(nurse, participant, visit, instance, answers).revision == 2


@pytest.mark.requirement("LCK-003")
def test_a_frozen_database_stops_entry_but_not_queries_and_a_locked_one_stops_both(
    vas, nurse, manager
):
    from trial.exceptions import DatabaseClosed
    from trial.services.locks import database_set_state

    participant, visit, instance, answers = vas
    query = query_raise(actor=manager, form_instance=instance, field="", text="Check")
    database_set_state(actor=manager, protocol_code="snrb_peld", state="frozen", reason="")
    with pytest.raises(DatabaseClosed):
        _change(nurse, participant, visit, instance, answers)
    query = query_answer(actor=nurse, query=query, answer="checked")
    query = query_reopen(actor=manager, query=query, reason="again")
    database_set_state(actor=manager, protocol_code="snrb_peld", state="locked", reason="")
    with pytest.raises(DatabaseClosed):
        query_answer(actor=nurse, query=query, answer="too late")
    with pytest.raises(InvalidTransition):
        database_set_state(actor=manager, protocol_code="snrb_peld", state="open", reason="x")
    with pytest.raises(TrialError):
        database_set_state(actor=manager, protocol_code="snrb_peld", state="frozen", reason="")
    assert AuditEvent.objects.filter(object_type="trial.databaselock").count() == 2


@pytest.mark.requirement("SIG-001")
def test_signing_a_casebook_signs_every_complete_form(vas, site, client):
    participant, _, instance, _ = vas
    investigator = user_with_role(Role.INVESTIGATOR, site=site, username="inv9")
    client.force_login(investigator)
    url = reverse("trial:casebook", args=[participant.trial_id, "sign"])
    client.post(url, {"password": "wrong"})
    instance.refresh_from_db()
    assert instance.signed_at is None
    client.post(url, {"password": DEFAULT_PASSWORD})
    instance.refresh_from_db()
    assert instance.signed_by == investigator


def test_the_participant_page_shows_review_progress(client, vas, site):
    participant, _, instance, _ = vas
    crf_verify(actor=user_with_role(Role.DATA_MANAGER, site=None), instance=instance)
    client.force_login(user_with_role(Role.INVESTIGATOR, site=site))
    page = client.get(reverse("trial:participant-detail", args=[participant.trial_id]))
    assert page.context["review"] == {"complete": 1, "verified": 1, "locked": 0, "signed": 0}
