"""``manage.py api_token USERNAME``: print a new API token for that user (revoking theirs)."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from api.services import ApiError, api_token_create
from trial.context import protocol_for_command


class Command(BaseCommand):
    help = "Create an API token for USERNAME (revoking the previous one) and print it."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--protocol",
            "--project",
            dest="protocol",
            default=None,
            help="Protocol code of the trial (default: EDC_PROTOCOL).",
        )
        parser.add_argument(
            "--release", type=int, default=None, help="Bind the token to this locked release."
        )

    def handle(self, *args, **options):
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user {options['username']!r}.")
        try:
            protocol = protocol_for_command(options["protocol"])
        except LookupError as exc:
            raise CommandError(str(exc)) from exc
        try:
            _token, raw = api_token_create(
                actor="manage.py api_token",
                user=user,
                protocol_code=protocol.code,
                release_version=options["release"],
            )
        except ApiError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(raw)
