"""A small trial for the import tests: two sites, an allocated participant, four users."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from tests.factories import SiteFactory, allocated_participant, user_with_role
from trial.models import Participant, Role


@dataclass
class World:
    nurse: Any
    nurse_b: Any
    assessor: Any
    dm: Any
    person: Participant  # allocated at S01, admission 5 days ago
    site_a: Any
    site_b: Any


def make_world() -> World:
    site_a, site_b = SiteFactory(code="S01"), SiteFactory(code="S02")
    nurse = user_with_role(Role.RESEARCH_NURSE, site=site_a, username="nurse")
    person = allocated_participant(nurse, site_a, arm="S")
    return World(
        nurse,
        user_with_role(Role.RESEARCH_NURSE, site=site_b, username="nurse_b"),
        user_with_role(Role.OUTCOME_ASSESSOR, site=site_a, username="assessor"),
        user_with_role(Role.DATA_MANAGER, site=None, username="dm"),
        person,
        site_a,
        site_b,
    )


def day(offset: int) -> str:
    return (timezone.localdate() - datetime.timedelta(days=offset)).isoformat()


def new_record(record="S01-0101", **vas) -> list[dict[str, str]]:
    """A new participant at S01 screened and admitted 2 days ago, with the admission VAS."""
    return [
        {"record_id": record, "redcap_event_name": "admission_arm_1", "site": "S01",
         "screening_date": day(2), "admission_date": day(2), "vas_assessment_date": day(2),
         "vas_leg": "6.5", "vas_back": "3.0", "vas_complete": "2", **vas}
    ]  # fmt: skip
