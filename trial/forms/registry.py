"""Which Django form edits which form model. Forms register themselves here."""

from collections.abc import Callable

from django.apps import apps

from .crfs import CrfForm, crf_form_class

_FORMS: dict[str, type[CrfForm]] = {}


def register_form(model_label: str) -> Callable[[type[CrfForm]], type[CrfForm]]:
    """Class decorator: make ``cls`` the entry form of the model ``app_label.ModelName``."""

    def decorate(cls: type[CrfForm]) -> type[CrfForm]:
        key = model_label.lower()
        if key in _FORMS:
            raise ValueError(f"a form is already registered for {model_label}")
        _FORMS[key] = cls
        return cls

    return decorate


def form_class_for(model_label: str) -> type[CrfForm]:
    """Return the registered form of a model, or a plain one with every answer field."""
    from . import clinical, instruments, procedures  # noqa: F401  (they register)

    key = model_label.lower()
    if key not in _FORMS:
        _FORMS[key] = crf_form_class(apps.get_model(model_label))
    return _FORMS[key]
