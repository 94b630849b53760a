"""The protocol as data: arms, visits, windows, forms and eligibility (found by trial.discovery)."""

from .registry import get_protocol, protocols
from .schema import (
    AnchorDef,
    AnchorEvent,
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
    VariableSpec,
    VisitDef,
)

__all__ = [
    "AnchorDef",
    "AnchorEvent",
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
    "VariableSpec",
    "VisitDef",
    "get_protocol",
    "protocols",
]
