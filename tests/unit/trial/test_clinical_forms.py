"""The clinical CRF forms: drafts, completion, ranges, choices and the edit-check wiring."""

import types
from datetime import date
from decimal import Decimal

import pytest
from crispy_forms.layout import Fieldset
from django.utils import timezone, translation

from trial.edit_checks import Severity
from trial.forms.clinical import (
    AdverseEventForm,
    BaselineForm,
    DischargeForm,
    MedicationForm,
    OutcomeForm,
)
from trial.forms.procedures import PeldForm, SnrbForm
from trial.forms.registry import form_class_for

ADMITTED, SURGERY = date(2024, 3, 1), date(2024, 3, 4)
ALL_FORMS = [
    BaselineForm,
    MedicationForm,
    DischargeForm,
    OutcomeForm,
    AdverseEventForm,
    SnrbForm,
    PeldForm,
]


def participant(**overrides):
    values = {"protocol_code": "snrb_peld", "admission_date": ADMITTED, "surgery_date": SURGERY}
    return types.SimpleNamespace(**values | overrides)


def bound(form_class, data, *, completing=False, who=None, visit=None):
    visit = types.SimpleNamespace(code=visit) if visit else None
    return form_class(
        data=data, completing=completing, participant=who or participant(), visit=visit
    )


def soft_codes(form) -> set[str]:
    assert all(f.severity is Severity.SOFT for f in form.soft_findings)
    return {f.code for f in form.soft_findings}


COMPLETE_BASELINE = {
    "assessment_date": "2024-03-01",
    "sex": "female",
    "date_of_birth": "1964-05-02",
    "height_cm": "162.0",
    "weight_kg": "66.5",
    "herniation_level": "L4-5",
    "pfirrmann_grade": "III",
    "leg_pain_duration_days": "120",
    "numbness": "True",
    "weakness": "False",
    "back_pain": "False",
    "hypertension": "True",
    "diabetes": "False",
}


# --- registry, layout -------------------------------------------------------------------


@pytest.mark.parametrize("form_class", ALL_FORMS)
def test_each_form_is_registered_for_its_model(form_class):
    assert form_class_for(form_class._meta.model._meta.label) is form_class


@pytest.mark.parametrize("form_class", ALL_FORMS)
def test_layout_puts_every_answer_in_a_fieldset(form_class):
    # given
    form = form_class(participant=participant())
    # when
    in_fieldsets = {
        name
        for fieldset in form.helper.layout.fields
        if isinstance(fieldset, Fieldset)
        for _pointer, name in [(p, p.name) for p in fieldset.get_field_names()]
    }
    # then
    assert form.helper.form_tag is False
    not_answered = {name for name in form.fields if name.startswith("na__")}
    assert in_fieldsets == set(form_class.answer_fields()) | not_answered


@pytest.mark.parametrize("form_class", ALL_FORMS)
def test_required_for_complete_names_only_form_fields(form_class):
    assert set(form_class.required_for_complete) <= set(form_class.answer_fields())


# --- drafts and completion --------------------------------------------------------------


@pytest.mark.parametrize("form_class", ALL_FORMS)
@pytest.mark.requirement("DEC-002")
def test_draft_with_every_answer_blank_is_valid(form_class):
    form = bound(form_class, {})
    assert form.is_valid(), form.errors


@pytest.mark.parametrize("form_class", ALL_FORMS)
@pytest.mark.requirement("DEC-002")
def test_completing_a_blank_form_requires_the_completion_fields(form_class):
    form = bound(form_class, {}, completing=True)
    assert not form.is_valid()
    for name in form_class.required_for_complete:
        if form_class._meta.model._meta.get_field(name).has_default():
            continue  # SNRB needle and local anaesthetic come pre-filled
        assert form.has_error(name, "required"), name


def test_completing_baseline_with_every_answer_is_valid():
    form = bound(BaselineForm, COMPLETE_BASELINE, completing=True)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["numbness"] is True
    assert form.cleaned_data["weakness"] is False


