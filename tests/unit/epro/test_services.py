"""ePRO services: issue, open, identity check, pages, submission through the CRF service."""

import datetime

import pytest
import time_machine
from django.db import IntegrityError
from django.utils import timezone

from epro import services
from epro.exceptions import (
    AlreadySubmitted,
    EnteredByStaff,
    IdentityLocked,
    IdentityMismatch,
    IdentityUnknown,
    InvitationExists,
    InvitationUnavailable,
    NotInvited,
    PageInvalid,
    PagesIncomplete,
)
from epro.models import Invitation, PageDraft
from trial.exceptions import ReasonRequired
from trial.models import AuditEvent, FormInstance, OdiData, PainVasData, Sf36Data

from .conftest import BIRTH_YEAR, PAGES, epro_participant, month_3

pytestmark = [pytest.mark.django_db, pytest.mark.requirement("EPR-001", "EPR-005")]


def answered(invitation):
    for code in invitation.form_codes:
        services.page_save(invitation=invitation, form_code=code, data=PAGES[code])


def test_issue_covers_the_self_completed_forms_and_stores_only_the_hash(participant, visit, nurse):
    # when
    invitation, token = services.invitation_issue(participant=participant, visit=visit, actor=nurse)
    # then
    assert invitation.form_codes == ["vas", "odi", "sf36"]
    assert invitation.token_hash == services.token_hash(token) != token
    assert len(token) >= 40
    assert not Invitation.objects.filter(token_hash=token).exists()
    assert AuditEvent.objects.filter(object_type="epro.invitation", action="create").exists()


def test_issue_takes_the_window_from_the_visit_schedule(participant, visit, nurse):
    invitation, _ = services.invitation_issue(participant=participant, visit=visit, actor=nurse)
    opens, closes = services.invitation_window(visit)
    assert timezone.localdate(invitation.opens_at, opens.tzinfo) == visit.window_start
    assert (invitation.expires_at, invitation.opens_at) == (closes, opens)
    assert timezone.localdate(closes - datetime.timedelta(seconds=1), closes.tzinfo) == (
        visit.window_end
    )


def test_one_active_invitation_per_participant_and_visit(participant, visit, nurse):
    services.invitation_issue(participant=participant, visit=visit, actor=nurse)
    with pytest.raises(InvitationExists):
        services.invitation_issue(participant=participant, visit=visit, actor=nurse)
    assert Invitation.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_database_refuses_a_second_active_invitation(site, nurse):
    participant = epro_participant(nurse, site)
    first, _ = services.invitation_issue(
        participant=participant, visit=month_3(participant), actor=nurse
    )
    with pytest.raises(IntegrityError):
        Invitation.objects.create(
            participant=participant,
            visit=first.visit,
            token_hash="0" * 64,
            opens_at=first.opens_at,
            expires_at=first.expires_at,
            created_by=nurse,
        )


def test_issue_refuses_without_the_identity_answer_recorded(site, nurse):
    participant = epro_participant(nurse, site, birth=None)
    with pytest.raises(IdentityUnknown):
        services.invitation_issue(participant=participant, visit=month_3(participant), actor=nurse)


def test_revoked_invitation_opens_nothing_and_a_new_one_may_be_issued(participant, visit, nurse):
    invitation, token = services.invitation_issue(participant=participant, visit=visit, actor=nurse)
    with pytest.raises(ReasonRequired):
        services.invitation_revoke(invitation=invitation, actor=nurse, reason=" ")
    services.invitation_revoke(invitation=invitation, actor=nurse, reason="wrong visit")
    with pytest.raises(InvitationUnavailable):
        services.invitation_open(token=token)
    services.invitation_issue(participant=participant, visit=visit, actor=nurse)


@pytest.mark.parametrize("token", ["", "x", "no-such-token-" + "a" * 30])
def test_unknown_tokens_raise_the_one_generic_error(db, token):
    with pytest.raises(InvitationUnavailable) as caught:
        services.invitation_open(token=token)
    assert caught.value.code == "invitation_unavailable"


