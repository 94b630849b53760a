"""A small two-site trial with one of everything a URL can point at, for the security tests.

Site S01 is the "own" site of the site-scoped users; S02 is "another site". Each site has a
randomized participant with a completed form, an adverse-event log entry, an open query and
an unblinding request. Reports and a dataset release are trial-wide.

``build_world(protocol_code=...)`` builds it for any discovered trial: the seed's is
written by hand; any other trial's participant is enrolled and allocated from its protocol
alone (``tests/trials.py``), the own site's to the first arm and the other site's to the
last, with the first form of its first visit after randomization completed (a visit that
counts from the randomization in a trial whose visits do); both worlds can live in one
database (usernames of a trial other than the seed's carry its code).
"""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.utils import timezone

from analysis.models import ReportRun
from analysis.releases.services import dataset_release_build, dataset_release_declare
from tests.factories import SiteFactory, allocated_participant, user_with_role
from tests.trials import allocation_list as make_list
from tests.trials import complete_form, complete_visits, enrolled_participant, valid_answers
from trial.demo import demo_allocation_list, sample_answers
from trial.models import FormInstance, Participant, Query, Role, Site, Visit
from trial.protocol import Protocol, get_protocol
from trial.services.crfs import crf_save
from trial.services.queries import query_raise
from trial.services.randomization import allocation_record
from trial.services.unblinding import unblinding_request_create

ROLES = (
    Role.RESEARCH_NURSE,
    Role.INVESTIGATOR,
    Role.DATA_MANAGER,
    Role.STATISTICIAN,
    Role.OUTCOME_ASSESSOR,
    Role.ADMINISTRATOR,
    Role.DMC_MEMBER,
)


@dataclass
class SiteObjects:
    site: Site
    participant: Participant
    form: FormInstance
    log: FormInstance
    query: Query
    unblinding_pk: int


SEED = "snrb_peld"


@dataclass(frozen=True)
class Targets:
    """The visit, form, log, query field and later visit the world's URLs point at."""

    visit: str
    form: str
    log: str
    field: str
    later_visit: str  # for the visit-missed page and the ePRO invitations
    post_data: dict[str, str] = field(default_factory=dict)  # the form's fields, for POSTs


SEED_TARGETS = Targets(
    "admission", "vas", "adverse_event", "leg_vas", "month_3",
    {"leg_vas": "5", "back_vas": "5"},
)  # fmt: skip


@dataclass
class World:
    own: SiteObjects
    other: SiteObjects
    allocation_list_pk: int
    report_pk: int
    blinded_report_pk: int
    release_pk: int
    users: dict[str, Any] = field(default_factory=dict)  # "<role>@site" / "<role>@trial"
    protocol_code: str = SEED
    targets: Targets = SEED_TARGETS


def _tag(protocol_code: str) -> str:
    return "" if protocol_code == SEED else f"{protocol_code}-"


def _seed_entries(nurse: Any, site: Site, rng: random.Random) -> tuple:
    participant = allocated_participant(nurse, site, arm="S" if site.code == "S01" else "P")
    visit = Visit.objects.get(participant=participant, code="admission")
    answers = sample_answers("vas", participant, visit_code="admission", rng=rng)
    form = crf_save(actor=nurse, participant=participant, form_code="vas", visit=visit,
                    complete=True, answers=answers)  # fmt: skip
    ae = sample_answers("adverse_event", participant, visit_code=None, rng=rng)
    log = crf_save(actor=nurse, participant=participant, form_code="adverse_event", visit=None,
                   complete=False, answers=ae)  # fmt: skip
    return participant, form, log


def _targets(protocol: Protocol) -> Targets:
    """The first form of the first visit after randomization that every arm has."""
    visit = next(v for v in protocol.visits if not v.before_randomization and not v.arms)
    form = next(protocol.form(f) for f in visit.forms if not protocol.form(f).arms)
    log = next(code for code in protocol.logs)
    later = [v for v in protocol.visits if not v.arms][-1]
    return Targets(visit.code, form.code, log, "", later.code)


def _generic_entries(nurse: Any, site: Site, protocol: Protocol, targets: Targets) -> tuple:
    arm = protocol.arms[0 if site.code == "S01" else -1].code
    participant = enrolled_participant(nurse, site, protocol)
    complete_visits(nurse, participant, before_randomization=True)
    day = participant.screening_date + timedelta(days=1)
    allocation_record(
        actor=nurse, participant=participant, arm=arm,
        randomization_number=f"W{participant.pk:04d}",
        allocated_at=timezone.make_aware(datetime.combine(day, time(10, 0))),
    )  # fmt: skip
    participant.refresh_from_db()
    visit = Visit.objects.get(participant=participant, code=targets.visit)
    form = complete_form(nurse, participant, visit, protocol.form(targets.form))
    log = complete_form(nurse, participant, None, protocol.form(targets.log))
    return participant, form, log


