"""Many nurses randomize at the same moment on PostgreSQL: no slot shared, none skipped;
minimization (a 2:1 trial) decides one at a time."""

import random
import threading
from collections import Counter, defaultdict

import pytest
from django.db import connection, connections

from tests.factories import SiteFactory, user_with_role
from tests.trials import complete_visits, enrolled_participant, trial_staff
from tests.unit.trial.test_randomization_services import ready_participant, sealed_list
from trial.allocation import minimization_assign
from trial.models import Allocation, AllocationSlot, Role
from trial.protocol import get_protocol
from trial.services.randomization import (
    allocation_list_activate,
    allocation_list_create_minimization,
    participant_randomize,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
N_PARTICIPANTS = 24
N_THREADS = 8


def _hammer(nurse, participants, barrier, results, errors):
    barrier.wait()
    try:
        for participant in participants:
            results.append(
                (participant.pk, participant_randomize(actor=nurse, participant=participant).pk)
            )
    except Exception as exc:  # collected and asserted on by the test
        errors.append(exc)
    finally:
        connections.close_all()


@pytest.mark.requirement("RND-003")
def test_simultaneous_randomizations_never_share_or_skip_a_slot(postgres):
    # given: two sites, one sealed list stratified by site, 24 ready participants
    s01, s02 = SiteFactory(code="S01"), SiteFactory(code="S02")
    statistician = user_with_role(Role.STATISTICIAN, site=None)
    nurses = {
        s01: user_with_role(Role.RESEARCH_NURSE, site=s01),
        s02: user_with_role(Role.RESEARCH_NURSE, site=s02),
    }
    allocation_list = sealed_list(statistician, block_sizes=[2, 4, 6], slots_per_stratum=30)
    participants = [
        ready_participant(nurses[site], site) for site in [s01, s02] * (N_PARTICIPANTS // 2)
    ]
    # when: 8 threads randomize them all at once; most participants are submitted twice
    barrier = threading.Barrier(N_THREADS)
    results, errors = [], []
    threads = [
        threading.Thread(
            target=_hammer,
            args=(
                nurses[participants[0].site],
                participants[i :: N_THREADS // 2],
                barrier,
                results,
                errors,
            ),
        )
        for i in range(N_THREADS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    # then
    assert errors == []
    assert connection.vendor == "postgresql"
    assert Allocation.objects.count() == N_PARTICIPANTS
    by_participant = defaultdict(set)
    for participant_pk, allocation_pk in results:
        by_participant[participant_pk].add(allocation_pk)
    assert all(len(ids) == 1 for ids in by_participant.values())  # double submit: same one
    taken = AllocationSlot.objects.filter(
        stratum__allocation_list=allocation_list, participant__isnull=False
    )
    per_stratum = Counter(taken.values_list("stratum__key", flat=True))
    for key, count in per_stratum.items():
        sequences = sorted(taken.filter(stratum__key=key).values_list("sequence", flat=True))
        assert sequences == list(range(1, count + 1)), key  # none skipped
    assert taken.count() == len(set(taken.values_list("participant", flat=True)))


@pytest.mark.requirement("RND-024")
def test_simultaneous_two_to_one_minimizations_are_serialized(postgres):
    """Minimization has no slots: each decision reads every earlier allocation of the
    scheme, so two at once must not see the same history. The scheme row is locked for
    the decision; the numbers M0001... then have no gap or repeat and every decision
    equals the one replayed in number order from its stored draw."""
    # given: the 2:1 trial, two sites, a sealed minimization scheme, 24 ready participants
    protocol = get_protocol("rehab_ldh")
    staff = trial_staff(protocol)
    other = SiteFactory(code="S02")
    nurses = {
        staff.site: staff.nurse,
        other: user_with_role(Role.RESEARCH_NURSE, site=other, protocol_code=protocol.code),
    }
    scheme = allocation_list_activate(
        actor=staff.statistician,
        allocation_list=allocation_list_create_minimization(
            actor=staff.statistician, protocol_code=protocol.code, name="M",
            factors=["site", "operated_level"], p_best=0.8, seed=3,
        ),
    )  # fmt: skip
    participants = []
    for site in [staff.site, other] * (N_PARTICIPANTS // 2):
        participant = enrolled_participant(nurses[site], site, protocol)
        complete_visits(nurses[site], participant, before_randomization=True)
        participants.append(participant)
    # when: 8 threads randomize them all at once; most participants are submitted twice
    barrier = threading.Barrier(N_THREADS)
    results, errors = [], []
    threads = [
        threading.Thread(
            target=_hammer,
            args=(staff.nurse, participants[i :: N_THREADS // 2], barrier, results, errors),
        )
        for i in range(N_THREADS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    # then
    assert errors == []
    allocations = list(Allocation.objects.filter(allocation_list=scheme))
    assert len(allocations) == N_PARTICIPANTS
    by_participant = defaultdict(set)
    for participant_pk, allocation_pk in results:
        by_participant[participant_pk].add(allocation_pk)
    assert all(len(ids) == 1 for ids in by_participant.values())  # double submit: same one
    ordered = sorted(allocations, key=lambda a: a.randomization_number)
    assert [a.randomization_number for a in ordered] == [
        f"M{i:04d}" for i in range(1, N_PARTICIPANTS + 1)
    ]
    assert [a.pk for a in ordered] == sorted(a.pk for a in ordered)  # numbered in order
    existing = []
    for n, allocation in enumerate(ordered, start=1):
        details = allocation.details
        assert details["draw"] == random.Random(f"{scheme.seed}:{n}").random()
        replay = minimization_assign(
            arms=["R", "U"], ratio=[2, 1], factors=["site", "operated_level"],
            existing=existing, new_levels=details["levels"], p_best=0.8, weights=None,
            rng_value=details["draw"],
        )  # fmt: skip
        virtual = details.get("virtual_arm", allocation.arm)
        assert (replay.arm, replay.virtual_arm) == (allocation.arm, virtual)
        existing.append((details["levels"], virtual))
