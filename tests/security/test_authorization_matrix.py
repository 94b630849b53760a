"""Every URL pattern × every role (own site, trial-wide) × own / other site, plus anonymous.

The expectations are a declarative table: pattern name → rule. A rule turns (who, which
site's object) into the expected status for GET and, for state-changing patterns, for a POST
by whoever may not make it (which must change nothing). A pattern missing from the table
fails the test, so every new URL has to be classified here.

On every answer: no server error; a site-bound user never reads another site's participant
id; a blinded user never reads an arm.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import translation

from analysis.models import DatasetRelease, ReportRun
from tests.factories import DEFAULT_PASSWORD
from tests.security.world import ROLES, SEED, World, build_world
from tests.trials import security_trials
from trial.models import (
    AllocationList,
    AuditEvent,
    DatabaseLock,
    FormInstance,
    Participant,
    Query,
    UnblindingRequest,
)
from trial.permissions import Action, is_blinded, may, may_trial_wide, sees_comparative
from trial.protocol import get_protocol

pytestmark = pytest.mark.django_db
A = Action
LATER_VISIT = "<later visit>"  # the world's later visit (Targets.later_visit)
ALLOWED = 0  # a POST the user may make: not sent here (the fuzz and CSRF tests send those)
LOGIN = 302  # anonymous users are sent to the login page


@dataclass(frozen=True)
class Who:
    key: str  # "anonymous", "<role>@site", "<role>@trial"
    user: Any
    code: str = SEED  # the trial in which the user holds the role

    def may(self, action: Action, site: Any = None) -> bool:
        return self.user is not None and may(self.user, self.code, action, site=site)


Expect = Callable[[Who, Any], int]  # (who, the target site or None) -> HTTP status


@dataclass(frozen=True)
class Rule:
    get: Expect
    post: Expect | None = None  # None: the pattern changes nothing (POST is not checked)
    site_bound: bool = False  # its URL points at an object of one site (own and other tried)
    kwargs: tuple[dict[str, Any], ...] = ({},)  # fixed URL parameters besides the object's


# RULE BUILDERS
def status(code: int) -> Expect:
    return lambda who, site: code


def signed_in(code: int = 200) -> Expect:
    return lambda who, site: LOGIN if who.user is None else code


def action(needed: Action, ok: int = 200, *, unblinded: bool = False) -> Expect:
    def expect(who: Who, site: Any) -> int:
        if who.user is None:
            return LOGIN
        if unblinded and is_blinded(who.user, who.code):
            return 404
        return ok if who.may(needed) else 403

    return expect


def any_of(*actions: Action) -> Expect:
    def expect(who: Who, site: Any) -> int:
        if who.user is None:
            return LOGIN
        return 200 if any(who.may(a) for a in actions) else 403

    return expect


def participant(needed: Action = A.VIEW_PARTICIPANTS, ok: int = 200) -> Expect:
    """ParticipantMixin: 403 without the right anywhere, 404 outside the user's sites."""

    def expect(who: Who, site: Any) -> int:
        if who.user is None:
            return LOGIN
        if not who.may(A.VIEW_PARTICIPANTS):
            return 403
        if not who.may(A.VIEW_PARTICIPANTS, site):
            return 404
        return ok if who.may(needed, site) else 403

    return expect


def on_object(needed: Action) -> Expect:
    """POST on a site's form/query/casebook: 404 if its site is not the user's, 403 if no right."""

    def expect(who: Who, site: Any) -> int:
        if who.user is None:
            return LOGIN
        if not who.may(A.VIEW_PARTICIPANTS, site):
            return 404 if who.may(A.VIEW_PARTICIPANTS) or needed != A.VIEW_PARTICIPANTS else 403
        return ALLOWED if who.may(needed, site) else 403

    return expect


def on_casebook(needed: Action) -> Expect:
    def expect(who: Who, site: Any) -> int:
        if who.user is None:
            return LOGIN
        if not who.may(A.VIEW_PARTICIPANTS):
            return 403
        if not who.may(A.VIEW_PARTICIPANTS, site):
            return 404
        return ALLOWED if who.may(needed, site) else 403

    return expect


def report(blinded_run: bool) -> Expect:
    """The world's runs span every site: only trial-wide report rights reach them, and a run
    by arm only the roles allowed comparative results (tests/security/test_report_scoping)."""

    def expect(who: Who, site: Any) -> int:
        if who.user is None:
            return LOGIN
        if not who.may(A.RUN_REPORTS):
            return 403
        if not may_trial_wide(who.user, who.code, A.RUN_REPORTS):
            return 404
        return 200 if blinded_run or sees_comparative(who.user, who.code) else 404

    return expect


