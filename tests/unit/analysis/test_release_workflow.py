"""The release workflow: extract once, one part per format and variant, publish atomically;
and the Parquet files it writes (typed, labelled)."""

from __future__ import annotations

import json
import random

import pandas as pd
import pyarrow.parquet as pq
import pytest

from analysis.models import DatasetRelease
from analysis.releases import builder as B
from analysis.releases.frames import arm_revealing, release_variables
from analysis.releases.manifest import manifest_verify
from analysis.releases.services import dataset_release_declare
from analysis.releases.writers import write_parquet
from analysis.tasks import dataset_release_build_task
from tests.factories import SiteFactory, user_with_role
from tests.unit.analysis.test_release_writers import PROTOCOL, meta, synthetic_dataset
from tests.unit.analysis.test_report_datasets import complete_participant
from trial.models import Role


@pytest.fixture
def staged(tmp_path):
    staging = B.staging_open(tmp_path, PROTOCOL.code, 1)
    parts = B.stage_extract(staging, data=synthetic_dataset(), protocol=PROTOCOL, meta=meta(),
                            previous=None)  # fmt: skip
    return staging, parts


@pytest.mark.requirement("WFL-001")
def test_extraction_is_staged_once_and_every_format_of_both_variants_is_a_part(staged) -> None:
    staging, parts = staged
    # then one part per format and variant, and only the unblinded rows are stored
    assert sorted(parts) == sorted((v, p) for v in B.VARIANTS for p in B.PARTS)
    assert {p.name for p in (staging / B.EXTRACT).iterdir()} == {B.FRAMES_FILE, B.METAS_FILE}
    # and the blinded variant is the column transform of the staged unblinded rows
    blinded = B.staged_frames(staging, PROTOCOL, "blinded")
    unblinded = B.staged_frames(staging, PROTOCOL, "unblinded")
    assert set(blinded.frames["wide"]["arm"].dropna()) <= {"A", "B"}
    assert len(blinded.frames["wide"]) == len(unblinded.frames["wide"])
    hidden = arm_revealing(PROTOCOL, release_variables(PROTOCOL))
    assert set(blinded.frames["wide"].columns) == set(unblinded.frames["wide"].columns) - hidden


@pytest.mark.requirement("WFL-002")
def test_nothing_is_published_while_a_part_is_missing_and_a_part_runs_again_alone(
    staged, tmp_path
) -> None:
    staging, parts = staged
    # given every part written but one
    for variant, part in parts[:-1]:
        B.stage_part(staging, PROTOCOL, variant, part)
    # then publishing refuses and nothing appears
    with pytest.raises(RuntimeError, match="parts missing"):
        B.stage_publish(staging, protocol_code=PROTOCOL.code, previous=None)
    assert not B.release_folder(tmp_path, PROTOCOL.code, 1).exists()
    # when a part runs twice (a redelivered task), its files are simply replaced
    variant, part = parts[0]
    B.stage_part(staging, PROTOCOL, variant, part)
    B.stage_part(staging, PROTOCOL, *parts[-1])
    built = B.stage_publish(staging, protocol_code=PROTOCOL.code, previous=None)
    # then the release is complete and verifies, and the staging folder is gone
    for variant in B.VARIANTS:
        assert manifest_verify(tmp_path / built.folder / variant) == []
    assert not staging.exists()
    # and publishing again (a callback redelivered after the rename) only describes it
    assert not list((tmp_path / "releases" / PROTOCOL.code).glob(".building-*"))


@pytest.mark.requirement("WFL-001")
def test_the_workflow_publishes_the_same_files_as_the_in_process_build(
    tmp_path, monkeypatch
) -> None:
    # given the same data (and blinding key) built in one go and in steps in another order
    key = {arm.code: "AB"[i] for i, arm in enumerate(PROTOCOL.arms)}
    monkeypatch.setattr(B, "blinding_mapping", lambda _protocol: key)
    one = B.release_build_files(data=synthetic_dataset(), protocol=PROTOCOL, meta=meta(),
                                media_root=tmp_path / "a", previous=None)  # fmt: skip
    staging = B.staging_open(tmp_path / "b", PROTOCOL.code, 1)
    parts = B.stage_extract(staging, data=synthetic_dataset(), protocol=PROTOCOL, meta=meta(),
                            previous=None)  # fmt: skip
    for variant, part in reversed(parts):
        B.stage_part(staging, PROTOCOL, variant, part)
    two = B.stage_publish(staging, protocol_code=PROTOCOL.code, previous=None)
    # then every data file is byte-identical
    for variant in ("unblinded", "blinded"):
        a, b = tmp_path / "a" / one.folder / variant, tmp_path / "b" / two.folder / variant
        names = sorted(p.name for p in a.iterdir())
        assert names == sorted(p.name for p in b.iterdir())
        for name in ("wide.csv", "long.csv", "screening.csv", "codebook.csv", "wide.parquet"):
            assert (a / name).read_bytes() == (b / name).read_bytes(), (variant, name)


