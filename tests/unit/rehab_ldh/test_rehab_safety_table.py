"""The second trial's safety table (Table 4) is read from the release's adverse-event log:
the release carries the log as its events frame (the blinded variant without the
arm-revealing answers), and a report on the release counts from it, not from the live
database."""

from __future__ import annotations

import random
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from django.conf import settings as django_settings
from scipy.stats import fisher_exact

from analysis.models import DatasetRelease, ReportRun
from analysis.releases.services import dataset_release_build, dataset_release_declare
from analysis.services import report_run_create, report_run_execute
from rehab_ldh.models import RehabAdverseEventData
from tests.unit.rehab_ldh.test_rehab_journey import CODE, world  # noqa: F401  (fixture)
from trial.demo import sample_answers
from trial.services.crfs import crf_save

pytestmark = pytest.mark.django_db


def _release(actor) -> DatasetRelease:
    release = dataset_release_declare(protocol_code=CODE, actor=actor, reason="interim",
                                      enqueue=False)  # fmt: skip
    release = dataset_release_build(release_id=release.pk)
    assert release.status == DatasetRelease.Status.READY, release.error
    return release


def _report(actor, release, *, blinded: bool = False) -> dict:
    created = report_run_create(protocol_code=CODE, actor=actor, population="itt",
                                mode="correct", blinded=blinded, release=release)  # fmt: skip
    run = report_run_execute(run_id=created.pk)
    assert run.status == ReportRun.Status.SUCCEEDED, run.error
    return next(t for t in run.result["tables"] if t["key"] == "safety")


def _row(table: dict, label: str) -> dict:
    return next(r for r in table["rows"] if r["cells"]["label"]["en"] == label)


def _live_counts() -> list[list[int]]:
    """Participants with an event per arm, counted from the database (the reference)."""
    rows = RehabAdverseEventData.objects.filter(
        instance__is_voided=False, instance__participant__protocol_code=CODE
    ).values_list("instance__participant_id", "instance__participant__allocation__arm")
    who = {"R": set(), "U": set()}
    for pk, arm in rows:
        who[arm].add(pk)
    return [[len(who["R"]), 6 - len(who["R"])], [len(who["U"]), 3 - len(who["U"])]]


@pytest.mark.requirement("EXP-042", "EXP-041")
def test_the_safety_table_reads_the_releases_adverse_event_log(world) -> None:  # noqa: F811
    actor = world["statistician"]
    release = _release(actor)
    folder = Path(django_settings.MEDIA_ROOT) / release.folder
    # the release carries the log: one row per entry, the relation only unblinded
    unblinded = pq.read_table(folder / "unblinded" / "events.parquet").to_pandas()
    blinded = pq.read_table(folder / "blinded" / "events.parquet").to_pandas()
    assert len(unblinded) == len(blinded) == RehabAdverseEventData.objects.count() == 9
    assert {"participant_id", "arm", "serious", "severity", "relation"} <= set(unblinded)
    assert "relation" not in blinded
    assert "term" not in blinded
    assert set(blinded["arm"]) <= {"A", "B"}
    assert set(unblinded["arm"]) == {"R", "U"}
    assert (folder / "unblinded" / "events.csv").is_file()
    # the report on it counts every participant's event, tested by Fisher's exact (n < 40)
    table = _report(actor, release)
    counts = _live_counts()
    row = _row(table, "Participants with ≥ 1 adverse event")
    assert row["counts"] == counts == [[6, 0], [3, 0]]
    serious = _row(table, "Participants with ≥ 1 serious adverse event")
    flagged = set(
        RehabAdverseEventData.objects.filter(serious=True).values_list(
            "instance__participant__allocation__arm", "instance__participant_id"
        )
    )
    per_arm = {arm: sum(1 for a, _ in flagged if a == arm) for arm in ("R", "U")}
    expected = [[per_arm["R"], 6 - per_arm["R"]], [per_arm["U"], 3 - per_arm["U"]]]
    assert serious["counts"] == expected
    assert serious["p_value"] == pytest.approx(fisher_exact(expected)[1])
    # an event entered after the cut changes the live data, not the report on the release
    participant = world["people"][0]
    answers = sample_answers("adverse_event", participant, visit_code="week_6",
                             rng=random.Random(2))  # fmt: skip
    crf_save(actor=world["nurse"], participant=participant, form_code="adverse_event",
             complete=True, answers=answers)  # fmt: skip
    assert RehabAdverseEventData.objects.count() == 10
    again = _report(actor, release)
    events_row = _row(again, "Adverse events, number")
    assert int(events_row["cells"]["R"]) + int(events_row["cells"]["U"]) == 9
    assert _report(actor, _release(actor))["rows"][-1]["cells"] != events_row["cells"]
    # a pooled report reads the blinded variant: one column, no comparison
    pooled = _report(actor, release, blinded=True)
    assert [c["key"] for c in pooled["columns"]] == ["label", "all"]
    assert _row(pooled, "Participants with ≥ 1 adverse event")["cells"]["all"].startswith("9 ")
