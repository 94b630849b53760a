"""The cross-cutting checks hold for every protocol the instance runs (issue 17: "the
cross-cutting tests run for both trials"; EXP-014).

Each test is parametrized over every discovered protocol (``trial.protocol.protocols()``)
and over a test-only trial of another shape (``tests.trials.shaped_protocol``: three arms,
visits anchored on the randomization, an arm-only form inside a visit of every arm, an
arm-only visit, a subset of the forms), so a trial added later is covered with no edit and
the tests are seen to be generic. Participants, lists and answers come from
``tests/trials.py``, which reads only the protocol and the form classes.

Covered: capture (every expected form saved complete, scored where an instrument, visits
done), audit (a row per write; a change with a reason records old -> new), blinding (a
blinded role of the trial sees no arm-only form or answer, and the pages of participants of
different arms look alike), randomization (the list's order; the ratio over full blocks),
releases (one name per variable: codebook, dictionary, both API dictionaries, the report's
dataset), API (a token exports its own trial only), dashboard (counts match), crawl (every
URL pattern as each role: no server error; another trial's participant: 404).
"""

from __future__ import annotations

import csv
import json
import logging
from collections import Counter
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.validators import MinValueValidator
from django.test import Client
from django.urls import NoReverseMatch, reverse

import tests.security.test_authorization_matrix as matrix
from analysis.datasets import columns as C
from analysis.datasets.builders import dataset_build
from analysis.models import DatasetRelease, ReportRun
from analysis.releases.services import dataset_release_build, dataset_release_declare
from analysis.trial_plans import get_plan
from api.live_dictionary import live_project
from api.project import event_name
from api.release import release_project
from api.services import api_token_create

# the leak test's machinery: a body (streamed or not), and its shape with the CSRF token,
# the CSP nonce, the participant's id and every number taken out
from tests.security.test_blinding_leak import _body, _shape
from tests.trials import (
    SHAPED,
    active_list,
    allocation_list,
    arm_ratio,
    complete_form,
    expected_forms,
    protocol_fixture,  # noqa: F401 (the fixture ``protocol``: every protocol in turn)
    randomized_participant,
    register_shaped,
    trial_staff,
    valid_answers,
)
from trial.models import Allocation, AllocationSlot, AuditEvent, FormInstance, Role, Visit
from trial.permissions import is_blinded
from trial.protocol import protocols
from trial.protocol.dictionary import dictionary_of
from trial.selectors.crfs import crf_data_row
from trial.services.crfs import crf_save
from trial.services.queries import query_raise

pytestmark = [pytest.mark.django_db, pytest.mark.requirement("EXP-014")]


def other_trial(protocol):
    return next(p for p in protocols() if p.code != protocol.code)


def _bounds(model_field) -> tuple[object, object]:
    lows = [v.limit_value for v in model_field.validators if isinstance(v, MinValueValidator)]
    return (max(lows) if lows else None), None


def arm_only_forms(protocol) -> set[str]:
    """Forms restricted to some arms, or only in visits restricted to some arms."""
    everyone = {f for v in protocol.visits if v.arms is None for f in v.forms} | set(protocol.logs)
    return {f.code for f in protocol.forms if f.arms is not None or f.code not in everyone}


def test_the_test_only_trial_differs_in_shape_from_every_shipped_one(monkeypatch):
    shaped = register_shaped(monkeypatch)
    for shipped in (p for p in protocols() if p.code != SHAPED):
        assert len(shaped.arms) != len(shipped.arms) or arm_ratio(shaped) != arm_ratio(shipped)
        assert {f.code for f in shaped.forms} != {f.code for f in shipped.forms}
        assert {v.anchor for v in shaped.visits} != {v.anchor for v in shipped.visits}
    assert len(shaped.arms) == 3
    assert {v.anchor for v in shaped.visits} == {"enrolment", "randomization"}
    assert any(f.arms for f in shaped.forms)
    assert any(v.arms for v in shaped.visits)
    assert arm_ratio(shaped) == [1, 1, 1]


# --- capture and audit --------------------------------------------------------------------


