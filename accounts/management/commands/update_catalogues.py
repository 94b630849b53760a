"""Regenerate the project's message catalogues with the project's own ignore list.

Wraps ``makemessages`` (needs GNU gettext) so that ``make messages`` and the catalogue test
extract exactly the same strings. ``scoring`` carries both languages in its definitions
and ``analysis.stats`` has no user-facing text, so both stay out.
"""

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand

IGNORE = [".venv", "var", "tests", "bench", "docs", "scoring", "analysis/stats", "static/vendor"]
LOCALES = ["zh_Hans", "en"]


class Command(BaseCommand):
    help = "Update locale/*/LC_MESSAGES/django.po from the source (needs GNU gettext)."

    def handle(self, *args: Any, **options: Any) -> None:
        call_command(
            "makemessages",
            locale=LOCALES,
            ignore_patterns=IGNORE,
            no_obsolete=True,
            verbosity=options["verbosity"],
        )
