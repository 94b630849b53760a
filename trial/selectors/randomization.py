"""Reads for randomization: strata, a participant's stratum, list status and balance."""

from collections import Counter
from itertools import product
from typing import Any

from django.apps import apps
from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404

from trial.models import (
    Allocation,
    AllocationList,
    AllocationSlot,
    AllocationStratum,
    FormInstance,
    HistoricalAllocationLoad,
    Participant,
    Site,
    UnblindingRequest,
)
from trial.permissions import Action, is_blinded, sites_for
from trial.protocol import Protocol


def factor_levels(protocol: Protocol, code: str) -> list[str]:
    """Return the possible levels of a stratification factor, in display order."""
    factor = protocol.factor(code)
    if not factor.form:
        return list(Site.objects.filter(is_active=True).values_list("code", flat=True))
    model = apps.get_model(protocol.form(factor.form).model)
    return [str(value) for value, _label in model._meta.get_field(factor.field).choices]


def stratum_keys(protocol: Protocol, factors: list[str]) -> list[str]:
    """Return every stratum key of a list stratified by ``factors`` ("" when none)."""
    if not factors:
        return [""]
    return ["|".join(levels) for levels in product(*(factor_levels(protocol, f) for f in factors))]


def participant_levels(
    protocol: Protocol, participant: Participant, factors: list[str]
) -> dict[str, str]:
    """Return the participant's level of each factor (empty string when not recorded)."""
    levels = {}
    for code in factors:
        factor = protocol.factor(code)
        if not factor.form:
            levels[code] = participant.site.code
            continue
        model = apps.get_model(protocol.form(factor.form).model)
        instance = (
            FormInstance.objects.filter(
                participant=participant, form_code=factor.form, is_voided=False
            )
            .order_by("seq")
            .first()
        )
        row = model.objects.filter(instance=instance).first() if instance else None
        levels[code] = str(getattr(row, factor.field, "") or "")
    return levels


def allocation_list_overview(allocation_list: AllocationList) -> list[dict[str, Any]]:
    """Return, per stratum, slots in total and used, and the used slots' arm counts."""
    strata = (
        AllocationStratum.objects.filter(allocation_list=allocation_list)
        .annotate(
            total=Count("slots"), used=Count("slots", filter=Q(slots__participant__isnull=False))
        )
        .order_by("key")
    )
    used_arms = Counter(
        AllocationSlot.objects.filter(
            stratum__allocation_list=allocation_list, participant__isnull=False
        ).values_list("stratum_id", "arm")
    )
    return [
        {
            "key": s.key,
            "total": s.total,
            "used": s.used,
            "arms": {arm: used_arms[(s.pk, arm)] for arm in allocation_list.arms},
        }
        for s in strata
    ]


def arm_balance(protocol_code: str) -> dict[str, int]:
    """Return the number of allocated participants per arm (unblinded use only)."""
    rows = (
        Allocation.objects.filter(participant__protocol_code=protocol_code)
        .values("arm")
        .annotate(n=Count("pk"))
    )
    return {row["arm"]: row["n"] for row in rows}


def may_see_allocation(user: Any, participant: Participant) -> bool:
    """Return whether this user may see this participant's arm (approved unblinding counts)."""
    if not is_blinded(user, participant.protocol_code):
        return True
    return UnblindingRequest.objects.filter(
        participant=participant, requested_by=user, status=UnblindingRequest.Status.APPROVED
    ).exists()


def unblinding_request_list(user: Any, protocol_code: str) -> QuerySet[UnblindingRequest]:
    """Return the trial's requests of the sites where the user may request or decide
    unblinding."""
    sites = sites_for(user, protocol_code, Action.REQUEST_UNBLINDING) | sites_for(
        user, protocol_code, Action.DECIDE_UNBLINDING
    )
    return (
        UnblindingRequest.objects.filter(
            participant__protocol_code=protocol_code, participant__site__in=sites
        )
        .select_related(
            "participant",
            "participant__site",
            "participant__allocation",
            "requested_by",
            "decided_by",
        )
        .order_by("-requested_at")
    )


def historical_allocation_loads(protocol_code: str) -> QuerySet[HistoricalAllocationLoad]:
    """The loads of historical allocations of a protocol, with who loaded them."""
    return HistoricalAllocationLoad.objects.filter(protocol_code=protocol_code).select_related(
        "loaded_by"
    )


def allocation_lists(protocol_code: str) -> QuerySet[AllocationList]:
    """The allocation lists of a protocol."""
    return AllocationList.objects.filter(protocol_code=protocol_code)


def allocation_list_get(protocol_code: str, pk: int) -> AllocationList:
    """Return an allocation list of the trial, or 404 (another trial's too)."""
    return get_object_or_404(AllocationList, pk=pk, protocol_code=protocol_code)


def unblinding_request_get(pk: int) -> UnblindingRequest:
    """Return an unblinding request with its participant's site, or 404 (the caller checks
    that the user may decide at that site)."""
    return get_object_or_404(UnblindingRequest.objects.select_related("participant__site"), pk=pk)