def test_expired_and_early_tokens_raise_the_same_generic_error(participant, visit, nurse):
    invitation, token = services.invitation_issue(participant=participant, visit=visit, actor=nurse)
    for moment in (invitation.expires_at, invitation.opens_at - datetime.timedelta(seconds=1)):
        with time_machine.travel(moment, tick=False), pytest.raises(InvitationUnavailable):
            services.invitation_open(token=token)
    assert services.invitation_status(invitation, invitation.expires_at) == "expired"


def test_open_records_the_first_opening(participant, visit, nurse):
    invitation, token = services.invitation_issue(participant=participant, visit=visit, actor=nurse)
    opened = services.invitation_open(token=token, user_agent="Phone/1.0")
    assert (opened.pk, opened.status, opened.user_agent) == (invitation.pk, "opened", "Phone/1.0")


def test_identity_answer_is_checked_and_wrong_answers_lock_the_invitation(
    participant, visit, nurse
):
    invitation, token = services.invitation_issue(participant=participant, visit=visit, actor=nurse)
    services.identity_verify(invitation=invitation, answer=BIRTH_YEAR)
    for _attempt in range(4):
        with pytest.raises(IdentityMismatch):
            services.identity_verify(invitation=invitation, answer="1970")
    with pytest.raises(IdentityLocked):
        services.identity_verify(invitation=invitation, answer="1971")
    # locked: even the right answer is refused until the lockout ends
    with pytest.raises(IdentityLocked):
        services.identity_verify(invitation=invitation, answer=BIRTH_YEAR)
    invitation.refresh_from_db()
    assert invitation.locked_until > timezone.now()
    assert AuditEvent.objects.filter(action="login_failed", actor_username="ePRO").count() == 5
    with time_machine.travel(invitation.locked_until + datetime.timedelta(seconds=1)):
        services.identity_verify(invitation=invitation, answer=BIRTH_YEAR)


def test_page_save_uses_the_crf_validation(participant, visit, nurse):
    invitation, _ = services.invitation_issue(participant=participant, visit=visit, actor=nurse)
    with pytest.raises(PageInvalid) as caught:
        services.page_save(
            invitation=invitation, form_code="vas", data={"leg_vas": "10.5", "back_vas": ""}
        )
    assert set(caught.value.form.errors) == {"leg_vas", "back_vas"}
    with pytest.raises(PageInvalid):
        services.page_save(invitation=invitation, form_code="odi", data={"odi_1": "6"})
    assert not PageDraft.objects.exists()


def test_draft_keeps_partial_answers_and_the_invitation_is_in_progress(participant, visit, nurse):
    invitation, _ = services.invitation_issue(participant=participant, visit=visit, actor=nurse)
    draft = services.page_save_draft(
        invitation=invitation, form_code="sf36", data={"sf36_1": "2", "junk": "x"}
    )
    assert (draft.data, draft.complete) == ({"sf36_1": "2"}, False)
    invitation.refresh_from_db()
    assert invitation.status == "in_progress"


def test_a_form_outside_the_invitation_is_refused(participant, visit, nurse):
    invitation, _ = services.invitation_issue(participant=participant, visit=visit, actor=nurse)
    with pytest.raises(NotInvited):
        services.page_save(invitation=invitation, form_code="joa", data={})
    with pytest.raises(NotInvited):
        services.page_save(invitation=invitation, form_code="outcome", data={})


def test_submit_needs_every_page(participant, visit, nurse):
    invitation, _ = services.invitation_issue(participant=participant, visit=visit, actor=nurse)
    services.page_save(invitation=invitation, form_code="vas", data=PAGES["vas"])
    with pytest.raises(PagesIncomplete) as caught:
        services.invitation_submit(invitation=invitation)
    assert caught.value.form_codes == ("odi", "sf36")
    assert not FormInstance.objects.filter(visit=visit, form_code="vas").exists()


