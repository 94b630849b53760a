"""Values a form computes from its answers (BMI, length of stay), by form model.

Pure functions of the answers and the participant; the CRF service calls them on save and
stores the result in the same row, so the derived value is audited like any other.
"""

from collections.abc import Callable
from typing import Any

Derivation = Callable[[dict[str, Any], Any], dict[str, Any]]
_DERIVATIONS: dict[str, Derivation] = {}


def register_derivation(model_label: str) -> Callable[[Derivation], Derivation]:
    def decorate(func: Derivation) -> Derivation:
        key = model_label.lower()
        if key in _DERIVATIONS:
            raise ValueError(f"a derivation is already registered for {model_label}")
        _DERIVATIONS[key] = func
        return func

    return decorate


def derive(model_label: str, answers: dict[str, Any], participant: Any) -> dict[str, Any]:
    """Return the derived values for a save of ``model_label`` (empty when none)."""
    from . import clinical_derivations  # noqa: F401  (registers the clinical derivations)

    func = _DERIVATIONS.get(model_label.lower())
    return func(answers, participant) if func else {}
