"""The round trip (issue 22): a release's wide.csv imported into an empty trial of the same
protocol reproduces the same data, compared column by column in the next release."""

from __future__ import annotations

import csv
import hashlib
import io
import random
from pathlib import Path

import pytest
from django.db import transaction

from analysis.models import DatasetRelease
from analysis.releases.services import dataset_release_build, dataset_release_declare
from api.imports import ImportOptions, ImportOrigin, import_records
from api.wide_rows import wide_rows
from tests.factories import SiteFactory, user_with_role
from tests.unit.analysis.test_report_datasets import complete_participant
from trial.models import Participant, Role
from trial.protocol import get_protocol
from trial.services.consent import consent_record
from trial.services.eligibility import eligibility_record
from trial.services.historical_allocations import historical_allocations_load

pytestmark = pytest.mark.django_db
PROTOCOL = get_protocol("snrb_peld")
FRAMES = ("wide", "long", "screening")
# Columns that legitimately differ after the round trip, and why:
DIFFER = {
    # the imported trial's allocations were loaded by the historical-allocation step, and
    # every export flags them as historical (issue 22); the source trial randomized in-system
    ("wide", "arm_historical"),
}


def _release(actor, media: Path, settings) -> dict[str, bytes]:
    settings.MEDIA_ROOT = media
    release = dataset_release_declare(
        protocol_code="snrb_peld", actor=actor, reason="round trip", enqueue=False
    )
    release = dataset_release_build(release_id=release.pk)
    assert release.status == DatasetRelease.Status.READY, release.error
    folder = media / release.folder / "unblinded"
    return {frame: (folder / f"{frame}.csv").read_bytes() for frame in FRAMES}


def _column_checksums(content: bytes) -> dict[str, str]:
    rows = list(csv.reader(io.StringIO(content.decode("utf-8"))))
    header, body = rows[0], rows[1:]
    return {
        name: hashlib.sha256("\n".join(r[i] for r in body).encode()).hexdigest()
        for i, name in enumerate(header)
    }


def _import(user, rows) -> None:
    result = import_records(protocol_code=PROTOCOL.code, user=user, rows=list(rows),
                            options=ImportOptions(), origin=ImportOrigin("round-trip"))  # fmt: skip
    assert result.committed, [str(e.as_dict()) for e in result.errors[:3]]


@pytest.mark.requirement("IMP-011")
def test_a_released_wide_csv_imported_into_an_empty_trial_reproduces_the_release(
    settings, tmp_path
) -> None:
    # given a trial with complete data and its release (then rolled back: an empty trial)
    # (a savepoint, not an atomic block: the services open durable transactions)
    empty = transaction.savepoint()
    actor = user_with_role(Role.INVESTIGATOR, site=None)
    site = SiteFactory(code="S01")
    rng = random.Random(11)
    for arm in "SPPS":
        complete_participant(actor, site, arm, rng)
    first = _release(actor, tmp_path / "first", settings)
    transaction.savepoint_rollback(empty)
    assert not Participant.objects.exists()
    wide = list(csv.DictReader(io.StringIO(first["wide"].decode("utf-8"))))
    assert len(wide) == 4
    # when its wide.csv is imported into the empty trial through the import service:
    # the enrolment and admission events, then eligibility and consent (outside the
    # record call), the allocations by the administrator's historical step, then the rest
    SiteFactory(code="S01")
    dm = user_with_role(Role.DATA_MANAGER, site=None, username="dm")
    admin = user_with_role(Role.INVESTIGATOR, site=None, username="admin")
    _import(dm, wide_rows(PROTOCOL, wide, before_randomization=True))
    for line in wide:
        person = Participant.objects.get(trial_id=line["participant_id"])
        eligibility_record(
            actor=admin,
            participant=person,
            assessed_date=person.admission_date,
            answers={c.code: c.kind == "inclusion" for c in PROTOCOL.criteria},
        )
        consent_record(actor=admin, participant=person, version=PROTOCOL.consent_versions[0],
                       consent_date=person.admission_date, obtained_by=admin)  # fmt: skip
    allocations = "participant,arm,date\n" + "".join(
        f"{line['participant_id']},{line['arm']},{line['admission_date']}\n" for line in wide
    )
    historical_allocations_load(
        protocol_code="snrb_peld",
        actor=admin,
        file_name="allocations.csv",
        content=allocations.encode(),
        reason="migrated trial",
    )
    _import(dm, wide_rows(PROTOCOL, wide, before_randomization=False))
    # then the next release holds the same values, column by column, in every frame
    second = _release(admin, tmp_path / "second", settings)
    for frame in FRAMES:
        before, after = _column_checksums(first[frame]), _column_checksums(second[frame])
        assert list(before) == list(after), frame
        differ = {name for name in before if before[name] != after[name]}
        assert differ == {name for f, name in DIFFER if f == frame}, (frame, sorted(differ))
    # and the one column that differs says what it should: every allocation is historical
    assert {r["arm_historical"] for r in csv.DictReader(io.StringIO(second["wide"].decode()))} == {
        "1"
    }
