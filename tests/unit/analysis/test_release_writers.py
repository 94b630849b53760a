"""Release files open in the statisticians' tools, with labels; ODM validates; no DB."""

from __future__ import annotations

import random
import shutil
import subprocess
from pathlib import Path

import odmlib
import pandas as pd
import pyreadstat
import pytest
from lxml import etree

from analysis.datasets import columns as C
from analysis.datasets.builders import Dataset
from analysis.releases.builder import release_build_files
from analysis.releases.frames import blinded_frames, blinding_mapping, unblinded_frames
from analysis.releases.odm import write_odm
from analysis.releases.writers import write_codebook_csv, write_dta, write_sav
from tests.conftest import need
from trial.protocol import get_protocol
from trial.protocol.dictionary import dictionary_of

PROTOCOL = get_protocol("snrb_peld")
XSD = Path(odmlib.__file__).parent / "schemas" / "odm" / "1.3.2" / "ODM1-3-2.xsd"
N = 12


def synthetic_dataset(n: int = N, seed: int = 1) -> Dataset:
    """A Dataset shaped like ``dataset_build``'s (every column), with random values."""
    rng = random.Random(seed)
    wide_cols, rows = C.wide_columns(PROTOCOL), []
    for i in range(n):
        row = {}
        for col in wide_cols:
            if col.dtype == "float":
                row[col.name] = round(rng.uniform(0, 100), 2) if rng.random() > 0.1 else None
            elif col.dtype == "bool":
                row[col.name] = rng.choice([True, False, None])
            else:
                row[col.name] = None
        row.update(participant_id=f"S01-{i + 1:04d}", arm="SP"[i % 2], site="S01",
                   status="randomized", sex=rng.choice(["male", "female"]),
                   pfirrmann_grade=rng.choice(["III", "IV"]), herniation_level="L4-5",
                   macnab=rng.choice(["excellent", "good", "fair", "poor", None]))  # fmt: skip
        rows.append(row)
    wide = pd.DataFrame(rows, columns=[c.name for c in wide_cols])
    long_rows = [
        {"participant_id": r["participant_id"], "arm": r["arm"], "visit": v,
         "visit_order": float(k), "vas_leg": r.get(f"vas_leg_{v}"),
         "vas_back": r.get(f"vas_back_{v}")}
        for r in rows for k, v in enumerate(("admission", "preop", "postop_day_3", "month_3"))
    ]  # fmt: skip
    long = pd.DataFrame(long_rows, columns=[c.name for c in C.long_columns(PROTOCOL)])
    screening = wide[["participant_id", "arm", "status"]].assign(
        eligible=True, failed_criteria=[[] for _ in rows], received_allocated=True,
        per_protocol=True, end_reason=None)[[c.name for c in C.SCREENING]]  # fmt: skip
    return Dataset("itt", wide, long, screening, {}, C.column_dictionary(PROTOCOL))


def meta(version: int = 1) -> dict:
    return {"title": f"snrb_peld dataset release v{version}", "protocol": "snrb_peld",
            "protocol_version": "1.0", "version": version, "kind": "data_cut",
            "reason": "interim", "cut_at": "2025-01-01T00:00:00+00:00", "population": "itt",
            "n": N, "data_checksum": "0" * 64, "created_at": "2025-01-01T00:00:00",
            "file_oid": f"snrb_peld.release.v{version}"}  # fmt: skip


@pytest.fixture(scope="module")
def release():
    return unblinded_frames(synthetic_dataset(), PROTOCOL)


