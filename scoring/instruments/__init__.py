"""One module per instrument: definition, scorer, missing-data rule and version."""