def test_every_expected_form_is_saved_complete_scored_and_audited(protocol):
    staff = trial_staff(protocol)
    person = randomized_participant(staff.nurse, staff.site, protocol)
    expected = list(expected_forms(person))
    assert expected, "the participant is expected at no form"
    assert {v.code for v, _f in expected} == {
        v.code for v in protocol.visits_for(person.allocation.arm)
    }
    for visit, form in expected:
        instance = FormInstance.objects.get(participant=person, visit=visit, form_code=form.code)
        assert instance.status == FormInstance.Status.COMPLETE, (visit.code, form.code)
        data = crf_data_row(form, instance)
        if form.instrument:  # scored on save, with the scorer's version
            assert data.scores, (visit.code, form.code)
            assert data.scorer_version, (visit.code, form.code)
        # one audit row for its one write, naming the form instance and its answers
        rows = AuditEvent.objects.filter(
            object_type="trial.forminstance", object_id=str(instance.pk)
        )
        assert [r.action for r in rows] == [AuditEvent.Action.CREATE], (visit.code, form.code)
        assert rows[0].changes, (visit.code, form.code)
        assert rows[0].actor == staff.nurse, (visit.code, form.code)
    for log in protocol.log_forms(person.allocation.arm):
        assert FormInstance.objects.filter(
            participant=person, visit=None, form_code=log.code, status="complete"
        ).exists()
    statuses = Counter(Visit.objects.filter(participant=person).values_list("status", flat=True))
    assert statuses == {"done": len(protocol.visits_for(person.allocation.arm))}, statuses


def test_a_change_with_a_reason_records_old_and_new(protocol):
    staff = trial_staff(protocol)
    person = randomized_participant(staff.nurse, staff.site, protocol, logs=False)
    # the first number of any expected form that is not a coded answer: moved by one step
    visit, form, field, old = next(
        (v, f, name, value)
        for v, f in expected_forms(person)
        for name, value in valid_answers(person, v, f).items()
        if isinstance(value, int | Decimal)
        and not isinstance(value, bool)
        and not apps.get_model(f.model)._meta.get_field(name).choices
    )
    instance = FormInstance.objects.get(participant=person, visit=visit, form_code=form.code)
    answers = valid_answers(person, visit, form)
    step = 1 if isinstance(old, int) else Decimal(1).scaleb(old.as_tuple().exponent)
    low, _high = _bounds(apps.get_model(form.model)._meta.get_field(field))
    new = old - step if low is None or old - step >= low else old + step
    before = AuditEvent.objects.order_by("pk").last().pk
    crf_save(
        actor=staff.nurse, participant=person, form_code=form.code, visit=visit,
        instance=instance, answers={**answers, field: new}, complete=True,
        base_revision=instance.revision, reason="transcription error",
    )  # fmt: skip
    rows = list(
        AuditEvent.objects.filter(pk__gt=before, object_type="trial.forminstance").order_by("pk")
    )
    assert [(r.action, r.object_id) for r in rows] == [
        (AuditEvent.Action.UPDATE, str(instance.pk))
    ], "one write, one audit row"
    change = rows[0]
    assert change.reason == "transcription error"
    assert [Decimal(str(x)) for x in change.changes[field]] == [old, new], change.changes


# --- randomization ------------------------------------------------------------------------


def test_allocations_follow_the_list_and_the_ratio_over_full_blocks(protocol):
    staff = trial_staff(protocol)
    ratio = arm_ratio(protocol)
    blocks = 2
    listed = allocation_list(staff.statistician, protocol, blocks=blocks)
    n = sum(ratio) * blocks
    people = [
        randomized_participant(staff.nurse, staff.site, protocol, complete=False) for _ in range(n)
    ]
    assert active_list(protocol) == listed
    slots = list(
        AllocationSlot.objects.filter(stratum__allocation_list=listed).order_by("sequence")
    )
    taken = [Allocation.objects.get(participant=p) for p in people]
    assert [a.arm for a in taken] == [s.arm for s in slots[:n]]
    counts = Counter(a.arm for a in taken)
    assert [counts[a.code] for a in protocol.arms] == [r * blocks for r in ratio]
    for person in people:  # the visits of its arm are scheduled, no other
        person.refresh_from_db()
        arm = person.allocation.arm
        assert set(Visit.objects.filter(participant=person).values_list("code", flat=True)) == {
            v.code for v in protocol.visits_for(arm)
        }


