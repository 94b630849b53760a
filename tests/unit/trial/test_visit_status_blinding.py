"""A visit's status is made of the forms every arm of the visit is asked (BLD-011).

The status (done or not) is read by blinded readers too: a form of one arm only inside a
visit of every arm (an adherence form) must not keep the visit open for that arm alone, or
a visit still due while every form the blinded reader sees is complete would name the arm.
An arm-only visit is still done only when its own forms are.
"""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from tests.factories import SiteFactory, user_with_role
from tests.trials import (
    RANDOMIZED_AFTER,
    complete_form,
    complete_visits,
    enrolled_participant,
)
from trial.blinding import visit_status_forms
from trial.models import Role, Visit
from trial.protocol import protocols
from trial.services.randomization import allocation_record

pytestmark = [pytest.mark.django_db, pytest.mark.requirement("BLD-011")]


def _shared_visits_with_arm_only_forms(protocol) -> list:
    return [
        v for v in protocol.visits if not v.arms and any(protocol.form(f).arms for f in v.forms)
    ]


def test_a_form_of_one_arm_inside_a_shared_visit_does_not_hold_it_open() -> None:
    tried = 0
    for protocol in protocols():
        for definition in _shared_visits_with_arm_only_forms(protocol):
            site = SiteFactory(code="VS1")
            nurse = user_with_role(Role.RESEARCH_NURSE, site=site, protocol_code=protocol.code)
            for n, arm in enumerate(a.code for a in protocol.arms):
                person = enrolled_participant(nurse, site, protocol)
                complete_visits(nurse, person, before_randomization=True)
                allocated_at = timezone.make_aware(datetime.datetime.combine(
                    person.screening_date + datetime.timedelta(days=RANDOMIZED_AFTER),
                    datetime.time(10, 0)))  # fmt: skip
                allocation_record(actor=nurse, participant=person, arm=arm,
                                  randomization_number=f"V{protocol.code}{n}",
                                  allocated_at=allocated_at)  # fmt: skip
                person.refresh_from_db()
                visit = Visit.objects.get(participant=person, code=definition.code)
                shared = visit_status_forms(protocol, definition, arm)
                assert all(f.arms is None for f in shared)
                for form in shared:
                    complete_form(nurse, person, visit, form)
                visit.refresh_from_db()
                # done for every arm alike, the arm-only form left unstarted
                assert visit.status == Visit.Status.DONE, (protocol.code, arm, definition.code)
                tried += 1
    assert tried >= 2, "no shipped trial has a form of one arm inside a visit of every arm"


def test_an_arm_only_visit_still_needs_its_forms() -> None:
    found = [(p, v) for p in protocols() for v in p.visits if v.arms]
    assert found, "no shipped trial has an arm-only visit"
    for protocol, visit in found:
        arm = sorted(visit.arms)[0]
        needed = {f.code for f in protocol.forms_for(visit, arm)}
        assert {f.code for f in visit_status_forms(protocol, visit, arm)} == needed
