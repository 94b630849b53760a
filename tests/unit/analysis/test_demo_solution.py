"""The paper-like demo's stored solution (analysis/demo_solution.json) is a fresh solve's.

A load reads the stored values and item answers instead of solving (≈ 20 s of CPU) when
the stored fingerprint is that of today's inputs; otherwise it solves, correct but slow.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import scoring
from analysis import demo
from analysis.demo import SCORE_KEY, SOLUTION_FILE, STORE_COMMAND

REGENERATE = f"analysis/demo_solution.json is stale: regenerate it with `{STORE_COMMAND}`"


@pytest.fixture(autouse=True)
def _fresh_caches() -> None:
    demo._stored.cache_clear()
    demo.solved.cache_clear()
    yield
    demo._stored.cache_clear()
    demo.solved.cache_clear()


def test_stored_solution_is_a_fresh_solve_of_todays_inputs() -> None:
    stored = json.loads(SOLUTION_FILE.read_text())
    assert stored["fingerprint"] == demo.solution_fingerprint(), REGENERATE
    fresh = demo.solution_data()
    assert stored == fresh, REGENERATE
    # the row order is the generator's order (it draws its random numbers row by row)
    assert list(stored["rows"]) == list(fresh["rows"]), REGENERATE
    assert SOLUTION_FILE.read_text() == demo.solution_json(fresh), REGENERATE


def test_a_load_uses_the_stored_values_and_answers() -> None:
    stored = json.loads(SOLUTION_FILE.read_text())
    solution = demo.solved()
    assert list(solution) == list(stored["rows"])
    for key, row in stored["rows"].items():
        assert {arm: list(v) for arm, v in solution[key].values.items()} == row["values"]
        assert solution[key].test == row["test"]
        assert list(solution[key].mismatches) == row["mismatches"]
    # every stored answer set scores exactly the value it is stored for
    for name, per_score in stored["answers"].items():
        for value, answers in per_score.items():
            assert demo.answers_for(name, float(value)) == answers
            assert float(scoring.score(name, answers)[SCORE_KEY[name]]) == pytest.approx(
                float(value), abs=1e-6
            )


def test_a_stale_file_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stale = json.loads(SOLUTION_FILE.read_text())
    stale["fingerprint"] = "0" * 64  # made from other targets, solver or instruments
    path = tmp_path / "demo_solution.json"
    path.write_text(json.dumps(stale))
    monkeypatch.setattr(demo, "SOLUTION_FILE", path)
    assert demo._stored() is None
    monkeypatch.setattr(demo, "SOLUTION_FILE", tmp_path / "missing.json")
    demo._stored.cache_clear()
    assert demo._stored() is None


def test_the_fingerprint_follows_the_inputs(monkeypatch: pytest.MonkeyPatch) -> None:
    before = demo.solution_fingerprint()
    monkeypatch.setattr(demo, "MEASURES", {**demo.MEASURES, "extra": ("vas", True)})
    assert demo.solution_fingerprint() != before