def allowed_if(needed: Action, *, unblinded: bool = False) -> Expect:
    return action(needed, ALLOWED, unblinded=unblinded)


def trial_wide(needed: Action, ok: int = 200) -> Expect:
    """Pages spanning every site (releases, database lock): the right must be trial-wide."""

    def expect(who: Who, site: Any) -> int:
        if who.user is None:
            return LOGIN
        return ok if who.user is not None and may_trial_wide(who.user, who.code, needed) else 403

    return expect


def data_cut(who: Who, site: Any) -> int:
    """Declaring a data cut: the release pages and the lock right, both trial-wide."""
    if who.user is None:
        return LOGIN
    wide = may_trial_wide(who.user, who.code, A.DOWNLOAD_RELEASES) and may_trial_wide(
        who.user, who.code, A.LOCK
    )
    return ALLOWED if wide else 403


def decide(who: Who, site: Any) -> int:
    """Unblinding decisions: only for requests of the sites where the user decides."""
    if who.user is None:
        return LOGIN
    if not who.may(A.DECIDE_UNBLINDING):
        return 403
    return ALLOWED if who.may(A.DECIDE_UNBLINDING, site) else 404


POST_ONLY = signed_in(405)
VIEW = A.VIEW_PARTICIPANTS
RULES: dict[str, Rule] = {
    # accounts and site chrome
    "": Rule(status(302)),
    "home": Rule(signed_in()),
    "accounts:login": Rule(lambda who, site: 200 if who.user is None else 302),
    "accounts:logout": Rule(status(405)),
    "accounts:account": Rule(signed_in()),
    "accounts:password-change": Rule(signed_in(), post=signed_in(200)),
    "accounts:site-list": Rule(action(A.VIEW_SITE_STAFF)),
    "set_language": Rule(status(302)),
    # the trial switcher: POST only, to a trial where the user holds a role
    "trial:trial-switch": Rule(signed_in(405), post=signed_in(ALLOWED)),
    "healthz": Rule(status(200)),
    # the REDCap-compatible API answers POSTs with a token only (tests/unit/api); its own
    # token pages are the signed-in user's
    "api:endpoint": Rule(status(405)),
    "api:token-create": Rule(signed_in(405), post=signed_in(ALLOWED)),
    "api:token-revoke": Rule(signed_in(405), post=signed_in(ALLOWED)),
    "admin:*": Rule(status(302)),
    # the patient's ePRO pages (no account): without an opened and verified invitation in
    # the session every one is the same "link cannot be used" page, for any user
    "epro:start": Rule(status(404)),
    "epro:identity": Rule(status(404), post=status(404)),
    "epro:resume": Rule(status(404)),
    "epro:page": Rule(status(404), post=status(404)),
    "epro:review": Rule(status(404), post=status(404)),
    "epro:done": Rule(status(404)),
    "epro:leave": Rule(status(405)),
    # participants
    "trial:participant-list": Rule(action(VIEW)),
    "trial:participant-register": Rule(action(A.ENTER_DATA), post=allowed_if(A.ENTER_DATA)),
    "trial:participant-detail": Rule(participant(), site_bound=True),
    **{
        name: Rule(participant(needed), post=participant(needed, ALLOWED), site_bound=True)
        for name, needed in {
            "trial:eligibility": A.ENTER_DATA,
            "trial:consent": A.ENTER_DATA,
            "trial:randomize": A.RANDOMIZE,
            "trial:unblinding-request": A.REQUEST_UNBLINDING,
            "trial:dates": A.ENTER_DATA,
            "trial:identity": A.VIEW_IDENTIFIERS,
            "trial:end": A.ENTER_DATA,
            "trial:log-void": A.ENTER_DATA,
        }.items()
    },
    "trial:visit-missed": Rule(
        participant(A.ENTER_DATA),
        post=participant(A.ENTER_DATA, ALLOWED),
        site_bound=True,
        kwargs=({"visit_code": LATER_VISIT},),
    ),  # fmt: skip
    **{
        name: Rule(participant(), post=participant(A.ENTER_DATA, ALLOWED), site_bound=True)
        for name in ("trial:crf-entry", "trial:log-new", "trial:log-edit")
    },
    # ePRO invitations, issued and revoked by site staff from the participant page (POST only)
    **{
        name: Rule(
            participant(A.ENTER_DATA, 405),
            post=participant(A.ENTER_DATA, ALLOWED),
            site_bound=True,
            kwargs=({"visit_code": LATER_VISIT},),
        )
        for name in ("epro_staff:invitation-issue", "epro_staff:invitation-revoke")
    },
    "trial:crf-mark-invalid": Rule(POST_ONLY, post=on_object(A.ENTER_DATA), site_bound=True),
    "trial:crf-history": Rule(participant(), site_bound=True),
    "trial:log-list": Rule(participant(), site_bound=True),
    "trial:log-history": Rule(participant(), site_bound=True),
    "trial:casebook": Rule(
        action(VIEW, 405),
        site_bound=True,
        kwargs=({"verb": "lock"}, {"verb": "unlock"}, {"verb": "sign"}),
    ),  # fmt: skip  (POST: see CASEBOOK below)
    # work lists and data management
    "trial:worklist": Rule(action(A.ENTER_DATA)),
    "trial:dashboard": Rule(action(A.VIEW_DASHBOARD)),
    "trial:query-list": Rule(action(VIEW)),
    "trial:database-lock": Rule(trial_wide(A.LOCK), post=trial_wide(A.LOCK, ALLOWED)),
    "trial:query-action": Rule(
        POST_ONLY,
        site_bound=True,
        kwargs=({"verb": "answer"}, {"verb": "close"}, {"verb": "reopen"}),
    ),
    "trial:query-raise": Rule(POST_ONLY, post=on_object(A.RAISE_QUERY), site_bound=True),
    "trial:crf-verify": Rule(POST_ONLY, post=on_object(A.VERIFY), site_bound=True),
    "trial:crf-lock": Rule(POST_ONLY, post=on_object(A.LOCK), site_bound=True),
    "trial:crf-unlock": Rule(POST_ONLY, post=on_object(A.LOCK), site_bound=True),
    "trial:crf-sign": Rule(POST_ONLY, post=on_object(A.SIGN), site_bound=True),
    "trial:crf-text-review": Rule(POST_ONLY, post=on_object(A.ENTER_DATA), site_bound=True),
    "trial:audit": Rule(action(A.VIEW_AUDIT)),
    "trial:audit-export": Rule(action(A.VIEW_AUDIT)),
    # allocation and unblinding
    "trial:allocation": Rule(action(A.MANAGE_ALLOCATION, unblinded=True)),
    **{
        name: Rule(
            action(A.MANAGE_ALLOCATION, unblinded=True),
            post=allowed_if(A.MANAGE_ALLOCATION, unblinded=True),
        )
        for name in (
            "trial:allocation-generate",
            "trial:allocation-upload",
            "trial:allocation-minimization",
        )
    },
    "trial:allocation-list": Rule(action(A.MANAGE_ALLOCATION, unblinded=True)),
    "trial:allocation-activate": Rule(
        action(A.MANAGE_ALLOCATION, 405, unblinded=True),
        post=allowed_if(A.MANAGE_ALLOCATION, unblinded=True),
    ),
    "trial:historical-allocations": Rule(
        action(A.LOAD_HISTORICAL_ALLOCATIONS, unblinded=True),
        post=allowed_if(A.LOAD_HISTORICAL_ALLOCATIONS, unblinded=True),
    ),
    # the import page: each data manager sees only their own imports (none in this world)
    "imports:import-list": Rule(action(A.IMPORT_DATA), post=allowed_if(A.IMPORT_DATA)),
    "imports:import-detail": Rule(action(A.IMPORT_DATA, 404)),
    "imports:import-action": Rule(
        action(A.IMPORT_DATA, 405), post=action(A.IMPORT_DATA, 404), kwargs=({"verb": "check"},)
    ),
    "trial:unblinding-log": Rule(any_of(A.REQUEST_UNBLINDING, A.DECIDE_UNBLINDING)),
    "trial:unblinding-decide": Rule(
        action(A.DECIDE_UNBLINDING, 405),
        post=decide,
        site_bound=True,
        kwargs=({"decision": "approve"},),
    ),  # fmt: skip
    # reports and releases
    "analysis:report-list": Rule(action(A.RUN_REPORTS), post=allowed_if(A.RUN_REPORTS)),
    "analysis:sample-size": Rule(action(A.RUN_REPORTS)),
    "analysis:report-detail": Rule(report(blinded_run=False), kwargs=({"run": "unblinded"},)),
    "analysis:report-download": Rule(
        report(blinded_run=False), kwargs=({"run": "unblinded", "fmt": "xlsx"},)
    ),
    "analysis:report-rerun": Rule(action(A.RUN_REPORTS, 405), post=allowed_if(A.RUN_REPORTS)),
    "releases:release-list": Rule(trial_wide(A.DOWNLOAD_RELEASES), post=data_cut),
    "releases:release-retry": Rule(trial_wide(A.LOCK, 405), post=trial_wide(A.LOCK, ALLOWED)),
    "releases:release-detail": Rule(trial_wide(A.DOWNLOAD_RELEASES)),
    "releases:release-download": Rule(
        trial_wide(A.DOWNLOAD_RELEASES), kwargs=({"variant": "blinded"},)
    ),
}
NOT_LOGIN = {"", "set_language", "admin:*"}  # their 302 is not "please sign in"
CASEBOOK = {"lock": A.LOCK, "unlock": A.LOCK, "sign": A.SIGN}
QUERY_VERB = {"answer": A.ANSWER_QUERY, "close": A.CLOSE_QUERY, "reopen": A.CLOSE_QUERY}


