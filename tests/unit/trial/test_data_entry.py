"""Data entry (docs/data-entry.md): the error summary, save and next, grid markers,
read-only locked and signed forms, the randomization precondition, the logout message."""

import datetime
import random
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    DEFAULT_PASSWORD,
    SiteFactory,
    allocated_participant,
    completed_form,
    consented_participant,
    register_participant,
    user_with_role,
)
from trial.demo import demo_allocation_list, sample_answers
from trial.models import FormInstance, Participant, Role, Visit
from trial.protocol import get_protocol
from trial.selectors.visits import crf_next_form, participant_grid
from trial.services.data_management import crf_lock, crf_sign
from trial.services.queries import query_close, query_raise
from trial.services.randomization import randomization_blockers
from trial.services.visits import visit_mark_missed

pytestmark = pytest.mark.django_db


@pytest.fixture
def site():
    return SiteFactory(code="S01")


@pytest.fixture
def nurse(site):
    return user_with_role(Role.RESEARCH_NURSE, site=site, username="nurse1")


@pytest.fixture
def participant(nurse, site):
    return allocated_participant(nurse, site, arm="S")


complete = completed_form


def next_of(user, participant, visit_code, form_code):
    found = crf_next_form(participant_grid(user, participant, _today()), visit_code, form_code)
    return (found[0].visit.code, found[1].form.code) if found else None


def _today():
    return timezone.localdate()


# SAVE AND NEXT (the order is the protocol's)
@pytest.mark.requirement("UXD-002")
def test_next_form_follows_the_protocol_order_within_the_visit_then_the_next_visits(
    nurse, participant
):
    protocol = get_protocol(participant.protocol_code)
    admission = [f.code for f in protocol.forms_for(protocol.visit("admission"), "S")]
    # then: each admission form leads to the next one of the visit
    for current, following in zip(admission, admission[1:], strict=False):
        assert next_of(nurse, participant, "admission", current) == ("admission", following)
    # and the last leads back to an earlier form of the visit still not complete
    assert next_of(nurse, participant, "admission", admission[-1]) == ("admission", admission[0])
    # when: every admission form is complete
    for code in admission:
        complete(nurse, participant, "admission", code)
    # then: the last one leads to the first form of the next visit of the arm
    after = [v for v in protocol.visits_for("S") if not v.before_randomization][0]
    first = protocol.forms_for(after, "S")[0].code
    assert next_of(nurse, participant, "admission", admission[-1]) == (after.code, first)


@pytest.mark.requirement("UXD-002")
def test_next_form_skips_missed_visits_and_ends_with_none(nurse, site):
    today = _today()
    participant = allocated_participant(
        nurse,
        site,
        arm="S",
        admission_date=today - datetime.timedelta(days=103),
        surgery_date=today - datetime.timedelta(days=100),
    )
    protocol = get_protocol(participant.protocol_code)
    visits = [v for v in protocol.visits_for("S") if not v.before_randomization]
    # given: every visit but the last two missed, the last-but-one complete
    for visit in visits[:-2]:
        visit_mark_missed(
            actor=nurse,
            visit=Visit.objects.get(participant=participant, code=visit.code),
            reason="not seen",
        )
    for form in protocol.forms_for(visits[-2], "S"):
        complete(nurse, participant, visits[-2].code, form.code)
    # then: after the admission visit comes the first form of the last visit
    last_first = protocol.forms_for(visits[-1], "S")[0].code
    assert next_of(nurse, participant, "admission", "sf36")[0] == "admission"
    for form in protocol.forms_for(protocol.visit("admission"), "S"):
        complete(nurse, participant, "admission", form.code)
    assert next_of(nurse, participant, "admission", "sf36") == (visits[-1].code, last_first)
    # and once everything is complete nothing is left
    for form in protocol.forms_for(visits[-1], "S"):
        complete(nurse, participant, visits[-1].code, form.code)
    assert next_of(nurse, participant, visits[-1].code, last_first) is None


@pytest.mark.requirement("UXD-002")
def test_save_and_next_completes_the_form_and_opens_the_next(client, nurse, participant):
    client.force_login(nurse)
    answers = sample_answers("vas", participant, visit_code="admission", rng=random.Random(1))
    url = reverse("trial:crf-entry", args=[participant.trial_id, "admission", "vas"])
    data = {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in answers.items()}
    response = client.post(url, {**data, "revision": 0, "next": "1"})
    assert response.status_code == 302
    assert response.url == reverse(
        "trial:crf-entry", args=[participant.trial_id, "admission", "odi"]
    )
    assert FormInstance.objects.get(participant=participant, form_code="vas").status == "complete"


