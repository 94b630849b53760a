"""A blinded outcome assessor cannot tell the arms apart from anything the product answers.

On a generated trial (``leak_world``: one site, 2 x 20 randomized participants with logs,
arm-revealing free text, queries on arm-only forms and blinded answers, edits, missed visits
and a release) the assessor requests every URL pattern for every participant: each GET in
English and in Simplified Chinese, each POST endpoint once with an invalid body (which must
change nothing), the pages listing participants, and the REDCap-compatible API (a record
export and a ``dateRangeBegin`` export). From every answer the test extracts per-participant
features (status code, visible text tokens, numbers, link sets, attributes, body length
with digits and identifiers stripped) and fails when any feature separates the arms better
than chance: Fisher's exact test on each binary feature, numeric features as one binary
feature per threshold, Bonferroni-corrected for the number of features tested.

The oracle test asks the arm-only URLs (the SNRB visit and form, its queries, the blinded
adverse-event answer) for S and P participants and wants the same status and body shape.
"""

from __future__ import annotations

import json
import logging
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from html.parser import HTMLParser
from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from scipy.stats import fisher_exact

import tests.security.test_authorization_matrix as matrix
from epro.models import Invitation
from tests.security.leak_world import PER_ARM, LeakWorld, build_leak_world
from tests.trials import security_trials
from trial.models import FormInstance, Query, Visit
from trial.protocol import Protocol

pytestmark = pytest.mark.django_db
ALPHA = 0.05
LANGUAGES = ("en", "zh-hans")
FAKE_PK = 10**9  # an object that does not exist: what a participant without it answers
BAD_POST = {"revision": "999", "reason": "", "text": "", "password": "wrong", "note": ""}
# Pages that only show (a POST answers 405 for everyone, so it is not sent).
READ_ONLY = {"trial:participant-detail", "trial:crf-history", "trial:log-list", "trial:log-history"}
INSTANCE_PATTERNS = ("crf-verify", "crf-lock", "crf-unlock", "crf-sign", "query-raise",
                     "crf-mark-invalid")  # fmt: skip
INSTANCE_PATTERNS = tuple(f"trial:{n}" for n in (*INSTANCE_PATTERNS, "crf-text-review"))
POST_ONLY = {
    *INSTANCE_PATTERNS,
    "trial:query-action",
    "trial:casebook",
    "epro_staff:invitation-issue",
    "epro_staff:invitation-revoke",
}  # a GET is 405
# Log pages: every log is read; writes (log-new, log-void) go to the plan's logs only.
LOGS_WRITTEN = {"trial:log-new", "trial:log-void"}
GLOBAL_QUERIES = {"trial:query-list": ("?status=all", "?status=open", "?status=answered")}


# THE URLS OF ONE PARTICIPANT
@dataclass(frozen=True)
class Slot:
    key: str  # the same for every participant: what the features are named after
    url: str
    arm_only: bool = False  # it names an arm-only visit/form or a blinded answer


def _arm_only(protocol: Protocol, visit: str = "", form: str = "", field: str = "") -> bool:
    v = next((x for x in protocol.visits if x.code == visit), None)
    f = next((x for x in protocol.forms if x.code == form), None)
    return bool((v and v.arms) or (f and (f.arms or field in f.blinded_fields)))


def _query_slots() -> list[tuple[str, str]]:
    """(form, field) of every query kind the world raises; a participant may have none."""
    return sorted({(q.form_instance.form_code, q.field) for q in Query.objects.all()})