@pytest.mark.requirement("EXP-006")
def test_sav_reads_back_with_variable_and_value_labels(release, tmp_path) -> None:
    # when the wide frame is written as SPSS .sav and read back
    path = tmp_path / "wide.sav"
    write_sav(release.frames["wide"], release.variables_of("wide"), path)
    frame, meta_ = pyreadstat.read_sav(str(path))
    labels = dict(zip(meta_.column_names, meta_.column_labels, strict=True))
    # then the rows, the variable labels and the value labels are there
    assert len(frame) == N
    assert labels["bmi"] == dictionary_of(PROTOCOL)["bmi"].label.en == "Body mass index, kg/m²"
    assert meta_.variable_value_labels["sex"] == {1.0: "Male", 2.0: "Female"}
    assert meta_.variable_value_labels["arm"] == {1.0: "S: SNRB + PELD", 2.0: "P: PELD only"}
    assert meta_.variable_value_labels["numbness"] == {1.0: "Yes", 0.0: "No"}
    assert set(meta_.variable_value_labels) >= {"herniation_level", "pfirrmann_grade", "macnab"}
    expected_sex = release.frames["wide"]["sex"].map({"male": 1.0, "female": 2.0}).tolist()
    assert frame["sex"].tolist() == expected_sex
    assert frame["participant_id"].tolist() == release.frames["wide"]["participant_id"].tolist()


@pytest.mark.requirement("EXP-006")
def test_dta_reads_back_with_variable_and_value_labels(release, tmp_path) -> None:
    path = tmp_path / "wide.dta"
    write_dta(release.frames["wide"], release.variables_of("wide"), path)
    frame, meta_ = pyreadstat.read_dta(str(path))
    labels = dict(zip(meta_.column_names, meta_.column_labels, strict=True))
    assert len(frame) == N
    assert labels["herniation_level"] == dictionary_of(PROTOCOL)["herniation_level"].label.en
    assert meta_.variable_value_labels["pfirrmann_grade"][3] == "Grade III"
    assert meta_.variable_value_labels["hypertension"] == {1: "Yes", 0: "No"}
    read_back = pyreadstat.read_dta(str(path), apply_value_formats=True)[0]
    assert read_back["arm"].tolist()[:2] == ["S: SNRB + PELD", "P: PELD only"]


def test_long_frame_dta_keeps_one_row_per_participant_and_visit(release, tmp_path) -> None:
    path = tmp_path / "long.dta"
    write_dta(release.frames["long"], release.variables_of("long"), path)
    frame, _ = pyreadstat.read_dta(str(path))
    assert len(frame) == N * 4


@pytest.mark.requirement("EXP-006")
def test_odm_validates_against_the_cdisc_odm_1_3_2_schema(release, tmp_path) -> None:
    # given the ODM 1.3.2 schema shipped in odmlib
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    # when the release is written as ODM
    path = tmp_path / "odm.xml"
    write_odm(release, PROTOCOL, meta(), path)
    doc = etree.parse(str(path))
    # then it validates, and carries metadata and one SubjectData per participant
    assert schema.validate(doc), schema.error_log
    ns = {"odm": "http://www.cdisc.org/ns/odm/v1.3"}
    assert len(doc.findall(".//odm:SubjectData", ns)) == N
    events = [e.get("OID") for e in doc.findall(".//odm:StudyEventDef", ns)]
    assert events[:2] == ["SE.SUBJECT", "SE.ADMISSION"]
    assert "SE.MONTH_3" in events
    assert doc.find(".//odm:ItemDef[@OID='IT.BASELINE.SEX']", ns).get("DataType") == "text"
    assert doc.find(".//odm:CodeList[@OID='CL.OUTCOME.MACNAB']", ns) is not None


@pytest.mark.requirement("BLD-006")
def test_blinded_odm_validates_and_masks_the_arm(release, tmp_path) -> None:
    blinded = blinded_frames(release, PROTOCOL, {"S": "B", "P": "A"})
    path = tmp_path / "odm.xml"
    write_odm(blinded, PROTOCOL, meta(), path)
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    assert schema.validate(etree.parse(str(path))), schema.error_log
    text = path.read_text()
    assert "SNRB + PELD" not in text
    assert 'ItemOID="IT.SUBJECT.ARM" Value="B"' in text


def test_blinding_mapping_is_one_to_one_onto_letters() -> None:
    mapping = blinding_mapping(PROTOCOL, random.Random(3))
    assert sorted(mapping) == ["P", "S"]
    assert sorted(mapping.values()) == ["A", "B"]


