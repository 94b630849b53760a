"""The instrument definitions: ids, allowed values, labels, registry, purity."""

import ast
import dataclasses
import re
from pathlib import Path

import pytest

import scoring
from scoring import INSTRUMENTS, Choice, DuplicateInstrument, InstrumentRegistry
from scoring.instruments.odi import ODI
from scoring.instruments.vas import VAS
from scoring.registry import discover_instruments

SCORING_DIR = Path(scoring.__file__).resolve().parent
CJK = re.compile(r"[\u4e00-\u9fff]")

SF36_CODES = {
    **dict.fromkeys([1, 2, 20, 22, 32, 33, 34, 35, 36], 5),
    **dict.fromkeys(range(3, 13), 3),
    **dict.fromkeys(range(13, 20), 2),
    **dict.fromkeys([21, *range(23, 32)], 6),
}


def test_registry_holds_exactly_the_six_instruments():
    # every module of scoring.instruments declaring INSTRUMENT, in module-name order
    assert list(INSTRUMENTS) == ["eq5d5l", "joa", "macnab", "odi", "sf36", "vas"]
    assert all(INSTRUMENTS[name].name == name for name in INSTRUMENTS)


@pytest.mark.parametrize(
    ("name", "item_ids"),
    [
        ("vas", ["vas"]),
        ("odi", [f"odi_{k}" for k in range(1, 11)]),
        (
            "joa",
            ["joa_lbp", "joa_leg", "joa_gait", "joa_slr", "joa_sens", "joa_motor"]
            + [f"joa_adl_{k}" for k in range(1, 8)]
            + ["joa_bladder"],
        ),
        ("sf36", [f"sf36_{k}" for k in range(1, 37)]),
        ("macnab", ["macnab"]),
        (
            "eq5d5l",
            [
                "mobility",
                "self_care",
                "usual_activities",
                "pain_discomfort",
                "anxiety_depression",
                "eq_vas",
            ],
        ),
    ],
)
def test_items_are_in_form_order_with_the_specified_ids(name, item_ids):
    assert list(INSTRUMENTS[name].item_ids) == item_ids


def test_odi_items_allow_zero_to_five():
    assert all(item.allowed_values == (0, 1, 2, 3, 4, 5) for item in ODI.items)


@pytest.mark.parametrize(
    ("item_id", "allowed"),
    [
        ("joa_lbp", {0, 1, 2, 3}),
        ("joa_leg", {0, 1, 2, 3}),
        ("joa_gait", {0, 1, 2, 3}),
        ("joa_slr", {0, 1, 2}),
        ("joa_sens", {0, 1, 2}),
        ("joa_motor", {0, 1, 2}),
        *[(f"joa_adl_{k}", {0, 1, 2}) for k in range(1, 8)],
        ("joa_bladder", {0, -3, -6}),
    ],
)
def test_joa_item_allows_its_point_values(item_id, allowed):
    assert set(INSTRUMENTS["joa"].item(item_id).allowed_values) == allowed


def test_joa_items_are_all_required():
    assert all(item.required for item in INSTRUMENTS["joa"].items)


@pytest.mark.parametrize(("k", "n_codes"), sorted(SF36_CODES.items()))
def test_sf36_item_is_precoded_one_to_k(k, n_codes):
    item = INSTRUMENTS["sf36"].item(f"sf36_{k}")
    assert item.allowed_values == tuple(range(1, n_codes + 1))


def test_sf36_form_numbers_follow_the_v1_form():
    numbers = [item.number for item in INSTRUMENTS["sf36"].items]
    assert numbers[:3] == ["1", "2", "3a"]
    assert numbers[12] == "4a"
    assert numbers[19] == "6"
    assert numbers[22] == "9a"
    assert numbers[31:] == ["10", "11a", "11b", "11c", "11d"]


def test_macnab_allows_the_four_grades():
    assert INSTRUMENTS["macnab"].item("macnab").allowed_values == (
        "excellent",
        "good",
        "fair",
        "poor",
    )


def test_vas_is_a_one_decimal_number_from_zero_to_ten():
    item = VAS.item("vas")
    assert (item.kind, item.min_value, item.max_value, item.decimals) == ("decimal", 0, 10, 1)


@pytest.mark.parametrize("name", list(INSTRUMENTS))
def test_every_text_and_label_exists_in_english_and_chinese(name):
    instrument = INSTRUMENTS[name]
    texts = [(instrument.title_en, instrument.title_zh)]
    texts += [(s.title_en, s.title_zh) for s in instrument.sections]
    texts += [(i.text_en, i.text_zh) for i in instrument.items]
    texts += [(c.label_en, c.label_zh) for i in instrument.items for c in i.choices]
    assert [(en, zh) for en, zh in texts if not (en.strip() and CJK.search(zh))] == []


@pytest.mark.parametrize("name", list(INSTRUMENTS))
def test_every_item_belongs_to_a_declared_section(name):
    instrument = INSTRUMENTS[name]
    section_ids = {section.id for section in instrument.sections}
    assert {item.section for item in instrument.items} <= section_ids


