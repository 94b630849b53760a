"""Labels from data in the reader's language, dates typed as text, help texts (L10N-002,
L10N-004, L10N-006)."""

import datetime

import pytest
from django import forms
from django.utils import timezone, translation

import scoring
from trial.display import (
    changes_for,
    field_label,
    form_help,
    reason_label,
    score_value_label,
    scorer_label,
    zoned,
)
from trial.forms.widgets import LocaleDateInput, input_pattern, input_placeholder
from trial.models import SystemReason
from trial.protocol import get_protocol

PROTOCOL = get_protocol("snrb_peld")


@pytest.mark.requirement("L10N-004")
def test_score_bands_and_scorer_names_are_translated():
    with translation.override("zh-hans"):
        assert score_value_label("severe") == "重度"
        assert score_value_label("good") == "良"
        assert scorer_label("vas-0-10/1") == "视觉模拟评分法（VAS），计分规则第 1 版"
    with translation.override("en"):
        assert scorer_label("vas-0-10/1").startswith("Visual analogue scale")
    assert scorer_label("unknown/9") == "unknown/9"


@pytest.mark.requirement("L10N-004")
def test_history_lines_show_field_labels_and_code_labels():
    peld = PROTOCOL.form("peld")
    changes = {"approach": [None, "transforaminal"], "foraminoplasty": [False, True]}
    with translation.override("zh-hans"):
        lines = changes_for(changes, peld)
        expected_approach = str(translation.gettext("Transforaminal"))
        assert [line.field for line in lines] == ["approach", "foraminoplasty"]
        assert lines[0].label != "approach"
        assert "_" not in lines[0].label
        assert lines[0].new == expected_approach != "Transforaminal"
        assert (lines[1].old, lines[1].new) == ("否", "是")
        assert field_label(PROTOCOL.form("vas"), "leg_vas") != "leg_vas"


@pytest.mark.requirement("L10N-004")
def test_system_reasons_are_translated_and_peoples_reasons_kept():
    with translation.override("zh-hans"):
        assert reason_label(SystemReason.SCHEDULE.value) == "访视计划随基准日期调整"
        assert reason_label("recorded on form peld") == "录入于表单“经皮椎间孔镜手术 (PELD)”"
        assert reason_label("录入错误") == "录入错误"


@pytest.mark.requirement("L10N-003")
def test_times_show_their_zone():
    moment = datetime.datetime(2026, 12, 4, 10, 5, 3, tzinfo=datetime.UTC)
    with timezone.override("Asia/Shanghai"):
        assert zoned(moment) == "2026-12-04 18:05:03 CST +08:00"
    with timezone.override("UTC"):
        assert zoned(moment) == "2026-12-04 10:05:03 UTC +00:00"


@pytest.mark.requirement("L10N-002")
def test_dates_are_text_inputs_in_the_languages_format_and_parsed_as_such():
    class DateForm(forms.Form):
        day = forms.DateField(widget=LocaleDateInput)

    assert input_pattern("%Y-%m-%d") == r"\d{4}-\d{1,2}-\d{1,2}"
    assert input_placeholder("%Y-%m-%d %H:%M") == "YYYY-MM-DD HH:MM"
    for language in ("zh-hans", "en"):
        with translation.override(language):
            html = str(DateForm(initial={"day": datetime.date(2026, 12, 4)})["day"])
            assert 'type="text"' in html
            assert 'value="2026-12-04"' in html
            assert 'placeholder="YYYY-MM-DD"' in html
            assert DateForm({"day": "2026-12-04"}).is_valid()
            form = DateForm({"day": "12/04/2026"})  # a browser-locale date is refused
            assert not form.is_valid()
            assert form.errors["day"]


@pytest.mark.requirement("L10N-006")
def test_instruments_carry_instructions_and_recall_and_forms_definitions():
    for instrument in scoring.INSTRUMENTS.values():
        assert instrument.instructions("en")
        assert instrument.instructions("zh-hans")
        assert instrument.recall("en")
        assert instrument.recall("zh-hans")
        assert instrument.instructions("zh-hans") != instrument.instructions("en")
    with translation.override("zh-hans"):
        odi = form_help(PROTOCOL.form("odi"))
        assert odi["recall"] == scoring.INSTRUMENTS["odi"].recall_zh
        peld = form_help(PROTOCOL.form("peld"))
        labels = [label for label, _text in peld["definitions"]]
        assert labels
        assert all("_" not in label for label in labels)
