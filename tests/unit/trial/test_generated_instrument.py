"""An instrument defined only by its scorer and its definition (``scoring/instruments``)
gets its data model, its entry form, its stored scores and their labels with no trial code
of its own: EQ-5D-5L (five 5-level items and a 0–100 VAS), entered on a test-only
protocol (the seed trial does not use it), SCO-007.

The seed trial's instrument models keep their names, tables and columns (``makemigrations
--check`` is clean; the columns are pinned below), and their generated forms render as the
hand-written ones did (``test_form_rendering``)."""

import dataclasses
import datetime
import random
import re
from decimal import Decimal

import pytest
from crispy_forms.utils import render_crispy_form
from django import forms
from django.apps import apps
from django.db import models
from django.utils import timezone, translation

import scoring
from tests.factories import SiteFactory, user_with_role
from trial import discovery
from trial.demo import sample_answers
from trial.display import score_rows, scores_text
from trial.exceptions import FormIncomplete, InvalidAnswer
from trial.forms.instruments import InstrumentForm, PainVasForm, _number_field
from trial.forms.registry import form_class_for
from trial.models import INSTRUMENT_MODELS, AuditEvent, FormInstance, Role, Visit
from trial.protocol import FormDef, Text, get_protocol
from trial.protocol.dictionary import dictionary_of
from trial.services.crfs import crf_save
from trial.services.participants import participant_register

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DIMENSIONS = ("mobility", "self_care", "usual_activities", "pain_discomfort", "anxiety_depression")
EQ5D = FormDef(
    "eq5d5l", Text("EQ-5D-5L", "EQ-5D-5L 健康量表"), "trial.Eq5d5lData", instrument="eq5d5l"
)


@pytest.fixture
def eq5d_protocol(monkeypatch):
    """A test-only protocol (never shipped): the seed's admission visit with EQ-5D-5L only."""
    seed = get_protocol("snrb_peld")
    admission = dataclasses.replace(seed.visits[0], forms=("eq5d5l",))
    protocol = dataclasses.replace(
        seed, code="eq5d5l_test", forms=(*seed.forms, EQ5D), visits=(admission,), epro=None
    )
    discovery.contributions("protocols")  # discovered now; the test adds one more
    monkeypatch.setitem(discovery._found["protocols"], protocol.code, protocol)
    return protocol


@pytest.fixture
def site(db):
    return SiteFactory(code="S01")


@pytest.fixture
def nurse(site):
    return user_with_role(Role.RESEARCH_NURSE, site=site, username="nurse1")


@pytest.fixture
def visit(nurse, site, eq5d_protocol):
    participant = participant_register(
        actor=nurse,
        site=site,
        screening_date=TODAY,
        registration_date=TODAY - datetime.timedelta(days=1),
        full_name="Li Si",
        protocol_code=eq5d_protocol.code,
    )
    return Visit.objects.get(participant=participant, code="admission")


def _answers(profile: str, vas: int | None) -> dict[str, object]:
    return {code: int(level) for code, level in zip(DIMENSIONS, profile, strict=True)} | {
        "eq_vas": vas
    }


def _post(profile: str, vas: str, visit: Visit) -> dict[str, str]:
    data = {code: level for code, level in zip(DIMENSIONS, profile, strict=False) if level != "-"}
    return {**data, "eq_vas": vas, "assessment_date": visit.participant.admission_date.isoformat()}


@pytest.mark.requirement("SCO-007")
def test_every_instrument_of_several_items_has_a_model_built_from_its_definition():
    model = apps.get_model("trial.Eq5d5lData")
    assert model is INSTRUMENT_MODELS["eq5d5l"]
    assert model._meta.db_table == "trial_eq5d5ldata"
    assert model.required_items == ("assessment_date", *DIMENSIONS, "eq_vas")
    for code in DIMENSIONS:
        field = model._meta.get_field(code)
        assert isinstance(field, models.SmallIntegerField)
        assert [value for value, _label in field.choices] == [1, 2, 3, 4, 5]
    vas = model._meta.get_field("eq_vas")
    assert isinstance(vas, models.SmallIntegerField)
    assert vas.null
    assert not vas.choices
    limits = sorted(v.limit_value for v in vas.validators if hasattr(v, "limit_value"))
    assert limits == [0, 100]
    with translation.override("zh-hans"):
        assert str(model._meta.verbose_name) == "EQ-5D-5L 健康量表"
    # the seed trial's instruments keep their models, tables and columns
    seed = (("odi", "OdiData", 10), ("joa", "JoaData", 14), ("sf36", "Sf36Data", 36))
    for name, label, items in seed:
        model = apps.get_model(f"trial.{label}")
        assert model is INSTRUMENT_MODELS[name]
        assert model._meta.db_table == f"trial_{label.lower()}"
        columns = [f.name for f in model._meta.concrete_fields]
        expected = ["instance", "scores", "scorer_version", "not_answered", "assessment_date"]
        assert columns == [*expected, *scoring.INSTRUMENTS[name].item_ids]
        assert len(scoring.INSTRUMENTS[name].item_ids) == items
    with translation.override("zh-hans"):
        assert str(apps.get_model("trial.OdiData")._meta.verbose_name) == "Oswestry 功能障碍指数"
    # one-item scales are columns of other forms: no model of their own
    assert set(INSTRUMENT_MODELS) == {"eq5d5l", "joa", "odi", "sf36"}


