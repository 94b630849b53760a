"""Simplified Chinese formats: the EDC's ISO 8601 dates and 24-hour times (as in English,
config/formats/en/formats.py), Chinese month names in the month-and-day formats."""

from config.formats.en.formats import *  # noqa: F403  (one place for the shared formats)

MONTH_DAY_FORMAT = "n月j日"
YEAR_MONTH_FORMAT = "Y年n月"
