"""SPSS/Stata/R release formats (issue 18): formats that match the data, measurement levels
from the column definitions, short value labels, clean variable labels, and an R reader.

pyreadstat checks what the files declare; R (haven for .sav/.dta, base R for the CSVs and
read_release.R) checks what a statistician's R session gets. R is a service
(tests/unit/analysis/conftest.py ``rscript``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from unittest.mock import patch

import pandas as pd
import pyreadstat
import pytest

from analysis.datasets import columns as C
from analysis.datasets.builders import long_frame_visits
from analysis.releases import writers
from analysis.releases.builder import release_build_files
from analysis.releases.frames import Variable, unblinded_frames
from analysis.releases.writers import R_SCRIPT, variable_formats, write_dta, write_sav
from tests.unit.analysis.test_release_writers import PROTOCOL, N, meta, synthetic_dataset
from trial.protocol.dictionary import dictionary_of

MACNAB_EN = {1.0: "Excellent", 2.0: "Good", 3.0: "Fair", 4.0: "Poor"}


@pytest.fixture(scope="module")
def release():
    return unblinded_frames(synthetic_dataset(), PROTOCOL)


@pytest.fixture
def sav(release, tmp_path):
    path = tmp_path / "wide.sav"
    write_sav(release.frames["wide"], release.variables_of("wide"), path)
    return pyreadstat.read_sav(str(path))


def _expected_number_format(values: pd.Series) -> str:
    """Independent of the writer: decimals as printed by Python's repr, digits of the max."""
    v = values.dropna().astype(float)
    decimals = max(len(repr(x).split(".")[1].rstrip("0")) if "." in repr(x) else 0 for x in v)
    digits = len(str(int(v.abs().max())))
    return f"F{digits + (decimals + 1 if decimals else 0)}.{decimals}"


def test_codes_are_whole_numbers_one_digit_wide(sav) -> None:
    _frame, meta_ = sav
    formats = meta_.original_variable_types
    for name in ("arm", "sex", "status", "pfirrmann_grade", "herniation_level", "macnab",
                 "numbness", "per_protocol"):  # fmt: skip
        assert formats[name] == "F1.0", name  # arm shows 1 / 2, never 1.00 / 2.00


def test_numbers_get_the_decimals_their_values_have(release, sav) -> None:
    _frame, meta_ = sav
    wide = release.frames["wide"]
    for name in ("bmi", "age_years", "surgery_minutes"):
        assert meta_.original_variable_types[name] == _expected_number_format(wide[name]), name


def test_strings_are_as_wide_as_their_longest_value(release, sav) -> None:
    _frame, meta_ = sav
    longest = max(len(v.encode()) for v in release.frames["wide"]["participant_id"])
    assert meta_.original_variable_types["participant_id"] == f"A{longest}"
    assert meta_.variable_storage_width["participant_id"] == longest


def test_measurement_levels_come_from_the_column_definitions(release, sav) -> None:
    _frame, meta_ = sav
    measures = meta_.variable_measure
    assert "unknown" not in measures.values()
    assert measures["arm"] == measures["sex"] == measures["participant_id"] == "nominal"
    assert measures["macnab"] == measures["pfirrmann_grade"] == "ordinal"
    assert measures["bmi"] == measures["vas_leg_admission"] == "scale"
    columns = {c.name: c.measure for c in C.wide_columns(PROTOCOL)}
    assert measures == {name: columns[name] for name in measures}  # one place


def test_long_frame_levels_and_visit_order_format(release, tmp_path) -> None:
    path = tmp_path / "long.sav"
    write_sav(release.frames["long"], release.variables_of("long"), path)
    _frame, meta_ = pyreadstat.read_sav(str(path))
    assert meta_.variable_measure["visit"] == meta_.variable_measure["visit_order"] == "ordinal"
    assert meta_.original_variable_types["visit_order"] == "F1.0"
    # the long frame's visits are coded 1..k in time order (= visit_order + 1), with names
    visits = long_frame_visits(PROTOCOL)
    assert meta_.variable_value_labels["visit"] == {
        float(i + 1): v.label.en for i, v in enumerate(visits)
    }
    assert meta_.original_variable_types["visit"] == f"F{len(str(len(visits)))}.0"
    order = {v.code: i + 1 for i, v in enumerate(visits)}
    assert _frame["visit"].tolist() == [order[v] for v in release.frames["long"]["visit"]]
    assert (_frame["visit"] == _frame["visit_order"] + 1).all()


