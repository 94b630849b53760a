"""The allocation ratio comes from the protocol: the second trial's lists are 2:1."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from django.urls import reverse

from tests.factories import SiteFactory, user_with_role
from tests.trials import complete_visits, enrolled_participant, trial_staff
from trial.allocation import minimization_assign
from trial.exceptions import TrialError
from trial.models import AllocationList, AllocationSlot, AuditEvent, Role
from trial.protocol import get_protocol
from trial.services.randomization import (
    allocation_list_activate,
    allocation_list_create_minimization,
    allocation_list_generate,
    participant_randomize,
)

pytestmark = pytest.mark.django_db
CODE = "rehab_ldh"


def test_the_protocol_declares_a_two_to_one_ratio() -> None:
    assert get_protocol(CODE).allocation_ratio == (2, 1)
    assert get_protocol("snrb_peld").allocation_ratio == (1, 1)


@pytest.mark.requirement("RND-008")
def test_a_generated_list_takes_the_protocols_ratio() -> None:
    statistician = user_with_role(Role.STATISTICIAN, site=None, protocol_code=CODE)
    listed = allocation_list_generate(
        actor=statistician,
        protocol_code=CODE,
        name="RL",
        factors=[],
        block_sizes=[3, 6],
        slots_per_stratum=60,
        seed=11,
    )
    assert (list(listed.arms), list(listed.ratio)) == (["R", "U"], [2, 1])
    arms = Counter(
        AllocationSlot.objects.filter(stratum__allocation_list=listed).values_list("arm", flat=True)
    )
    assert arms["R"] == 2 * arms["U"]  # whole blocks only: exactly 2:1
    # blocks that are not multiples of the ratio's sum are refused
    with pytest.raises(TrialError):
        allocation_list_generate(
            actor=statistician,
            protocol_code=CODE,
            name="bad",
            factors=[],
            block_sizes=[4],
            slots_per_stratum=8,
        )


def _minimization(statistician, **kwargs):
    params = {"name": "M", "factors": ["site", "operated_level"], "p_best": 0.8, "seed": 7}
    return allocation_list_activate(
        actor=statistician,
        allocation_list=allocation_list_create_minimization(
            actor=statistician, protocol_code=CODE, **{**params, **kwargs}
        ),
    )


def _ready(nurse, site):
    participant = enrolled_participant(nurse, site, get_protocol(CODE))
    complete_visits(nurse, participant, before_randomization=True)
    return participant


@pytest.mark.requirement("RND-008")
@pytest.mark.requirement("RND-023")
def test_minimization_takes_the_protocols_unequal_ratio() -> None:
    statistician = user_with_role(Role.STATISTICIAN, site=None, protocol_code=CODE)
    scheme = allocation_list_create_minimization(
        actor=statistician, protocol_code=CODE, name="M", factors=["site"], p_best=0.8
    )
    assert (list(scheme.arms), list(scheme.ratio), scheme.method) == (
        ["R", "U"], [2, 1], AllocationList.Method.MINIMIZATION,
    )  # fmt: skip
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.CREATE,
        object_id=str(scheme.pk),
        object_type="trial.allocationlist",
    ).exists()


@pytest.mark.requirement("RND-023")
@pytest.mark.requirement("RND-024")
def test_two_to_one_minimization_randomizes_audits_and_replays() -> None:
    # given a sealed 2:1 minimization scheme over site and operated level, two sites
    staff = trial_staff(get_protocol(CODE))
    other = SiteFactory(code="S02")
    nurses = {
        staff.site: staff.nurse,
        other: user_with_role(Role.RESEARCH_NURSE, site=other, protocol_code=CODE),
    }
    scheme = _minimization(staff.statistician)
    # when twelve participants are randomized, alternating sites
    allocations = []
    for site in [staff.site, other] * 6:
        participant = _ready(nurses[site], site)
        allocations.append(participant_randomize(actor=nurses[site], participant=participant))
        # a double submit returns the same allocation
        assert participant_randomize(actor=nurses[site], participant=participant) == allocations[-1]
    # then numbers run without gaps, each allocation stores its levels, draw and virtual arm
    assert [a.randomization_number for a in allocations] == [f"M{i:04d}" for i in range(1, 13)]
    existing = []
    for n, allocation in enumerate(allocations, start=1):
        details = allocation.details
        assert details["draw"] == random.Random(f"{scheme.seed}:{n}").random()
        virtual = details.get("virtual_arm", allocation.arm)
        assert virtual in {"R#1", "R#2", "U"}
        assert virtual.startswith(allocation.arm)
        # the decision recomputed from the stored draw and the allocations before it
        replay = minimization_assign(
            arms=["R", "U"], ratio=[2, 1], factors=["site", "operated_level"],
            existing=existing, new_levels=details["levels"], p_best=0.8, weights=None,
            rng_value=details["draw"],
        )  # fmt: skip
        assert (replay.arm, replay.virtual_arm) == (allocation.arm, virtual)
        existing.append((details["levels"], virtual))
        # audited as every allocation: who, the arm and number, the status change
        event = AuditEvent.objects.get(
            action=AuditEvent.Action.CREATE, object_id=str(allocation.pk),
            object_type="trial.allocation",
        )  # fmt: skip
        assert event.changes["arm"] == [None, allocation.arm]
        assert event.changes["randomization_number"] == [None, allocation.randomization_number]
    arms = Counter(a.arm for a in allocations)
    assert arms["R"] + arms["U"] == 12
    assert 5 <= arms["R"] <= 11


@pytest.mark.requirement("RND-022")
def test_site_staff_see_no_imbalance_draw_or_virtual_arm(client) -> None:
    staff = trial_staff(get_protocol(CODE))
    _minimization(staff.statistician)
    participants = [_ready(staff.nurse, staff.site) for _ in range(4)]
    for participant in participants:
        participant_randomize(actor=staff.nurse, participant=participant)
    client.force_login(staff.nurse)
    client.post(reverse("trial:trial-switch"), {"protocol": CODE})
    for participant in participants:
        page = client.get(reverse("trial:participant-detail", args=[participant.trial_id]))
        assert page.status_code == 200
        body = page.content.decode()
        assert participant.allocation.randomization_number in body
        for secret in (
            "R#1",
            "R#2",
            "imbalance",
            "chosen_best",
            str(participant.allocation.details["draw"]),
        ):
            assert secret not in body
    # and the allocation pages, which show the scheme and its decisions, are refused
    assert client.get(reverse("trial:allocation")).status_code in {302, 403}


@pytest.mark.requirement("RND-023")
@pytest.mark.parametrize(("language", "ratio_label"), [("en", "Allocation ratio"),
                                                       ("zh-hans", "分配比例")])  # fmt: skip
def test_the_statistician_sets_up_two_to_one_minimization_from_the_page(
    client, language, ratio_label
) -> None:
    statistician = user_with_role(Role.STATISTICIAN, site=None, protocol_code=CODE)
    client.force_login(statistician)
    client.post(reverse("set_language"), {"language": language, "next": "/"})
    client.post(reverse("trial:trial-switch"), {"protocol": CODE})
    page = client.get(reverse("trial:allocation-minimization")).content.decode()
    assert ratio_label in page
    assert 'value="2:1"' in page
    response = client.post(
        reverse("trial:allocation-minimization"),
        {"name": "Min 2:1", "factors": ["site", "operated_level"], "p_best": "0.8",
         "ratio": "1:1"},  # a tampered ratio is ignored: the field is the protocol's
    )  # fmt: skip
    scheme = AllocationList.objects.get(protocol_code=CODE, name="Min 2:1")
    assert response.status_code == 302
    assert (list(scheme.ratio), scheme.method, scheme.p_best) == ([2, 1], "minimization", 0.8)


@pytest.mark.requirement("RND-008")
@pytest.mark.parametrize(("code", "ratio", "blocks"), [(CODE, "2:1", "3,6,9"),
                                                       ("snrb_peld", "1:1", "2,4,6")])  # fmt: skip
def test_the_generate_page_offers_the_trials_ratio(client, code, ratio, blocks) -> None:
    client.force_login(user_with_role(Role.STATISTICIAN, site=None, protocol_code=code))
    client.post(reverse("trial:trial-switch"), {"protocol": code})
    page = client.get(reverse("trial:allocation-generate")).content.decode()
    assert f'value="{ratio}"' in page
    assert f'value="{blocks}"' in page