# ERRORS WHERE THE EYE IS
@pytest.mark.requirement("UXD-001")
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_failed_save_lists_every_error_at_the_top_linked_to_its_field(
    client, nurse, participant, language
):
    client.force_login(nurse)
    client.cookies["django_language"] = language
    url = reverse("trial:crf-entry", args=[participant.trial_id, "admission", "baseline"])
    response = client.post(url, {"revision": 0, "complete": "1"})
    assert response.status_code == 200
    form = response.context["form"]
    summary = response.context["error_summary"]
    html = response.content.decode()
    # then: one summary entry per field in error, each linking to the box of its field
    assert {item.anchor for item in summary} == {f"div_id_{name}" for name in form.errors}
    for item in summary:
        assert f'href="#{item.anchor}"' in html
        assert f'id="{item.anchor}"' in html
        # the message as the user reads it next to the field, not a list's repr
        assert str(item.message) == str(form.errors[item.anchor.removeprefix("div_id_")][0])
        assert "['" not in str(item.message)
    # in the order of the page
    anchors = re.findall(r'href="#(div_id_[^"]+)"', html)
    assert anchors == sorted(anchors, key=lambda a: html.index(f'id="{a}"'))
    # and the badge and a banner say the form was not saved; nothing was saved
    assert 'data-save-failed="1"' in html
    messages = [str(m) for m in response.context["messages"]]
    assert any(str(len(form.errors)) in m for m in messages)
    assert not FormInstance.objects.filter(participant=participant, form_code="baseline").exists()
    # and the page loads the script that focuses the first field in error (no inline code)
    assert re.search(r"<script src=\"[^\"]*/js/entry(\.[0-9a-f]+)?\.js\"></script>", html)


@pytest.mark.requirement("UXD-001", "RFC-001")
def test_reason_for_change_is_asked_once_next_to_the_reason_box(client, nurse, participant):
    client.force_login(nurse)
    instance = complete(nurse, participant, "admission", "vas")
    url = reverse("trial:crf-entry", args=[participant.trial_id, "admission", "vas"])
    data = {
        "assessment_date": participant.admission_date.isoformat(),
        "leg_vas": "1.5",
        "back_vas": "1.0",
        "revision": instance.revision,
        "complete": "1",
    }
    response = client.post(url, data)
    form = response.context["form"]
    assert list(form.errors) == ["reason"]
    assert form.non_field_errors() == []
    html = response.content.decode()
    box = html.index('id="div_id_reason"')
    message = str(form.errors["reason"][0])
    # then: the message sits in the reason box, and once more only as the summary's link
    assert html.index(message, box) > box
    assert html.count(message) == 2
    assert str(form.fields["reason"].label) in html


@pytest.mark.requirement("UXD-001")
def test_the_reason_box_is_hidden_on_a_new_form_and_labelled_for_warnings_when_asked(
    client, nurse, participant
):
    client.force_login(nurse)
    url = reverse("trial:crf-entry", args=[participant.trial_id, "admission", "vas"])
    page = client.get(url)
    assert page.context["form"].fields["reason"].widget.is_hidden
    # when: the assessment date is outside the visit's window (a warning, not an error)
    late = participant.admission_date + datetime.timedelta(days=4)  # window: 0 to +3
    response = client.post(
        url,
        {
            "assessment_date": late.isoformat(),
            "leg_vas": "2",
            "back_vas": "2",
            "revision": 0,
            "complete": "1",
        },
    )
    form = response.context["form"]
    assert response.context["needs_confirmation"]
    assert not form.fields["reason"].widget.is_hidden
    assert form.fields["reason"].label == "Reason for saving despite the warnings"
    assert 'id="div_id_reason"' in response.content.decode()


@pytest.mark.requirement("UXD-001")
def test_eligibility_errors_are_summarised_at_the_top(client, nurse, site):
    client.force_login(nurse)
    person = register_participant(nurse, site)
    response = client.post(reverse("trial:eligibility", args=[person.trial_id]), {})
    html = response.content.decode()
    assert response.context["error_summary"]
    assert 'data-testid="error-summary"' in html
    for item in response.context["error_summary"]:
        assert f'id="{item.anchor}"' in html


# GRID MARKERS
@pytest.mark.requirement("UXD-003")
def test_grid_counts_open_queries_per_form_in_one_query(
    client, nurse, participant, site, django_assert_max_num_queries
):
    manager = user_with_role(Role.DATA_MANAGER, site=site)
    vas = complete(nurse, participant, "admission", "vas")
    odi = complete(nurse, participant, "admission", "odi")
    query_raise(actor=manager, form_instance=vas, field="leg_vas", text="Check the source")
    query_raise(actor=manager, form_instance=vas, field="back_vas", text="And this one")
    closed = query_raise(actor=manager, form_instance=odi, field="", text="Closed")
    query_close(actor=manager, query=closed, note="fine")
    with django_assert_max_num_queries(4):
        rows = participant_grid(nurse, participant, _today())
    counts = {(r.visit.code, c.form.code): c.open_queries for r in rows for c in r.cells}
    assert counts[("admission", "vas")] == 2
    assert counts[("admission", "odi")] == 0
    client.force_login(nurse)
    html = client.get(reverse("trial:participant-detail", args=[participant.trial_id]))
    html = html.content.decode()
    assert html.count('data-testid="query-marker"') == 1
    assert 'data-count="2"' in html


