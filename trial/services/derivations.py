"""Values a form computes from its answers (BMI, length of stay), by form model.

Pure functions of the answers and the participant; the CRF service calls them on save and
stores the result in the same row, so the derived value is audited like any other. Each
is contributed under its form model's label in an app's ``contributions`` module
(``DERIVATIONS``) and found by ``trial.discovery``.
"""

from collections.abc import Callable
from typing import Any

from trial.discovery import contributions

Derivation = Callable[[dict[str, Any], Any], dict[str, Any]]


def derive(model_label: str, answers: dict[str, Any], participant: Any) -> dict[str, Any]:
    """Return the derived values for a save of ``model_label`` (empty when none)."""
    func: Derivation | None = contributions("derivations").get(model_label.lower())
    return func(answers, participant) if func else {}
