import datetime
import random
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.factories import SiteFactory, allocated_participant, user_with_role
from trial.demo import sample_answers
from trial.exceptions import FormNotApplicable, ReasonRequired, StaleEdit
from trial.models import AuditEvent, FormInstance, Role, Visit
from trial.protocol import get_protocol
from trial.services.crfs import crf_save, crf_void

pytestmark = pytest.mark.django_db
PROTOCOL = get_protocol("snrb_peld")
# every (visit, form) of arm S plus the logs: SNRB exists only there
VISIT_FORMS = [
    (v.code, f.code) for v in PROTOCOL.visits_for("S") for f in PROTOCOL.forms_for(v, "S")
]
LOG_FORMS = list(PROTOCOL.logs)


@pytest.fixture
def nurse():
    return user_with_role(Role.RESEARCH_NURSE, site=SiteFactory(code="S01"), username="nurse1")


TODAY = timezone.localdate()


@pytest.fixture
def participant(nurse):
    # operated 92 days ago: every visit's window has opened, so each form can be dated in it
    surgery = TODAY - datetime.timedelta(days=92)
    return allocated_participant(
        nurse,
        nurse.memberships.get().site,
        arm="S",
        admission_date=surgery - datetime.timedelta(days=3),
        surgery_date=surgery,
    )


def _save(nurse, participant, form_code, visit_code=None, **kwargs):
    visit = Visit.objects.get(participant=participant, code=visit_code) if visit_code else None
    answers = kwargs.pop("answers", None) or sample_answers(
        form_code, participant, visit_code=visit_code, rng=random.Random(1)
    )
    return crf_save(
        actor=nurse,
        participant=participant,
        form_code=form_code,
        visit=visit,
        answers=answers,
        complete=kwargs.pop("complete", True),
        **kwargs,
    ), answers


def _events(instance):
    return AuditEvent.objects.filter(
        object_type="trial.forminstance", object_id=str(instance.pk)
    ).order_by("id")


def _first_changeable(answers):
    """A field whose sample value can be changed to another valid value."""
    for name, value in answers.items():
        if isinstance(value, bool):
            return name, not value
        if isinstance(value, str) and name.endswith(("name", "surgeon", "term", "needle")):
            return name, value + " (corrected)"
    return None


@pytest.mark.parametrize(("visit_code", "form_code"), VISIT_FORMS + [(None, f) for f in LOG_FORMS])
@pytest.mark.requirement("AUD-001")
def test_every_form_write_is_audited_with_old_and_new_values(
    nurse, participant, visit_code, form_code
):
    # given: a complete form
    instance, answers = _save(nurse, participant, form_code, visit_code)
    create = _events(instance).get()
    assert create.action == "create"
    assert create.actor == nurse
    answered = {k for k, v in answers.items() if v not in (None, "", [])}
    assert answered <= set(create.changes)
    # when: a value changes with a reason
    data_answers = dict(answers)
    change = _first_changeable(answers)
    if change is None:  # instrument forms: move the first item to another allowed value
        name = next(iter(answers))
        allowed = [v for v in _allowed(form_code, name) if v != answers[name]]
        change = (name, allowed[0])
    data_answers[change[0]] = change[1]
    instance = crf_save(
        actor=nurse,
        participant=participant,
        form_code=form_code,
        visit=instance.visit,
        instance=instance,
        answers=data_answers,
        complete=True,
        base_revision=instance.revision,
        reason="source check",
    )
    # then: one update row with the old and the new value and the reason
    update = _events(instance).last()
    assert update.action == "update"
    assert update.reason == "source check"
    old, new = update.changes[change[0]]
    assert str(new) == str(change[1])
    assert str(old) == str(answers[change[0]])


def _allowed(form_code, name):
    import scoring

    if form_code == "vas":
        return [Decimal("0.0"), Decimal("9.9")]
    return list(scoring.INSTRUMENTS[form_code].item(name).allowed_values)


@pytest.mark.requirement("RFC-001")
def test_changing_a_complete_form_needs_a_reason_and_changes_nothing_without(nurse, participant):
    instance, answers = _save(nurse, participant, "vas", "admission")
    changed = {**answers, "leg_vas": Decimal("1.0")}
    with pytest.raises(ReasonRequired):
        crf_save(
            actor=nurse,
            participant=participant,
            form_code="vas",
            visit=instance.visit,
            instance=instance,
            answers=changed,
            complete=True,
            base_revision=instance.revision,
        )
    assert _events(instance).count() == 1
    instance.refresh_from_db()
    assert instance.revision == 1


@pytest.mark.requirement("DEC-006")
def test_a_stale_save_is_refused_and_the_newer_data_survive(nurse, participant):
    # given: two people opened revision 1
    instance, answers = _save(nurse, participant, "vas", "admission", complete=False)
    first = {**answers, "leg_vas": Decimal("4.0")}
    crf_save(
        actor=nurse,
        participant=participant,
        form_code="vas",
        visit=instance.visit,
        instance=instance,
        answers=first,
        complete=False,
        base_revision=1,
    )
    # when: the second saves on top of revision 1
    with pytest.raises(StaleEdit):
        crf_save(
            actor=nurse,
            participant=participant,
            form_code="vas",
            visit=instance.visit,
            instance=instance,
            answers={**answers, "leg_vas": Decimal("9.0")},
            complete=False,
            base_revision=1,
        )
    # then
    from trial.models import PainVasData

    assert PainVasData.objects.get(instance=instance).leg_vas == Decimal("4.0")