@pytest.mark.requirement("SCO-007")
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_generated_form_shows_five_radio_groups_and_the_vas_number(language, eq5d_protocol):
    form_class = form_class_for("trial.Eq5d5lData")
    assert issubclass(form_class, InstrumentForm)
    assert form_class.instrument == "eq5d5l"
    assert form_class_for("trial.PainVasData") is PainVasForm  # contributed forms still win
    definition = scoring.INSTRUMENTS["eq5d5l"]
    with translation.override(language):
        form = form_class(formdef=EQ5D)
        html = render_crispy_form(form)
    for code in DIMENSIONS:
        item = definition.item(code)
        assert len(re.findall(rf'type="radio"[^>]*name="{code}"', html)) == 5
        assert item.text(language) in html
        for choice in item.choices:
            assert choice.label(language) in html
        assert f'name="na__{code}"' in html  # "not answered, because" beside each item
    vas = re.search(r'<input type="number" name="eq_vas"[^>]*>', html)
    assert vas is not None
    assert 'min="0"' in vas.group(0)
    assert 'max="100"' in vas.group(0)
    assert 'step="any"' not in vas.group(0)
    assert definition.item("eq_vas").text(language) in html
    for section in definition.sections:
        assert section.title(language) in html
    assert isinstance(form.fields["eq_vas"], forms.IntegerField)


@pytest.mark.requirement("SCO-007")
@pytest.mark.parametrize(
    ("language", "message"),
    [("en", "Enter a whole number from 0 to 100."), ("zh-hans", "请输入 0 至 100 之间的整数。")],
)
def test_a_vas_outside_0_to_100_is_refused_with_a_message(language, message, visit):
    form_class = form_class_for("trial.Eq5d5lData")
    with translation.override(language):
        for value in ("101", "-1", "55.5", "lots"):
            form = form_class(
                _post("12345", value, visit),
                completing=True,
                participant=visit.participant,
                visit=visit,
                formdef=EQ5D,
            )
            assert not form.is_valid()
            assert form.errors["eq_vas"] == [message], value
            assert message in render_crispy_form(form)
        form = form_class(
            _post("12345", "100", visit), completing=True, participant=visit.participant,
            visit=visit, formdef=EQ5D,
        )  # fmt: skip
        assert form.is_valid(), form.errors
        assert form.answers()["eq_vas"] == 100


@pytest.mark.requirement("SCO-007")
def test_missing_items_keep_the_form_in_progress(nurse, visit):
    form_class = form_class_for("trial.Eq5d5lData")
    partial = _post("12-45", "", visit)  # usual activities and the VAS not answered
    kwargs = {"participant": visit.participant, "visit": visit, "formdef": EQ5D}
    completing = form_class(partial, completing=True, **kwargs)
    assert not completing.is_valid()
    assert {"usual_activities", "eq_vas"} <= set(completing.errors)
    draft = form_class(partial, completing=False, **kwargs)
    assert draft.is_valid(), draft.errors
    answers = {k: v for k, v in draft.answers().items() if k != "not_answered"}
    with pytest.raises(FormIncomplete) as refused:
        crf_save(
            actor=nurse,
            participant=visit.participant,
            form_code="eq5d5l",
            visit=visit,
            answers=answers,
            complete=True,
        )
    assert set(refused.value.fields) == {"usual_activities", "eq_vas"}
    instance = crf_save(
        actor=nurse,
        participant=visit.participant,
        form_code="eq5d5l",
        visit=visit,
        answers=answers,
        complete=False,
    )
    assert instance.status == FormInstance.Status.IN_PROGRESS
    data = apps.get_model("trial.Eq5d5lData").objects.get(instance=instance)
    # the user guide codes a missing dimension 9; no level sum without all five
    assert data.scores == {"profile": "12945", "level_sum": None, "complete": False, "eq_vas": None}


