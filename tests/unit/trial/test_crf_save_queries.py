"""Saving a form costs a fixed, small number of SQL queries (found by `make bench`)."""

import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import SiteFactory, allocated_participant, user_with_role
from trial.demo import sample_answers
from trial.models import AuditEvent, FormInstance, Role, Visit
from trial.selectors.participants import participant_get
from trial.services.crfs import crf_save

pytestmark = pytest.mark.django_db
# lock, database state, the data row with its instance (for update), the data and
# instance updates, the audit row: nothing read twice, the arm taken from the allocation
# the view read (assigned once, never reassigned), and the visit's status not recomputed
# (the form stays complete, so the visit's complete forms are those it had), and the
# dashboard's change marker (a write: the summary recounts this participant's day)
MAX_QUERIES_CHANGE = 7  # 6 before the dashboard marker; 10 before (arm, instance, visit and
# its forms read), 15 before the bench


def test_changing_a_complete_form_reads_nothing_twice() -> None:
    # given a complete admission SF-36 of a randomized participant, as a view loads it
    nurse = user_with_role(Role.RESEARCH_NURSE, site=SiteFactory(code="S01"))
    participant = allocated_participant(nurse, nurse.memberships.get().site, arm="S")
    visit = Visit.objects.get(participant=participant, code="admission")
    first = sample_answers("sf36", participant, visit_code="admission", rng=random.Random(1))
    saved = crf_save(actor=nurse, participant=participant, form_code="sf36", visit=visit,
                     answers=first, complete=True)  # fmt: skip
    changed = {**first, "sf36_1": 5 if first["sf36_1"] != 5 else 1}
    participant = participant_get(nurse, "snrb_peld", participant.trial_id)
    # when the nurse changes one answer, with a reason
    with CaptureQueriesContext(connection) as queries:
        saved = crf_save(actor=nurse, participant=participant, form_code="sf36", visit=visit,
                         instance=saved, answers=changed, complete=True,
                         base_revision=saved.revision, reason="typo")  # fmt: skip
    # then the change is saved and audited, with the trial id and visit named
    assert saved.revision == 2
    event = AuditEvent.objects.filter(object_type="trial.forminstance").latest("id")
    assert event.changes["sf36_1"][1] == changed["sf36_1"]
    assert event.object_repr.startswith(f"{participant.trial_id} admission sf36")
    assert event.site_id == participant.site_id
    assert FormInstance.objects.get(pk=saved.pk).status == FormInstance.Status.COMPLETE
    # with a fixed number of queries (transaction statements aside)
    sql = [q["sql"] for q in queries.captured_queries]
    statements = [s for s in sql if s.split()[0] not in ("BEGIN", "COMMIT", "SAVEPOINT",
                                                         "RELEASE")]  # fmt: skip
    assert len(statements) <= MAX_QUERIES_CHANGE, "\n".join(statements)
    # the test's transaction turns crf_save's own into a savepoint; the audit adds none
    assert len([s for s in sql if s.startswith("SAVEPOINT")]) == 1