def test_macnab_value_labels_are_short_in_both_languages(release, sav) -> None:
    _frame, meta_ = sav
    assert meta_.variable_value_labels["macnab"] == MACNAB_EN
    macnab = next(v for v in release.variables if v.name == "macnab")
    assert dict(macnab.codes_zh) == {"excellent": "优", "good": "良", "fair": "可", "poor": "差"}
    # questionnaire items (ODI, JOA, SF-36 answers) keep the instrument's answer wording;
    # every other value label is short
    items = {v.source for v in dictionary_of(PROTOCOL) if v.captured and v.codes and v.level
             == "ordinal" and PROTOCOL.form(v.form).instrument and v.name != "macnab"}  # fmt: skip
    assert all(
        len(label) <= 30 for v in release.variables if v.source not in items for _, label in v.codes
    ), "short"


def test_variable_labels_hold_no_example_values(release) -> None:
    example_id = re.compile(r"\b[A-Z]{1,3}\d{2}-\d{3,4}\b")
    for var in release.variables:
        assert not example_id.search(var.label), (var.name, var.label)
    assert next(v.label for v in release.variables if v.name == "participant_id") == (
        "Pseudonymous trial id"
    )


def test_two_digit_codes_get_f2_and_dates_are_dates(tmp_path) -> None:
    codes = tuple((f"c{i}", f"Category {i}") for i in range(12))
    variables = (
        Variable("x", "many", "str", "Twelve categories", codes),
        Variable("x", "seen_on", "date", "Assessment date", level="scale"),
        Variable("x", "score", "float", "A score", level="scale"),
    )
    frame = pd.DataFrame({"many": ["c0", "c11", None],
                          "seen_on": [dt.date(2023, 5, 2), None, "2024-07-31"],
                          "score": [-1.25, 10.5, None]})  # fmt: skip
    coded_formats = variable_formats(frame, variables, {"many": {i + 1: "" for i in range(12)}})
    assert coded_formats["many"][:2] == ("F2.0", "%2.0f")
    write_sav(frame, variables, tmp_path / "x.sav")
    write_dta(frame, variables, tmp_path / "x.dta")
    data, meta_ = pyreadstat.read_sav(str(tmp_path / "x.sav"))
    assert meta_.original_variable_types == {"many": "F2.0", "seen_on": "DATE11",
                                             "score": "F6.2"}  # fmt: skip
    assert data["seen_on"].tolist()[0] == dt.date(2023, 5, 2)
    assert data["seen_on"].tolist()[2] == dt.date(2024, 7, 31)
    data, meta_ = pyreadstat.read_dta(str(tmp_path / "x.dta"))
    assert meta_.original_variable_types == {"many": "%2.0f", "seen_on": "%td",
                                             "score": "%6.2f"}  # fmt: skip
    assert data["seen_on"].tolist()[0] == dt.date(2023, 5, 2)


def test_stata_formats_match_the_spss_ones(release, tmp_path) -> None:
    path = tmp_path / "wide.dta"
    write_dta(release.frames["wide"], release.variables_of("wide"), path)
    _frame, meta_ = pyreadstat.read_dta(str(path))
    formats = meta_.original_variable_types
    assert formats["arm"] == formats["macnab"] == "%1.0f"
    assert formats["bmi"] == "%" + _expected_number_format(release.frames["wide"]["bmi"])[1:] + "f"
    assert formats["participant_id"] == "%-8s"


# ---- R ---------------------------------------------------------------------------------------


@pytest.fixture
def built(tmp_path):
    built = release_build_files(data=synthetic_dataset(), protocol=PROTOCOL, meta=meta(),
                                media_root=tmp_path, previous=None)  # fmt: skip
    return tmp_path / built.folder


HAVEN = """
suppressPackageStartupMessages(library(haven))
s <- read_sav("wide.sav"); t <- read_dta("wide.dta"); l <- read_sav("long.sav")
pick <- function(d, attr_name) vapply(d, function(x) {
  a <- attr(x, attr_name); if (is.null(a)) "" else as.character(a) }, "")
labs <- attr(s$macnab, "labels")
out <- list(
  n = nrow(s), long_n = nrow(l),
  spss_formats = as.list(pick(s, "format.spss")),
  stata_formats = as.list(pick(t, "format.stata")),
  labels = as.list(pick(s, "label")),
  stata_labels = as.list(pick(t, "label")),
  macnab_labels = as.list(setNames(as.numeric(labs), names(labs))),
  arm_labels = names(attr(s$arm, "labels")),
  macnab_factor = as.character(as_factor(s$macnab)),
  macnab_csv = read.csv("wide.csv", na.strings = "")$macnab,
  bmi_class = class(s$bmi), bmi = s$bmi, bmi_csv = read.csv("wide.csv")$bmi,
  id_class = class(s$participant_id)
)
writeLines(jsonlite_free <- paste0("{", paste(vapply(names(out), function(k) {
  v <- out[[k]]
  enc <- function(x) if (is.character(x)) paste0('"', gsub('"', '\\\\"', x), '"') else
    ifelse(is.na(x), "null", format(x, digits = 15))
  body <- if (is.list(v)) paste0("{", paste0('"', names(v), '":', vapply(v, enc, ""),
    collapse = ","), "}") else if (length(v) == 1 && k %in% c("n", "long_n", "bmi_class",
    "id_class")) enc(v) else paste0("[", paste(enc(v), collapse = ","), "]")
  paste0('"', k, '":', body) }, ""), collapse = ","), "}"), "haven.json")
"""


