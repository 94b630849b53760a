"""Load the demo sites and demo users (embedded demo only) and print their logins."""

import secrets
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from trial.context import default_protocol_code
from trial.demo import demo_allocation_list, demo_trial_load
from trial.discovery import contributions
from trial.models import Membership, Role, Site
from trial.protocol import protocols

# code, name, Chinese name, time zone (the site's calendar and displayed times)
DEMO_SITES = (
    ("S01", "General Hospital of Eastern Theater Command", "东部战区总医院", "Asia/Shanghai"),
    ("S02", "Demo Second Site", "演示第二中心", "Asia/Shanghai"),
)
# username, first name, last name, role, site code (None: trial-wide), Django staff
DEMO_USERS = (
    ("nurse", "Lin", "Wang", Role.RESEARCH_NURSE, "S01", False),
    ("investigator", "Jun", "Zhang", Role.INVESTIGATOR, "S01", False),
    ("datamanager", "Mei", "Li", Role.DATA_MANAGER, None, False),
    ("statistician", "Hao", "Chen", Role.STATISTICIAN, None, False),
    ("assessor", "Yan", "Zhao", Role.OUTCOME_ASSESSOR, "S01", False),
    ("admin", "Admin", "Demo", Role.ADMINISTRATOR, None, True),
    ("dmc", "Wei", "Sun", Role.DMC_MEMBER, None, False),
)


def demo_password() -> str:
    """Return the demo password, made once per checkout and kept under var/ (not in git)."""
    path = Path(settings.VAR_DIR) / "demo-password"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"demo-{secrets.token_urlsafe(9)}\n")
    return path.read_text().strip()


class Command(BaseCommand):
    help = "Create the demo sites and demo users (refused outside the embedded demo)."
    # `make run` checks the project with `migrate` just before and `runserver` just after;
    # checking here too imported every view (pandas, matplotlib, statsmodels: ≈ 8 s).
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--skip-outside-demo",
            action="store_true",
            help="Exit quietly instead of failing when this is not the embedded demo.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.EDC_DEMO and options["skip_outside_demo"]:
            self.stdout.write("Not the embedded demo (EDC_DEMO off): no demo users loaded.")
            return
        if not settings.EDC_DEMO:
            raise CommandError(
                "Demo users exist only in the demo: set EDC_DEMO=1 on a non-production database."
            )
        started = time.monotonic()
        password = demo_password()
        hashed = make_password(password)  # one slow hash for the six users, not six
        with transaction.atomic():
            sites = {
                code: Site.objects.update_or_create(
                    code=code, defaults={"name": name, "name_zh": name_zh, "time_zone": zone}
                )[0]
                for code, name, name_zh, zone in DEMO_SITES
            }
            for username, first, last, role, site_code, staff in DEMO_USERS:
                user, _ = get_user_model().objects.update_or_create(
                    username=username,
                    defaults={
                        "first_name": first,
                        "last_name": last,
                        "is_active": True,
                        "is_staff": staff,
                        "is_superuser": staff,
                        "password": hashed,
                    },
                )
                # the same role in every trial, so that the trial switcher shows
                for protocol in protocols():
                    Membership.objects.get_or_create(
                        user=user,
                        protocol_code=protocol.code,
                        role=role,
                        site=sites[site_code] if site_code else None,
                    )
        nurse = get_user_model().objects.get(username="nurse")
        statistician = get_user_model().objects.get(username="statistician")
        demo_allocation_list(actor=statistician)
        for site in sites.values():
            demo_trial_load(actor=nurse, site=site)
        # every other trial's demo, as its app contributes it (DEMO_LOADERS)
        for code, load in contributions("demo_loaders").items():
            if code != default_protocol_code():
                load(actor=nurse, statistician=statistician, sites=tuple(sites.values()))
        # the paper-like trial for the report demo, at its own site (report with site RPT)
        call_command("demo_report_data", site="RPT", user="nurse", verbosity=0)
        seconds = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(f"Demo ready ({seconds:.1f} s). Log in as:"))
        for username, _first, _last, role, site_code, _staff in DEMO_USERS:
            where = site_code or "all sites"
            self.stdout.write(f"  {username:<13} {Role(role).label} ({where})")
        self.stdout.write(f"  password for every demo user: {password}")
