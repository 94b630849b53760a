"""Every trial the instance runs, its whole journey in a browser (issue 17), by the users of
that trial, each step through the pages:

a nurse of both trials switches to the trial, registers a patient, records eligibility and
consent (and the anchor dates staff enter); a statistician generates and seals the
allocation list; the nurse enters the forms before randomization and randomizes; then,
on the target day of each visit, she enters every form the arm is expected to complete
(an arm-only form among them) and an entry of each log; a data manager raises a query,
closes it, locks the form, freezes the database and cuts a release; a statistician
downloads the release and runs the report on it (the trial's own tables, by their
titles); the investigator's dashboard renders; the blinded assessor sees no arm.

The calendar is real: the nurse works on the visits' days (the clock of this process, the
live server's, is moved there with ``time_machine``). The other participants the report
needs are taken through the journey by the services (``tests/trials.py``); the answers the
nurse types are generated from each form's definition by the same helpers.
"""

from __future__ import annotations

import datetime
import shutil
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import time_machine
from django.conf import settings as django_settings
from django.utils import timezone

from analysis.models import DatasetRelease, ReportRun
from analysis.trial_plans import get_plan
from tests.browser.test_participant_journey import fill, login, submit
from tests.trials import (
    RANDOMIZED_AFTER,
    history_span,
    randomized_participant,
    trial_staff,
    valid_answers,
)
from trial.models import (
    AllocationSlot,
    AuditEvent,
    FormInstance,
    Membership,
    Participant,
    Query,
    Role,
    Visit,
)
from trial.protocol import AnchorEvent, Protocol, get_protocol, protocols

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGE = "en"
TRIALS = [p.code for p in protocols()]  # every shipped trial the instance discovers
OTHERS = 3  # participants per arm (at least) the services take through the journey
JOB_SECONDS = 150


