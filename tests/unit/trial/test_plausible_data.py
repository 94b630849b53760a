"""Issue 16: every form is dated, checked against its protocol window, and complete means
complete (one rule for every form, in the nurse's form and in the service)."""

import datetime
import importlib
import random
from decimal import Decimal

import pytest
from django.apps import apps
from django.utils import timezone

import scoring
from tests.factories import SiteFactory, allocated_participant, user_with_role
from trial.demo import sample_answers
from trial.exceptions import FormIncomplete, InvalidAnswer, InvalidAssessmentDate, ReasonRequired
from trial.forms.instruments import PainVasForm, instrument_form_class
from trial.models import AuditEvent, FormInstance, OdiData, PainVasData, Query, Role, Visit
from trial.protocol import get_protocol
from trial.services.crfs import crf_save

OdiForm = instrument_form_class("odi")

pytestmark = pytest.mark.django_db
PROTOCOL = get_protocol("snrb_peld")
TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)


@pytest.fixture
def nurse():
    return user_with_role(Role.RESEARCH_NURSE, site=SiteFactory(code="S01"), username="nurse1")


@pytest.fixture
def participant(nurse):
    surgery = TODAY - 100 * DAY  # every window has opened; the 3-month one is still open
    return allocated_participant(
        nurse,
        nurse.memberships.get().site,
        arm="S",
        admission_date=surgery - 3 * DAY,
        surgery_date=surgery,
    )


def _vas(day, **extra):
    return {"leg_vas": Decimal("2.0"), "back_vas": Decimal("1.0"), "assessment_date": day, **extra}


def _save_vas(nurse, participant, visit_code, day, **kwargs):
    visit = Visit.objects.get(participant=participant, code=visit_code)
    return crf_save(
        actor=nurse,
        participant=participant,
        form_code="vas",
        visit=visit,
        answers=_vas(day),
        complete=kwargs.pop("complete", True),
        **kwargs,
    )


# --- hard checks: before the anchor event, in the future ---------------------------------


def test_a_post_op_form_dated_before_the_surgery_is_refused(nurse, participant):
    with pytest.raises(InvalidAssessmentDate) as refused:
        _save_vas(nurse, participant, "postop_day_3", participant.surgery_date - DAY)
    assert refused.value.code == "assessment_before_anchor"
    assert not FormInstance.objects.filter(participant=participant, form_code="vas").exists()


def test_a_future_assessment_date_is_refused_even_with_a_reason(nurse, participant):
    with pytest.raises(InvalidAssessmentDate) as refused:
        _save_vas(nurse, participant, "month_3", TODAY + DAY, reason="typed ahead")
    assert refused.value.code == "assessment_in_future"
    assert not FormInstance.objects.filter(participant=participant, form_code="vas").exists()


def test_the_refusal_is_in_the_users_language(nurse, participant):
    from django.utils import translation

    with translation.override("zh-hans"), pytest.raises(InvalidAssessmentDate) as refused:
        _save_vas(nurse, participant, "postop_day_3", participant.surgery_date - DAY)
    with translation.override("zh-hans"):
        assert "手术" in str(refused.value.message)


# --- soft check: outside the visit's window ----------------------------------------------


def test_the_early_three_month_save_needs_a_reason(nurse, participant):
    early = participant.surgery_date + 60 * DAY  # the window opens on day 76
    with pytest.raises(ReasonRequired):
        _save_vas(nurse, participant, "month_3", early)
    assert not FormInstance.objects.filter(participant=participant, form_code="vas").exists()


def test_an_out_of_window_save_with_a_reason_opens_a_query_and_flags_the_form(nurse, participant):
    early = participant.surgery_date + 60 * DAY
    instance = _save_vas(nurse, participant, "month_3", early, reason="patient travelled early")
    assert instance.out_of_window is True
    query = Query.objects.get(form_instance=instance)
    assert (query.origin, query.check_code, query.field) == (
        "check",
        "assessment_outside_window",
        "assessment_date",
    )
    audit = AuditEvent.objects.filter(
        object_type="trial.forminstance", object_id=str(instance.pk)
    ).get()
    assert audit.reason == "patient travelled early"
    assert audit.changes["out_of_window"] == [False, True]
    assert audit.changes["assessment_date"] == [None, early.isoformat()]


