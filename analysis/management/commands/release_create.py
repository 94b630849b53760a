"""Build a dataset release from a declared data cut, in this process, and print its paths."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from analysis.models import DatasetRelease
from analysis.releases.services import ReleaseError, dataset_release_build, dataset_release_declare
from trial.context import protocol_for_command


class Command(BaseCommand):
    help = "Declare a data cut and build its dataset release now; print the folder and archive."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cut", required=True, help="Reason for the data cut (required).")
        parser.add_argument("--population", default="itt", choices=["itt", "pp"])
        parser.add_argument("--user", default="", help="Username recorded as the creator.")
        parser.add_argument(
            "--protocol", default=None, help="Protocol code of the trial (default: EDC_PROTOCOL)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        actor: Any = f"{getpass.getuser()} (manage.py release_create)"
        if options["user"]:
            try:
                actor = get_user_model().objects.get_by_natural_key(options["user"])
            except get_user_model().DoesNotExist as exc:
                raise CommandError(f"No user {options['user']!r}.") from exc
        try:
            protocol = protocol_for_command(options["protocol"])
        except LookupError as exc:
            raise CommandError(str(exc)) from exc
        try:
            release = dataset_release_declare(
                actor=actor,
                protocol_code=protocol.code,
                reason=options["cut"],
                population=options["population"],
                enqueue=False,
            )
        except ReleaseError as exc:
            raise CommandError(str(exc)) from exc
        release = dataset_release_build(release_id=release.pk)
        if release.status != DatasetRelease.Status.READY:
            raise CommandError(f"Release v{release.version} failed: {release.error}")
        root = Path(settings.MEDIA_ROOT)
        self.stdout.write(str(root / release.folder))
        self.stdout.write(str(root / release.archive))
