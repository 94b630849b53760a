"""Row locks, always taken in primary-key order (docs/style.md §3)."""

from django.db.models import QuerySet

from trial.models import AllocationList, AllocationStratum, FormInstance, Participant, Site


def site_qs_for_update(pk: int) -> QuerySet[Site]:
    return Site.objects.select_for_update().filter(pk=pk).order_by("pk")


def participant_qs_for_update(pk: int) -> QuerySet[Participant]:
    return Participant.objects.select_for_update().filter(pk=pk).order_by("pk")


def form_instance_qs_for_update(pk: int) -> QuerySet[FormInstance]:
    return FormInstance.objects.select_for_update().filter(pk=pk).order_by("pk")


def allocation_list_qs_for_update(pk: int) -> QuerySet[AllocationList]:
    return AllocationList.objects.select_for_update().filter(pk=pk).order_by("pk")


def stratum_qs_for_update(list_pk: int, key: str) -> QuerySet[AllocationStratum]:
    return (
        AllocationStratum.objects.select_for_update()
        .filter(allocation_list_id=list_pk, key=key)
        .order_by("pk")
    )
