"""The PostgreSQL parts of the cross-cutting checks, for every protocol (EXP-014): nurses
randomizing at the same moment share no slot and skip none, whatever the trial's arms and
ratio, and a release of each trial builds on PostgreSQL with the dictionary's names.

Parametrized as ``tests/unit/trial/test_every_trial.py``: every discovered protocol and the
test-only trial of another shape (``tests.trials``).
"""

import csv
import threading
from collections import Counter

import pytest
from django.conf import settings
from django.db import connections

from analysis.datasets.builders import dataset_build
from analysis.models import DatasetRelease
from analysis.releases.services import dataset_release_build, dataset_release_declare
from analysis.trial_plans import get_plan
from tests.trials import (
    allocation_list,
    arm_ratio,
    complete_visits,
    enrolled_participant,
    protocol_fixture,  # noqa: F401 (the fixture ``protocol``: every protocol in turn)
    randomized_participant,
    trial_staff,
)
from trial.models import Allocation, AllocationSlot
from trial.protocol.dictionary import dictionary_of
from trial.services.randomization import participant_randomize

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.requirement("EXP-014", "RND-003"),
]
BLOCKS = 4
THREADS = 4


def _randomize(nurse, people, barrier, results, errors):
    barrier.wait()
    try:
        for person in people:
            results.append((person.pk, participant_randomize(actor=nurse, participant=person).pk))
    except Exception as exc:  # collected and asserted on by the test
        errors.append(exc)
    finally:
        connections.close_all()


def test_simultaneous_randomizations_follow_the_list_in_every_trial(postgres, protocol):
    staff = trial_staff(protocol)
    ratio = arm_ratio(protocol)
    listed = allocation_list(staff.statistician, protocol, blocks=BLOCKS)
    n = sum(ratio) * BLOCKS
    people = []
    for _ in range(n):
        person = enrolled_participant(staff.nurse, staff.site, protocol)
        complete_visits(staff.nurse, person, before_randomization=True)
        people.append(person)
    barrier = threading.Barrier(THREADS)
    results, errors = [], []
    threads = [
        threading.Thread(
            target=_randomize,
            # every participant asked twice, by two threads
            args=(staff.nurse, people[i % 2 :: 2], barrier, results, errors),
        )
        for i in range(THREADS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert len(results) == 2 * n
    by_person = {}
    for person, allocation in results:  # a repeat gets the same allocation
        assert by_person.setdefault(person, allocation) == allocation
    taken = Allocation.objects.filter(participant__in=people)
    assert taken.count() == n
    slots = AllocationSlot.objects.filter(stratum__allocation_list=listed).order_by("sequence")
    slots = list(slots)
    used = sorted(s.sequence for s in slots if s.participant_id is not None)
    assert used == [s.sequence for s in slots[:n]], "a slot was skipped or shared"
    counts = Counter(a.arm for a in taken)
    assert [counts[a.code] for a in protocol.arms] == [r * BLOCKS for r in ratio]


def test_a_release_of_every_trial_builds_with_the_dictionary_names(postgres, protocol):
    staff = trial_staff(protocol)
    for _ in protocol.arms:
        randomized_participant(staff.nurse, staff.site, protocol)
    declared = dataset_release_declare(
        protocol_code=protocol.code, actor=staff.statistician, reason="names", enqueue=False
    )
    release = dataset_release_build(release_id=declared.pk)
    assert release.status == DatasetRelease.Status.READY, release.error
    path = settings.MEDIA_ROOT / release.folder / "unblinded" / "codebook.csv"
    with path.open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["frame"] == "wide"]
    report = dataset_build(plan=get_plan(protocol.code), population="itt").wide
    assert [r["variable"] for r in rows] == list(report.columns)
    wide = dictionary_of(protocol).wide_columns()
    carried = [r["variable"] for r in rows if r["variable"] in wide]
    assert carried, "the release carries no variable of the dictionary"
    assert len(report) == len(protocol.arms)
