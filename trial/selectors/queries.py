from datetime import timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from trial.blinding import policy_for
from trial.models import FormInstance, Query
from trial.permissions import Action, sites_for


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


def query_list_for_user(user: Any, protocol_code: str, qs: Any) -> Any:
    """Return the queries of ``qs`` (of the trial) the user may know of (none on hidden forms
    or answers)."""
    return policy_for(user, protocol_code).queries(qs)


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


def query_worklist(
    user: Any, protocol_code: str, *, status: str, site_code: str, older_than_days: int | None
) -> QuerySet[Query]:
    """The queries of the trial at the user's sites for the query list, oldest first: of
    ``status`` (when it is one), at ``site_code`` (when given), raised at least
    ``older_than_days`` ago (when given), and none on forms or answers hidden by blinding."""
    qs = Query.objects.filter(
        form_instance__participant__protocol_code=protocol_code,
        form_instance__participant__site__in=sites_for(
            user, protocol_code, Action.VIEW_PARTICIPANTS
        ),
    ).select_related("form_instance__participant__site", "form_instance__visit", "raised_by")
    if status in Query.Status.values:
        qs = qs.filter(status=status)
    if site_code:
        qs = qs.filter(form_instance__participant__site__code=site_code)
    qs = query_list_for_user(user, protocol_code, qs)
    if older_than_days is not None:
        qs = qs.filter(raised_at__lte=timezone.now() - timedelta(days=older_than_days))
    return qs.order_by("raised_at")


def form_instance_get(pk: int) -> FormInstance:
    """Return a form instance with its participant's site and its visit, or 404 (the caller
    checks that the user may see it)."""
    return get_object_or_404(FormInstance.objects.select_related("participant__site", "visit"),
                             pk=pk)  # fmt: skip


def query_get(pk: int) -> Query:
    """Return a query with its form's site and visit, or 404 (the caller checks access)."""
    return get_object_or_404(
        Query.objects.select_related("form_instance__participant__site", "form_instance__visit"),
        pk=pk,
    )