def test_codebook_lists_every_variable_with_its_codes(release, tmp_path) -> None:
    path = tmp_path / "codebook.csv"
    write_codebook_csv(release, path)
    book = pd.read_csv(path, keep_default_na=False)
    assert len(book) == len(release.variables)
    sex = book[(book["frame"] == "wide") & (book["variable"] == "sex")].iloc[0]
    assert sex["values"] == "male=Male; female=Female"
    assert sex["n_present"] == N


def test_r_reads_the_csv_and_the_codebook(tmp_path) -> None:
    need(shutil.which("Rscript") is not None, "R is not installed (Debian package r-base-core)")
    built = release_build_files(data=synthetic_dataset(), protocol=PROTOCOL, meta=meta(),
                                media_root=tmp_path, previous=None)  # fmt: skip
    folder = tmp_path / built.folder / "unblinded"
    script = (
        f'd <- read.csv("{folder / "wide.csv"}"); stopifnot(nrow(d) == {N});'
        f'stopifnot(is.numeric(d$bmi)); stopifnot(all(d$arm %in% c("S", "P")));'
        f'l <- read.csv("{folder / "long.csv"}"); stopifnot(nrow(l) == {N * 4});'
        f'cb <- read.csv("{folder / "codebook.csv"}");'
        f'stopifnot(all(names(d) %in% cb$variable[cb$frame == "wide"]));'
        f'stopifnot(cb$label[cb$variable == "bmi"][1] == "Body mass index, kg/m\u00b2")'
    )
    out = subprocess.run(["Rscript", "-e", script], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr


@pytest.mark.requirement("EXP-006")
def test_odm_subjects_hold_exactly_the_present_values_of_their_wide_row(tmp_path) -> None:
    # given a release whose text needs escaping in XML and with an empty text
    data = synthetic_dataset(seed=3)
    data.wide.loc[0, "sex"] = 'a & b <"c">\n\td'
    data.wide.loc[1, "herniation_level"] = ""
    release = unblinded_frames(data, PROTOCOL)
    # when it is written as ODM (the subjects streamed as text)
    path = tmp_path / "odm.xml"
    write_odm(release, PROTOCOL, meta(), path)
    doc = etree.parse(str(path))
    ns = {"odm": "http://www.cdisc.org/ns/odm/v1.3"}
    assert etree.XMLSchema(etree.parse(str(XSD))).validate(doc)
    # then each subject holds one ItemData per present value of its row, formatted as the
    # item's type says, and nothing else; empty forms and events are left out
    wide = release.frames["wide"]
    variables = {v.name: v for v in release.variables_of("wide")}
    for subject, (_, row) in zip(doc.findall(".//odm:SubjectData", ns), wide.iterrows(),
                                 strict=True):  # fmt: skip
        assert subject.get("SubjectKey") == row["participant_id"]
        found = sorted(item.get("Value") for item in subject.iter(f"{{{ns['odm']}}}ItemData"))
        expected = []
        for name, value in row.items():
            if value is None or (isinstance(value, float) and pd.isna(value)):
                continue
            if variables[name].form == "subject" and variables[name].visit:
                continue  # the visit timing columns are not ODM items (they never were)
            dtype = variables[name].dtype
            expected.append(f"{value:.10g}" if dtype == "float" else str(value))
        assert found == sorted(expected)
        for group in subject.iter(f"{{{ns['odm']}}}ItemGroupData"):
            assert len(group)
    first = doc.find(".//odm:SubjectData", ns)
    sex = first.find(".//odm:ItemData[@ItemOID='IT.BASELINE.SEX']", ns)
    assert sex.get("Value") == 'a & b <"c">\n\td'
    second = doc.findall(".//odm:SubjectData", ns)[1]
    assert second.find(".//odm:ItemData[@ItemOID='IT.BASELINE.HERNIATION_LEVEL']", ns).get(
        "Value") == ""  # fmt: skip


def test_odm_refuses_text_xml_cannot_hold(tmp_path) -> None:
    data = synthetic_dataset(seed=4)
    data.wide.loc[2, "sex"] = "bad\x01"
    with pytest.raises(ValueError, match="XML compatible"):
        write_odm(unblinded_frames(data, PROTOCOL), PROTOCOL, meta(), tmp_path / "odm.xml")