@pytest.mark.requirement("SCO-004")
def test_scores_are_stored_with_the_scorer_version(nurse, participant):
    import scoring
    from trial.models import OdiData

    answers = {f"odi_{i}": v for i, v in enumerate([2, 1, 3, 2, 1, 2, 1, 0, 2, 2], start=1)}
    answers["assessment_date"] = participant.admission_date
    instance, _ = _save(nurse, participant, "odi", "admission", answers=answers)
    data = OdiData.objects.get(instance=instance)
    assert data.scores["percent"] == 32.0
    assert data.scores["band"] == "moderate"
    assert data.scorer_version == scoring.INSTRUMENTS["odi"].version


def test_both_vas_answers_are_scored(nurse, participant):
    from trial.models import PainVasData

    instance, _ = _save(
        nurse,
        participant,
        "vas",
        "preop",
        answers={
            "leg_vas": Decimal("6.5"),
            "back_vas": Decimal("0.0"),
            "assessment_date": participant.surgery_date,
        },
    )
    scores = PainVasData.objects.get(instance=instance).scores
    assert scores["leg_vas"]["band"] == "moderate"
    assert scores["back_vas"]["band"] == "none"


def test_visit_is_done_once_every_form_is_complete(nurse, participant):
    for form in PROTOCOL.forms_for(PROTOCOL.visit("admission"), "S"):
        assert Visit.objects.get(participant=participant, code="admission").status == "scheduled"
        _save(nurse, participant, form.code, "admission")
    assert Visit.objects.get(participant=participant, code="admission").status == "done"


def test_changing_a_complete_form_of_a_done_visit_keeps_it_done(nurse, participant):
    # given a done admission visit
    saved = {}
    for form in PROTOCOL.forms_for(PROTOCOL.visit("admission"), "S"):
        saved[form.code] = _save(nurse, participant, form.code, "admission")
    visit = Visit.objects.get(participant=participant, code="admission")
    assert visit.status == "done"
    visit_events = AuditEvent.objects.filter(object_type="trial.visit").count()
    # when a complete form of it is changed (it stays complete)
    instance, answers = saved["sf36"]
    changed = {**answers, "sf36_1": 5 if answers["sf36_1"] != 5 else 1}
    revision = instance.revision
    instance, _answers = _save(
        nurse, participant, "sf36", "admission",
        answers=changed, instance=instance, base_revision=revision, reason="typo",
    )  # fmt: skip
    # then the change is saved and the visit is still done, with no audit row of its own
    assert instance.revision == 2
    assert Visit.objects.get(pk=visit.pk).status == "done"
    assert AuditEvent.objects.filter(object_type="trial.visit").count() == visit_events


def test_the_surgery_record_moves_the_surgery_anchor(nurse, participant):
    actual = participant.surgery_date - datetime.timedelta(days=1)
    answers = sample_answers("peld", participant, visit_code="surgery", rng=random.Random(2))
    _save(nurse, participant, "peld", "surgery", answers={**answers, "surgery_date": actual})
    participant.refresh_from_db()
    assert participant.surgery_date == actual
    month_3 = Visit.objects.get(participant=participant, code="month_3")
    assert month_3.target_date == actual + datetime.timedelta(days=90)


@pytest.mark.requirement("DEC-009")
def test_arm_only_form_is_refused_for_the_other_arm(nurse):
    other = allocated_participant(nurse, nurse.memberships.get().site, arm="P")
    admission = Visit.objects.get(participant=other, code="admission")
    with pytest.raises(FormNotApplicable):
        crf_save(
            actor=nurse,
            participant=other,
            form_code="snrb",
            visit=admission,
            answers={},
            complete=False,
        )


@pytest.mark.requirement("AUD-006", "RFC-004")
def test_log_entries_number_up_and_voiding_keeps_them(nurse, participant):
    first, _ = _save(nurse, participant, "adverse_event")
    second, _ = _save(nurse, participant, "adverse_event")
    assert (first.seq, second.seq) == (1, 2)
    with pytest.raises(ReasonRequired):
        crf_void(actor=nurse, instance=second, reason="")
    crf_void(actor=nurse, instance=second, reason="entered twice")
    assert (
        FormInstance.objects.filter(
            participant=participant,
            form_code="adverse_event",
        ).count()
        == 2
    )
    assert _events(second).last().action == "delete"


@pytest.mark.requirement("AUD-001", "DEC-005")
def test_the_baseline_bmi_is_derived_and_audited(nurse, participant):
    from trial.models import BaselineData

    answers = sample_answers("baseline", participant, visit_code="admission", rng=random.Random(3))
    answers.update(height_cm=Decimal("170.0"), weight_kg=Decimal("72.3"))
    instance, _ = _save(nurse, participant, "baseline", "admission", answers=answers)
    assert BaselineData.objects.get(instance=instance).bmi == Decimal("25.0")
    assert _events(instance).get().changes["bmi"] == [None, "25.0"]