def test_moving_the_date_into_the_window_clears_the_flag(nurse, participant):
    early = participant.surgery_date + 60 * DAY
    instance = _save_vas(nurse, participant, "month_3", early, reason="travelled")
    instance = crf_save(
        actor=nurse,
        participant=participant,
        form_code="vas",
        visit=instance.visit,
        instance=instance,
        answers=_vas(participant.surgery_date + 90 * DAY),
        complete=True,
        base_revision=instance.revision,
        reason="date corrected from the source",
    )
    assert instance.out_of_window is False


def test_an_in_window_save_needs_no_reason_and_opens_no_query(nurse, participant):
    instance = _save_vas(nurse, participant, "month_3", participant.surgery_date + 90 * DAY)
    assert instance.out_of_window is False
    assert not Query.objects.filter(form_instance=instance).exists()


# --- one completeness rule ----------------------------------------------------------------

ODI_FIVE = {f"odi_{i}": 2 for i in range(1, 6)}


def _save_odi(nurse, participant, answers, complete=True):
    visit = Visit.objects.get(participant=participant, code="admission")
    return crf_save(
        actor=nurse,
        participant=participant,
        form_code="odi",
        visit=visit,
        answers={**answers, "assessment_date": participant.admission_date},
        complete=complete,
    )


def test_an_odi_with_five_of_ten_sections_is_not_complete(nurse, participant):
    with pytest.raises(FormIncomplete) as refused:
        _save_odi(nurse, participant, ODI_FIVE)
    assert set(refused.value.fields) == {f"odi_{i}" for i in range(6, 11)}
    draft = _save_odi(nurse, participant, ODI_FIVE, complete=False)
    assert draft.status == FormInstance.Status.IN_PROGRESS


def test_the_nurse_form_refuses_to_complete_an_odi_with_five_sections(participant):
    data = {k: str(v) for k, v in ODI_FIVE.items()}
    data["assessment_date"] = participant.admission_date.isoformat()
    visit = Visit.objects.get(participant=participant, code="admission")
    form = OdiForm(data=data, completing=True, participant=participant, visit=visit)
    assert not form.is_valid()
    assert {f"odi_{i}" for i in range(6, 11)} <= set(form.errors)


def test_items_marked_not_answered_with_a_reason_let_the_form_complete(nurse, participant):
    marked = {f"odi_{i}": "declined" for i in range(6, 11)}
    instance = _save_odi(nurse, participant, {**ODI_FIVE, "not_answered": marked})
    assert instance.status == FormInstance.Status.COMPLETE
    data = OdiData.objects.get(instance=instance)
    assert data.not_answered == marked
    # the instrument's own rule decides the score: five missing sections cannot be scored
    expected = scoring.score("odi", {**ODI_FIVE, **dict.fromkeys(marked)})
    assert data.scores == expected


def test_a_reason_code_must_be_one_of_the_list_and_only_for_unanswered_items(nurse, participant):
    with pytest.raises(InvalidAnswer):
        _save_odi(nurse, participant, {**ODI_FIVE, "not_answered": {"odi_6": "busy"}})
    with pytest.raises(InvalidAnswer):
        _save_odi(nurse, participant, {**ODI_FIVE, "not_answered": {"odi_1": "declined"}})


def test_the_nurse_form_accepts_not_answered_with_a_reason(participant):
    data = {k: str(v) for k, v in ODI_FIVE.items()}
    data |= {f"na__odi_{i}": "not_applicable" for i in range(6, 11)}
    data["assessment_date"] = participant.admission_date.isoformat()
    visit = Visit.objects.get(participant=participant, code="admission")
    form = OdiForm(data=data, completing=True, participant=participant, visit=visit)
    assert form.is_valid(), form.errors
    assert form.answers()["not_answered"] == {f"odi_{i}": "not_applicable" for i in range(6, 11)}


