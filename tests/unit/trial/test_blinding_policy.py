"""The blinding policy closes each leak found by the audit (issue 15, items 1-5)."""

import json
import random
import time

import pytest
from django.urls import reverse
from django.utils import timezone

from api.services import api_token_create
from tests.factories import SiteFactory, allocated_participant, user_with_role
from trial.blinding import MASK, policy_for
from trial.demo import sample_answers
from trial.models import AuditEvent, FormInstance, Query, Role, Visit
from trial.services.blinding import crf_blinded_texts_review
from trial.services.crfs import crf_save
from trial.services.queries import query_raise

pytestmark = pytest.mark.django_db
RNG = random.Random(15)


@pytest.fixture
def rpt():
    return SiteFactory(code="RPT")


@pytest.fixture
def nurse(rpt):
    return user_with_role(Role.RESEARCH_NURSE, site=rpt, username="nurse")


@pytest.fixture
def assessor(rpt):
    return user_with_role(Role.OUTCOME_ASSESSOR, site=rpt, username="assessor")


@pytest.fixture
def dm():
    return user_with_role(Role.DATA_MANAGER, site=None, username="dm")


def _visit(person, code):
    return Visit.objects.get(participant=person, code=code)


def _save(actor, person, form, visit_code, **kw):
    person.refresh_from_db()
    visit = _visit(person, visit_code) if visit_code else None
    answers = kw.pop("answers", None) or sample_answers(form, person, visit_code=visit_code,
                                                        rng=RNG)  # fmt: skip
    return crf_save(actor=actor, participant=person, form_code=form, visit=visit,
                    answers=answers, complete=True, **kw)  # fmt: skip


def _pair(nurse, rpt, *, snrb_done=True):
    s = allocated_participant(nurse, rpt, arm="S")
    p = allocated_participant(nurse, rpt, arm="P")
    for person in (s, p):
        _save(nurse, person, "vas", "admission")
    if snrb_done:
        _save(nurse, s, "snrb", "snrb")
    return s, p


def test_form_counters_leave_out_the_hidden_arm_only_form(client, nurse, assessor, rpt):
    # given an S participant with the SNRB form complete and a P participant
    s, p = _pair(nurse, rpt)
    # when the assessor opens both pages, then both count the same forms
    client.force_login(assessor)
    counts = [client.get(reverse("trial:participant-detail", args=[x.trial_id])) for x in (s, p)]
    assert counts[0].context["review"] == counts[1].context["review"]
    assert counts[0].context["review"]["complete"] == 1
    # while the unblinded nurse's counter includes the SNRB form
    client.force_login(nurse)
    page = client.get(reverse("trial:participant-detail", args=[s.trial_id]))
    assert page.context["review"]["complete"] == 2


def test_mark_missed_answers_an_arm_only_visit_as_for_the_other_arm(client, nurse, assessor, rpt):
    s_done, p = _pair(nurse, rpt)
    s_open = allocated_participant(nurse, rpt, arm="S")
    client.force_login(assessor)
    for person in (s_done, s_open, p):
        url = reverse("trial:visit-missed", args=[person.trial_id, "snrb"])
        assert client.get(url).status_code == 404
        assert client.post(url, {"reason": "not done"}).status_code == 404
    assert _visit(s_open, "snrb").status == Visit.Status.SCHEDULED  # nothing marked
    assert not AuditEvent.objects.filter(actor=assessor).exclude(action="login").exists()
    # a visit of both arms can still be marked missed by the assessor
    url = reverse("trial:visit-missed", args=[p.trial_id, "month_3"])
    assert client.post(url, {"reason": "lost to follow-up"}).status_code == 302
    assert _visit(p, "month_3").status == Visit.Status.MISSED


def test_queries_on_arm_only_forms_and_blinded_answers_are_hidden(client, nurse, assessor, dm, rpt):
    s, _p = _pair(nurse, rpt)
    snrb = FormInstance.objects.get(participant=s, form_code="snrb")
    on_snrb = query_raise(actor=dm, form_instance=snrb, field="needle", text="Check the needle")
    ae = _save(nurse, s, "adverse_event", None)
    on_relation = query_raise(actor=dm, form_instance=ae, field="relation", text="Block?")
    vas = FormInstance.objects.get(participant=s, form_code="vas")
    visible = query_raise(actor=dm, form_instance=vas, field="leg_vas", text="Please check")
    client.force_login(assessor)
    listed = list(client.get(reverse("trial:query-list") + "?status=all").context["queries"])
    assert listed == [visible]
    for query in (on_snrb, on_relation):
        url = reverse("trial:query-action", args=[query.pk, "answer"])
        assert client.post(url, {"text": "done"}).status_code == 404
        query.refresh_from_db()
        assert (query.status, query.answer) == (Query.Status.OPEN, "")
    client.force_login(dm)
    assert len(client.get(reverse("trial:query-list") + "?status=all").context["queries"]) == 3