def test_versions_are_distinct_and_non_empty():
    versions = [instrument.version for instrument in INSTRUMENTS.values()]
    assert all(versions)
    assert len(set(versions)) == len(versions)


@pytest.mark.parametrize("name", list(INSTRUMENTS))
def test_declared_score_keys_are_the_keys_the_scorer_returns(name):
    assert tuple(scoring.score(name, {})) == INSTRUMENTS[name].score_keys


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("zh-hans", "是"),
        ("zh_Hans", "是"),
        ("zh-CN", "是"),
        ("zh", "是"),
        ("en", "Yes"),
        ("en-us", "Yes"),
        ("fr", "Yes"),
        ("", "Yes"),
        (None, "Yes"),
    ],
)
def test_label_picks_chinese_for_zh_codes_and_falls_back_to_english(lang, expected):
    assert Choice(1, "Yes", "是").label(lang) == expected


def test_text_falls_back_to_english_when_chinese_is_empty():
    assert Choice(1, "Yes", "").label("zh-hans") == "Yes"


def test_item_and_section_text_follow_the_language():
    item = INSTRUMENTS["sf36"].item("sf36_1")
    section = INSTRUMENTS["sf36"].sections[1]
    assert item.text("zh-hans").startswith("总体来讲")
    assert item.text("en").startswith("In general")
    assert section.instruction("zh-hans")
    assert section.title("en") == section.title_en


def test_registry_rejects_a_duplicate_name():
    with pytest.raises(DuplicateInstrument):
        InstrumentRegistry([VAS, ODI, VAS])


def test_registry_is_read_only():
    with pytest.raises(TypeError):
        INSTRUMENTS["vas"] = VAS  # type: ignore[index]


def test_unknown_instrument_raises_key_error():
    with pytest.raises(KeyError):
        scoring.score("eq5d", {})


def test_definitions_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        VAS.version = "x"  # type: ignore[misc]


def test_instrument_rejects_duplicate_item_ids():
    with pytest.raises(ValueError, match="duplicate"):
        dataclasses.replace(VAS, items=VAS.items * 2)


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize(
    "path", sorted(SCORING_DIR.rglob("*.py")), ids=lambda p: str(p.relative_to(SCORING_DIR))
)
def test_scoring_module_imports_no_framework_or_app_package(path):
    forbidden = {"django", "celery", "trial", "analysis", "config", "accounts"}
    assert not _imported_modules(path) & forbidden


@pytest.mark.parametrize("name", list(INSTRUMENTS))
def test_every_score_has_a_name_in_english_and_chinese(name):
    instrument = INSTRUMENTS[name]
    labels = {label.code: label for label in instrument.score_labels}
    assert set(labels) == set(instrument.score_keys)
    assert all(label.en.strip() and label.zh.strip() for label in labels.values())
    assert instrument.score_label("no_such_score", "zh-hans") == "no_such_score"


def test_every_band_and_grade_a_scorer_returns_has_a_label():
    expected = {
        "vas": {"none", "mild", "moderate", "severe"},
        "odi": {"minimal", "moderate", "severe", "crippled", "bed_bound"},
        "macnab": {"excellent", "good", "fair", "poor"},
        "joa": {"excellent", "good", "fair", "poor"},  # joa_recovery_grade
    }
    for name, codes in expected.items():
        instrument = INSTRUMENTS[name]
        assert {label.code for label in instrument.value_labels} == codes
        assert all(CJK.search(label.zh) for label in instrument.value_labels)
    assert INSTRUMENTS["odi"].value_label("crippled", "zh-hans") == "严重功能障碍（残疾）"
    assert INSTRUMENTS["odi"].value_label("crippled", "en") == "crippling"
    assert INSTRUMENTS["odi"].value_label("11111") is None


def test_the_registry_collects_each_instruments_module_that_declares_one(tmp_path, monkeypatch):
    package = tmp_path / "extra_instruments"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "b_scale.py").write_text(
        "import dataclasses\n"
        "from scoring.instruments.vas import VAS\n"
        "INSTRUMENT = dataclasses.replace(VAS, name='b_scale', version='b/1')\n"
    )
    (package / "a_helpers.py").write_text("ITEMS = ()\n")  # no INSTRUMENT: a helper
    monkeypatch.syspath_prepend(str(tmp_path))
    import extra_instruments

    found = discover_instruments(extra_instruments)
    assert [instrument.name for instrument in found] == ["b_scale"]
    (package / "c_broken.py").write_text("INSTRUMENT = 'not an instrument'\n")
    with pytest.raises(TypeError, match="c_broken.INSTRUMENT is not an Instrument"):
        discover_instruments(extra_instruments)
    # the shipped package: every module but the SF-36 item table declares one
    modules = sorted(p.stem for p in (SCORING_DIR / "instruments").glob("*.py"))
    assert [m for m in modules if m not in ("__init__", "sf36_items")] == sorted(INSTRUMENTS)