def test_a_complete_form_needs_its_assessment_date(nurse, participant):
    visit = Visit.objects.get(participant=participant, code="preop")
    with pytest.raises(FormIncomplete) as refused:
        crf_save(
            actor=nurse,
            participant=participant,
            form_code="vas",
            visit=visit,
            answers={"leg_vas": Decimal("2.0"), "back_vas": Decimal("1.0")},
            complete=True,
        )
    assert refused.value.fields == ("assessment_date",)


def test_the_assessment_date_defaults_to_today_at_the_site(participant):
    visit = Visit.objects.get(participant=participant, code="month_3")
    form = PainVasForm(participant=participant, visit=visit)
    assert form["assessment_date"].value() == TODAY


# --- the data migration -------------------------------------------------------------------


def test_existing_forms_get_their_visit_date_with_an_audit_row(nurse, participant):
    instance = _save_vas(nurse, participant, "preop", participant.surgery_date)
    PainVasData.objects.filter(instance=instance).update(assessment_date=None)  # a pre-16 row
    migration = importlib.import_module("trial.migrations.0011_assessment_date_from_visit")
    migration.fill(apps, None)
    assert PainVasData.objects.get(instance=instance).assessment_date == instance.visit.target_date
    audit = AuditEvent.objects.filter(
        object_type="trial.forminstance", object_id=str(instance.pk)
    ).latest("id")
    assert audit.changes == {"assessment_date": [None, instance.visit.target_date.isoformat()]}
    assert "visit date" in audit.reason


def test_demo_answers_are_dated_inside_their_window(nurse, participant):
    rng = random.Random(3)
    for visit in Visit.objects.filter(participant=participant).order_by("order"):
        for form in PROTOCOL.forms_for(PROTOCOL.visit(visit.code), "S"):
            answers = sample_answers(form.code, participant, visit_code=visit.code, rng=rng)
            day = answers.get(form.date_field)
            day = day.date() if isinstance(day, datetime.datetime) else day
            assert visit.window_start <= day <= visit.window_end, (visit.code, form.code)


# --- the S01/S02 demo ---------------------------------------------------------------------


def test_the_demo_is_plausible_dates_follow_the_journey_and_pain_falls_after_treatment():
    from trial.demo import demo_allocation_list, demo_trial_load
    from trial.models import Participant

    statistician = user_with_role(Role.STATISTICIAN, site=None, username="stat")
    site = SiteFactory(code="S01")  # the list is stratified by site: the site comes first
    demo_allocation_list(actor=statistician)
    demo_trial_load(actor=statistician, site=site)
    randomized = Participant.objects.filter(site=site, allocation__isnull=False)
    assert randomized.count() >= 3
    for person in randomized.select_related("allocation", "consent"):
        allocated = timezone.localdate(person.allocation.allocated_at)
        assert person.consent.consent_date <= allocated <= person.surgery_date
        vas = {
            i.visit.code: PainVasData.objects.get(instance=i)
            for i in FormInstance.objects.filter(participant=person, form_code="vas")
        }
        for code, row in vas.items():
            visit = Visit.objects.get(participant=person, code=code)
            assert visit.window_start <= row.assessment_date <= visit.window_end
        if "postop_day_3" in vas:
            assert vas["postop_day_3"].leg_vas < vas["admission"].leg_vas
            assert vas["postop_day_3"].leg_vas <= vas["preop"].leg_vas
        if "month_3" in vas:
            assert vas["month_3"].leg_vas < vas["admission"].leg_vas
        if person.allocation.arm == "S" and "preop" in vas:
            assert vas["preop"].leg_vas < vas["admission"].leg_vas  # the block works


def test_editing_a_justified_form_again_opens_no_second_window_query(nurse, participant):
    early = participant.surgery_date + 60 * DAY
    instance = _save_vas(nurse, participant, "month_3", early, reason="travelled")
    crf_save(
        actor=nurse,
        participant=participant,
        form_code="vas",
        visit=instance.visit,
        instance=instance,
        answers=_vas(early, leg_vas=Decimal("3.0")),
        complete=True,
        base_revision=instance.revision,
        reason="typo in the leg VAS",
    )
    instance.refresh_from_db()
    assert instance.out_of_window is True
    assert Query.objects.filter(form_instance=instance).count() == 1
