"""A blinded user walks every page of the product and never meets an allocation."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import translation

from tests.factories import SiteFactory, user_with_role
from trial.demo import demo_allocation_list, demo_trial_load
from trial.models import Allocation, AllocationList, Role, UnblindingRequest
from trial.protocol import get_protocol
from trial.services.unblinding import unblinding_request_create

pytestmark = pytest.mark.django_db
PROTOCOL = get_protocol("snrb_peld")


def _patterns(resolver, prefix=""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            namespace = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            if entry.namespace != "admin":
                yield from _patterns(entry, namespace)
        elif isinstance(entry, URLPattern) and entry.name:
            yield (
                f"{prefix}{entry.name}",
                entry.pattern.converters.keys() if hasattr(entry.pattern, "converters") else (),
            )


def _values(participant, log_seq):
    return {
        "trial_id": [participant.trial_id],
        "visit_code": [v.code for v in PROTOCOL.visits],
        "form_code": [f.code for f in PROTOCOL.forms],
        "seq": [log_seq],
        "pk": [p.pk for p in AllocationList.objects.all()]
        + [r.pk for r in UnblindingRequest.objects.all()],
        "decision": ["approve"],
    }


def _urls(participant, log_seq):
    values = _values(participant, log_seq)
    for name, params in _patterns(get_resolver()):
        params = list(params)
        combos = [{}]
        for param in params:
            combos = [{**c, param: v} for c in combos for v in values.get(param, [])]
        for kwargs in combos:
            try:
                yield reverse(name, kwargs=kwargs)
            except Exception:  # a pattern whose parameters do not fit this combination
                continue


def _forbidden_texts():
    texts = set()
    for language in ("en", "zh-hans"):
        with translation.override(language):
            for arm in PROTOCOL.arms:
                texts |= {str(arm.label), str(arm.description)}
            texts |= {str(v.label) for v in PROTOCOL.visits if v.arms}
            texts |= {str(f.label) for f in PROTOCOL.forms if f.arms}
    return texts


@pytest.mark.requirement("BLD-001")
def test_a_blinded_assessor_never_sees_an_allocation_on_any_page(client):
    # given: a living trial whose participants are randomized, and an unblinding request
    site = SiteFactory(code="S01")
    nurse = user_with_role(Role.RESEARCH_NURSE, site=site, username="nurse")
    statistician = user_with_role(Role.STATISTICIAN, site=None, username="statistician")
    demo_allocation_list(actor=statistician)
    demo_trial_load(actor=nurse, site=site)
    allocated = Allocation.objects.select_related("participant").order_by("pk").last()
    investigator = user_with_role(Role.INVESTIGATOR, site=site)
    unblinding_request_create(
        actor=investigator, participant=allocated.participant, reason="emergency"
    )
    assessor = user_with_role(Role.OUTCOME_ASSESSOR, site=site, username="assessor")
    client.force_login(assessor)
    forbidden = _forbidden_texts()
    arm_pattern = re.compile(r"(Arm|组别)\s*[SP]\b|data-arm")
    seen = 0
    # when: the assessor opens every page, in both languages
    for language in ("en", "zh-hans"):
        client.cookies["django_language"] = language
        for url in _urls(allocated.participant, 1):
            response = client.get(url)
            assert response.status_code < 500, url
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            seen += 1
            body = response.content.decode()
            # then: no arm label, arm-only visit or form, or arm field anywhere
            leaks = [text for text in forbidden if text in body]
            assert not leaks, (url, leaks)
            assert not arm_pattern.search(body), url
    assert seen > 20