def test_submit_writes_scored_forms_through_the_crf_service(participant, visit, nurse):
    # given
    invitation, token = services.invitation_issue(participant=participant, visit=visit, actor=nurse)
    services.invitation_open(token=token)
    answered(invitation)
    # when
    services.invitation_submit(invitation=invitation, user_agent="Phone/2.0")
    # then
    instances = FormInstance.objects.filter(visit=visit, form_code__in=["vas", "odi", "sf36"])
    assert {(i.form_code, i.status, i.source) for i in instances} == {
        (code, "complete", "epro") for code in ("vas", "odi", "sf36")
    }
    assert PainVasData.objects.get(instance__visit=visit).scores["leg_vas"]["vas"] == 6.5
    assert OdiData.objects.get(instance__visit=visit).scores["percent"] == 20.0
    assert Sf36Data.objects.get(instance__visit=visit).scores
    audit = AuditEvent.objects.filter(
        object_type="trial.forminstance", action="create", object_repr__contains="month_3"
    )
    assert audit.count() == 3
    assert all("ePRO" in a.reason and "Phone/2.0" in a.reason for a in audit)
    assert all(a.actor_username == services.EPRO_USERNAME for a in audit)
    invitation.refresh_from_db()
    assert (invitation.status, invitation.user_agent) == ("submitted", "Phone/2.0")


def test_after_submission_nothing_can_be_read_or_changed(participant, visit, nurse):
    invitation, token = services.invitation_issue(participant=participant, visit=visit, actor=nurse)
    answered(invitation)
    services.invitation_submit(invitation=invitation)
    revisions = list(FormInstance.objects.values_list("revision", flat=True))
    with pytest.raises(AlreadySubmitted):
        services.invitation_submit(invitation=invitation)
    with pytest.raises(AlreadySubmitted):
        services.page_save(invitation=invitation, form_code="vas", data=PAGES["vas"])
    with pytest.raises(AlreadySubmitted):
        services.identity_verify(invitation=invitation, answer=BIRTH_YEAR)
    assert services.invitation_open(token=token).status == "submitted"
    assert list(FormInstance.objects.values_list("revision", flat=True)) == revisions


def test_a_form_staff_completed_meanwhile_stops_the_submission(participant, visit, nurse):
    from trial.services.crfs import crf_save

    invitation, _ = services.invitation_issue(participant=participant, visit=visit, actor=nurse)
    answered(invitation)
    crf_save(
        actor=nurse,
        participant=participant,
        visit=visit,
        form_code="vas",
        answers={"assessment_date": timezone.localdate(), "leg_vas": 1, "back_vas": 1},
        complete=True,
    )
    with pytest.raises(EnteredByStaff):
        services.invitation_submit(invitation=invitation)
    assert not FormInstance.objects.filter(source="epro").exists()
    invitation.refresh_from_db()
    assert invitation.status == "in_progress"


@pytest.mark.requirement("EPR-006")
@pytest.mark.services("postgres")  # real row locks between two connections
@pytest.mark.django_db(transaction=True)
def test_two_devices_submitting_at_once_write_the_forms_once(site, nurse):
    import threading

    from django.db import connection

    # given an answered invitation open on two devices
    participant = epro_participant(nurse, site)
    visit = month_3(participant)
    invitation, _ = services.invitation_issue(participant=participant, visit=visit, actor=nurse)
    answered(invitation)
    outcomes, barrier = [], threading.Barrier(2)

    def submit(agent):
        try:
            barrier.wait()
            services.invitation_submit(
                invitation=Invitation.objects.get(pk=invitation.pk), user_agent=agent
            )
            outcomes.append("submitted")
        except AlreadySubmitted:
            outcomes.append("already")
        finally:
            connection.close()

    # when both submit at the same moment
    threads = [threading.Thread(target=submit, args=(f"Device {n}",)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    # then one wins and the other is told it was already submitted
    assert sorted(outcomes) == ["already", "submitted"]
    assert FormInstance.objects.filter(visit=visit, source="epro").count() == 3
    assert all(i.revision == 1 for i in FormInstance.objects.filter(visit=visit))
