"""A role in one trial reaches nothing of another trial, and does not learn it exists.

Two trials' worlds live in one database (``tests/security/world.py``, one per trial): the
users of trial A (every role, at a site and trial-wide, and anonymous) ask every URL
pattern that points at an object — a participant, a form, a log entry, a query, an
unblinding request, an allocation list, a report, a release, an API token — once with
trial B's object and once with an object that does not exist. The two answers must have
the same status (B's object is as absent as a missing one: a 403 where the user lacks the
right in A anyway, never a 403 that a missing object would not give), never a 200, and a
404 wherever the user would reach the same kind of object in A. A POST with B's object
changes nothing (no audit row, no state).
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import pytest

from api.models import ApiToken
from api.services import api_token_create
from tests.security.test_authorization_matrix import (
    ALLOWED,
    LOGIN,
    RULES,
    _post_expectation,
    _url,
    _whos,
    fingerprint,
    pattern_names,
    post_data,
)
from tests.security.world import SiteObjects, World, build_world
from trial.models import FormInstance, Participant, Query
from trial.protocol import protocols

# two worlds and every URL twice: a long sweep, run on PostgreSQL (CI's services mode)
pytestmark = [pytest.mark.django_db, pytest.mark.services("postgres")]
FAKE = 10**9
FAKE_ID = "ZZ-99999"
PROTOCOLS = [p.code for p in protocols()]
# The user's own objects only, whatever the trial: a token not the user's (another trial's
# or a missing one) is refused with a message on the account page (302), not revoked.
OWN_ONLY = {"api:token-revoke"}


def _missing(world: World) -> World:
    """The world with every object replaced by one that does not exist."""

    def gone(objects: SiteObjects) -> SiteObjects:
        return dataclasses.replace(
            objects,
            participant=Participant(trial_id=FAKE_ID),
            form=FormInstance(pk=FAKE),
            log=FormInstance(pk=FAKE, seq=FAKE),
            query=Query(pk=FAKE),
            unblinding_pk=FAKE,
        )

    return dataclasses.replace(
        world,
        own=gone(world.own),
        other=gone(world.other),
        allocation_list_pk=FAKE,
        report_pk=FAKE,
        blinded_report_pk=FAKE,
        release_pk=FAKE,
    )


def _token_url(pk: int) -> str:
    from django.urls import reverse

    return reverse("api:token-revoke", args=[pk])


def _object_urls(theirs: World, missing: World) -> list[tuple[str, dict, str, str]]:
    """(pattern, fixed kwargs, URL of B's object, URL of a missing object) of every pattern
    whose URL names an object."""
    params = dict(pattern_names())
    found = []
    for name, rule in RULES.items():
        if name == "api:token-revoke":
            continue  # below: the pk is a token's
        for fixed in rule.kwargs:
            for target in ("own", "other") if rule.site_bound else ("own",):
                url = _url(name, params[name], theirs, target, fixed)
                fake = _url(name, params[name], missing, target, fixed)
                if url != fake:
                    found.append((name, fixed, url, fake))
    return found


def _answer(client: Any, method: str, url: str, data: dict) -> int:
    return (client.post(url, data) if method == "POST" else client.get(url)).status_code


@pytest.mark.requirement("ACC-011")
@pytest.mark.parametrize("code", PROTOCOLS)
def test_a_role_in_one_trial_reaches_nothing_of_another(client, settings, tmp_path, code):
    if len(PROTOCOLS) < 2:
        pytest.fail("the instance should run two trials (issue 17)")
    settings.MEDIA_ROOT = tmp_path
    settings.EPRO_FAILURE_LIMIT = 10**6
    other = next(c for c in PROTOCOLS if c != code)
    mine = build_world(protocol_code=code)
    theirs = build_world(protocol_code=other)
    holder = theirs.users["statistician@trial"]
    token = api_token_create(actor=holder, user=holder, protocol_code=other)[0]
    missing = _missing(theirs)
    urls = _object_urls(theirs, missing)
    urls.append(("api:token-revoke", {}, _token_url(token.pk), _token_url(FAKE)))
    data = post_data(theirs)
    failures, asked = [], 0
    logger = logging.getLogger("django.request")
    level, _ = logger.level, logger.setLevel(logging.ERROR)
    try:
        for who in _whos(mine):
            client.logout()
            if who.user is not None:
                client.force_login(who.user)
            for name, fixed, url, fake in urls:
                rule = RULES[name]
                post = _post_expectation(name, rule, who, mine.own.site, fixed)
                methods = ["GET"] + (["POST"] if post is not None else [])
                for method in methods:
                    before = fingerprint()
                    got = _answer(client, method, url, data)
                    expected = _answer(client, method, fake, data)
                    asked += 2
                    where = f"{who.key} ({code}) {method} {name} {url}"
                    if fingerprint() != before:
                        failures.append(f"{where}: changed data")
                    if got != expected:
                        failures.append(f"{where}: {got}, a missing object answers {expected}")
                    if got == 200:
                        failures.append(f"{where}: 200")
                    # where the user reaches this kind of object in its own trial: 404
                    own = (post if method == "POST" else rule.get)(who, mine.own.site)
                    reached = own in (200, ALLOWED) and name not in OWN_ONLY
                    if who.user is not None and reached and got not in (404, 405):
                        failures.append(f"{where}: {got}, expected 404")
                    if who.user is None and got not in (LOGIN, 404, 405):
                        failures.append(f"{where}: {got} for an anonymous user")
    finally:
        logger.setLevel(level)
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None
    assert not failures, "\n".join(failures[:60])
    assert asked > 1000, asked
