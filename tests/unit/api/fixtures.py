"""A small two-site trial with tokens, shared by the API tests."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import Any

from django.test import Client

from api.services import api_token_create
from tests.factories import SiteFactory, user_with_role
from tests.unit.analysis.test_report_datasets import complete_participant
from trial.models import Participant, Role
from trial.services.crfs import crf_save

PROTOCOL = "snrb_peld"


@dataclass
class ApiTrial:
    people: list[Participant]
    site_a: Any
    site_b: Any
    tokens: dict[str, str]  # username -> raw token
    users: dict[str, Any]


def make_trial() -> ApiTrial:
    """Two sites (S01: S, P; S02: P), an SNRB-related adverse event, four tokens."""
    actor = user_with_role(Role.INVESTIGATOR, site=None, username="inv")
    site_a, site_b = SiteFactory(code="S01"), SiteFactory(code="S02")
    rng = random.Random(11)
    people = [complete_participant(actor, site_a, arm, rng) for arm in "SP"]
    people.append(complete_participant(actor, site_b, "P", rng))
    crf_save(actor=actor, participant=people[0], form_code="adverse_event", complete=True,
             answers={"term": "Dizziness after the block", "serious": False,
                      "relation": "snrb", "outcome": "recovered",
                      "onset_date": people[0].surgery_date, "clavien_dindo": "I",
                      "action_taken": "none"})  # fmt: skip
    users = {
        "stat": user_with_role(Role.STATISTICIAN, site=None, username="stat"),
        "assessor": user_with_role(Role.OUTCOME_ASSESSOR, site=site_a, username="assessor"),
        "nurse_b": user_with_role(Role.RESEARCH_NURSE, site=site_b, username="nurse_b"),
        "dm": user_with_role(Role.DATA_MANAGER, site=None, username="dm"),
    }
    tokens = {
        name: api_token_create(actor=user, user=user, protocol_code=PROTOCOL)[1]
        for name, user in users.items()
    }
    return ApiTrial(people, site_a, site_b, tokens, users)


def post(client: Client, token: str, **params: Any) -> tuple[int, str]:
    """POST to /api/ and return the status and the whole body as text."""
    response = client.post("/api/", {"token": token, **params})
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response.status_code, body.decode()


def post_json(client: Client, token: str, **params: Any) -> Any:
    status, body = post(client, token, format="json", **params)
    assert status == 200, body
    return json.loads(body)
