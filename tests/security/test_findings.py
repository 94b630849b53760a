"""The security audit's findings, each fixed and kept fixed (docs/security.md).

API CSV formula injection; numeric list filters that overflowed into a 500; e-signature
passwords outside the lockout; the lockout per username+address; the Content-Security-
Policy; ``Cache-Control: no-store`` on everything Django answers.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from random import Random

import pytest
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import translation

from analysis.models import ReportRun
from tests.factories import DEFAULT_PASSWORD, SiteFactory, allocated_participant, user_with_role
from tests.unit.api.fixtures import make_trial, post
from trial.demo import sample_answers
from trial.forms.queries import OLDER_THAN_MAX_DAYS
from trial.models import FormInstance, Query, Role, Visit
from trial.services.crfs import crf_save
from trial.services.queries import query_raise

pytestmark = pytest.mark.django_db
HYPERLINK = '=HYPERLINK("http://evil.example","x")'
TEMPLATES = Path(django_settings.BASE_DIR) / "templates"


def _vas(participant) -> dict:
    """Complete admission VAS answers, dated inside the visit window."""
    return sample_answers("vas", participant, visit_code="admission", rng=Random(1))


def t(language: str, message: str) -> str:
    with translation.override(language):
        return translation.gettext(message)


# (a) API CSV export
def test_api_csv_neutralises_formulas_and_json_keeps_the_text(client):
    trial = make_trial()
    nurse = trial.users["stat"]
    event = sample_answers("adverse_event", trial.people[1], visit_code=None, rng=Random(1))
    crf_save(actor=nurse, participant=trial.people[1], form_code="adverse_event", complete=True,
             answers={**event, "term": HYPERLINK, "description": "-1+1"})  # fmt: skip
    status, body = post(client, trial.tokens["stat"], content="record", format="csv")
    assert status == 200
    cells = [cell for row in csv.reader(io.StringIO(body)) for cell in row]
    assert "'" + HYPERLINK in cells
    assert "'-1+1" in cells
    assert HYPERLINK not in cells
    assert "-1+1" not in cells
    assert not any(c.startswith(("=", "+", "@")) for c in cells)
    # numbers stay numbers: the VAS scores and negative-looking numbers are not touched
    assert any(re.fullmatch(r"\d+(\.\d+)?", c) for c in cells)
    # JSON is not opened by a spreadsheet: the text comes back exactly as entered
    status, body = post(client, trial.tokens["stat"], content="record", format="json")
    assert HYPERLINK in {row.get("term") for row in json.loads(body)}


# (b) numeric filters of list pages
@pytest.fixture
def queries_world(db):
    site = SiteFactory(code="S01")
    nurse = user_with_role(Role.RESEARCH_NURSE, site=site, username="q-nurse")
    manager = user_with_role(Role.DATA_MANAGER, site=None, username="q-dm")
    participant = allocated_participant(nurse, site, arm="S")
    visit = Visit.objects.get(participant=participant, code="admission")
    form = crf_save(actor=nurse, participant=participant, form_code="vas", visit=visit,
                    complete=True, answers=_vas(participant))  # fmt: skip
    query_raise(actor=manager, form_instance=form, field="leg_vas", text="check")
    return manager


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("value", ["99999999999999999999", "-1", "abc", "²", "1e9", "36501"])
def test_bad_older_than_is_reported_in_the_users_language_and_ignored(
    client, queries_world, value, language
):
    client.force_login(queries_world)
    with translation.override(language):
        response = client.get(reverse("trial:query-list"), {"older_than": value},
                              headers={"accept-language": language})  # fmt: skip
    assert response.status_code == 200
    message = t(language, "Enter a whole number of days from 0 to %(max)s.") % {
        "max": OLDER_THAN_MAX_DAYS
    }
    assert message in response.content.decode()
    assert len(response.context["rows"]) == Query.objects.count() == 1  # filter ignored


def test_good_older_than_still_filters(client, queries_world):
    client.force_login(queries_world)
    url = reverse("trial:query-list")
    assert len(client.get(url, {"older_than": "0"}).context["rows"]) == 1
    response = client.get(url, {"older_than": str(OLDER_THAN_MAX_DAYS)})
    assert response.status_code == 200
    assert response.context["rows"] == []
    assert b'data-testid="filter-error"' not in response.content


@pytest.mark.parametrize(
    ("name", "params", "expected"),
    [
        ("trial:participant-list", {"page": "99999999999999999999"}, 404),
        ("trial:participant-list", {"page": "x"}, 404),
        ("trial:query-list", {"page": "99999999999999999999"}, 404),
        ("trial:audit", {"page": "99999999999999999999"}, 404),
        ("trial:dashboard", {"page": "99999999999999999999"}, 200),
        ("trial:dashboard", {"page": "-5"}, 200),
    ],
)
def test_other_numeric_list_parameters_never_fail(client, queries_world, name, params, expected):
    user_with_role(Role.INVESTIGATOR, site=None, username="q-inv")
    client.force_login(queries_world)
    if name == "trial:dashboard":
        client.force_login(user_with_role(Role.INVESTIGATOR, site=None, username="q-inv2"))
    assert client.get(reverse(name), params).status_code == expected


@pytest.mark.parametrize("value", ["99999999999999999999", "²"])
def test_api_release_numbers_never_fail(client, value):
    trial = make_trial()
    status, body = post(client, trial.tokens["stat"], content="record", format="json",
                        release=value)  # fmt: skip
    assert status in {400, 404}
    assert json.loads(body)["error"]
    # and the token page's release number
    client.force_login(trial.users["stat"])
    response = client.post(reverse("api:token-create"), {"release": value})
    assert response.status_code in {200, 302, 400}
    assert not trial.users["stat"].api_tokens.filter(release_version__isnull=False).exists()


# (c) e-signature passwords are counted by the lockout
@pytest.fixture
def signer(db):
    site = SiteFactory(code="S01")
    investigator = user_with_role(Role.INVESTIGATOR, site=site, username="signer")
    participant = allocated_participant(investigator, site, arm="S")
    visit = Visit.objects.get(participant=participant, code="admission")
    form = crf_save(actor=investigator, participant=participant, form_code="vas", visit=visit,
                    complete=True, answers=_vas(participant))  # fmt: skip
    return investigator, form


@pytest.mark.requirement("SIG-003")
def test_wrong_signature_passwords_lock_the_user_out_like_logins(client, signer, settings):
    investigator, form = signer
    client.force_login(investigator)
    url = reverse("trial:crf-sign", args=[form.pk])
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post(url, {"password": "wrong"})
        assert response.status_code == 302  # back to the form with the message
    # the limit-th wrong one locks out; then even the right one is refused
    assert client.post(url, {"password": "wrong"}).status_code == 429
    response = client.post(url, {"password": DEFAULT_PASSWORD})
    assert response.status_code == 429
    assert b'data-testid="locked-out"' in response.content
    form.refresh_from_db()
    assert form.signed_at is None
    # and the login is locked from this address too
    client.logout()
    login = client.post(reverse("accounts:login"),
                        {"username": "signer", "password": DEFAULT_PASSWORD})  # fmt: skip
    assert login.status_code == 429


@pytest.mark.requirement("SIG-003")
def test_casebook_signature_passwords_count_too(client, signer, settings):
    investigator, form = signer
    client.force_login(investigator)
    url = reverse("trial:casebook", args=[form.participant.trial_id, "sign"])
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(url, {"password": "wrong"})
    assert client.post(url, {"password": DEFAULT_PASSWORD}).status_code == 429
    assert not FormInstance.objects.filter(signed_at__isnull=False).exists()


def test_a_right_signature_password_still_signs(client, signer):
    investigator, form = signer
    client.force_login(investigator)
    client.post(reverse("trial:crf-sign", args=[form.pk]), {"password": "wrong"})
    response = client.post(reverse("trial:crf-sign", args=[form.pk]),
                           {"password": DEFAULT_PASSWORD})  # fmt: skip
    assert response.status_code == 302
    form.refresh_from_db()
    assert form.signed_by == investigator


# (f) lockout per username AND address
def _login(client, password: str, address: str, **headers: str):
    return client.post(reverse("accounts:login"), {"username": "admin", "password": password},
                       REMOTE_ADDR=address, **headers)  # fmt: skip


def test_failures_from_one_address_do_not_lock_the_user_out_elsewhere(client, settings):
    user_with_role(Role.ADMINISTRATOR, site=None, username="admin")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "wrong", "203.0.113.9")
    assert _login(client, DEFAULT_PASSWORD, "203.0.113.9").status_code == 429
    # the real admin, at another address, still logs in
    client.logout()
    assert _login(client, DEFAULT_PASSWORD, "198.51.100.7").status_code == 302


def test_behind_a_proxy_the_forwarded_address_counts_and_cannot_be_spoofed(client, settings):
    settings.EDC_PROXY_HOPS = 1
    user_with_role(Role.ADMINISTRATOR, site=None, username="admin")
    proxy = "10.0.0.2"
    for n in range(settings.AXES_FAILURE_LIMIT):  # the attacker invents a new address each time
        _login(client, "wrong", proxy, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, 203.0.113.9")
    locked = _login(client, DEFAULT_PASSWORD, proxy, HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert locked.status_code == 429
    client.logout()
    other = _login(client, DEFAULT_PASSWORD, proxy, HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert other.status_code == 302


# (d) Content-Security-Policy
def test_every_page_carries_a_strict_csp_with_the_nonce_of_its_inline_scripts(client):
    client.force_login(user_with_role(Role.INVESTIGATOR, site=None, username="csp"))
    response = client.get(reverse("home"))
    policy = response["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
    assert directives["default-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "'unsafe-inline'" not in policy
    assert "'unsafe-eval'" not in policy
    nonce = re.search(r"'nonce-([^']+)'", directives["script-src"]).group(1)
    scripts = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", response.content.decode())
    assert scripts, "the language switch is an inline script"
    for attributes in scripts:
        assert f'nonce="{nonce}"' in attributes or 'type="application/json"' in attributes
    assert client.get(reverse("home"))["Content-Security-Policy"] != policy  # fresh nonce


def test_no_template_has_inline_handlers_styles_or_unnonced_scripts():
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        for pattern in (r"\sstyle=", r"\son[a-z]+=", r"<script(?![^>]*(\bsrc=|\bnonce=))[^>]*>",
                        r"<style", r"javascript:"):  # fmt: skip
            offenders += [f"{path.relative_to(TEMPLATES)}: {m}" for m in re.findall(pattern, text)]
    assert offenders == []


# (e) Cache-Control: no-store
def _no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "") and "private" in response.get(
        "Cache-Control", ""
    )


def test_pages_downloads_and_api_answers_are_never_stored(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    trial = make_trial()
    statistician = trial.users["stat"]
    assert _no_store(client.get(reverse("accounts:login")))
    client.force_login(statistician)
    run = ReportRun.objects.create(protocol_code="snrb_peld", created_by=statistician,
                                   population="itt", mode="correct",
                                   status=ReportRun.Status.SUCCEEDED)  # fmt: skip
    run.xlsx.save("r.xlsx", ContentFile(b"PK\x03\x04 xlsx"))
    responses = {
        "home": client.get(reverse("home")),
        "dashboard": client.get(reverse("trial:dashboard")),
        "download": client.get(reverse("analysis:report-download", args=[run.pk, "xlsx"])),
    }
    client.force_login(trial.users["dm"])
    responses["audit csv"] = client.get(reverse("trial:audit-export"))
    client.logout()
    responses["api"] = client.post("/api/", {"token": trial.tokens["stat"], "content": "record"})
    responses["api error"] = client.post("/api/", {"token": "0" * 32, "content": "record"})
    for name, response in responses.items():
        assert response.status_code in {200, 403}, name
        assert _no_store(response), f"{name}: {response.get('Cache-Control')}"
