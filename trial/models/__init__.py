from .audit import AuditEvent
from .sites import Membership, Role, Site

__all__ = ["AuditEvent", "Membership", "Role", "Site"]
