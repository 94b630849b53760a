"""Make a bench database ready for HTTP load and print what the load driver needs (JSON).

Usage (``bench/run.py`` calls it with the bench database's ``DATABASE_URL``)::

    .venv/bin/python bench/prepare.py --users 20 --forms 5

It creates (idempotently) the users ``bench-nurse-01`` … (research nurse at the site of
its participants) and ``bench-investigator`` (trial-wide), all with the password
``BENCH_PASSWORD``, clears their login failures, and gives each nurse ``--forms``
randomized participants of its own (fewer in a small trial, never shared) whose admission
SF-36 it will save. A form instance without its data row gets an empty one, as the service
creates one with every instance, and a participant the pages show gets the personal-data
row registration always writes, if the generator left either out. Two complete answer sets
that differ in every item with more than one option are printed with the URLs.
"""

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db.models import Count  # noqa: E402

import scoring  # noqa: E402
from trial.context import default_protocol_code  # noqa: E402
from trial.demo import assessment_day  # noqa: E402
from trial.models import (  # noqa: E402
    FormInstance,
    Membership,
    Participant,
    PersonalData,
    Role,
    Sf36Data,
    Site,
)

BENCH_PASSWORD = "bench-password-not-secret-42"  # noqa: S105  (bench databases only)
FORM = "sf36"
VISIT = "admission"


def bench_user(username: str, role: str, site: Site | None) -> str:
    user, _created = get_user_model().objects.get_or_create(username=username)
    user.set_password(BENCH_PASSWORD)
    user.is_active = True
    user.save()
    Membership.objects.get_or_create(
        user=user, protocol_code=default_protocol_code(), site=site, role=role
    )
    return username


def clear_lockouts() -> None:
    from axes.models import AccessAttempt, AccessFailureLog

    AccessAttempt.objects.filter(username__startswith="bench-").delete()
    AccessFailureLog.objects.filter(username__startswith="bench-").delete()


def answer_sets() -> list[dict[str, int | str]]:
    """Two complete SF-36 answer sets: first and last option of every item."""
    items = scoring.INSTRUMENTS[FORM].items
    return [
        {item.id: item.allowed_values[0] for item in items},
        {item.id: item.allowed_values[-1] for item in items},
    ]


def form_targets(count: int) -> dict[int, list[tuple[int, str]]]:
    """Per site, up to ``count`` randomized participants whose admission SF-36 can be saved."""
    by_site: dict[int, list[tuple[int, str]]] = {}
    candidates = (
        Participant.objects.filter(status="randomized", locked_at=None, visits__code=VISIT)
        .order_by("site_id", "pk")
        .values_list("site_id", "pk", "trial_id")
    )
    for site_id, pk, trial_id in candidates.iterator():
        chosen = by_site.setdefault(site_id, [])
        if len(chosen) >= count:
            continue
        instance = FormInstance.objects.filter(
            participant_id=pk, visit__code=VISIT, form_code=FORM
        ).first()
        if instance is not None:
            if instance.is_voided or instance.locked_at:
                continue
            Sf36Data.objects.get_or_create(instance=instance)
        PersonalData.objects.get_or_create(participant_id=pk, defaults={"full_name": "Bench"})
        chosen.append((pk, trial_id))
    return by_site


def assign(users: int, forms: int, by_site: dict[int, list[tuple[int, str]]]) -> list[tuple]:
    """Give each nurse its own participants: (site id, form URLs), fewest-taken site first.

    When the trial is too small for ``users`` × ``forms`` distinct participants, each nurse
    gets fewer (at least one) so that every nurse takes part and none shares a form.
    """
    total = sum(len(v) for v in by_site.values())
    if total < users:
        sys.exit(f"{users} nurses need at least {users} randomized participants; {total} found")
    per_user = max(1, min(forms, total // users))
    left = {site: list(rows) for site, rows in by_site.items()}
    out = []
    for _ in range(users):
        site = max(left, key=lambda s: (len(left[s]), -s))
        take = [left[site].pop(0) for _ in range(min(per_user, len(left[site])))]
        out.append((site, [f"/participants/{t}/visits/{VISIT}/{FORM}/" for _pk, t in take]))
    return out


def form_date(url: str) -> str:
    """The assessment date a save of this form URL gives: its visit's day, inside the window."""
    trial_id = url.split("/participants/", 1)[1].split("/", 1)[0]
    return assessment_day(Participant.objects.get(trial_id=trial_id), VISIT).isoformat()


def busiest_participant() -> str:
    """The randomized participant with the most form instances (the heaviest page)."""
    row = (
        Participant.objects.filter(status="randomized")
        .annotate(forms=Count("form_instances"))
        .order_by("-forms", "pk")
        .values_list("trial_id", flat=True)
        .first()
    )
    if row is None:
        sys.exit("no randomized participant: generate data first (bench/synthetic.py)")
    pk = Participant.objects.get(trial_id=row).pk
    PersonalData.objects.get_or_create(participant_id=pk, defaults={"full_name": "Bench"})
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--forms", type=int, default=5, help="forms each nurse saves in turn")
    args = parser.parse_args()
    sites = {site.pk: site for site in Site.objects.all()}
    nurses = []
    plan = assign(args.users, args.forms, form_targets(args.forms * args.users))
    for number, (site_id, urls) in enumerate(plan, start=1):
        name = bench_user(f"bench-nurse-{number:02d}", Role.RESEARCH_NURSE, sites[site_id])
        fields = {url: {"assessment_date": form_date(url)} for url in urls}
        nurses.append(
            {"username": name, "password": BENCH_PASSWORD, "form_urls": urls, "form_fields": fields}
        )
    investigator = bench_user("bench-investigator", Role.INVESTIGATOR, None)
    clear_lockouts()
    participant = busiest_participant()
    print(  # noqa: T201
        json.dumps(
            {
                "participants": Participant.objects.count(),
                "nurses": nurses,
                "investigator": {"username": investigator, "password": BENCH_PASSWORD},
                "answer_sets": answer_sets(),
                "pages": {
                    "trivial": "/account/",
                    "dashboard": "/dashboard/",
                    "participant": f"/participants/{participant}/",
                    "form": nurses[0]["form_urls"][0] if nurses[0]["form_urls"] else "",
                },
            }
        )  # fmt: skip
    )


if __name__ == "__main__":
    main()
