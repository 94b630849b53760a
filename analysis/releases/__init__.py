"""Locked dataset releases: immutable, versioned, checksummed snapshots of the datasets.

``frames`` prepares the variables and both variants (unblinded, blinded), ``writers`` and
``odm`` write the files, ``manifest`` checksums them, ``diff`` compares two releases,
``builder`` assembles a release folder and ``services`` records it in the database.
"""
