"""Pure edit checks per form: functions over a dict of answers returning ``Finding``s.

They import nothing from Django but lazy translation, so the data-entry form and the
nightly re-check job run exactly the same rules.
"""

from .base import Finding, Severity

__all__ = ["Finding", "Severity"]
