import pytest

from tests.factories import SiteFactory, UserFactory
from trial.models import AuditEvent
from trial.services.audit import audit_record

pytestmark = pytest.mark.django_db


@pytest.mark.requirement("AUD-001")
def test_audit_record_stores_who_what_old_new_and_reason():
    # given
    actor, site = UserFactory(username="nurse1"), SiteFactory(code="S01")
    # when
    event = audit_record(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        obj=site,
        changes={"name": ("Old", "New")},
        reason="typo",
        site=site,
    )
    # then
    event.refresh_from_db()
    assert event.actor == actor
    assert event.actor_username == "nurse1"
    assert event.object_type == "trial.site"
    assert event.object_id == str(site.pk)
    assert event.changes == {"name": ["Old", "New"]}
    assert event.reason == "typo"


def test_audit_record_turns_model_values_into_their_keys():
    site = SiteFactory()
    event = audit_record(
        actor=None, action=AuditEvent.Action.CREATE, changes={"site": (None, site)}
    )
    assert event.changes == {"site": [None, str(site.pk)]}