def _api(client, token, **params):
    response = client.post("/api/", {"token": token, "format": "json", **params})
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert response.status_code == 200, body
    return json.loads(body)


def test_api_date_filter_ignores_changes_to_hidden_forms(client, nurse, assessor, dm, rpt):
    s, p = _pair(nurse, rpt)
    time.sleep(1.1)  # the filter counts in whole seconds
    since = timezone.localtime().strftime("%Y-%m-%d %H:%M:%S")
    snrb = FormInstance.objects.get(participant=s, form_code="snrb")
    _save(nurse, s, "snrb", "snrb", instance=snrb, base_revision=snrb.revision, reason="fix")
    blinded = api_token_create(actor=assessor, user=assessor, protocol_code="snrb_peld")[1]
    unblinded = api_token_create(actor=dm, user=dm, protocol_code="snrb_peld")[1]
    rows = _api(client, blinded, content="record", dateRangeBegin=since)
    assert rows == []
    rows = _api(client, unblinded, content="record", dateRangeBegin=since)
    assert {r["record_id"] for r in rows} == {s.trial_id}


def test_free_text_is_masked_until_reviewed_and_again_after_an_edit(client, nurse, assessor, rpt):
    s = allocated_participant(nurse, rpt, arm="S")
    answers = {
        **sample_answers("medication", s, visit_code=None, rng=RNG),
        "drug": "other",
        "other_drug_name": "ropivacaine + dexamethasone palmitate (SNRB)",
    }
    med = _save(nurse, s, "medication", None, answers=answers)
    edit = reverse("trial:log-edit", args=[s.trial_id, "medication", med.seq])
    history = reverse("trial:log-history", args=[s.trial_id, "medication", med.seq])
    token = api_token_create(actor=assessor, user=assessor, protocol_code="snrb_peld")[1]

    def assessor_reads() -> list[str]:
        client.force_login(assessor)
        rows = _api(client, token, content="record", type="flat")
        api = [r["other_drug_name"] for r in rows if r.get("redcap_repeat_instrument")]
        pages = [client.get(edit).content.decode(), client.get(history).content.decode()]
        return api, pages

    api, pages = assessor_reads()
    assert api == [MASK]
    assert all("ropivacaine" not in page and "SNRB" not in page for page in pages)
    # when an unblinded nurse reviews the wording (audited), the assessor reads it
    client.force_login(nurse)
    assert "ropivacaine" in client.get(edit).content.decode()
    response = client.post(reverse("trial:crf-text-review", args=[med.pk]),
                           {"other_drug_name": "local anaesthetic"})  # fmt: skip
    assert response.status_code == 302
    assert AuditEvent.objects.filter(object_id=str(med.pk), changes__has_key="blinded_texts")
    api, pages = assessor_reads()
    assert api == ["local anaesthetic"]
    assert "local anaesthetic" in pages[0]
    assert "ropivacaine" not in pages[0] + pages[1]
    # a blinded user cannot review, and cannot overwrite what they cannot see
    response = client.post(reverse("trial:crf-text-review", args=[med.pk]),
                           {"other_drug_name": "nothing"})  # fmt: skip
    assert response.status_code == 404
    # after a later edit the text is masked again until re-reviewed
    med.refresh_from_db()
    _save(nurse, s, "medication", None, instance=med, base_revision=med.revision,
          reason="dose", answers={**answers, "dose_mg": 75})  # fmt: skip
    api, pages = assessor_reads()
    assert api == [MASK]
    med.refresh_from_db()
    assert med.blinded_texts == {"other_drug_name": "local anaesthetic"}  # kept, not valid


def test_a_blinded_user_cannot_review_free_text_through_the_service(nurse, assessor, rpt):
    from trial.exceptions import TrialError

    s = allocated_participant(nurse, rpt, arm="P")
    ae = _save(nurse, s, "adverse_event", None)
    with pytest.raises(TrialError):
        crf_blinded_texts_review(actor=assessor, instance=ae, texts={"term": "x"})
    assert policy_for(assessor, "snrb_peld").blinded
    assert not policy_for(nurse, "snrb_peld").blinded
