from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    HARD = "hard"  # the save is refused
    SOFT = "soft"  # a warning; saving anyway needs a reason (and opens a query, later)


@dataclass(frozen=True, slots=True)
class Finding:
    """One edit-check result: which field, a stable code, a message for the user."""

    field: str | None
    code: str
    message: Any  # a lazy translation string
    severity: Severity = Severity.HARD