# --- releases: one name per variable ------------------------------------------------------


def test_codebook_api_dictionaries_and_report_columns_use_the_dictionary_names(protocol):
    staff = trial_staff(protocol)
    for _ in range(len(protocol.arms)):
        randomized_participant(staff.nurse, staff.site, protocol)
    declared = dataset_release_declare(
        protocol_code=protocol.code, actor=staff.statistician, reason="names", enqueue=False
    )
    release = dataset_release_build(release_id=declared.pk)
    assert release.status == DatasetRelease.Status.READY, release.error
    folder = release.folder
    from django.conf import settings

    with (settings.MEDIA_ROOT / folder / "unblinded" / "codebook.csv").open(encoding="utf-8") as fh:
        codebook = [r["variable"] for r in csv.DictReader(fh) if r["frame"] == "wide"]
    dictionary = dictionary_of(protocol)
    live = {(f.form, f.source): f.name for f in live_project(protocol, blinded=False).fields}
    frozen = release_project(release, protocol, "unblinded").columns
    report = list(dataset_build(plan=get_plan(protocol.code), population="itt").wide.columns)
    assert codebook == report  # the release writes the report's wide columns, in order
    for var in dictionary:  # the live API names every variable as the dictionary does
        assert live[(var.form, var.source)] == var.name, var
    carried = C.dataset_variables(protocol)
    assert carried, "the datasets carry no variable of the dictionary"
    for var in carried:  # the codebook, the report and the release API too
        for column, visit in var.columns():
            assert column in codebook, column
            assert column in report, column
            assert frozen[(event_name(visit), var.name)] == column, (var.name, visit)
    # a variable the protocol renames keeps no trace of its model field name downstream
    renamed = {
        s.source
        for f in protocol.forms
        for s in f.variables
        if s.name and s.name != s.source and "." not in s.source
    }
    # the long frame's own timing columns (one per visit, not a form's field) keep their names
    renamed -= {c.name for c in C.TIMING}
    downstream = {*codebook, *live.values(), *(name for _e, name in frozen)}
    assert not renamed & downstream, renamed & downstream


# --- API ----------------------------------------------------------------------------------


def test_a_token_exports_the_records_of_its_own_trial_only(protocol, client):
    staff = trial_staff(protocol)
    ours = randomized_participant(staff.nurse, staff.site, protocol, logs=False)
    other = other_trial(protocol)
    theirs_staff = trial_staff(other, site_code="S02")
    theirs = randomized_participant(theirs_staff.nurse, theirs_staff.site, other, complete=False)
    _token, secret = api_token_create(
        actor=staff.manager, user=staff.manager, protocol_code=protocol.code
    )
    response = client.post(
        "/api/", {"token": secret, "content": "record", "format": "json", "type": "flat"}
    )
    assert response.status_code == 200, response.content[:300]
    body = _body(response)
    rows = json.loads(body)
    records = {row["record_id"] for row in rows}
    assert records == {ours.trial_id}
    assert theirs.trial_id not in body
    fields = set().union(*rows)
    live = {f.name for f in live_project(protocol, blinded=False).fields}
    assert fields - {"redcap_event_name", "redcap_repeat_instrument", "redcap_repeat_instance"} <= (
        live | {f"{n}___{c}" for n in live for c in ("0", "1")} | _checkbox_columns(protocol)
    )
    metadata = client.post("/api/", {"token": secret, "content": "metadata", "format": "json"})
    assert {f["field_name"] for f in json.loads(_body(metadata))} == {
        f.name for f in live_project(protocol, blinded=False).fields
    }


