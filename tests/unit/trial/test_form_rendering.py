"""The instrument forms' radio groups and selects, written in Python (trial.forms.lean),
give the page exactly the markup crispy-bootstrap5's templates give it: same elements,
attributes, ids, labels, checked and disabled states; an invalid field keeps crispy's own
error markup."""

import re

import pytest
from crispy_forms.layout import HTML, Fieldset, LayoutObject
from crispy_forms.utils import render_crispy_form
from django.utils import translation
from django.utils.html import escape

from trial.forms.instruments import instrument_form_class
from trial.forms.lean import LeanField, LeanFieldset

Sf36Form = instrument_form_class("sf36")
FORMS = (Sf36Form, instrument_form_class("odi"), instrument_form_class("joa"))


def normalised(html: str) -> str:
    return re.sub(r"\s+", " ", str(html)).strip()


def with_crispy_templates(layout: LayoutObject) -> None:
    """Put back crispy's own layout: fieldsets, notes and plain field names."""
    for index, item in enumerate(layout.fields):
        if isinstance(item, LeanFieldset):
            paragraph = f'<p class="text-body-secondary">{escape(item.note)}</p>'
            note = [HTML(paragraph)] if item.note else []
            layout.fields[index] = Fieldset(item.legend, *note, *item.fields)
            with_crispy_templates(layout.fields[index])
        elif isinstance(item, LeanField):
            layout.fields[index] = item.fields[0]
        elif hasattr(item, "fields"):
            with_crispy_templates(item)


def both(make) -> tuple[str, str]:
    """Render the same form twice: lean fields, and crispy's templates for every field."""
    lean = make()
    reference = make()
    with_crispy_templates(reference.helper.layout)
    return normalised(render_crispy_form(lean)), normalised(render_crispy_form(reference))


def answers(form_class, pick: int) -> dict[str, object]:
    form = form_class()
    out = {}
    for name, field in form.fields.items():
        if name.startswith("na__") or not hasattr(field, "choices"):
            continue
        values = [value for value, _label in field.choices if value != ""]
        out[name] = values[pick % len(values)]
    return out


@pytest.mark.parametrize("form_class", FORMS)
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_blank_form_renders_as_crispy_does(form_class, language) -> None:
    with translation.override(language):
        lean, reference = both(lambda: form_class(initial={"assessment_date": "2026-01-02"}))
    assert lean == reference
    # and the lean items really are on the page: every radio of every item, labelled
    form = form_class()
    for name, field in form.fields.items():
        if name.startswith("na__"):
            assert f'<select name="{name}" class="select form-select" id="id_{name}">' in lean
        elif hasattr(field, "choices") and name != "assessment_date":
            for index in range(len(field.widget.choices)):
                assert f'<label for="id_{name}_{index}" class="form-check-label">' in lean


@pytest.mark.parametrize("form_class", FORMS)
def test_stored_answers_and_not_answered_marks_are_checked_and_selected(form_class) -> None:
    chosen = answers(form_class, 1)
    first = next(iter(chosen))
    initial = {**chosen, "assessment_date": "2026-01-02", f"na__{first}": "declined"}
    lean, reference = both(lambda: form_class(initial=initial))
    assert lean == reference
    assert lean.count(" checked>") == len(chosen)
    assert '<option value="declined" selected>' in lean


@pytest.mark.parametrize("form_class", FORMS)
def test_a_read_only_form_disables_every_radio_and_select(form_class) -> None:
    def make():
        form = form_class(initial=answers(form_class, 0))
        for field in form.fields.values():
            field.disabled = True
        return form

    lean, reference = both(make)
    assert lean == reference
    radios = lean.count('type="radio"')
    assert radios
    assert lean.count(" disabled") >= radios


@pytest.mark.requirement("UXD-001")
@pytest.mark.parametrize("form_class", FORMS)
def test_a_refused_save_shows_crispys_error_markup(form_class) -> None:
    chosen = answers(form_class, 2)
    names = list(chosen)
    data = {**{k: str(v) for k, v in chosen.items()}, "assessment_date": "2026-01-02"}
    data[names[0]] = "not-an-answer"  # an invalid choice: that item gets an error
    del data[names[1]]
    data[f"na__{names[2]}"] = "declined"  # answered and marked: the mark gets an error

    def make():
        form = form_class(data=data, completing=True)
        form.is_valid()
        return form

    lean, reference = both(make)
    assert lean == reference
    assert "is-invalid" in lean
    assert f'id="id_{names[0]}_error"' in lean
    assert f'aria-describedby="id_{names[0]}_error"' in lean
    assert f'id="id_{names[1]}_error"' in lean  # required when completing
    assert 'class="select form-select is-invalid"' in lean


def test_a_label_or_answer_with_markup_is_escaped() -> None:
    form = Sf36Form()
    field = form.fields["sf36_1"]
    field.label = '<b>"health"</b>'
    field.widget.choices = [(1, "<i>Excellent</i> & more"), *field.widget.choices[1:]]
    html = LeanField("sf36_1").render(form, None)
    assert "&lt;b&gt;&quot;health&quot;&lt;/b&gt;" in html
    assert "&lt;i&gt;Excellent&lt;/i&gt; &amp; more" in html
    assert "<b>" not in html
    assert "<i>" not in html
