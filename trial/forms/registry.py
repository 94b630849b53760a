"""Which Django form edits which form model.

Hand-written entry forms are contributed under their model's label (``FormDef.model``) in
an app's ``contributions`` module and found by ``trial.discovery``; any other form model
gets a generated form: an instrument's model (``trial.models.instruments``) the
instrument's form, laid out by its sections (``trial.forms.instruments``), any other model
a form with every answer field.
"""

from django.apps import apps

from trial.discovery import contributions

from .crfs import CrfForm, crf_form_class
from .instruments import instrument_form_class

_GENERATED: dict[str, type[CrfForm]] = {}


def form_class_for(model_label: str) -> type[CrfForm]:
    """Return the contributed form of a model, or a plain one with every answer field."""
    key = model_label.lower()
    contributed: type[CrfForm] | None = contributions("entry_forms").get(key)
    if contributed is not None:
        return contributed
    if key not in _GENERATED:
        model = apps.get_model(model_label)
        instrument = getattr(model, "instrument_name", None)
        _GENERATED[key] = instrument_form_class(instrument) if instrument else crf_form_class(model)
    return _GENERATED[key]