def participant_slots(
    person: Any, names: dict[str, tuple[str, ...]], world: LeakWorld
) -> Iterator[Slot]:
    """Every participant-bound URL pattern, with the same slots for every participant (the
    visits, forms, logs and POST targets the world's plan names)."""
    tid, plan, protocol = person.trial_id, world.plan, world.protocol
    instances = {
        (i.visit.code if i.visit_id else "log", i.form_code, i.seq): i.pk
        for i in FormInstance.objects.filter(participant=person).select_related("visit")
    }
    invitations = dict(
        Invitation.objects.filter(participant=person).values_list("visit__code", "pk")
    )
    for name, params in names.items():
        if "trial_id" not in params:
            continue
        if "visit_code" in params and "pk" in params:  # an ePRO invitation of the visit
            for visit in plan.visits:
                pk = invitations.get(visit, FAKE_PK)
                url = reverse(name, kwargs={"trial_id": tid, "visit_code": visit, "pk": pk})
                yield Slot(f"{name}/{visit}", url, _arm_only(protocol, visit))
        elif "visit_code" in params and "form_code" in params:
            for visit, form in plan.visit_forms:
                url = reverse(name, args=[tid, visit, form])
                yield Slot(f"{name}/{visit}/{form}", url, _arm_only(protocol, visit, form))
        elif "visit_code" in params:
            for visit in plan.visits:
                url = reverse(name, args=[tid, visit])
                yield Slot(f"{name}/{visit}", url, _arm_only(protocol, visit))
        elif "seq" in params:
            for form in plan.logs if name in LOGS_WRITTEN else protocol.logs:
                yield Slot(f"{name}/{form}/1", reverse(name, args=[tid, form, 1]))
        elif "form_code" in params:
            for form in plan.logs if name in LOGS_WRITTEN else protocol.logs:
                yield Slot(f"{name}/{form}", reverse(name, args=[tid, form]))
        elif "verb" in params:
            for verb in ("lock", "unlock", "sign"):
                yield Slot(f"{name}/{verb}", reverse(name, args=[tid, verb]))
        else:
            yield Slot(name, reverse(name, args=[tid]))
    for name in INSTANCE_PATTERNS:  # arm-only forms; a blinded answer
        for visit, form, seq in plan.targets:
            pk = instances.get((visit, form, seq), FAKE_PK)
            url = reverse(name, kwargs={"pk": pk})
            yield Slot(f"{name}/{visit}/{form}", url, _arm_only(protocol, visit, form))
    queries = {
        (q.form_instance.form_code, q.field): q.pk
        for q in Query.objects.filter(form_instance__participant=person)
    }
    for n, (form, field_name) in enumerate(_query_slots()):
        pk = queries.get((form, field_name), FAKE_PK)
        for verb in ("answer", "close", "reopen") if n == 0 else ("answer",):
            url = reverse("trial:query-action", kwargs={"pk": pk, "verb": verb})
            yield Slot(f"trial:query-action/{form}/{field_name}/{verb}", url,
                       _arm_only(protocol, form=form, field=field_name))  # fmt: skip


def global_urls(names: dict[str, tuple[str, ...]]) -> Iterator[tuple[str, str]]:
    """The pages of no participant (lists, work lists, reports): asked once per language."""
    for name, params in names.items():
        if "trial_id" in params or name in INSTANCE_PATTERNS or name == "trial:query-action":
            continue
        if name == "admin:*":
            continue
        kwargs = {p: {"pk": FAKE_PK}.get(p, "x") for p in params}
        try:
            url = reverse(name, kwargs=kwargs) if name else "/"
        except Exception:  # a parameter of another shape: the pattern is tried with a pk only
            continue
        for query in GLOBAL_QUERIES.get(name, ("",)):
            yield f"{name}{query}", url + query


# FEATURES OF ONE ANSWER
class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.links: set[str] = set()
        self.attrs: set[str] = set()
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            value = value or ""
            if name in ("href", "action", "src", "formaction"):
                self.links.add(f"{tag}:{value}")
            elif name in ("class", "disabled", "selected", "checked", "type", "name", "title"):
                self.attrs.add(f"{tag}.{name}={value}")
            elif name.startswith(("data-", "aria-")):
                self.attrs.add(f"{tag}.{name}={value}")
            elif name == "value" and tag in ("input", "textarea", "option", "button"):
                self.attrs.add(f"{tag}.value={value}")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.text.append(data)


NUMBER = re.compile(r"\d+(?:\.\d+)?")
TOKEN = re.compile(r"[^\W\d_]+|[\u4e00-\u9fff]", re.UNICODE)
CSRF = re.compile(r"[A-Za-z0-9]{32,}")  # CSRF tokens (in forms and in hx-headers)
NONCE = re.compile(r'nonce="[^"]*"')  # the CSP nonce of inline scripts, fresh in every response


