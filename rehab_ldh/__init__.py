"""The second trial: early supervised rehabilitation versus usual care after PELD (rehab_ldh).

An app of its own: its protocol (``protocol.py``), its forms' data models (``models.py``),
its analysis plan (``plan.py``, pure), its edit checks and demo data, all contributed in
``contributions.py`` and found by ``trial.discovery``. No view or service names it.
"""