# THE URL PATTERNS
def pattern_names(resolver=None, prefix: str = "") -> Iterator[tuple[str, tuple[str, ...]]]:
    """Yield (name, parameter names) of every pattern; the admin counts as one, ``admin:*``."""
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                yield "admin:*", ()
                continue
            namespace = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            yield from pattern_names(entry, namespace)
        elif isinstance(entry, URLPattern):
            yield f"{prefix}{entry.name or ''}", tuple(entry.pattern.converters)


@pytest.mark.requirement("ACC-004")
def test_every_url_pattern_is_classified() -> None:
    names = {name for name, _params in pattern_names()}
    assert names - RULES.keys() == set(), "classify the new URL patterns in RULES"
    assert RULES.keys() - names == set(), "drop rules of URL patterns that no longer exist"


def _url(name: str, params: tuple[str, ...], world: World, target: str, fixed: dict) -> str:
    if name == "admin:*":
        return reverse("admin:index")
    if name == "":
        return "/"
    objects = world.own if target == "own" else world.other
    targets, visit = world.targets, fixed.get("visit_code")
    values = {
        "trial_id": objects.participant.trial_id,
        "visit_code": targets.later_visit if visit == LATER_VISIT else targets.visit,
        "form_code": targets.log if name.startswith("trial:log-") else targets.form,
        "seq": objects.log.seq,
        "verb": fixed.get("verb"),
        "decision": fixed.get("decision"),
        "fmt": fixed.get("fmt"),
        "variant": fixed.get("variant"),
        "token": "no-such-invitation-token",
    }
    pk = {
        "trial:query-action": objects.query.pk,
        "trial:unblinding-decide": objects.unblinding_pk,
        "trial:allocation-list": world.allocation_list_pk,
        "trial:allocation-activate": world.allocation_list_pk,
        "analysis:report-detail": world.report_pk,
        "analysis:report-download": world.report_pk,
        "analysis:report-rerun": world.report_pk,
        "releases:release-retry": world.release_pk,
        "releases:release-detail": world.release_pk,
        "releases:release-download": world.release_pk,
    }.get(name, objects.form.pk)
    values["pk"] = pk
    return reverse(name, kwargs={p: values[p] for p in params})