@dataclass
class Features:
    """Per participant: binary features (present or not) and numeric features."""

    binary: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    numeric: dict[str, dict[str, float]] = field(default_factory=lambda: defaultdict(dict))

    def add(self, tid: str, key: str, response: Any) -> None:
        status = response.status_code
        self.binary[tid].add(f"{key}|status={status}")
        body = _body(response)
        self.add_text(tid, key, body, response.get("Location", ""))

    def add_text(self, tid: str, key: str, body: str, location: str = "") -> None:
        body = CSRF.sub("", NONCE.sub("", body)).replace(tid, "{ID}")
        features = self.binary[tid]
        if location:
            features.add(f"{key}|location={NUMBER.sub('#', location.replace(tid, '{ID}'))}")
        page = _Page()
        # the page chrome (navigation) is the user's, the same on every page: its length is
        # counted below; tokens, links and attributes come from the main part
        start, end = body.find("<main"), body.rfind("</main>")
        page.feed(body[start:end] if 0 <= start < end else body)
        text = " ".join(page.text)
        features.update(f"{key}|tok={t.lower()}" for t in TOKEN.findall(text))
        features.update(f"{key}|link={NUMBER.sub('#', link)}" for link in page.links)
        features.update(f"{key}|attr={NUMBER.sub('#', a)}" for a in page.attrs)
        numbers = NUMBER.findall(text)
        numeric = self.numeric[tid]
        for i, number in enumerate(numbers[:200]):
            numeric[f"{key}|num{i}"] = float(number)
        numeric[f"{key}|numbers"] = len(numbers)
        numeric[f"{key}|links"] = len(page.links)
        numeric[f"{key}|length"] = len(NUMBER.sub("", body))


def _body(response: Any) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


# THE STATISTICS
@cache
def _fisher(with_s: int, with_p: int, n_s: int, n_p: int) -> float:
    return float(fisher_exact([[with_s, n_s - with_s], [with_p, n_p - with_p]])[1])


@dataclass(frozen=True)
class Finding:
    p: float
    feature: str
    with_s: int  # holders in the first arm
    with_p: int  # holders in the other arms


def separating_features(
    features: Features, arms: dict[str, str], first: str = "S"
) -> tuple[list[Finding], int]:
    """Return the features that separate the arm ``first`` from the others after
    Bonferroni, and how many were tested (Fisher's exact test: an unequal allocation is
    tested as it is, the expected share of each arm being its size)."""
    holders: dict[str, set[str]] = defaultdict(set)
    for tid, present in features.binary.items():
        for name in present:
            holders[name].add(tid)
    values: dict[str, dict[str, float]] = defaultdict(dict)
    for tid, numeric in features.numeric.items():
        for name, value in numeric.items():
            values[name][tid] = value
    for name, by_tid in values.items():
        holders[f"{name}|present"] = set(by_tid)
        for threshold in sorted(set(by_tid.values()))[1:]:
            holders[f"{name}>={threshold:g}"] = {t for t, v in by_tid.items() if v >= threshold}
    everyone = set(arms)
    n_s = sum(1 for a in arms.values() if a == first)
    n_p = len(arms) - n_s
    tested = [(name, tids) for name, tids in holders.items() if tids and tids != everyone]
    m = max(len(tested), 1)
    findings = []
    for name, tids in tested:
        with_s = sum(1 for t in tids if arms[t] == first)
        p = _fisher(with_s, len(tids) - with_s, n_s, n_p)
        if p * m < ALPHA:
            findings.append(Finding(p, name, with_s, len(tids) - with_s))
    return sorted(findings, key=lambda f: f.p), m


# THE SWEEP
def fingerprint() -> tuple:
    return (
        matrix.fingerprint(),
        sorted(Visit.objects.values_list("pk", "status")),
        sorted(Query.objects.values_list("pk", "status", "answer")),
        sorted(FormInstance.objects.values_list("pk", "blinded_texts_revision", "verified_at")),
    )


def _language(client: Any, language: str) -> dict[str, str]:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return {"HTTP_ACCEPT_LANGUAGE": language}


@dataclass
class Sweep:
    features: Features
    shapes: dict[str, dict[str, tuple[int, str]]]  # slot key -> trial id -> (status, shape)
    arm_only: set[str]
    changed: list[str]
    requests: int


def _shape(response: Any, tid: str) -> tuple[int, str]:
    body = CSRF.sub("", NONCE.sub("", _body(response))).replace(tid, "{ID}")
    return response.status_code, NUMBER.sub("#", body)


def sweep(client: Any, world: LeakWorld, *, api: bool = True) -> Sweep:
    """Ask everything as the assessor (403/404 warnings are not logged meanwhile)."""
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        return _sweep(client, world, api=api)
    finally:
        logger.setLevel(level)