def test_unanswered_yes_no_question_stays_unknown_in_a_draft():
    form = bound(BaselineForm, {"sex": "male"})
    assert form.is_valid()
    assert form.cleaned_data["diabetes"] is None


@pytest.mark.requirement("DEC-005")
def test_bmi_and_length_of_stay_are_not_entered():
    assert "bmi" not in BaselineForm.base_fields
    assert "length_of_stay_days" not in DischargeForm.base_fields


# --- ranges and choices -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("form_class", "field", "value"),
    [
        (BaselineForm, "height_cm", "99"),
        (BaselineForm, "height_cm", "231"),
        (BaselineForm, "weight_kg", "24"),
        (BaselineForm, "weight_kg", "251"),
        (BaselineForm, "leg_pain_duration_days", "-1"),
        (MedicationForm, "frequency_per_day", "0"),
        (MedicationForm, "dose_mg", "-5"),
        (SnrbForm, "drug_1_concentration_pct", "101"),
        (SnrbForm, "drug_1_volume_ml", "21"),
        (SnrbForm, "volume_injected_ml", "-1"),
        (PeldForm, "duration_minutes", "9"),
        (PeldForm, "duration_minutes", "601"),
        (PeldForm, "blood_loss_ml", "2001"),
        (PeldForm, "blood_loss_ml", "-1"),
    ],
)
@pytest.mark.requirement("DEC-001")
def test_out_of_range_values_are_refused(form_class, field, value):
    form = bound(form_class, {field: value})
    assert not form.is_valid()
    assert form.has_error(field, "min_value") or form.has_error(field, "max_value")


@pytest.mark.parametrize(
    ("form_class", "field", "value"),
    [
        (BaselineForm, "sex", "unknown"),
        (BaselineForm, "herniation_level", "L1-2"),
        (BaselineForm, "pfirrmann_grade", "VI"),
        (BaselineForm, "numbness", "maybe"),
        (AdverseEventForm, "clavien_dindo", "III"),
        (AdverseEventForm, "outcome", "dead"),
        (SnrbForm, "root", "L1"),
        (PeldForm, "approach", "posterior"),
        (OutcomeForm, "macnab", "perfect"),
    ],
)
@pytest.mark.requirement("DEC-001")
def test_values_outside_the_choices_are_refused(form_class, field, value):
    form = bound(form_class, {field: value})
    assert not form.is_valid()
    assert form.has_error(field, "invalid_choice")


@pytest.mark.requirement("DEC-001")
def test_non_numeric_height_is_refused():
    form = bound(BaselineForm, {"height_cm": "tall"})
    assert form.has_error("height_cm", "invalid")


@pytest.mark.requirement("DEC-001")
def test_dates_in_the_future_are_refused():
    tomorrow = timezone.localdate().toordinal() + 1
    form = bound(DischargeForm, {"discharge_date": date.fromordinal(tomorrow).isoformat()})
    assert not form.is_valid()
    assert form.has_error("discharge_date")


def test_macnab_choices_are_the_scoring_codes():
    form = OutcomeForm(participant=participant())
    values = [value for value, _label in form.fields["macnab"].choices]
    assert values == ["excellent", "good", "fair", "poor"]


# --- hard and soft edit checks through the forms ----------------------------------------


@pytest.mark.requirement("DEC-003")
def test_bmi_outside_eligibility_is_a_warning_not_an_error():
    form = bound(BaselineForm, {"height_cm": "170", "weight_kg": "95"})  # 32.9
    assert form.is_valid(), form.errors
    assert soft_codes(form) == {"bmi_outside_eligibility"}


@pytest.mark.requirement("DEC-003")
def test_implausible_bmi_refuses_the_save():
    form = bound(BaselineForm, {"height_cm": "200", "weight_kg": "40"})  # 10.0
    assert not form.is_valid()
    assert form.has_error("weight_kg", "bmi_implausible")


