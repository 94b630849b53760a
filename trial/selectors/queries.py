from datetime import timedelta
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from trial.blinding import policy_for
from trial.models import FormInstance, Query


def query_list_for_form(instance: FormInstance | None, user: Any) -> list[Query]:
    """Return a form's queries: all not closed, and those closed in the last 30 days."""
    if instance is None:
        return []
    recent = timezone.now() - timedelta(days=30)
    policy = policy_for(user, instance.participant.protocol_code)
    return list(
        policy.queries(Query.objects.filter(form_instance=instance))
        .filter(~Q(status=Query.Status.CLOSED) | Q(closed_at__gte=recent))
        .select_related("raised_by", "answered_by")
        .order_by("raised_at")
    )


def participant_review_progress(participant: Any, user: Any) -> dict[str, int]:
    """Return complete, verified, locked and signed counts of the forms the user may see."""
    forms = FormInstance.objects.filter(
        participant=participant, is_voided=False, status=FormInstance.Status.COMPLETE
    )
    return (
        policy_for(user, participant.protocol_code)
        .form_instances(forms)
        .aggregate(
            complete=Count("pk"),
            verified=Count("pk", filter=Q(verified_at__isnull=False)),
            locked=Count("pk", filter=Q(locked_at__isnull=False)),
            signed=Count("pk", filter=Q(signed_at__isnull=False)),
        )
    )


def query_list_for_user(user: Any, qs: Any) -> Any:
    """Return the queries of ``qs`` the user may know of (none on hidden forms or answers)."""
    return policy_for(user).queries(qs)


def form_open_query_counts(participant: Any, user: Any) -> dict[int, int]:
    """Return {form instance id: open query count} of the participant's forms the user may
    see (queries not closed, answered ones included); one query for the whole grid."""
    qs = policy_for(user, participant.protocol_code).queries(
        Query.objects.filter(form_instance__participant=participant).exclude(
            status=Query.Status.CLOSED
        )
    )
    return dict(
        qs.order_by()
        .values("form_instance")
        .annotate(n=Count("pk"))
        .values_list("form_instance", "n")
    )