def _checkbox_columns(protocol) -> set[str]:
    return {
        f"{v.name}___{c.code}"
        for v in dictionary_of(protocol)
        if v.dtype == "list"
        for c in v.codes
    } | {f"{f.name}_complete" for f in live_project(protocol, blinded=False).instruments}


# --- dashboard ----------------------------------------------------------------------------


def test_the_dashboard_counts_its_own_trial(protocol, client):
    staff = trial_staff(protocol)
    people = [randomized_participant(staff.nurse, staff.site, protocol) for _ in protocol.arms]
    other = other_trial(protocol)
    theirs_staff = trial_staff(other, site_code="S02")
    randomized_participant(theirs_staff.nurse, theirs_staff.site, other, complete=False)
    client.force_login(staff.statistician)  # comparative: counts by arm
    response = client.get(reverse("trial:dashboard") + "?refresh=1")
    assert response.status_code == 200
    assert response.context["request"].protocol.code == protocol.code
    totals = response.context["enrolment"]["totals"]
    assert totals["screened"] == totals["randomized"] == len(people)
    arms = Counter(p.allocation.arm for p in people)
    assert response.context["arms"]["totals"] == [arms[a.code] for a in protocol.arms]
    events = response.context["safety"]["rows"]
    assert sum(r["events"] for r in events) == (
        len(people) if protocol.dashboard.events_form in protocol.logs else 0
    )


# --- blinding -----------------------------------------------------------------------------


def test_a_blinded_role_sees_no_arm_only_form_or_answer_and_arms_look_alike(protocol):
    staff = trial_staff(protocol)
    assessor = staff.assessor
    assert is_blinded(assessor, protocol.code) == (Role.OUTCOME_ASSESSOR in protocol.blinded_roles)
    if not is_blinded(assessor, protocol.code):
        assessor = next(
            u for k, u in staff.users.items()
            if k.endswith("@site") and is_blinded(u, protocol.code)
        )  # fmt: skip
    if active_list(protocol) is None:
        allocation_list(staff.statistician, protocol, blocks=2)
    people, everyone = {}, []
    for _ in range(sum(arm_ratio(protocol))):  # one full block: every arm
        person = randomized_participant(staff.nurse, staff.site, protocol)
        people.setdefault(person.allocation.arm, person)
        everyone.append(person)
    assert set(people) == {a.code for a in protocol.arms}
    hidden_forms = arm_only_forms(protocol)
    hidden_answers = {(f.code, name) for f in protocol.forms for name in f.blinded_fields}
    labels = {str(protocol.form(code).label) for code in hidden_forms} | {
        str(v.label) for v in protocol.visits if v.arms
    }
    client = Client()
    client.force_login(assessor)
    shapes: dict[str, set[tuple[int, str]]] = {}
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        for person in people.values():
            tid = person.trial_id
            urls = {"detail": reverse("trial:participant-detail", args=[tid])}
            for visit in protocol.visits:
                for form in visit.forms:
                    urls[f"{visit.code}/{form}"] = reverse(
                        "trial:crf-entry", args=[tid, visit.code, form]
                    )
            for log in protocol.logs:
                urls[f"log/{log}"] = reverse("trial:log-list", args=[tid, log])
                urls[f"log/{log}/1"] = reverse("trial:log-edit", args=[tid, log, 1])
            for key, url in urls.items():
                response = client.get(url)
                assert response.status_code < 500, (key, response.status_code)
                body = _body(response)
                for label in labels:  # an arm-only form is named on no page
                    assert label not in body, (key, label)
                for form, field in hidden_answers:
                    if key.startswith("log/") and key.split("/")[1] == form:
                        assert f'name="{field}"' not in body, (key, field)
                shapes.setdefault(key, set()).add(_shape(response, tid))
    finally:
        logger.setLevel(level)
    detail = client.get(
        reverse("trial:participant-detail", args=[next(iter(people.values())).trial_id])
    )
    for code in hidden_forms:  # not on the participant page, in no arm
        assert str(protocol.form(code).label) not in detail.content.decode(), code
    differ = sorted(key for key, seen in shapes.items() if len(seen) > 1)
    assert not differ, f"pages differ between the arms for a blinded user: {differ}"
    # the blinded role's API token: no arm-revealing variable, the same fields in every arm
    _token, secret = api_token_create(actor=assessor, user=assessor, protocol_code=protocol.code)
    response = client.post(
        "/api/", {"token": secret, "content": "record", "format": "json", "type": "flat"}
    )
    assert response.status_code == 200
    rows = json.loads(_body(response))
    assert {r["record_id"] for r in rows} == {p.trial_id for p in everyone}  # 2:1: 3 people
    revealing = {v.name for v in dictionary_of(protocol) if v.arm_revealing}
    filled: dict[str, set[str]] = {}
    for row in rows:
        named = {k.split("___")[0] for k, value in row.items() if value not in ("", None)}
        assert not named & revealing, named & revealing
        assert "arm" not in {k for k, value in row.items() if value not in ("", None)}
        event = f"{row.get('redcap_event_name', '')}/{row.get('redcap_repeat_instrument', '')}"
        filled.setdefault(event, set()).add(frozenset(k for k in named if k != "record_id"))
    per_record = Counter(
        (r["record_id"], r.get("redcap_event_name", ""), r.get("redcap_repeat_instrument", ""))
        for r in rows
    )
    shapes_by_arm = {
        arm: sorted((e, i, n) for (tid, e, i), n in per_record.items() if tid == p.trial_id)
        for arm, p in people.items()
    }
    assert len({tuple(v) for v in shapes_by_arm.values()}) == 1, shapes_by_arm
    differ = sorted(event for event, seen in filled.items() if len(seen) > 1)
    assert not differ, f"the API's rows differ between the arms for a blinded user: {differ}"