def test_haven_reads_formats_and_labels_from_sav_and_dta(rscript, built, release) -> None:
    folder = built / "unblinded"
    rscript(HAVEN, cwd=folder)
    got = json.loads((folder / "haven.json").read_text(encoding="utf-8"))
    assert got["n"] == N
    assert got["long_n"] == N * 4
    sav_meta = pyreadstat.read_sav(str(folder / "wide.sav"), metadataonly=True)[1]
    dta_meta = pyreadstat.read_dta(str(folder / "wide.dta"), metadataonly=True)[1]
    assert got["spss_formats"] == sav_meta.original_variable_types  # what R sees is declared
    assert got["stata_formats"] == dta_meta.original_variable_types
    assert got["spss_formats"]["arm"] == "F1.0"
    assert got["stata_formats"]["macnab"] == "%1.0f"
    assert got["spss_formats"]["participant_id"].startswith("A")
    labels = {v.name: v.label for v in release.variables_of("wide")}
    assert got["labels"] == labels
    # Stata labels hold 80 characters; a label cut at a space loses the trailing space
    assert got["stata_labels"] == {k: v[:80].rstrip() for k, v in labels.items()}
    assert got["macnab_labels"] == {"Excellent": 1, "Good": 2, "Fair": 3, "Poor": 4}
    assert got["arm_labels"] == ["S: SNRB + PELD", "P: PELD only"]
    codes = {"excellent": 1.0, "good": 2.0, "fair": 3.0, "poor": 4.0}  # R writes NA as "NA"
    expected = [None if x == "NA" else MACNAB_EN[codes[x]] for x in got["macnab_csv"]]
    assert [None if x == "NA" else x for x in got["macnab_factor"]] == expected
    assert got["bmi_class"] == "numeric"
    assert got["bmi"] == pytest.approx(got["bmi_csv"], nan_ok=True)
    assert got["id_class"] == "character"


def test_haven_reads_dates_as_dates(rscript, tmp_path) -> None:
    variables = (Variable("x", "seen_on", "date", "Assessment date", level="scale"),)
    frame = pd.DataFrame({"seen_on": [dt.date(2023, 5, 2), None, dt.date(2024, 7, 31)]})
    write_sav(frame, variables, tmp_path / "x.sav")
    write_dta(frame, variables, tmp_path / "x.dta")
    out = rscript(
        'suppressPackageStartupMessages(library(haven)); for (f in c("x.sav", "x.dta")) {'
        "d <- if (grepl('sav$', f)) read_sav(f) else read_dta(f);"
        'cat(class(d$seen_on), format(d$seen_on), "\\n") }',
        cwd=tmp_path,
    )
    assert out.splitlines() == ["Date 2023-05-02 NA 2024-07-31 "] * 2


R_READER = """
source("read_release.R")
d <- read_release(); z <- read_release(language = "zh")
w <- d$wide
stopifnot(identical(names(d), c("wide", "long", "screening", "events")))
cat("macnab_class", class(w$macnab), "\\n")
cat("macnab_levels", levels(w$macnab), "\\n")
cat("macnab_zh", levels(z$wide$macnab), "\\n")
cat("arm_levels", levels(w$arm), "\\n")
cat("numbness_levels", levels(w$numbness), "\\n")
cat("bmi_class", class(w$bmi), "\\n")
cat("bmi_label", attr(w$bmi, "label"), "\\n")
cat("bmi_measure", attr(w$bmi, "measure"), "\\n")
cat("id_class", class(w$participant_id), "\\n")
cat("visit_order", class(d$long$visit_order), attr(d$long$visit_order, "measure"), "\\n")
cat("visits", paste(unique(as.character(d$long$visit[order(d$long$visit)])), collapse = "|"), "\\n")
cat("visit_ordered", is.ordered(d$long$visit), "\\n")
cat("rows", nrow(w), nrow(d$long), nrow(d$screening), "\\n")
cat("macnab_na", sum(is.na(w$macnab)), "\\n")
cat("bmi_sum", format(sum(w$bmi, na.rm = TRUE), digits = 15), "\\n")
"""