def test_bmi_eligibility_is_skipped_without_a_participant():
    form = BaselineForm(data={"height_cm": "170", "weight_kg": "95"})
    assert form.is_valid()
    assert form.soft_findings == []


@pytest.mark.parametrize(
    ("birth", "error", "warning"),
    [
        ("2024-03-02", "birth_after_admission", None),
        ("2012-01-01", None, "age_outside_eligibility"),
        ("1964-01-01", None, None),
    ],
)
def test_age_at_admission(birth, error, warning):
    form = bound(BaselineForm, {"date_of_birth": birth})
    assert form.is_valid() is (error is None)
    if error:
        assert form.has_error("date_of_birth", error)
    assert soft_codes(form) == ({warning} if warning else set())


@pytest.mark.parametrize(
    ("performed_at", "error", "warning"),
    [
        ("2024-03-03T15:30", None, None),
        ("2024-03-02T09:00", None, "snrb_not_day_before_surgery"),
        ("2024-03-04T08:00", "snrb_not_before_surgery", None),
    ],
)
def test_snrb_timing_against_surgery(performed_at, error, warning):
    form = bound(SnrbForm, {"performed_at": performed_at})
    assert form.is_valid() is (error is None)
    if error:
        assert form.has_error("performed_at", error)
    assert soft_codes(form) == ({warning} if warning else set())


def test_snrb_paper_procedure_completes():
    data = {
        "performed_at": "2024-03-03T15:30",
        "level": "L4-5",
        "root": "L5",
        "side": "left",
        "ct_guided": "True",
        "needle": "20G × 100 mm",
        "local_anaesthetic": "1% lidocaine",
        "drug_1_name": "ropivacaine",
        "drug_1_concentration_pct": "0.75",
        "drug_1_volume_ml": "1",
        "drug_2_name": "dexamethasone palmitate",
        "drug_2_volume_ml": "1",
        "drug_3_name": "0.9% saline",
        "drug_3_volume_ml": "4",
        "volume_injected_ml": "2",
        "aspiration_negative": "True",
        "immediate_reaction": "none",
    }
    form = bound(SnrbForm, data, completing=True)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["drug_1_concentration_pct"] == Decimal("0.75")
    assert form.soft_findings == []


def test_snrb_needle_and_anaesthetic_default_to_the_paper():
    form = SnrbForm(participant=participant())
    assert form["needle"].value() == "20G × 100 mm"
    assert form["local_anaesthetic"].value() == "1% lidocaine"


@pytest.mark.requirement("DEC-004")
def test_peld_surgery_before_admission_is_refused():
    form = bound(PeldForm, {"surgery_date": "2024-02-28"})
    assert form.has_error("surgery_date", "surgery_before_admission")


def test_peld_other_event_needs_details_when_completing():
    form = bound(PeldForm, {"intraoperative_events": "other"}, completing=True)
    assert form.has_error("event_details", "event_details_missing")


@pytest.mark.requirement("DEC-004")
def test_discharge_before_surgery_is_refused():
    form = bound(DischargeForm, {"discharge_date": "2024-03-03"})
    assert form.has_error("discharge_date", "discharge_before_surgery")


def test_discharge_mri_done_needs_its_date_when_completing():
    data = {"discharge_date": "2024-03-07", "mri_done": "True"}
    form = bound(DischargeForm, data, completing=True)
    assert form.has_error("mri_date", "mri_date_missing")
    assert form.has_error("decompression_complete", "decompression_missing")


@pytest.mark.requirement("DEC-004")
def test_outcome_before_surgery_is_refused():
    form = bound(OutcomeForm, {"assessment_date": "2024-03-01"}, visit="month_3")
    assert form.has_error("assessment_date", "assessment_before_anchor")


