"""Every page, rendered in Chinese, shows no English from data (L10N-005, L10N-004).

The catalogue test (test_translations.py) proves every marked string has a translation; this
one proves nothing reaches a Chinese page unmarked: it crawls every URL pattern of the
authorization matrix with its seeded two-site world (plus a PELD form edited with a reason, a
scored ODI and a query on a PELD field), as the roles that may see each page, and fails on
English words and raw identifiers (``snake_case``, scorer ids) in the visible text. Codes,
abbreviations, participant ids, user names and what people typed are listed explicitly.
"""

from __future__ import annotations

import random
import re
from html.parser import HTMLParser

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from tests.security.test_authorization_matrix import RULES, Who, _url, pattern_names
from tests.security.world import World, build_world
from trial.demo import sample_answers
from trial.models import Visit
from trial.services.crfs import crf_save
from trial.services.queries import query_raise

pytestmark = pytest.mark.django_db

# Pages whose remaining English is known and not yet translated (none left).
KNOWN_GAPS: set[str] = set()

# Codes and abbreviations that stay as they are in Chinese text (instrument and method
# names, units, file formats, standards), and this test world's user names and typed texts.
ALLOWED_WORDS = {
    *"VAS JOA ODI SF-36 SF MacNab PELD SNRB BMI MRI CT RAND PCS MCS PF RP BP GH VT RE MH".split(),
    *"CSV XLSX DOCX PDF SPSS Stata SAV DTA API REDCap JSON URL QR HTTP UTC CST ID ISO".split(),
    *"ePRO UTF sav".split(),  # patient-reported entry; file encoding and extension names
    *"kg ml mm cm min Pfirrmann Oswestry L3 L4 L5 S1 IP Excel Word R SAP ITT PP".split(),
    *"Django ok OK YYYY-MM-DD YYYY MM DD HH SS EDC CONSORT DSMB SHA Fleiss PASS".split(),
    *"Clavien-Dindo I II IIIa IIIb IVa IVb V".split(),  # complication grades
    "English",  # the language switcher names each language in itself
    "PyCap",
    "REDCapR",
    "redcapAPI",
    "api",  # API client libraries and the API address
    "San",
    "Zhang",
    "Transient",
    "dizziness",  # names and texts typed by people
    # what the world's people typed (free text is never translated) and their names
    "Please",
    "check",
    "emergency",
    "because",
    "interim",
    "Test",
    "User",
    "Dr",
    "Demo",
}
PARTICIPANT = re.compile(r"\bS\d{2}-\d{4}\b")
IDENTIFIER = re.compile(r"\b[a-z][a-z0-9]*_[a-z0-9_]+\b|\b[a-z]+(?:-[a-z0-9]+)+/\d+\b")
WORD = re.compile(r"[A-Za-z][A-Za-z'\-]*[A-Za-z]|[A-Za-z]")


class _Text(HTMLParser):
    """The text a reader sees: element text and the title/aria-label/placeholder attributes."""

    SKIP = {"script", "style", "code", "pre"}  # <code>: literal values shown as typed

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self._skipping += 1
        for name, value in attrs:
            if name in ("title", "aria-label", "placeholder", "alt") and value:
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self._skipping:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(parser.parts)


def untranslated(text: str) -> list[str]:
    """Return the English words and raw identifiers in ``text`` that are not allowed."""
    text = PARTICIPANT.sub(" ", text)
    found = [m.group(0) for m in IDENTIFIER.finditer(text)]
    text = IDENTIFIER.sub(" ", text)
    for word in WORD.findall(text):
        if word in ALLOWED_WORDS or len(word) == 1:
            continue
        found.append(word)
    return found


def test_the_detector_finds_english_and_identifiers_but_not_codes():
    text = visible_text(
        "<p>计算得分 (vas-0-10/1) 严重程度 severe</p><code>x_y</code><p>blood_loss_ml</p>"
        "<p>S01-0007 VAS JOA SF-36 MacNab</p><script>var a_b = 1;</script>"
    )
    assert sorted(untranslated(text)) == ["blood_loss_ml", "severe", "vas-0-10/1"]


def _enrich(world: World) -> None:
    """A PELD form edited with a reason, a scored ODI and a query on a PELD field."""
    rng = random.Random(19)
    participant = world.own.participant
    nurse = world.users["research_nurse@site"]
    manager = world.users["data_manager@site"]
    for visit_code, form_code in (("surgery", "peld"), ("admission", "odi")):
        visit = Visit.objects.get(participant=participant, code=visit_code)
        answers = sample_answers(form_code, participant, visit_code=visit_code, rng=rng)
        instance = crf_save(actor=nurse, participant=participant, form_code=form_code,
                            visit=visit, complete=True, answers=answers)  # fmt: skip
        if form_code == "peld":
            changed = {**answers, "approach": "interlaminar", "foraminoplasty": True}
            crf_save(actor=nurse, participant=participant, form_code="peld", visit=visit,
                     instance=instance, base_revision=instance.revision, complete=True,
                     answers=changed, reason="纠正录入错误")  # fmt: skip
            query_raise(actor=manager, form_instance=instance, field="blood_loss_ml", text="请核对")


def _extra_urls(world: World) -> list[str]:
    trial_id = world.own.participant.trial_id
    return [
        reverse(name, kwargs={"trial_id": trial_id, "visit_code": visit, "form_code": form})
        for name in ("trial:crf-entry", "trial:crf-history")
        for visit, form in (("surgery", "peld"), ("admission", "odi"), ("admission", "vas"))
    ]


@pytest.mark.requirement("L10N-005", "L10N-004")
def test_every_page_in_chinese_shows_no_english_from_data(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    world = build_world()
    _enrich(world)
    params = dict(pattern_names())
    whos = [Who(key, user) for key, user in world.users.items()]
    usernames = sorted(
        {u.get_username() for u in get_user_model().objects.all()}, key=len, reverse=True
    )
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    failures: list[str] = []
    pages = 0
    for name, rule in RULES.items():
        if name in ("admin:*", "", "set_language", "healthz", "accounts:login"):
            continue
        url = _url(name, params[name], world, "own", rule.kwargs[0])
        # each page as the first site-bound and the first trial-wide role that may see it
        for scope in ("@site", "@trial"):
            who = next(
                (w for w in whos if w.key.endswith(scope) and rule.get(w, world.own.site) == 200),
                None,
            )
            if who is None:
                continue
            failures += _check(client, who, url, usernames)
            pages += 1
    nurse = Who("research_nurse@site", world.users["research_nurse@site"])
    for url in _extra_urls(world):
        failures += _check(client, nurse, url, usernames)
        pages += 1
    assert not failures, "\n".join(failures)
    assert pages > 60, pages


def _check(client, who: Who, url: str, usernames: list[str]) -> list[str]:
    client.force_login(who.user)
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
    if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
        return []
    if any(url.startswith(gap) for gap in KNOWN_GAPS):
        return []
    text = visible_text(response.content.decode())
    for username in usernames:  # user names are people's ids, not text
        text = text.replace(username, " ")
    words = untranslated(text)
    return [f"{who.key} {url}: {sorted(set(words))}"] if words else []
