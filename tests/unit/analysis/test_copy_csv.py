"""The CSV extraction by COPY (``analysis.datasets.sql``) against the Python builder: the
same trial built both ways on PostgreSQL gives the same bytes."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from analysis.datasets import sql as S
from analysis.datasets.builders import dataset_build
from analysis.models import DatasetRelease
from analysis.plans import get_plan
from analysis.releases import writers as W
from analysis.releases.frames import (
    arm_revealing,
    blinded_frames,
    release_variables,
    unblinded_frames,
)
from analysis.releases.services import dataset_release_build, dataset_release_declare
from tests.unit.analysis.test_bench_synthetic import _synthetic
from trial.models import AnchorDate, FormInstance, Participant
from trial.protocol import get_protocol

pytestmark = [pytest.mark.django_db, pytest.mark.services("postgres")]

N = 60


def _python_csv(plan, population: str, folder: Path) -> dict[str, bytes]:
    data = dataset_build(plan=plan, population=population)
    release = unblinded_frames(data, get_protocol(plan.protocol_code))
    out = {}
    for name in ("wide", "long"):
        W.write_csv(release.frames[name], folder / f"{name}.csv")
        out[name] = (folder / f"{name}.csv").read_bytes()
    return out


def _copy_csv(plan, population: str, folder: Path) -> dict[str, bytes]:
    paths = S.copy_dataset_csv(plan=plan, population=population, folder=folder)
    return {name: path.read_bytes() for name, path in paths.items()}


def _first_difference(a: bytes, b: bytes) -> str:
    for number, (x, y) in enumerate(zip(a.split(b"\n"), b.split(b"\n"), strict=False)):
        if x != y:
            header = a.split(b"\n")[0].split(b",")
            cells = [(h, p, q) for h, p, q in zip(header, x.split(b","), y.split(b","),
                                                   strict=False) if p != q]  # fmt: skip
            return f"line {number}: {cells[:5]}"
    return f"lengths {len(a)} vs {len(b)}"


@pytest.fixture
def synthetic_trial(monkeypatch: pytest.MonkeyPatch):
    synthetic = _synthetic()
    monkeypatch.setattr(synthetic, "LADDERS", 4)
    generator = synthetic.Generator(N, seed=11)
    for _ in range(N):
        generator.participant()
    generator.flush()
    synthetic.fix_sequences()
    return generator


def _awkward_values() -> None:
    """Text a spreadsheet would run, a leading minus that is a number, an ePRO entry marked
    invalid, an unknown anchor date: each must be written as the Python writer does."""
    people = list(Participant.objects.order_by("trial_id"))
    Participant.objects.filter(pk=people[0].pk).update(end_reason='=HYPERLINK("x"), "quoted"')
    Participant.objects.filter(pk=people[1].pk).update(end_reason="-12.5")
    Participant.objects.filter(pk=people[2].pk).update(end_reason="line one\nline two")
    Participant.objects.filter(pk=people[3].pk).update(end_reason="@sum")
    done = FormInstance.objects.filter(status="complete", visit__isnull=False)
    first = done.filter(participant=people[4]).order_by("pk").first()
    if first is not None:
        FormInstance.objects.filter(pk=first.pk).update(invalid_at=timezone.now())
    AnchorDate.objects.filter(participant=people[5]).update(date=None)


@pytest.mark.requirement("EXP-050")
@pytest.mark.parametrize("population", ["itt", "pp"])
def test_copy_extraction_writes_the_python_builders_bytes(
    synthetic_trial, population: str, tmp_path: Path
) -> None:
    # given a synthetic trial with awkward values, built by the Python builder and by COPY
    _awkward_values()
    plan = get_plan(settings.EDC_PROTOCOL)
    (tmp_path / "py").mkdir()
    (tmp_path / "sql").mkdir()
    expected = _python_csv(plan, population, tmp_path / "py")
    got = _copy_csv(plan, population, tmp_path / "sql")
    # then both files are the same bytes, and they hold the trial's rows
    for name in ("wide", "long"):
        difference = _first_difference(expected[name], got[name])
        assert got[name] == expected[name], f"{name}: {difference}"
    assert expected["wide"].count(b"\n") > N // 3
    assert b"'=HYPERLINK" in expected["wide"] or population == "pp"


@pytest.mark.requirement("EXP-050")
def test_g10_formats_numbers_as_percent_10g(postgres) -> None:
    # given numbers of every magnitude and sign, formatted by PostgreSQL and by Python
    rng = random.Random(5)
    values = [0.0, 1.0, -1.0, 0.5, 1e-05, 0.0001, 0.00012345678912, 123456789.5, 1e9,
              9999999999.0, 1e10, 12345678901.0, -2.5e-07, 45.833333333333336, 2 / 3,
              99.99999999996, 9.999999999951]  # fmt: skip
    values += [rng.uniform(-1000, 1000) for _ in range(300)]
    values += [round(rng.uniform(0, 100), rng.randint(0, 4)) for _ in range(300)]
    with postgres.cursor() as cursor:
        cursor.execute(S._FUNCTIONS)
        cursor.execute(
            "SELECT pg_temp.edc_g10(v::text::numeric) FROM unnest(%s::float8[]) WITH ORDINALITY "
            "AS u(v, n) ORDER BY n",
            [values],
        )
        got = [row[0] for row in cursor.fetchall()]
    # then each is the "%.10g" text of the Python writer
    assert got == [W.FLOAT_FORMAT % v for v in values]


@pytest.mark.requirement("EXP-050")
def test_a_release_on_postgresql_writes_the_same_csv_files(
    synthetic_trial, tmp_path: Path, settings
) -> None:
    # given a release built on PostgreSQL (its CSVs by COPY, the blinded ones transformed)
    _awkward_values()
    settings.MEDIA_ROOT = tmp_path / "media"
    actor = get_user_model().objects.filter(is_superuser=False).first() or (
        get_user_model().objects.create(username="release-actor")
    )
    release = dataset_release_declare(protocol_code=settings.EDC_PROTOCOL, actor=actor,
                                      reason="copy test", enqueue=False)  # fmt: skip
    release = dataset_release_build(release_id=release.pk)
    assert release.status == DatasetRelease.Status.READY, release.error
    folder = tmp_path / "media" / release.folder
    # when the same data is written by the Python writer from the frames, unblinded and
    # blinded with the release's own mapping
    protocol = get_protocol(settings.EDC_PROTOCOL)
    unblinded = unblinded_frames(dataset_build(plan=get_plan(protocol.code), population="itt"),
                                 protocol)  # fmt: skip
    meta = json.loads((folder / "unblinded" / "release.json").read_text(encoding="utf-8"))
    blinded = blinded_frames(unblinded, protocol, meta["blinding_key"])
    # then every CSV of both variants is the same bytes
    for variant, frames in (("unblinded", unblinded), ("blinded", blinded)):
        for name in ("wide", "long", "screening"):
            path = tmp_path / f"{variant}-{name}.csv"
            W.write_csv(frames.frames[name], path)
            published = (folder / variant / f"{name}.csv").read_bytes()
            assert published == path.read_bytes(), (
                f"{variant} {name}: {_first_difference(path.read_bytes(), published)}"
            )
    # and the blinded wide file holds no arm-revealing column, its arms only masked codes
    hidden = arm_revealing(protocol, release_variables(protocol))
    header = (folder / "blinded" / "wide.csv").read_text(encoding="utf-8").split("\n")[0]
    assert hidden
    assert not hidden & set(header.split(","))
    assert {a.code for a in protocol.arms}.isdisjoint(
        {
            row.split(",")[1]
            for row in (folder / "blinded" / "long.csv").read_text().split("\n")[1:-1]
        }
    )


@pytest.mark.requirement("EXP-050")
def test_a_column_without_sql_falls_back_to_the_python_writer(
    synthetic_trial, tmp_path: Path, settings, monkeypatch: pytest.MonkeyPatch, caplog
) -> None:
    # given a protocol whose wide dataset has a column the SQL generator cannot write
    def no_sql(*args, **kwargs):
        raise S.NoSqlForColumns("no SQL for wide columns ['derived_elsewhere']")

    monkeypatch.setattr(S, "_wide_query", no_sql)
    settings.MEDIA_ROOT = tmp_path / "media"
    actor = get_user_model().objects.create(username="release-actor")
    release = dataset_release_declare(protocol_code=settings.EDC_PROTOCOL, actor=actor,
                                      reason="fallback test", enqueue=False)  # fmt: skip
    # when the release is built
    with caplog.at_level("WARNING", logger="analysis.releases.services"):
        release = dataset_release_build(release_id=release.pk)
    # then it is published all the same, its CSVs written from the frames, and the log says so
    assert release.status == DatasetRelease.Status.READY, release.error
    assert "CSVs written in Python" in caplog.text
    protocol = get_protocol(settings.EDC_PROTOCOL)
    unblinded = unblinded_frames(dataset_build(plan=get_plan(protocol.code), population="itt"),
                                 protocol)  # fmt: skip
    W.write_csv(unblinded.frames["wide"], tmp_path / "wide.csv")
    published = tmp_path / "media" / release.folder / "unblinded" / "wide.csv"
    assert published.read_bytes() == (tmp_path / "wide.csv").read_bytes()