def _sweep(client: Any, world: LeakWorld, *, api: bool) -> Sweep:
    names = dict(matrix.pattern_names())
    features, shapes = Features(), defaultdict(dict)
    arm_only, changed, requests = set(), [], 0
    client.force_login(world.assessor)
    tids = list(world.arms)
    for language in LANGUAGES:
        headers = _language(client, language)
        for key, url in global_urls(names):
            response = client.get(url, **headers)
            requests += 1
            body = _body(response)
            for tid in tids:  # what the page says about each participant
                features.binary[tid].add(f"{key}|{language}|status={response.status_code}")
                rows = [c for c in re.split(r"<tr|<li", body) if tid in c]
                features.numeric[tid][f"{key}|{language}|mentions"] = body.count(tid)
                features.add_text(tid, f"{key}|{language}|rows", "<tr".join(rows))
    for person in world.people:
        tid = person.trial_id
        slots = list(participant_slots(person, names, world))
        arm_only |= {s.key for s in slots if s.arm_only}
        firsts = {}  # every pattern in both languages: its first slot, the arm-only ones too
        for slot in slots:
            firsts.setdefault(slot.key.split("/")[0], slot.key)
        arm_only_keys = {s.key for s in slots if s.arm_only}
        both = world.plan.both_languages | set(firsts.values()) | arm_only_keys
        for language in LANGUAGES:
            headers = _language(client, language)
            for slot in slots:
                if slot.key.split("/")[0] in POST_ONLY:
                    continue
                if language != "en" and slot.key not in both:
                    continue
                response = client.get(slot.url, **headers)
                requests += 1
                features.add(tid, f"GET {slot.key}|{language}", response)
                if language == "en":
                    shapes[f"GET {slot.key}"][tid] = _shape(response, tid)
        headers = _language(client, "en")
        before = fingerprint()
        for slot in slots:
            if slot.key.split("/")[0] in READ_ONLY:
                continue
            response = client.post(slot.url, BAD_POST, **headers)
            requests += 1
            features.add(tid, f"POST {slot.key}", response)
            shapes[f"POST {slot.key}"][tid] = _shape(response, tid)
        if fingerprint() != before:
            changed.append(f"{tid}: a POST with an invalid body changed data")
        # the messages the POSTs left, shown on the next page
        response = client.get(reverse("trial:participant-detail", args=[tid]), **headers)
        features.add(tid, "after POSTs", response)
    if api:
        requests += _api_features(client, world, features)
    return Sweep(features, shapes, arm_only, changed, requests)


def _api_features(client: Any, world: LeakWorld, features: Features) -> int:
    """The API as the assessor's token reads it: every record, and those changed since T."""
    since = world.since.astimezone(timezone.get_current_timezone())
    asked = [
        ("record", {"content": "record", "type": "flat"}),
        ("record-eav", {"content": "record", "type": "eav"}),
        ("since", {"content": "record", "dateRangeBegin": since.strftime("%Y-%m-%d %H:%M:%S")}),
    ]
    for name, params in asked:
        response = client.post("/api/", {"token": world.token, "format": "json", **params})
        assert response.status_code == 200, _body(response)
        rows = json.loads(_body(response))
        by_record: dict[str, list[dict]] = defaultdict(list)
        for row in rows:
            by_record[row.get("record_id") or row.get("record")].append(row)
        for tid in world.arms:
            mine = by_record.get(tid, [])
            features.numeric[tid][f"api {name}|rows"] = len(mine)
            binary = features.binary[tid]
            for row in mine:
                where = "/".join(str(row.get(k, "")) for k in ("redcap_event_name", "field_name"))
                for column, value in row.items():
                    if value in ("", None) or column == "record_id":
                        continue
                    text = str(value).replace(tid, "{ID}")
                    binary.add(f"api {name}|{where}|{column}")
                    tokens = TOKEN.findall(text)
                    binary.update(f"api {name}|{column}|tok={t.lower()}" for t in tokens)
    return len(asked)


def _report(findings: list[Finding], m: int, world: LeakWorld) -> str:
    first = world.first_arm
    n_first, n_other = world.arm_size(first), len(world.arms) - world.arm_size(first)
    lines = [f"{len(findings)} of {m} features separate the arms (Bonferroni, alpha {ALPHA}):"]
    lines += [
        f"  p={f.p:.2e}  {first} {f.with_s}/{n_first}  others {f.with_p}/{n_other}  {f.feature}"
        for f in findings[:25]
    ]
    return "\n".join(lines)


# Every trial the instance discovers (ids: protocol codes): a trial added later is swept too.


