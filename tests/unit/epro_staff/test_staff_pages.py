"""Staff pages of ePRO: issue (QR code and link shown once, e-mail), revoke, statuses on the
participant page, grid and worklist, and who may do what."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from epro.models import Invitation
from epro.services import invitation_issue, token_hash
from tests.factories import SiteFactory, user_with_role
from tests.unit.epro.conftest import epro_participant, month_3
from trial.models import AuditEvent, Role

from .conftest import EMAIL, submitted

pytestmark = [pytest.mark.django_db, pytest.mark.requirement("EPR-101", "EPR-103")]
LINK = re.compile(r'data-testid="epro-link">(http[^<]+)<')


def issue_url(participant, visit_code="month_3"):
    return reverse("epro_staff:invitation-issue", args=[participant.trial_id, visit_code])


def issue(client, participant, **extra):
    return client.post(issue_url(participant), {"issue": "1", **extra})


def test_the_participant_page_offers_an_invitation_for_the_open_visit(client, nurse, participant):
    # when
    client.force_login(nurse)
    page = client.get(reverse("trial:participant-detail", args=[participant.trial_id]))
    # then: the 3-month visit offers it; the admission visit (window closed) says why not
    body = page.content.decode()
    assert page.status_code == 200
    block = body.split('data-testid="epro-visit" data-visit="month_3"')[1].split("</div>")[0]
    assert 'data-testid="epro-issue"' in block
    admission = body.split('data-testid="epro-visit" data-visit="admission"')[1]
    assert 'data-testid="epro-reason"' in admission.split("</div>")[0]


def test_issuing_shows_the_qr_code_and_link_once_and_stores_only_the_hash(
    client, nurse, participant
):
    # given
    client.force_login(nurse)
    # when
    response = issue(client, participant)
    # then: a QR code as an image (data: URI, no inline style or script) and the link
    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="epro-qr"' in body
    assert 'src="data:image/svg+xml' in body
    link = LINK.search(body).group(1)
    token = link.rstrip("/").rsplit("/", 1)[1]
    invitation = Invitation.objects.get(participant=participant)
    assert invitation.token_hash == token_hash(token)
    assert token not in str(list(AuditEvent.objects.values_list("changes", flat=True)))
    # the participant page never shows the link again
    page = client.get(reverse("trial:participant-detail", args=[participant.trial_id]))
    assert token not in page.content.decode()
    assert 'data-epro-status="issued"' in page.content.decode()


def test_issuing_with_e_mail_sends_a_bilingual_mail_without_allocation_and_marks_it_sent(
    client, nurse, participant
):
    # given
    client.force_login(nurse)
    # when
    response = issue(client, participant, send_email="1")
    # then
    assert 'data-testid="epro-emailed"' in response.content.decode()
    [message] = mail.outbox
    assert message.to == [EMAIL]
    link = LINK.search(response.content.decode()).group(1)
    assert link in message.body
    assert "问卷" in message.body
    assert "questionnaires" in message.body
    for secret in (participant.trial_id, participant.personal_data.full_name, "SNRB", "PELD"):
        assert secret not in message.body
        assert secret not in message.subject
    assert participant.allocation.arm not in re.findall(r"\b[A-Z]\b", message.body)
    invitation = Invitation.objects.get(participant=participant)
    assert invitation.status == Invitation.Status.SENT
    assert invitation.sent_at is not None


def test_without_an_address_the_invitation_is_issued_and_the_nurse_told(client, nurse, participant):
    # given
    identity = participant.personal_data
    identity.email = ""
    identity.save(update_fields=["email"])
    client.force_login(nurse)
    # when
    response = issue(client, participant, send_email="1")
    # then
    assert response.status_code == 200
    assert not mail.outbox
    assert Invitation.objects.get(participant=participant).status == Invitation.Status.ISSUED


def test_a_post_without_the_button_issues_nothing(client, nurse, participant):
    client.force_login(nurse)
    response = client.post(issue_url(participant), {"reason": ""})
    assert response.status_code == 302
    assert not Invitation.objects.exists()


def test_a_second_invitation_is_refused_while_one_is_active(client, nurse, participant):
    # given
    client.force_login(nurse)
    issue(client, participant)
    # when
    response = issue(client, participant)
    # then: back to the participant page with the reason, nothing new
    assert response.status_code == 302
    assert Invitation.objects.count() == 1


def test_revoke_needs_a_reason_then_a_new_invitation_may_be_issued(client, nurse, participant):
    # given
    client.force_login(nurse)
    issue(client, participant)
    invitation = Invitation.objects.get()
    url = reverse(
        "epro_staff:invitation-revoke", args=[participant.trial_id, "month_3", invitation.pk]
    )
    # when: no reason, then a reason
    client.post(url, {"reason": " "})
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.ISSUED
    client.post(url, {"reason": "phone lost"})
    # then
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.REVOKED
    assert invitation.revoked_reason == "phone lost"
    page = client.get(reverse("trial:participant-detail", args=[participant.trial_id]))
    body = page.content.decode()
    assert 'data-epro-status="revoked"' in body
    assert "phone lost" in body
    assert "Issue a new ePRO invitation" in body
    assert issue(client, participant).status_code == 200
    assert Invitation.objects.filter(status=Invitation.Status.ISSUED).count() == 1


def test_staff_of_another_site_get_404_and_roles_without_data_entry_403(client, participant):
    # given
    other = user_with_role(Role.RESEARCH_NURSE, site=SiteFactory(code="S02"))
    manager = user_with_role(Role.DATA_MANAGER, site=participant.site)
    # then
    client.force_login(other)
    assert issue(client, participant).status_code == 404
    client.force_login(manager)
    assert issue(client, participant).status_code == 403
    assert client.get(issue_url(participant)).status_code == 403
    assert not Invitation.objects.exists()


def test_statuses_reach_the_grid_cells_and_the_worklist(client, nurse, participant):
    # given: one participant submitted, one with an open invitation
    submitted(participant, nurse)
    waiting = epro_participant(nurse, participant.site)
    invitation_issue(participant=waiting, visit=month_3(waiting), actor=nurse)
    client.force_login(nurse)
    # when
    done = client.get(reverse("trial:participant-detail", args=[participant.trial_id]))
    pending = client.get(reverse("trial:participant-detail", args=[waiting.trial_id]))
    worklist = client.get(reverse("trial:worklist"))
    # then: the submitted forms carry the ePRO badge, the waiting ones the status
    assert done.content.decode().count('data-testid="epro-source"') == 3
    assert 'data-epro-status="submitted"' in done.content.decode()
    assert pending.content.decode().count('data-testid="epro-cell-status"') == 3
    rows = worklist.content.decode()
    row = rows.split(f'data-visit="{waiting.trial_id}:month_3"')[1].split("</tr>")[0]
    assert 'data-epro-status="issued"' in row