# --- crawl --------------------------------------------------------------------------------


def _crawl_world(staff, person) -> dict[str, list]:
    """The trial's objects a URL can name: a form, a log entry, a query, the list, a
    release, a report (the values each URL parameter is tried with)."""
    protocol = staff.protocol
    instance = FormInstance.objects.filter(participant=person, visit__isnull=False).first()
    log = FormInstance.objects.filter(participant=person, visit=None).first()
    item = next(v.source for v in dictionary_of(protocol).of_form(instance.form_code))
    query = query_raise(
        actor=staff.manager, form_instance=instance, field=item, text="Please check"
    )
    declared = dataset_release_declare(
        protocol_code=protocol.code, actor=staff.statistician, reason="crawl", enqueue=False
    )
    release = dataset_release_build(release_id=declared.pk)
    assert release.status == DatasetRelease.Status.READY, release.error
    report = ReportRun.objects.create(
        protocol_code=protocol.code, created_by=staff.statistician, population="itt",
        mode="correct", status=ReportRun.Status.SUCCEEDED, progress=100,
    )  # fmt: skip
    pairs = [(v.code, f.code) for v, f in expected_forms(person)]
    pairs += [("", f.code) for f in protocol.log_forms(person.allocation.arm)]
    pks = [instance.pk, query.pk, active_list(protocol).pk, release.pk, report.pk]
    pks += [log.pk] if log else []
    return {
        "pk": pks,
        "pairs": pairs,
        "version": [release.version],
        "seq": [log.seq if log else 1],
    }


def _crawl_urls(person, world: dict[str, list]) -> list[str]:
    """Every GET URL pattern with the participant's and the trial's objects: each visit
    and form it is expected at, each object kind by its pk."""
    fixed = {
        "trial_id": person.trial_id,
        "verb": "answer",
        "variant": "blinded",
        "filename": "codebook.csv",
        "token": "x" * 32,
        "kind": "xlsx",
        "fmt": "xlsx",
        "decision": "approve",
        "lang": "en",
    }
    urls = []
    for name, params in matrix.pattern_names():
        if name in ("admin:*", "") or name in matrix.NOT_LOGIN:
            continue
        choices = [{}]
        if "visit_code" in params or "form_code" in params:
            log_pattern = name.startswith("trial:log-")
            choices = [
                {"visit_code": visit, "form_code": form}
                for visit, form in world["pairs"]
                if bool(visit) != log_pattern
            ]
        if "pk" in params:
            choices = [{**c, "pk": pk} for c in choices for pk in world["pk"]]
        for choice in choices:
            values = {"seq": world["seq"][0], "version": world["version"][0], **fixed, **choice}
            kwargs = {p: values.get(p, "x") for p in params}
            try:
                urls.append(reverse(name, kwargs=kwargs))
            except NoReverseMatch:
                continue
    return list(dict.fromkeys(urls))


