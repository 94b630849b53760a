"""Many nurses randomize at the same moment on PostgreSQL: no slot shared, none skipped."""

import threading
from collections import Counter, defaultdict

import pytest
from django.db import connection, connections

from tests.factories import SiteFactory, user_with_role
from tests.unit.trial.test_randomization_services import ready_participant, sealed_list
from trial.models import Allocation, AllocationSlot, Role
from trial.services.randomization import participant_randomize

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