def test_the_r_script_reads_the_csvs_with_types_and_labels(rscript, built, release) -> None:
    folder = built / "unblinded"
    assert (folder / R_SCRIPT).is_file()
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert R_SCRIPT in json.dumps(manifest)  # checksummed like every file
    out = dict(line.rstrip().split(" ", 1) for line in rscript(R_READER, cwd=folder).splitlines())
    assert out["macnab_class"] == "ordered factor"
    assert out["macnab_levels"] == "Excellent Good Fair Poor"
    assert out["macnab_zh"] == "优 良 可 差"
    assert out["arm_levels"] == "S: SNRB + PELD P: PELD only"
    assert out["numbness_levels"] == "Yes No"
    assert out["bmi_class"] == "numeric"
    assert out["bmi_label"] == "Body mass index, kg/m²"
    assert out["bmi_measure"] == "scale"
    assert out["id_class"] == "character"
    assert out["visit_order"] == "numeric ordinal"
    assert out["visit_ordered"] == "TRUE"
    in_data = set(release.frames["long"]["visit"])
    assert out["visits"] == "|".join(v.label.en for v in PROTOCOL.visits if v.code in in_data)
    assert len(in_data) == len(long_frame_visits(PROTOCOL))
    assert out["rows"] == f"{N} {N * 4} {N}"
    wide = release.frames["wide"]
    assert int(out["macnab_na"]) == int(wide["macnab"].isna().sum())
    assert float(out["bmi_sum"]) == pytest.approx(wide["bmi"].sum(), rel=1e-9)


def test_the_blinded_r_script_knows_only_the_masked_arms(rscript, built) -> None:
    folder = built / "blinded"
    text = (folder / R_SCRIPT).read_text(encoding="utf-8")
    assert "SNRB" not in text
    out = rscript('source("read_release.R"); cat(levels(read_release()$wide$arm))', cwd=folder)
    assert out == "Arm A Arm B"


def test_a_value_without_a_code_is_kept_with_its_own_label(tmp_path) -> None:
    variables = (Variable("x", "grade", "str", "Grade", (("a", "Alpha"), ("b", "Beta"))),)
    frame = pd.DataFrame({"grade": ["a", "legacy", None, "b"]})
    write_sav(frame, variables, tmp_path / "x.sav")
    data, meta_ = pyreadstat.read_sav(str(tmp_path / "x.sav"), apply_value_formats=True)
    assert data["grade"].tolist()[:2] == ["Alpha", "legacy"]  # nothing silently dropped
    assert data["grade"].tolist()[3] == "Beta"
    assert meta_.variable_value_labels["grade"] == {1.0: "Alpha", 2.0: "Beta", 3.0: "legacy"}


def test_release_csv_is_pandas_csv_of_the_neutralised_frame(tmp_path) -> None:
    # given a frame with every kind of cell a release holds: floats (small, large, whole,
    # missing, negative zero), 1/0 codes with gaps, text needing quotes or neutralising
    frame = pd.DataFrame({
        "participant_id": ["S01-0001", "S01-0002", "S01-0003", "S01-0004", "S01-0005"],
        "note": ['=SUM(A1)', 'a,"b"\nc', "", None, "-3.5"],
        "other": ["@x", "\tx", " lead", "x\ry", float("nan")],
        "vas": [1e-7, 123456789012.5, 3.0, float("nan"), -0.0],
        "score": [12.345678901234, 0.1, -4.25, 100.0, 2 / 3],
        "flag": pd.Series([1, 0, None, 1, 0], dtype=object),
        "count": pd.Series([3, 0, 7, 1, 2], dtype="int64"),
    })  # fmt: skip
    path = tmp_path / "wide.csv"
    # when it is written as a release CSV (column at a time, chunked)
    with patch.object(writers, "CHUNK_ROWS", 2):
        writers.write_csv(frame, path)
    # then the bytes are those pandas writes for the frame with formulas neutralised
    expected = writers.safe_text_columns(frame).to_csv(
        index=False, lineterminator="\n", float_format="%.10g"
    )
    assert path.read_bytes() == expected.encode()
    assert "'=SUM(A1)" in expected  # neutralised
    assert ",-3.5," in expected  # a number in text is kept
