"""Reads for the report and release pages (views call these, never the ORM).

A run or release the user may not see answers 404, as if it did not exist.
"""

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from analysis.models import DatasetRelease, ReportRun
from analysis.releases.services import release_list_for
from trial.permissions import report_sites_for, sees_comparative

RECENT_RUNS = 50  # runs listed on the report page


def runs_for(user: Any, protocol_code: str) -> QuerySet[ReportRun]:
    """Return the trial's runs the user may see; any other (another trial's too) answers
    404, as if it did not exist.

    Runs by arm only for the roles the protocol lets see comparative results (everyone
    else, blinded users included, sees pooled runs only); for a site-bound user only runs
    whose sites are all theirs (an all-site run, ``sites == []``, is not).
    """
    runs = ReportRun.objects.filter(protocol_code=protocol_code)
    if not sees_comparative(user, protocol_code):
        runs = runs.filter(blinded_view=True)
    allowed = report_sites_for(user, protocol_code)
    if allowed is None:
        return runs
    # Runs are few (one per report started); the JSON list is compared here, the same way
    # on PostgreSQL and SQLite.
    own = [pk for pk, sites in runs.values_list("pk", "sites") if sites and set(sites) <= allowed]
    return runs.filter(pk__in=own)


def report_run_recent(user: Any, protocol_code: str) -> QuerySet[ReportRun]:
    """The user's most recent visible runs of the trial, newest first, with who started
    them."""
    return runs_for(user, protocol_code).select_related("created_by")[:RECENT_RUNS]


def report_run_get(
    user: Any, protocol_code: str, pk: int, *, failed_only: bool = False
) -> ReportRun:
    """Return one run of the trial the user may see (only a failed one with
    ``failed_only``), or 404."""
    runs = runs_for(user, protocol_code)
    if failed_only:
        runs = runs.filter(status=ReportRun.Status.FAILED)
    return get_object_or_404(runs, pk=pk)


def release_get(user: Any, protocol_code: str, pk: int) -> DatasetRelease:
    """Return one release of the trial the user may see, or 404."""
    return get_object_or_404(release_list_for(user, protocol_code), pk=pk)
