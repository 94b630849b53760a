"""ePRO: participants complete their own patient-reported forms (docs/epro.md)."""
