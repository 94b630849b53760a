"""ORM → tidy DataFrames for the report (the only ORM reader in ``analysis``)."""