@pytest.mark.requirement("SCO-007")
@pytest.mark.requirement("SCO-006")
def test_saved_through_crf_save_audited_and_scored_as_the_user_guide_says(nurse, visit):
    model = apps.get_model("trial.Eq5d5lData")
    form = form_class_for("trial.Eq5d5lData")(
        _post("11111", "90", visit),
        completing=True,
        participant=visit.participant,
        visit=visit,
        formdef=EQ5D,
    )
    assert form.is_valid(), form.errors
    instance = crf_save(
        actor=nurse,
        participant=visit.participant,
        form_code="eq5d5l",
        visit=visit,
        answers=form.answers(),
        complete=True,
    )
    assert instance.status == FormInstance.Status.COMPLETE
    data = model.objects.get(instance=instance)
    # user guide v3.0: 11111 is no problems on any dimension, level sum 5
    assert data.scores == {"profile": "11111", "level_sum": 5, "complete": True, "eq_vas": 90}
    assert data.scorer_version == scoring.INSTRUMENTS["eq5d5l"].version
    assert (data.mobility, data.eq_vas) == (1, 90)
    events = AuditEvent.objects.filter(object_type="trial.forminstance", object_id=str(instance.pk))
    created = events.get(action="create")
    assert created.changes["mobility"] == [None, 1]
    assert created.changes["eq_vas"] == [None, 90]
    # a change of a complete form: a reason, one audited update, the scores recomputed
    crf_save(
        actor=nurse,
        participant=visit.participant,
        form_code="eq5d5l",
        visit=visit,
        instance=instance,
        answers={**_answers("55555", 10), "assessment_date": visit.participant.admission_date},
        complete=True,
        base_revision=instance.revision,
        reason="transcription error",
    )
    data.refresh_from_db()
    # 55555: extreme problems on every dimension, level sum 25
    assert data.scores == {"profile": "55555", "level_sum": 25, "complete": True, "eq_vas": 10}
    update = events.filter(action="update").latest("id")
    assert update.reason == "transcription error"
    assert update.changes["anxiety_depression"] == [1, 5]
    assert update.changes["eq_vas"] == [90, 10]
    old, new = update.changes["scores"]  # stored as their Python text
    assert "'level_sum': 5" in old
    assert "'level_sum': 25" in new
    # the service refuses what the form refuses
    with pytest.raises(InvalidAnswer):
        crf_save(
            actor=nurse,
            participant=visit.participant,
            form_code="eq5d5l",
            visit=visit,
            instance=instance,
            answers={**_answers("55555", 101), "assessment_date": visit.participant.admission_date},
            complete=True,
            base_revision=instance.revision + 1,
            reason="typo",
        )
    assert model.objects.get(instance=instance).eq_vas == 10


@pytest.mark.requirement("SCO-007")
def test_score_names_come_from_the_definition_in_the_readers_language(eq5d_protocol):
    scores = {"profile": "12345", "level_sum": 15, "complete": True, "eq_vas": 70}
    with translation.override("zh-hans"):
        rows = dict(score_rows(scores, EQ5D))
        assert rows == {
            "健康状态（五维描述编码）": "12345",
            "水平总分（5–25）": "15",
            "五个维度均已回答": "是",
            "EQ VAS（0–100）": "70",
        }
    with translation.override("en"):
        assert scores_text(scores, EQ5D).startswith("Health state (profile): 12345; Level sum")
        odi = get_protocol("snrb_peld").form("odi")
        assert score_rows({"percent": 32.0, "band": "moderate"}, odi) == [
            ("ODI (%)", "32.0"),
            ("Band", "moderate"),
        ]
    with translation.override("zh-hans"):
        vas = get_protocol("snrb_peld").form("vas")
        rows = score_rows({"leg_vas": {"vas": 6.5, "band": "moderate"}}, vas)
        assert rows == [("腿痛 (VAS) · VAS", "6.5"), ("腿痛 (VAS) · 分级", "中度")]


@pytest.mark.requirement("SCO-007")
def test_the_protocol_entry_alone_puts_its_items_and_scores_in_the_dictionary(eq5d_protocol):
    names = {v.source: v for v in dictionary_of(eq5d_protocol).of_form("eq5d5l")}
    assert {*DIMENSIONS, "eq_vas", "assessment_date"} <= set(names)
    assert [c.code for c in names["mobility"].codes] == ["1", "2", "3", "4", "5"]
    assert {"scores.profile", "scores.level_sum", "scores.eq_vas"} <= set(names)


@pytest.mark.requirement("SCO-007")
def test_demo_answers_need_no_code_of_the_instrument(nurse, visit):
    answers = sample_answers(
        "eq5d5l", visit.participant, visit_code="admission", rng=random.Random(7)
    )
    assert set(answers) == {"assessment_date", *DIMENSIONS, "eq_vas"}
    assert isinstance(answers["eq_vas"], int)
    assert 0 <= answers["eq_vas"] <= 100
    instance = crf_save(
        actor=nurse,
        participant=visit.participant,
        form_code="eq5d5l",
        visit=visit,
        answers=answers,
        complete=True,
    )
    data = apps.get_model("trial.Eq5d5lData").objects.get(instance=instance)
    assert data.scores["complete"] is True
    assert data.scores["eq_vas"] == answers["eq_vas"]


@pytest.mark.requirement("SCO-007")
def test_a_decimal_item_is_a_number_input_of_its_resolution():
    item = scoring.INSTRUMENTS["vas"].item("vas")  # 0.0–10.0, one decimal
    with translation.override("zh-hans"):
        field = _number_field(item, "zh-hans")
        assert isinstance(field, forms.DecimalField)
        assert field.widget.attrs["step"] == "0.1"
        assert (field.widget.attrs["min"], field.widget.attrs["max"]) == (Decimal(0), Decimal(10))
        assert field.clean("6.5") == Decimal("6.5")
        assert field.clean("") is None
        for value in ("10.5", "-0.1", "6.55", "a"):
            with pytest.raises(forms.ValidationError) as refused:
                field.clean(value)
            assert refused.value.messages == ["请输入 0 至 10 之间的数字，最多 1 位小数。"], value