@pytest.fixture
def jobs(request, settings, tmp_path) -> Iterator[None]:
    """Background jobs (release, report): in this process without a queue (default mode),
    else a real Celery worker; the release folders this test publishes are removed."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        settings.MEDIA_ROOT = tmp_path
        yield
        return
    request.getfixturevalue("celery_worker")
    root = Path(django_settings.MEDIA_ROOT) / "releases"
    before = {p for p in root.glob("*/v*")} if root.is_dir() else set()
    yield
    for folder in root.glob("*/v*") if root.is_dir() else ():
        if folder not in before:
            shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def on(day: datetime.date) -> Iterator[None]:
    """The clock of the instance (this process, the live server) on ``day`` at 10:00."""
    moment = timezone.make_aware(datetime.datetime.combine(day, datetime.time(10, 0)))
    with time_machine.travel(moment, tick=True):
        yield


def switch_to(page, code: str) -> None:
    """Choose the trial in the navigation (shown to users of several trials)."""
    select = page.locator("#trial-select")
    if select.input_value() != code:
        select.select_option(code)
        page.wait_for_load_state()
    assert page.locator("#trial-select").input_value() == code


def as_user(page, user, code: str) -> None:
    page.context.clear_cookies()
    login(page, user.username, LANGUAGE)
    if page.locator("#trial-select").count():
        switch_to(page, code)


def preferred_arm(protocol: Protocol) -> str:
    """The arm with the most forms to enter (an arm-only form's arm)."""
    return max(
        (a.code for a in protocol.arms),
        key=lambda arm: sum(len(protocol.forms_for(v, arm)) for v in protocol.visits_for(arm)),
    )


def next_slot_arm(code: str) -> str:
    slot = (
        AllocationSlot.objects.filter(stratum__allocation_list__protocol_code=code,
                                      participant__isnull=True)
        .order_by("sequence").first()
    )  # fmt: skip
    return slot.arm


def type_answers(page, answers: dict) -> None:
    """Enter generated answers as a person would; a yes/no answer is a checkbox ticked or
    not, or the choice of a yes/no/unknown list."""
    rest = {}
    for name, value in answers.items():
        if not isinstance(value, bool):
            rest[name] = value
            continue
        field = page.locator(f"[name='{name}']").first
        kind = field.get_attribute("type")
        if kind == "checkbox":
            field.set_checked(value)
        elif kind == "radio":
            page.check(f"input[name='{name}'][value='{value}']")
        else:
            field.select_option("true" if value else "false")
    fill(page, rest)


def enter_form(page, participant: Participant, visit: Visit, formdef) -> None:
    """Open the form (the grid's link) and enter it as complete."""
    page.goto(f"/participants/{participant.trial_id}/visits/{visit.code}/{formdef.code}/")
    participant.refresh_from_db()
    type_answers(page, valid_answers(participant, visit, formdef))
    submit(page, "Save as complete", LANGUAGE)
    status = page.locator("[data-testid=form-status]")
    assert status.get_attribute("data-status") == "complete", (visit.code, formdef.code)


def wait_for(page, selector: str) -> None:
    """Wait for a background job's page to show ``selector`` (it refreshes itself)."""
    page.locator(selector).wait_for(timeout=JOB_SECONDS * 1000)


@pytest.mark.requirement("WFL-010")
@pytest.mark.parametrize("code", TRIALS)
def test_the_whole_journey_of_each_trial_through_the_pages(page, jobs, settings, tmp_path, code):
    # the session outlives the months the nurse's visits span (the clock moves forward)
    settings.SESSION_COOKIE_AGE = 400 * 24 * 3600
    settings.CSRF_COOKIE_AGE = None
    protocol = get_protocol(code)
    plan = get_plan(code)
    staff = trial_staff(protocol)
    nurse, manager, statistician = staff.nurse, staff.manager, staff.statistician
    investigator = staff.users[f"{Role.INVESTIGATOR}@site"]
    assessor = staff.assessor
    for other in TRIALS:  # the nurse works in every trial: she switches to this one
        if other != code:
            Membership.objects.create(
                user=nurse, protocol_code=other, site=staff.site, role=Role.RESEARCH_NURSE
            )
    registered = timezone.localdate() - datetime.timedelta(days=history_span(protocol) + 7)
    entered_anchors = [a for a in protocol.anchors if a.entered]

    with on(registered):
        # the statistician generates a permuted-block list in the protocol's ratio, seals it
        as_user(page, statistician, code)
        page.click("[data-nav=allocation]")
        page.get_by_role("link", name="Generate a permuted-block list").click()
        page.fill("input[name=name]", f"Main list of {code}")
        page.fill("input[name=slots_per_stratum]", "60")
        page.fill("input[name=seed]", "2026")
        page.get_by_role("button", name="Generate list").click()
        page.click("[data-testid=activate]")
        assert len(page.locator("[data-testid=commitment]").inner_text()) == 64

        # the nurse registers a patient, records eligibility and consent
        as_user(page, nurse, code)
        page.click("[data-nav=participants]")
        page.click("[data-testid=register]")
        page.fill("input[name=screening_date]", registered.isoformat())
        page.fill("input[name=registration_date]", registered.isoformat())
        page.fill("input[name=full_name]", "Wang Xiaoming")
        page.fill("input[name=hospital_number]", "H123456")
        submit(page, "Register for screening", LANGUAGE)
        trial_id = page.locator("[data-testid=trial-id]").inner_text()
        participant = Participant.objects.get(trial_id=trial_id)
        assert participant.protocol_code == code
        page.get_by_role("link", name="Eligibility").click()
        page.fill("input[name=assessed_date]", registered.isoformat())
        for criterion in protocol.criteria:
            answer = "yes" if criterion.kind == "inclusion" else "no"
            page.check(f"input[name='c_{criterion.code}'][value='{answer}']")
        submit(page, "Record eligibility", LANGUAGE)
        assert page.locator("[data-testid=status]").get_attribute("data-status") == "eligible"
        page.get_by_role("link", name="Record consent").click()
        page.fill("input[name=consent_date]", registered.isoformat())
        page.check("input[name=confirm]")
        submit(page, "Record consent", LANGUAGE)
        assert page.locator("[data-testid=status]").get_attribute("data-status") == "consented"
        # and the dates staff enter on the schedule page (the registration day it shows,
        # a planned surgery three days on)
        page.click("[data-testid=dates-link]")
        for anchor in entered_anchors:
            field = page.locator(f"input[name={anchor.code}_date]")
            if anchor.event is AnchorEvent.REGISTRATION:
                assert field.input_value() == registered.isoformat(), anchor.code
            else:
                field.fill((registered + datetime.timedelta(days=3)).isoformat())
        submit(page, "Save", LANGUAGE)
        assert page.locator("[data-testid=trial-id]").inner_text() == trial_id

    # the others the report needs, through the services; the next slot then falls to the
    # arm with the most forms (the arm-only forms are entered too)
    arm = preferred_arm(protocol)
    others = 0
    while others < OTHERS * len(protocol.arms) or next_slot_arm(code) != arm:
        randomized_participant(nurse, staff.site, protocol)
        others += 1

    # the nurse enters the forms before randomization on their visits' days, then randomizes
    pre = [
        v
        for v in Visit.objects.filter(participant=participant).order_by("order")
        if protocol.visit(v.code).before_randomization
    ]
    for visit in pre:
        with on(max(visit.target_date, registered)):
            for formdef in protocol.forms_for(protocol.visit(visit.code), None):
                enter_form(page, participant, visit, formdef)
    randomized_on = max(
        [registered + datetime.timedelta(days=RANDOMIZED_AFTER), *(v.target_date for v in pre)]
    )
    with on(randomized_on):
        page.goto(f"/participants/{trial_id}/")
        page.click("[data-testid=randomize-link]")
        page.click("[data-testid=randomize]")
        page.wait_for_load_state()
        assert page.locator("[data-testid=status]").get_attribute("data-status") == "randomized"
    participant.refresh_from_db()
    assert participant.allocation.arm == arm
    assert f"Arm {arm}" in page.locator("[data-testid=allocation]").inner_text()

    # on each visit's day the nurse enters the arm's forms of that visit
    arm_only = set()
    for visit in Visit.objects.filter(participant=participant).order_by("order"):
        definition = protocol.visit(visit.code)
        if definition.before_randomization:
            continue
        assert visit.target_date is not None, visit.code
        with on(visit.target_date):
            for formdef in protocol.forms_for(definition, arm):
                enter_form(page, participant, visit, formdef)
                if formdef.arms:
                    arm_only.add(formdef.code)
    assert arm_only == {
        f.code for v in protocol.visits_for(arm) for f in protocol.forms_for(v, arm) if f.arms
    }
    # and an entry of each log (an adverse event), on the last visit's day
    with on(visit.target_date):
        for formdef in protocol.log_forms(arm):
            page.goto(f"/participants/{trial_id}/logs/{formdef.code}/new/")
            type_answers(page, valid_answers(participant, None, formdef))
            submit(page, "Save as complete", LANGUAGE)
            status = page.locator("[data-testid=form-status]")
            assert status.get_attribute("data-status") == "complete", formdef.code
    # then: every visit is done, every form complete and audited
    page.goto(f"/participants/{trial_id}/")
    states = page.locator("[data-testid=grid] tr[data-visit]").evaluate_all(
        "rows => rows.map(r => r.dataset.state)"
    )
    assert states == ["done"] * len(protocol.visits_for(arm))
    instances = FormInstance.objects.filter(participant=participant)
    assert instances.count() == sum(
        len(protocol.forms_for(v, arm)) for v in protocol.visits_for(arm)
    ) + len(protocol.log_forms(arm))
    assert {i.status for i in instances} == {"complete"}
    audited = set(
        AuditEvent.objects.filter(object_type="trial.forminstance").values_list(
            "object_id", flat=True
        )
    )
    assert {str(i.pk) for i in instances} <= audited

    # the blinded outcome assessor: no arm, no arm-only form on the participant's pages
    as_user(page, assessor, code)
    page.goto(f"/participants/{trial_id}/")
    assert page.locator("[data-testid=status]").get_attribute("data-status") == "randomized"
    badge = page.locator("[data-testid=allocation]").inner_text()
    assert participant.allocation.randomization_number in badge
    assert "Arm" not in badge
    body = page.locator("main").inner_text()
    for label in (a.label for a in protocol.arms):
        assert label.en not in body
    for form_code in arm_only:
        assert page.locator(f"a[data-form={form_code}]").count() == 0
    page.goto("/participants/")
    listing = page.locator("main").inner_text()
    assert trial_id in listing
    assert not any(a.label.en in listing for a in protocol.arms)

    # a data manager raises a query on the last visit's first form and closes it, locks the
    # form and freezes the database
    as_user(page, manager, code)
    last_form = protocol.forms_for(definition, arm)[0]
    page.goto(f"/participants/{trial_id}/visits/{visit.code}/{last_form.code}/")
    page.fill("#query-text", "Please confirm the assessment date against the source")
    page.get_by_role("button", name="Raise query").click()
    page.wait_for_load_state()
    query = page.locator("[data-testid=form-queries] li[data-query]").first
    assert query.get_attribute("data-status") == "open"
    query.locator("input[name=text]").fill("Checked against the clinic notes")
    query.locator("[data-testid=close-query]").click()
    page.wait_for_load_state()
    assert Query.objects.get(form_instance__participant=participant).status == "closed"
    page.click("[data-testid=lock]")
    page.wait_for_load_state()
    assert page.locator("[data-testid=locked-badge]").is_visible()
    page.click("[data-nav=database]")
    page.fill("textarea[name=reason]", "Data cut for the analysis")
    page.get_by_role("button", name="Freeze").click()
    page.wait_for_load_state()
    assert page.locator("[data-testid=db-state]").get_attribute("data-state") == "frozen"
    # and cuts a release
    page.goto("/data/releases/")
    page.fill("textarea[name=reason]", "Analysis of the frozen data")
    page.get_by_test_id("release-cut").click(no_wait_after=True)
    page.wait_for_url("**/data/releases/*/", timeout=JOB_SECONDS * 1000)
    wait_for(page, "[data-testid=release-downloads]")
    release = DatasetRelease.objects.get(protocol_code=code)

    # a statistician downloads the release
    as_user(page, statistician, code)
    page.goto("/data/releases/")
    page.get_by_test_id(f"release-row-{release.version}").get_by_role("link").click()
    with page.expect_download() as info:
        page.get_by_test_id("download-unblinded").click()
    target = tmp_path / "release.zip"
    info.value.save_as(target)
    with zipfile.ZipFile(target) as zf:
        names = zf.namelist()
    assert f"{code}-release-v{release.version}/manifest-sha256.txt" in names
    # and runs the report on it: the trial's own tables appear with their titles
    page.click("[data-nav=reports]")
    page.select_option("select[name=release]", str(release.pk))
    page.select_option("select[name=population]", release.population)
    page.get_by_test_id("report-start").click(no_wait_after=True)
    page.wait_for_url("**/reports/*/", timeout=JOB_SECONDS * 1000)
    wait_for(page, "[data-testid=report-downloads]")
    run = ReportRun.objects.get(protocol_code=code)
    assert run.release_id == release.pk
    assert page.get_by_test_id("report-source").get_attribute("data-source") == run.data_source
    text = page.locator("main").inner_text()
    for table in plan.tables:
        assert table.title.en in text, table.key

    # the investigator's dashboard renders for the trial
    as_user(page, investigator, code)
    page.click("[data-nav=dashboard]")
    assert page.locator("#trial-select").count() == 0 or (
        page.locator("#trial-select").input_value() == code
    )
    board = page.locator("main").inner_text()
    for measure in protocol.dashboard.measures:  # its outcome panel follows the trial's measures
        assert f"{measure.label.en} " in board, measure.key