@pytest.mark.requirement("DEC-003")
def test_outcome_outside_the_window_is_a_warning():
    form = bound(OutcomeForm, {"assessment_date": "2024-04-10"}, visit="month_3")
    assert form.is_valid(), form.errors
    assert soft_codes(form) == {"assessment_outside_window"}


def test_recurrence_confirmed_without_mri_date_cannot_complete():
    form = bound(OutcomeForm, {"recurrence_mri_confirmed": "True"}, completing=True)
    assert form.has_error("recurrence_mri_date", "recurrence_mri_date_missing")


def test_outcome_complications_are_the_protocol_codes():
    # given
    data = {"had_serious_complication": "True", "serious_complications": ["dural_tear"]}
    # when
    form = bound(OutcomeForm, data)
    # then
    assert form.is_valid(), form.errors
    assert form.cleaned_data["serious_complications"] == ["dural_tear"]


def test_outcome_refuses_a_complication_outside_the_protocol():
    form = bound(OutcomeForm, {"serious_complications": ["bleeding"]})
    assert form.has_error("serious_complications", "invalid_choice")


def test_outcome_other_complication_needs_details_when_completing():
    data = {"had_serious_complication": "True", "serious_complications": ["other"]}
    form = bound(OutcomeForm, data, completing=True)
    assert form.has_error("serious_complication_details", "serious_complication_details_missing")


def test_outcome_complication_labels_follow_the_language():
    with translation.override("zh-hans"):
        form = OutcomeForm(participant=participant())
    labels = dict(form.fields["serious_complications"].choices)
    assert labels["epidural_haematoma"] == "硬膜外血肿"


@pytest.mark.requirement("DEC-004")
def test_adverse_event_resolution_before_onset_is_refused():
    data = {"onset_date": "2024-03-06", "resolution_date": "2024-03-05"}
    form = bound(AdverseEventForm, data)
    assert form.has_error("resolution_date", "resolution_before_onset")


@pytest.mark.requirement("DEC-004")
def test_medication_stop_before_start_is_refused():
    form = bound(MedicationForm, {"start_date": "2024-03-02", "stop_date": "2024-03-01"})
    assert form.has_error("stop_date", "stop_before_start")


def test_medication_other_drug_needs_a_name_when_completing():
    data = {
        "drug": "other",
        "dose_mg": "75",
        "frequency_per_day": "2",
        "route": "oral",
        "start_date": "2024-03-01",
        "ongoing": "True",
    }
    form = bound(MedicationForm, data, completing=True)
    assert form.errors.keys() == {"other_drug_name"}
    assert form.has_error("other_drug_name", "other_drug_name_missing")


# --- saving -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_draft_baseline_with_blanks_saves(form_instance):
    # given
    form = bound(BaselineForm, {"sex": "male"})
    assert form.is_valid()
    # when
    data = form.save(commit=False)
    data.instance = form_instance
    data.save()
    # then
    data.refresh_from_db()
    assert data.sex == "male"
    assert data.height_cm is None
    assert data.numbness is None


@pytest.mark.django_db
def test_outcome_saves_the_complication_codes_as_a_list(form_instance):
    data = {"had_serious_complication": "True", "serious_complications": ["dural_tear", "other"]}
    form = bound(OutcomeForm, data)
    assert form.is_valid(), form.errors
    outcome = form.save(commit=False)
    outcome.instance = form_instance
    outcome.save()
    outcome.refresh_from_db()
    assert outcome.serious_complications == ["dural_tear", "other"]


@pytest.fixture
def form_instance(db):
    from tests.factories import SiteFactory, UserFactory
    from trial.models import FormInstance, Participant

    user = UserFactory()
    person = Participant.objects.create(
        trial_id="S01-0001",
        site=SiteFactory(code="S01"),
        site_sequence=1,
        protocol_code="snrb_peld",
        screening_date=ADMITTED,
        admission_date=ADMITTED,
        created_by=user,
    )
    return FormInstance.objects.create(
        participant=person, form_code="baseline", created_by=user, updated_by=user
    )