@pytest.mark.requirement("BLD-010")
@pytest.mark.parametrize("code", security_trials())
def test_a_blinded_assessor_cannot_tell_the_arms_apart(client, settings, tmp_path, code) -> None:
    settings.MEDIA_ROOT = tmp_path
    world = build_leak_world(code)
    sizes = sorted(world.arm_size(a.code) for a in world.protocol.arms)
    assert sizes[0] >= 10, sizes
    assert sum(sizes) >= 2 * PER_ARM - 2, sizes
    result = sweep(client, world)
    assert not result.changed, "\n".join(result.changed)
    findings, m = separating_features(result.features, world.arms, world.first_arm)
    assert not findings, _report(findings, m, world)
    # the sweep really looked: every participant, both languages, hundreds of features
    assert result.requests > len(world.people) * 60, result.requests
    assert m > 500, m


@pytest.mark.requirement("BLD-010")
@pytest.mark.parametrize("code", security_trials())
def test_arm_only_urls_answer_every_arm_alike(client, settings, tmp_path, code) -> None:
    """The oracle: an arm-only URL gives a blinded user the same answers whatever the arm."""
    settings.MEDIA_ROOT = tmp_path
    world = build_leak_world(code, per_arm=3)
    result = sweep(client, world, api=False)
    assert result.arm_only, "no arm-only URL was asked"
    differ = []
    for key, by_tid in result.shapes.items():
        if key.split(" ", 1)[1] not in result.arm_only:
            continue
        answers = {(world.arms[tid], shape) for tid, shape in by_tid.items()}
        by_arm = [{shape for arm, shape in answers if arm == a.code} for a in world.protocol.arms]
        if any(shapes != by_arm[0] for shapes in by_arm):
            statuses = sorted({(arm, shape[0]) for arm, shape in answers})
            differ.append(f"{key}: {statuses}")
    assert not differ, "\n".join(differ)


# THE PATIENT'S ePRO PAGES
EPRO_PER_ARM = 3


def _epro_walk(client: Any, token: str, language: str) -> Iterator[tuple[str, Any]]:
    """Every page a patient sees, bad answers included, from link to thank-you page."""
    from tests.unit.epro.conftest import BIRTH_YEAR, PAGES

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    yield "start", client.get(reverse("epro:start", args=[token]), follow=True)
    yield "identity wrong", client.post(reverse("epro:identity"), {"answer": "1900"})
    yield "identity", client.post(reverse("epro:identity"), {"answer": BIRTH_YEAR}, follow=True)
    for code, answers in PAGES.items():
        url = reverse("epro:page", args=[code])
        yield f"{code} page", client.get(url)
        yield f"{code} invalid", client.post(url, {"next": ""})
        yield f"{code} saved", client.post(url, {**answers, "next": ""}, follow=True)
    for code in ("joa", "snrb", "outcome"):
        yield f"{code} not invited", client.get(reverse("epro:page", args=[code]))
    yield "submitted", client.post(reverse("epro:review"), follow=True)
    yield "replay", client.post(reverse("epro:review"), follow=True)
    yield "link after", client.get(reverse("epro:start", args=[token]), follow=True)


@pytest.mark.requirement("EPR-009")
def test_patient_pages_are_the_same_for_both_arms(client, settings) -> None:
    """A patient of arm S and one of arm P see the same pages, word for word (only the
    CSRF token, the CSP nonce and the link differ), in both languages."""
    from django.test import Client

    from epro.services import invitation_issue
    from tests.factories import SiteFactory, user_with_role
    from tests.unit.epro.conftest import epro_participant, month_3
    from trial.models import Role

    site = SiteFactory(code="EPR")
    nurse = user_with_role(Role.RESEARCH_NURSE, site=site)
    pages: dict[tuple[str, str], dict[str, set[tuple[int, str]]]] = defaultdict(
        lambda: defaultdict(set)
    )
    for n in range(EPRO_PER_ARM * 2):
        arm, language = "SP"[n % 2], LANGUAGES[(n // 2) % 2]
        person = epro_participant(nurse, site, arm=arm)
        _, token = invitation_issue(participant=person, visit=month_3(person), actor=nurse)
        for step, response in _epro_walk(Client(), token, language):
            body = CSRF.sub("", NONCE.sub("", _body(response).replace(token, "{TOKEN}")))
            body = NUMBER.sub("#", body.replace(person.trial_id, "{ID}"))
            pages[(step, language)][arm].add((response.status_code, body))
    differ = [step for step, by_arm in pages.items() if by_arm["S"] != by_arm["P"]]
    assert not differ, f"patient pages differ between the arms: {differ}"
    assert all(len(by_arm["S"]) == 1 for by_arm in pages.values())
    assert len(pages) == 2 * 18