@pytest.mark.requirement("WFL-003")
def test_parquet_is_typed_and_carries_the_dictionary_labels(staged, tmp_path) -> None:
    staging, _parts = staged
    release = B.staged_frames(staging, PROTOCOL, "unblinded")
    variables = release.variables_of("wide")
    path = tmp_path / "wide.parquet"
    write_parquet(release.frames["wide"], variables, path)
    # when read back with pyarrow and pandas
    table = pq.read_table(path)
    frame = table.to_pandas()
    by_name = {v.name: v for v in variables}
    # then every column is there, typed by the dictionary, with its label and value labels
    assert list(frame.columns) == list(release.frames["wide"].columns)
    for field in table.schema:
        var = by_name[field.name]
        types = {"float": "double", "bool": "int8", "date": "date32[day]"}
        expected = types.get(var.dtype, "string")
        assert str(field.type) == expected, field.name
        assert field.metadata[b"label"].decode() == var.label
        assert field.metadata[b"level"].decode() == var.level
        assert json.loads(field.metadata[b"values"]) == [list(c) for c in var.codes]
    labels = json.loads(table.schema.metadata[b"edc.labels"])
    assert labels["arm"] == by_name["arm"].label
    # and the values are those of the CSV (numbers equal, codes as text, 1/0 booleans)
    source = release.frames["wide"]
    numeric = [v.name for v in variables if v.dtype == "float"]
    pd.testing.assert_frame_equal(
        frame[numeric].reset_index(drop=True),
        source[numeric].apply(pd.to_numeric).astype("float64").reset_index(drop=True),
    )
    assert frame["arm"].tolist() == source["arm"].tolist()
    booleans = [v.name for v in variables if v.dtype == "bool"]
    assert booleans
    for name in booleans:
        got = [None if pd.isna(x) else int(x) for x in frame[name]]
        assert got == [None if x is None else int(x) for x in source[name]]


@pytest.mark.requirement("WFL-003")
def test_every_release_variant_holds_parquet_listed_in_the_manifest(tmp_path) -> None:
    built = B.release_build_files(data=synthetic_dataset(), protocol=PROTOCOL, meta=meta(),
                                  media_root=tmp_path, previous=None)  # fmt: skip
    for variant in B.VARIANTS:
        listed = {f["path"] for f in built.manifest[variant]["files"]}
        assert {"wide.parquet", "long.parquet", "screening.parquet"} <= listed
    # and the blinded Parquet lacks exactly the columns the blinded CSV lacks
    hidden = arm_revealing(PROTOCOL, release_variables(PROTOCOL))
    for variant in B.VARIANTS:
        names = set(pq.read_schema(tmp_path / built.folder / variant / "wide.parquet").names)
        csv_header = (tmp_path / built.folder / variant / "wide.csv").read_text().split("\n")[0]
        assert names == set(csv_header.split(","))
        assert not (variant == "blinded" and names & hidden)


@pytest.mark.django_db(transaction=True)
@pytest.mark.requirement("WFL-001")
def test_the_release_task_runs_its_chord_eagerly_without_a_queue(settings, tmp_path) -> None:
    # given a small trial and a declared cut (the task is run here, Celery eager)
    from config.celery import app

    settings.MEDIA_ROOT = tmp_path
    actor = user_with_role(Role.DATA_MANAGER, site=None)
    site, rng = SiteFactory(), random.Random(3)
    for arm in "SP":
        complete_participant(actor, site, arm, rng)
    release = dataset_release_declare(
        protocol_code="snrb_peld", actor=actor, reason="interim", enqueue=False
    )
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        dataset_release_build_task.apply(args=(release.pk,))
    finally:
        app.conf.task_always_eager = eager
    # then the chord's parts and callback ran and the release is ready and verifies
    release.refresh_from_db()
    assert release.status == DatasetRelease.Status.READY, release.error
    for variant in B.VARIANTS:
        assert manifest_verify(tmp_path / release.folder / variant) == []
    assert not list((tmp_path / "releases" / PROTOCOL.code).glob(".building-*"))