def _post_expectation(name: str, rule: Rule, who: Who, site: Any, fixed: dict) -> Expect | None:
    if name == "trial:casebook":
        return on_casebook(CASEBOOK[fixed["verb"]])
    if name == "trial:query-action":
        return on_object(QUERY_VERB[fixed["verb"]])
    return rule.post


def fingerprint() -> tuple:
    """What any write would change: row counts, form states and the audit trail."""
    return (
        AuditEvent.objects.count(),
        Participant.objects.count(),
        sorted(Participant.objects.values_list("pk", "status", "locked_at")),
        sorted(FormInstance.objects.values_list("pk", "status", "revision")),
        sorted(Query.objects.values_list("pk", "status")),
        sorted(UnblindingRequest.objects.values_list("pk", "status")),
        sorted(AllocationList.objects.values_list("pk", "status")),
        DatabaseLock.objects.count(),
        ReportRun.objects.count(),
        DatasetRelease.objects.count(),
    )


POST_DATA = {
    "reason": "because",
    "text": "text",
    "state": "locked",
    "password": DEFAULT_PASSWORD,
    "note": "note",
    "leg_vas": "5",
    "back_vas": "5",
}


FORM_FIELDS = ("leg_vas", "back_vas")  # the seed's form's answers in POST_DATA


