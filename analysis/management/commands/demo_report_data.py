"""Create the paper-like demo trial (77 participants, 38 S / 39 P) for the report demo."""

import time
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from analysis.demo import demo_report_trial_load, store_solution
from analysis.demo_targets import SEED
from trial.models import Site


class Command(BaseCommand):
    help = "Create synthetic trial data resembling the paper's published summaries."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--site", default="RPT", help="Site code (created if missing)")
        parser.add_argument("--user", default="", help="Acting username (default: first superuser)")
        parser.add_argument("--seed", type=int, default=SEED, help="Generator seed (stored)")
        parser.add_argument(
            "--store-solution",
            action="store_true",
            help="Solve the demo's constructed values afresh, write analysis/demo_solution.json "
            "(read by every later load) and exit.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["store_solution"]:
            start = time.monotonic()
            path = store_solution()
            seconds = time.monotonic() - start
            self.stdout.write(f"Wrote {path.name} in {seconds:.1f} s.")
            return
        users = get_user_model().objects
        actor = (
            users.filter(username=options["user"]).first()
            if options["user"]
            else users.filter(is_superuser=True).order_by("pk").first()
        )
        if actor is None:
            raise CommandError("No acting user: pass --user or create a superuser first.")
        site, _ = Site.objects.get_or_create(
            code=options["site"], defaults={"name": "Report demo hospital"}
        )
        if site.participants.exists():
            self.stdout.write(f"Site {site.code} already has participants; nothing to do.")
            return
        start = time.monotonic()
        created = demo_report_trial_load(actor=actor, site=site, seed=options["seed"])
        seconds = time.monotonic() - start
        self.stdout.write(f"Created {len(created)} randomized participants in {seconds:.1f} s.")