def test_every_page_answers_every_role_without_a_server_error(protocol):
    staff = trial_staff(protocol)
    person = randomized_participant(staff.nurse, staff.site, protocol)
    urls = _crawl_urls(person, _crawl_world(staff, person))
    patterns = {name for name, _params in matrix.pattern_names()}
    assert len(urls) > len(patterns), len(urls)
    other = other_trial(protocol)
    theirs_staff = trial_staff(other, site_code="S02")
    theirs = randomized_participant(theirs_staff.nurse, theirs_staff.site, other)
    their_urls = [
        url
        for url in _crawl_urls(theirs, _crawl_world(theirs_staff, theirs))
        if theirs.trial_id in url
    ]
    assert len(their_urls) > len(list(expected_forms(theirs))), their_urls
    errors, leaks = [], []
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        for key, user in staff.users.items():
            client = Client(raise_request_exception=False)
            client.force_login(user)
            for url in urls:
                response = client.get(url)
                if response.status_code >= 500:
                    errors.append(f"{key} GET {url}: {response.status_code}")
            own = client.get(reverse("trial:participant-detail", args=[person.trial_id]))
            # the other trial's participant pages: not found; a role that may not open
            # participants at all is refused there as for its own trial's participant, and
            # a POST-only page refuses the GET by its method alone (405), before any lookup
            for url in their_urls:
                answer = client.get(url).status_code
                if answer not in (404, 405) and not (answer == own.status_code == 403):
                    leaks.append(f"{key} GET {url}: {answer}")
    finally:
        logger.setLevel(level)
    assert not errors, "\n".join(errors[:30])
    assert not leaks, "\n".join(leaks[:30])
    anonymous = Client().get(reverse("trial:participant-detail", args=[theirs.trial_id]))
    assert anonymous.status_code == 302  # the log-in page first


def test_answers_are_generated_from_the_form_classes_only(protocol):
    """The helper's answers pass each entry form with no edit-check finding, and a form
    the participant's arm is not given is never generated for it."""
    staff = trial_staff(protocol)
    person = randomized_participant(staff.nurse, staff.site, protocol, complete=False)
    arm = person.allocation.arm
    for visit, form in expected_forms(person):
        assert form.arms is None or arm in form.arms
        if FormInstance.objects.filter(visit=visit, form_code=form.code).exists():
            continue
        instance = complete_form(staff.nurse, person, visit, form)
        assert instance.status == FormInstance.Status.COMPLETE


def test_two_trials_each_publish_their_own_release_1(monkeypatch, settings, tmp_path):
    """Each trial numbers its releases from 1; both trials' v1 are published side by side
    under one media root (they used to share ``releases/v1``: the second never built)."""
    settings.MEDIA_ROOT = tmp_path
    shaped = register_shaped(monkeypatch)
    folders = []
    for protocol, site in ((protocols()[0], "S01"), (shaped, "S02")):
        staff = trial_staff(protocol, site_code=site)
        randomized_participant(staff.nurse, staff.site, protocol, logs=False)
        declared = dataset_release_declare(
            protocol_code=protocol.code, actor=staff.statistician, reason="v1", enqueue=False
        )
        release = dataset_release_build(release_id=declared.pk)
        assert release.status == DatasetRelease.Status.READY, release.error
        assert release.version == 1
        assert release.folder == f"releases/{protocol.code}/v1"
        assert release.archive.startswith(f"releases/{protocol.code}/v1/")
        folders.append(tmp_path / release.folder)
    for folder in folders:
        assert (folder / "unblinded" / "codebook.csv").is_file()
    assert folders[0] != folders[1]
