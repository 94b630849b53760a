"""Computerized-system validation: the requirement catalogue, the test results of a run and
the traceability report (requirement -> tests -> result) that is the evidence of a version.

Nothing here imports the trial or analysis apps: the pytest plugin loads before Django.
"""
