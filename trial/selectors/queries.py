from datetime import timedelta

from django.db.models import Count, Q
from django.utils import timezone

from trial.models import FormInstance, Query


def query_list_for_form(instance: FormInstance | None) -> list[Query]:
    """Return a form's queries: all not closed, and those closed in the last 30 days."""
    if instance is None:
        return []
    recent = timezone.now() - timedelta(days=30)
    return list(
        Query.objects.filter(form_instance=instance)
        .filter(~Q(status=Query.Status.CLOSED) | Q(closed_at__gte=recent))
        .select_related("raised_by", "answered_by")
        .order_by("raised_at")
    )


def participant_review_progress(participant: object) -> dict[str, int]:
    """Return complete, verified, locked and signed form counts of one participant."""
    return FormInstance.objects.filter(
        participant=participant, is_voided=False, status=FormInstance.Status.COMPLETE
    ).aggregate(
        complete=Count("pk"),
        verified=Count("pk", filter=Q(verified_at__isnull=False)),
        locked=Count("pk", filter=Q(locked_at__isnull=False)),
        signed=Count("pk", filter=Q(signed_at__isnull=False)),
    )