def _site_objects(
    code: str, statistician: Any, rng: random.Random, protocol_code: str = SEED
) -> SiteObjects:
    site = SiteFactory(code=code)
    tag = _tag(protocol_code)
    nurse = user_with_role(Role.RESEARCH_NURSE, site=site, username=f"{tag}world-nurse-{code}",
                           protocol_code=protocol_code)  # fmt: skip
    if protocol_code == SEED:
        participant, form, log = _seed_entries(nurse, site, rng)
        field_name = SEED_TARGETS.field
    else:
        protocol = get_protocol(protocol_code)
        participant, form, log = _generic_entries(nurse, site, protocol, _targets(protocol))
        field_name = _query_field(form)
    manager = user_with_role(Role.DATA_MANAGER, site=site, username=f"{tag}world-dm-{code}",
                             protocol_code=protocol_code)  # fmt: skip
    query = query_raise(actor=manager, form_instance=form, field=field_name, text="Please check")
    investigator = user_with_role(Role.INVESTIGATOR, site=site,
                                  username=f"{tag}world-inv-{code}",
                                  protocol_code=protocol_code)  # fmt: skip
    unblinding = unblinding_request_create(
        actor=investigator, participant=participant, reason="emergency"
    )
    participant.refresh_from_db()
    return SiteObjects(site, participant, form, log, query, unblinding.pk)


def _query_field(form: FormInstance) -> str:
    """A field of the entry with an answer (a number, first), for a query."""
    person = form.participant
    definition = get_protocol(person.protocol_code).form(form.form_code)
    answers = valid_answers(person, form.visit, definition)
    names = [n for n in answers if n != definition.date_field]
    numbers = [n for n in names if isinstance(answers[n], int | Decimal)]
    return (numbers or names)[0]


def _post_data(form: FormInstance) -> dict[str, str]:
    person = form.participant
    definition = get_protocol(person.protocol_code).form(form.form_code)
    answers = valid_answers(person, form.visit, definition)
    return {n: str(v) for n, v in answers.items() if isinstance(v, int | Decimal | str)}


def _report(statistician: Any, *, blinded: bool, protocol_code: str = SEED) -> int:
    run = ReportRun.objects.create(
        protocol_code=protocol_code, created_by=statistician, population="itt", mode="correct",
        blinded_view=blinded, status=ReportRun.Status.SUCCEEDED, progress=100,
    )  # fmt: skip
    run.xlsx.save(f"r{run.pk}.xlsx", ContentFile(b"PK\x03\x04 xlsx"), save=False)
    run.docx.save(f"r{run.pk}.docx", ContentFile(b"PK\x03\x04 docx"), save=False)
    run.save()
    return run.pk


def build_world(*, release: bool = True, protocol_code: str = SEED) -> World:
    """Create both sites' objects, the trial-wide objects and one user per role and scope."""
    rng = random.Random(10)
    tag = _tag(protocol_code)
    statistician = user_with_role(Role.STATISTICIAN, site=None,
                                  username=f"{tag}world-statistician",
                                  protocol_code=protocol_code)  # fmt: skip
    SiteFactory(code="S01"), SiteFactory(code="S02")  # the list is stratified by site
    if protocol_code == SEED:
        allocation_list = demo_allocation_list(actor=statistician)
        targets = SEED_TARGETS
    else:
        allocation_list = make_list(statistician, get_protocol(protocol_code))
    own = _site_objects("S01", statistician, rng, protocol_code)
    other = _site_objects("S02", statistician, rng, protocol_code)
    if protocol_code != SEED:
        protocol = get_protocol(protocol_code)
        targets = dataclasses.replace(
            _targets(protocol), field=own.query.field, post_data=_post_data(own.form)
        )
    release_pk = 0
    if release:
        declared = dataset_release_declare(
            protocol_code=protocol_code, actor=statistician, reason="interim", enqueue=False
        )
        release_pk = dataset_release_build(release_id=declared.pk).pk
    world = World(
        own=own,
        other=other,
        allocation_list_pk=allocation_list.pk,
        report_pk=_report(statistician, blinded=False, protocol_code=protocol_code),
        blinded_report_pk=_report(statistician, blinded=True, protocol_code=protocol_code),
        release_pk=release_pk,
        protocol_code=protocol_code,
        targets=targets,
    )
    for role in ROLES:
        world.users[f"{role}@site"] = user_with_role(
            role, site=own.site, username=f"{tag}{role}-s01", protocol_code=protocol_code
        )
        world.users[f"{role}@trial"] = user_with_role(
            role, site=None, username=f"{tag}{role}-all", protocol_code=protocol_code
        )
    return world
