"""The allocation ratio comes from the protocol: the second trial's lists are 2:1."""

from __future__ import annotations

from collections import Counter

import pytest
from django.urls import reverse

from tests.factories import user_with_role
from trial.exceptions import TrialError
from trial.models import AllocationSlot, Role
from trial.protocol import get_protocol
from trial.services.randomization import (
    allocation_list_create_minimization,
    allocation_list_generate,
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


@pytest.mark.requirement("RND-008")
def test_minimization_is_refused_for_an_unequal_ratio() -> None:
    statistician = user_with_role(Role.STATISTICIAN, site=None, protocol_code=CODE)
    with pytest.raises(TrialError) as refused:
        allocation_list_create_minimization(
            actor=statistician, protocol_code=CODE, name="M", factors=["site"], p_best=0.8
        )
    assert refused.value.code == "minimization_unequal_ratio"


@pytest.mark.requirement("RND-008")
@pytest.mark.parametrize(("code", "ratio", "blocks"), [(CODE, "2:1", "3,6,9"),
                                                       ("snrb_peld", "1:1", "2,4,6")])  # fmt: skip
def test_the_generate_page_offers_the_trials_ratio(client, code, ratio, blocks) -> None:
    client.force_login(user_with_role(Role.STATISTICIAN, site=None, protocol_code=code))
    client.post(reverse("trial:trial-switch"), {"protocol": code})
    page = client.get(reverse("trial:allocation-generate")).content.decode()
    assert f'value="{ratio}"' in page
    assert f'value="{blocks}"' in page
