"""A REDCap-compatible read API: the export calls of the REDCap token API at ``/api/``."""
