"""A participant's ePRO answers: staff cannot change them (page read-only, service refuses),
may mark the entry invalid with a reason (audited, shown) or raise a query on it."""

import pytest
from django.urls import reverse

from tests.factories import user_with_role
from trial.exceptions import ReasonRequired
from trial.models import AuditEvent, FormInstance, PainVasData, Query, Role
from trial.services.crfs import crf_save
from trial.services.participant_entries import (
    EnteredByParticipant,
    NotEnteredByParticipant,
    crf_mark_invalid,
)
from trial.services.queries import query_raise

from .conftest import submitted

pytestmark = [pytest.mark.django_db, pytest.mark.requirement("EPR-104")]


@pytest.fixture
def entry(participant, nurse):
    submitted(participant, nurse)
    return FormInstance.objects.get(participant=participant, form_code="vas")


def test_the_crf_service_refuses_staff_changes_to_an_epro_entry(participant, nurse, entry):
    # when
    with pytest.raises(EnteredByParticipant):
        crf_save(
            actor=nurse,
            participant=participant,
            form_code="vas",
            visit=entry.visit,
            instance=entry,
            answers={"leg_vas": 1},
            complete=True,
            base_revision=entry.revision,
            reason="patient called",
        )
    # then: the answers are the participant's
    assert PainVasData.objects.get(instance=entry).leg_vas == pytest.approx(6.5)


def test_the_form_page_is_read_only_and_a_post_changes_nothing(client, participant, nurse, entry):
    # given
    client.force_login(nurse)
    url = reverse("trial:crf-entry", args=[participant.trial_id, "month_3", "vas"])
    # when
    page = client.get(url)
    response = client.post(url, {"revision": entry.revision, "leg_vas": "1", "back_vas": "1",
                                 "assessment_date": entry.visit.target_date, "complete": "1",
                                 "reason": "typo"})  # fmt: skip
    # then
    body = page.content.decode()
    assert 'data-testid="participant-entry"' in body
    assert 'data-testid="save-complete"' not in body
    assert response.status_code == 200
    assert PainVasData.objects.get(instance=entry).leg_vas == pytest.approx(6.5)


def test_marking_invalid_needs_a_reason_and_is_audited_and_shown(client, participant, nurse, entry):
    # when
    with pytest.raises(ReasonRequired):
        crf_mark_invalid(actor=nurse, instance=entry, reason="  ")
    client.force_login(nurse)
    client.post(reverse("trial:crf-mark-invalid", args=[entry.pk]), {"reason": "helped by son"})
    # then
    entry.refresh_from_db()
    assert entry.invalid_at is not None
    assert entry.invalid_reason == "helped by son"
    event = AuditEvent.objects.get(object_type="trial.forminstance", changes__has_key="invalid")
    assert event.reason == "helped by son"
    assert event.actor == nurse
    page = client.get(reverse("trial:crf-entry", args=[participant.trial_id, "month_3", "vas"]))
    assert "helped by son" in page.content.decode()
    grid = client.get(reverse("trial:participant-detail", args=[participant.trial_id]))
    assert grid.content.decode().count('data-testid="epro-invalid"') == 1


def test_only_epro_entries_can_be_marked_invalid(participant, nurse):
    baseline = FormInstance.objects.get(participant=participant, form_code="baseline")
    with pytest.raises(NotEnteredByParticipant):
        crf_mark_invalid(actor=nurse, instance=baseline, reason="wrong")


def test_a_data_manager_raises_a_query_on_an_epro_entry(participant, entry):
    manager = user_with_role(Role.DATA_MANAGER, site=participant.site)
    query_raise(actor=manager, form_instance=entry, field="leg_vas", text="Very high: confirm?")
    assert Query.objects.filter(form_instance=entry, field="leg_vas").exists()


def test_roles_without_data_entry_cannot_mark_invalid(client, participant, entry):
    manager = user_with_role(Role.DATA_MANAGER, site=participant.site)
    client.force_login(manager)
    response = client.post(reverse("trial:crf-mark-invalid", args=[entry.pk]), {"reason": "x"})
    assert response.status_code == 403
    entry.refresh_from_db()
    assert entry.invalid_at is None
