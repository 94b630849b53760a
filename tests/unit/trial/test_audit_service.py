import pytest

from tests.factories import SEED, SiteFactory, UserFactory
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
        actor=None,
        action=AuditEvent.Action.CREATE,
        changes={"site": (None, site)},
        protocol_code=SEED,  # no object: the caller names the trial
    )
    assert event.changes == {"site": [None, str(site.pk)]}


@pytest.mark.requirement("IMP-012")
def test_a_write_batch_writes_its_audit_rows_at_once_in_order_when_it_ends():
    from trial.services.batch import write_batch

    # given a site, and the audit rows so far
    site, before = SiteFactory(code="S01"), AuditEvent.objects.count()
    # when three rows are recorded inside a batch
    with write_batch() as batch:
        for n in range(3):
            audit_record(actor=None, action=AuditEvent.Action.UPDATE, obj=site,
                         changes={"name": (str(n), str(n + 1))})  # fmt: skip
        # then none is written before the batch ends
        assert AuditEvent.objects.count() == before
        assert len(batch.audit) == 3
    # and all three are written when it ends, in their order, each with its time
    rows = list(AuditEvent.objects.order_by("pk"))[before:]
    assert [r.changes["name"] for r in rows] == [["0", "1"], ["1", "2"], ["2", "3"]]
    assert all(r.at is not None for r in rows)
    assert batch.audit_rows_written == 3


def test_a_write_batch_that_fails_writes_no_audit_row():
    from trial.services.batch import write_batch

    site, before = SiteFactory(code="S01"), AuditEvent.objects.count()

    def refused() -> None:
        with write_batch():
            audit_record(actor=None, action=AuditEvent.Action.UPDATE, obj=site)
            raise RuntimeError("refused")

    with pytest.raises(RuntimeError):
        refused()
    assert AuditEvent.objects.count() == before
