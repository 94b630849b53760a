from .anchors import AnchorDate
from .audit import ACCOUNT_ACTIONS, RECORDED_ON_FORM, AuditEvent, SystemReason
from .clinical import AdverseEventData, BaselineData, DischargeData, MedicationData, OutcomeData
from .consent import Consent
from .crfs import CrfData, FormInstance, NotAnswered
from .dashboard import DashboardChange, DashboardPartition, DashboardSummary
from .eligibility import EligibilityAssessment
from .historical import HistoricalAllocationLoad
from .instruments import INSTRUMENT_MODELS, JoaData, OdiData, PainVasData, Sf36Data
from .participants import Participant, PersonalData
from .procedures import PeldData, SnrbData
from .queries import DatabaseLock, Query
from .randomization import (
    Allocation,
    AllocationList,
    AllocationSlot,
    AllocationStratum,
    UnblindingRequest,
)
from .sites import Membership, Role, Site, site_time_zone, site_today
from .visits import Visit

__all__ = [
    "AdverseEventData",
    "AnchorDate",
    "Allocation",
    "AllocationList",
    "AllocationSlot",
    "AllocationStratum",
    "ACCOUNT_ACTIONS",
    "AuditEvent",
    "SystemReason",
    "RECORDED_ON_FORM",
    "BaselineData",
    "Consent",
    "DatabaseLock",
    "CrfData",
    "DashboardChange",
    "DashboardPartition",
    "DashboardSummary",
    "DischargeData",
    "EligibilityAssessment",
    "FormInstance",
    "HistoricalAllocationLoad",
    "INSTRUMENT_MODELS",
    "JoaData",
    "MedicationData",
    "Membership",
    "NotAnswered",
    "OdiData",
    "OutcomeData",
    "PainVasData",
    "Participant",
    "PeldData",
    "PersonalData",
    "Query",
    "Role",
    "Sf36Data",
    "Site",
    "UnblindingRequest",
    "SnrbData",
    "Visit",
    "site_time_zone",
    "site_today",
]