def post_data(world: World) -> dict[str, str]:
    """The refused POSTs' body: the generic fields and answers of the world's form."""
    generic = {k: v for k, v in POST_DATA.items() if k not in FORM_FIELDS}
    return {**generic, **world.targets.post_data}


def forbidden_texts(code: str = SEED) -> set[str]:
    protocol = get_protocol(code)
    texts = set()
    for language in ("en", "zh-hans"):
        with translation.override(language):
            texts |= {str(arm.label) for arm in protocol.arms}
            texts |= {str(arm.description) for arm in protocol.arms}
    return texts


def arm_pattern(code: str = SEED) -> re.Pattern:
    """An arm named by its code ("Arm S", "组别 R") or a data-arm attribute."""
    arms = "|".join(re.escape(a.code) for a in get_protocol(code).arms)
    return re.compile(rf"(Arm|组别)\s*({arms})\b|data-arm")


ARM_PATTERN = arm_pattern()


def _check_body(response: Any, who: Who, world: World, forbidden: set[str], where: str) -> list:
    """Return the leaks in the body: another site's participant, an arm for the blinded."""
    kind = response.get("Content-Type", "")
    if response.status_code != 200:
        return []  # an error page may echo the requested address, which the user typed
    if getattr(response, "streaming", False):
        body = b"".join(response.streaming_content).decode("utf-8", "replace")
    elif "html" in kind or "csv" in kind or "json" in kind:
        body = response.content.decode("utf-8", "replace")
    else:
        return []
    leaks = []
    if who.key.endswith("@site") and world.other.participant.trial_id in body:
        leaks.append(f"{where}: another site's participant id in the page")
    if who.user is not None and is_blinded(who.user, who.code):
        arms = [text for text in forbidden if text in body]
        if arms or arm_pattern(who.code).search(body):
            leaks.append(f"{where}: an allocation in the page {arms}")
    return leaks


def _whos(world: World) -> list[Who]:
    return [Who("anonymous", None, world.protocol_code)] + [
        Who(f"{role}@{scope}", world.users[f"{role}@{scope}"], world.protocol_code)
        for role in ROLES
        for scope in ("site", "trial")
    ]


# Every trial the instance discovers (ids: protocol codes): a trial added later is covered.


@pytest.mark.requirement("ACC-003", "ACC-004", "ACC-010")
@pytest.mark.parametrize("code", security_trials())
def test_authorization_matrix(client, settings, tmp_path, code) -> None:
    settings.MEDIA_ROOT = tmp_path
    settings.EPRO_FAILURE_LIMIT = 10**6  # the bogus ePRO link is asked once per user
    world = build_world(protocol_code=code)
    forbidden = forbidden_texts(code)
    params = dict(pattern_names())
    failures: list[str] = []
    checked = posted = 0
    for who in _whos(world):
        client.logout()
        if who.user is not None:
            client.force_login(who.user)
        for name, rule in RULES.items():
            targets = ("own", "other") if rule.site_bound else ("own",)
            for target, fixed in ((t, f) for t in targets for f in rule.kwargs):
                objects = world.own if target == "own" else world.other
                url = _url(name, params[name], world, target, fixed)
                where = f"{who.key} GET {name} [{target}] {url}"
                response = client.get(url)
                checked += 1
                expected = rule.get(who, objects.site)
                if response.status_code != expected:
                    failures.append(f"{where}: {response.status_code}, expected {expected}")
                if who.user is None and expected == LOGIN and name not in NOT_LOGIN:
                    if "/login/" not in response.get("Location", "/login/"):
                        failures.append(f"{where}: not sent to the login page")
                failures += _check_body(response, who, world, forbidden, where)
                post = _post_expectation(name, rule, who, objects.site, fixed)
                denied = post(who, objects.site) if post else ALLOWED
                if denied == ALLOWED:
                    continue
                before = fingerprint()
                response = client.post(url, post_data(world))
                posted += 1
                where = f"{who.key} POST {name} [{target}] {url}"
                if response.status_code != denied:
                    failures.append(f"{where}: {response.status_code}, expected {denied}")
                if fingerprint() != before:
                    failures.append(f"{where}: a refused POST changed data")
                failures += _check_body(response, who, world, forbidden, where)
    assert not failures, "\n".join(failures)
    assert checked > 600, checked
    assert posted > 150, posted