@pytest.mark.requirement("UXD-003")
def test_grid_shows_lock_and_signature_icons(client, nurse, participant, site):
    investigator = user_with_role(Role.INVESTIGATOR, site=site)
    manager = user_with_role(Role.DATA_MANAGER, site=site)
    vas = complete(nurse, participant, "admission", "vas")
    crf_sign(actor=investigator, instance=vas, password=DEFAULT_PASSWORD, meaning="approval")
    crf_lock(actor=manager, instance=FormInstance.objects.get(pk=vas.pk))
    client.force_login(nurse)
    html = client.get(reverse("trial:participant-detail", args=[participant.trial_id]))
    html = html.content.decode()
    assert html.count('data-testid="lock-icon"') == 1
    assert html.count('data-testid="signature-icon"') == 1


# READ-ONLY LOCKED AND SIGNED FORMS
def _editable_inputs(html: str) -> list[str]:
    form = html[html.index('data-testid="crf-form"') :]
    form = form[: form.index("</form>")]
    tags = re.findall(r"<(?:input|select|textarea)\b[^>]*>", form)
    return [t for t in tags if "disabled" not in t and 'type="hidden"' not in t]


@pytest.mark.requirement("UXD-004", "LCK-001")
def test_a_locked_form_is_read_only_and_a_change_is_refused(client, nurse, participant, site):
    manager = user_with_role(Role.DATA_MANAGER, site=site)
    vas = complete(nurse, participant, "admission", "vas")
    crf_lock(actor=manager, instance=vas)
    client.force_login(nurse)
    url = reverse("trial:crf-entry", args=[participant.trial_id, "admission", "vas"])
    html = client.get(url).content.decode()
    assert _editable_inputs(html) == []
    assert 'data-testid="save-complete"' not in html
    assert 'data-testid="read-only"' in html
    # and a forged post changes nothing
    before = FormInstance.objects.get(pk=vas.pk).revision
    response = client.post(
        url,
        {
            "assessment_date": participant.admission_date.isoformat(),
            "leg_vas": "9",
            "back_vas": "9",
            "revision": before,
            "complete": "1",
            "reason": "try",
        },
    )
    assert response.status_code == 200
    assert FormInstance.objects.get(pk=vas.pk).revision == before


@pytest.mark.requirement("UXD-004")
def test_a_signed_form_opens_read_only_and_can_be_changed_on_request(
    client, nurse, participant, site
):
    investigator = user_with_role(Role.INVESTIGATOR, site=site)
    vas = complete(nurse, participant, "admission", "vas")
    crf_sign(actor=investigator, instance=vas, password=DEFAULT_PASSWORD, meaning="approval")
    client.force_login(nurse)
    url = reverse("trial:crf-entry", args=[participant.trial_id, "admission", "vas"])
    html = client.get(url).content.decode()
    assert _editable_inputs(html) == []
    assert 'data-testid="edit-signed"' in html
    html = client.get(url + "?edit=1").content.decode()
    assert _editable_inputs(html)
    assert 'data-testid="save-complete"' in html


@pytest.mark.requirement("UXD-004")
def test_an_editable_form_has_inputs_and_save_buttons(client, nurse, participant):
    client.force_login(nurse)
    url = reverse("trial:crf-entry", args=[participant.trial_id, "admission", "vas"])
    html = client.get(url).content.decode()
    assert _editable_inputs(html)
    assert 'data-testid="save-next"' in html
    assert 'data-testid="read-only"' not in html


# ACTIONS ONLY WHEN THEIR PRECONDITIONS HOLD
@pytest.mark.requirement("UXD-005", "RND-001")
def test_randomize_is_offered_only_once_admission_forms_are_complete(client, nurse, site):
    statistician = user_with_role(Role.STATISTICIAN, site=None)
    demo_allocation_list(actor=statistician)
    protocol = get_protocol("snrb_peld")
    person = consented_participant(
        nurse, site, admission_date=_today() - datetime.timedelta(days=1)
    )
    assert person.status == Participant.Status.CONSENTED
    assert randomization_blockers(person) == ["Complete every admission form before randomizing."]
    client.force_login(nurse)
    url = reverse("trial:participant-detail", args=[person.trial_id])
    html = client.get(url).content.decode()
    assert 'data-testid="randomize-link"' not in html
    assert "Complete every admission form before randomizing." in html
    for _visit, form in protocol.pre_randomization_forms():
        complete(nurse, person, "admission", form.code)
    assert randomization_blockers(person) == []
    html = client.get(url).content.decode()
    assert 'data-testid="randomize-link"' in html
    assert 'data-testid="randomize-blocked"' not in html


# LOGOUT
@pytest.mark.requirement("UXD-007")
def test_logout_says_so(client, nurse):
    client.force_login(nurse)
    response = client.post(reverse("accounts:logout"), follow=True)
    assert "You are logged out." in response.content.decode()
