"""The lifecycle every background job shares: reports, dataset releases and imports.

A low layer: it imports Django and Celery only, never ``trial``, ``analysis`` or
``imports``, so each of them can build its job on it (``jobs.models.Job``) and the stale
sweep finds every kind of job through the app registry without importing its app.
"""
