"""The protocol as data: arms, visits, windows, forms and eligibility (found by trial.discovery)."""

from .registry import get_protocol, protocols
from .schema import (
    Anchor,
    Arm,
    Choice,
    Criterion,
    CriterionKind,
    Epro,
    FormDef,
    IdentityCheck,
    PatientForm,
    Protocol,
    StratificationFactor,
    Text,
    Timing,
    VisitDef,
)

__all__ = [
    "Anchor",
    "Arm",
    "Choice",
    "Criterion",
    "CriterionKind",
    "Epro",
    "FormDef",
    "IdentityCheck",
    "PatientForm",
    "Protocol",
    "StratificationFactor",
    "Text",
    "Timing",
    "VisitDef",
    "get_protocol",
    "protocols",
]
