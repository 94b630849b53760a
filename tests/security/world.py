"""A small two-site trial with one of everything a URL can point at, for the security tests.

Site S01 is the "own" site of the site-scoped users; S02 is "another site". Each site has a
randomized participant with a completed form, an adverse-event log entry, an open query and
an unblinding request. Reports and a dataset release are trial-wide.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from django.core.files.base import ContentFile

from analysis.models import ReportRun
from analysis.releases.services import dataset_release_build, dataset_release_declare
from tests.factories import SiteFactory, allocated_participant, user_with_role
from trial.demo import demo_allocation_list, sample_answers
from trial.models import FormInstance, Participant, Query, Role, Site, Visit
from trial.services.crfs import crf_save
from trial.services.queries import query_raise
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


@dataclass
class World:
    own: SiteObjects
    other: SiteObjects
    allocation_list_pk: int
    report_pk: int
    blinded_report_pk: int
    release_pk: int
    users: dict[str, Any] = field(default_factory=dict)  # "<role>@site" / "<role>@trial"


def _site_objects(code: str, statistician: Any, rng: random.Random) -> SiteObjects:
    site = SiteFactory(code=code)
    nurse = user_with_role(Role.RESEARCH_NURSE, site=site, username=f"world-nurse-{code}")
    participant = allocated_participant(nurse, site, arm="S" if code == "S01" else "P")
    visit = Visit.objects.get(participant=participant, code="admission")
    answers = sample_answers("vas", participant, visit_code="admission", rng=rng)
    form = crf_save(actor=nurse, participant=participant, form_code="vas", visit=visit,
                    complete=True, answers=answers)  # fmt: skip
    ae = sample_answers("adverse_event", participant, visit_code=None, rng=rng)
    log = crf_save(actor=nurse, participant=participant, form_code="adverse_event", visit=None,
                   complete=False, answers=ae)  # fmt: skip
    manager = user_with_role(Role.DATA_MANAGER, site=site, username=f"world-dm-{code}")
    query = query_raise(actor=manager, form_instance=form, field="leg_vas", text="Please check")
    investigator = user_with_role(Role.INVESTIGATOR, site=site, username=f"world-inv-{code}")
    unblinding = unblinding_request_create(
        actor=investigator, participant=participant, reason="emergency"
    )
    participant.refresh_from_db()
    return SiteObjects(site, participant, form, log, query, unblinding.pk)


def _report(statistician: Any, *, blinded: bool) -> int:
    run = ReportRun.objects.create(
        protocol_code="snrb_peld", created_by=statistician, population="itt", mode="correct",
        blinded_view=blinded, status=ReportRun.Status.SUCCEEDED, progress=100,
    )  # fmt: skip
    run.xlsx.save(f"r{run.pk}.xlsx", ContentFile(b"PK\x03\x04 xlsx"), save=False)
    run.docx.save(f"r{run.pk}.docx", ContentFile(b"PK\x03\x04 docx"), save=False)
    run.save()
    return run.pk


def build_world(*, release: bool = True) -> World:
    """Create both sites' objects, the trial-wide objects and one user per role and scope."""
    rng = random.Random(10)
    statistician = user_with_role(Role.STATISTICIAN, site=None, username="world-statistician")
    SiteFactory(code="S01"), SiteFactory(code="S02")  # the list is stratified by site
    allocation_list = demo_allocation_list(actor=statistician)
    own = _site_objects("S01", statistician, rng)
    other = _site_objects("S02", statistician, rng)
    release_pk = 0
    if release:
        declared = dataset_release_declare(
            protocol_code="snrb_peld", actor=statistician, reason="interim", enqueue=False
        )
        release_pk = dataset_release_build(release_id=declared.pk).pk
    world = World(
        own=own,
        other=other,
        allocation_list_pk=allocation_list.pk,
        report_pk=_report(statistician, blinded=False),
        blinded_report_pk=_report(statistician, blinded=True),
        release_pk=release_pk,
    )
    for role in ROLES:
        world.users[f"{role}@site"] = user_with_role(role, site=own.site, username=f"{role}-s01")
        world.users[f"{role}@trial"] = user_with_role(role, site=None, username=f"{role}-all")
    return world
