"""The requirement marker: a pytest run records each marked test's outcome with its ids."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

from validation.paths import REPO, git_commit

TESTS = """
import pytest

@pytest.mark.requirement("AUD-001", "AUD-002")
def test_passes():
    assert True

@pytest.mark.requirement("AUD-002")
def test_fails():
    assert 1 == 2

@pytest.mark.requirement("AUD-003")
def test_skips():
    pytest.skip("PostgreSQL is not configured")

@pytest.fixture
def broken():
    raise RuntimeError("setup broke")

@pytest.mark.requirement("RFC-001")
def test_errors(broken):
    pass

@pytest.mark.requirement("RFC-002")
@pytest.mark.parametrize("n", [1, 2])
def test_cases(n):
    assert n

def test_unmarked():
    pass
"""


def run_pytest(tmp_path, source: str) -> tuple[subprocess.CompletedProcess, dict | None]:
    """Run pytest on ``source`` in a child process with the plugin; return it and the results."""
    (tmp_path / "test_sample.py").write_text(textwrap.dedent(source))
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\naddopts = --strict-markers\nmarkers =\n    requirement(*ids): ids\n"
    )
    results = tmp_path / "out" / "results.json"
    env = {**os.environ, "EDC_VALIDATION_RESULTS": str(results), "PYTHONPATH": str(REPO)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "validation.pytest_plugin", "-p", "no:django",
         "-p", "no:cacheprovider", "-q", "test_sample.py"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    data = json.loads(results.read_text()) if results.exists() else None
    return proc, data


def test_each_marked_test_is_recorded_with_its_requirements_and_outcome(tmp_path):
    # when a run has passing, failing, skipped, erroring, parametrized and unmarked tests
    proc, data = run_pytest(tmp_path, TESTS)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    # then the results file lists every marked test with its ids and outcome, and no other
    tests = {t["nodeid"].split("::")[1]: t for t in data["tests"]}
    assert {n: (t["requirements"], t["outcome"]) for n, t in tests.items()} == {
        "test_passes": (["AUD-001", "AUD-002"], "passed"),
        "test_fails": (["AUD-002"], "failed"),
        "test_skips": (["AUD-003"], "skipped"),
        "test_errors": (["RFC-001"], "error"),
        "test_cases[1]": (["RFC-002"], "passed"),
        "test_cases[2]": (["RFC-002"], "passed"),
    }
    assert tests["test_skips"]["message"] == "PostgreSQL is not configured"
    assert "setup broke" in tests["test_errors"]["message"]
    # and the run is described: the commit, the exit status, what ran, on what
    assert data["commit"] == git_commit()
    assert (data["exit_status"], data["collected"]) == (1, 7)
    assert data["python"]
    assert data["platform"]


def test_an_unknown_requirement_id_stops_the_run_and_keeps_the_last_results(tmp_path):
    # given the results of an earlier run
    run_pytest(tmp_path, TESTS)
    before = (tmp_path / "out" / "results.json").read_text()
    # when a test names an id that is not in the catalogue
    proc, _ = run_pytest(
        tmp_path,
        """
        import pytest

        @pytest.mark.requirement("AUD-999")
        def test_typo():
            pass
    """,
    )
    # then the run stops at collection, naming the test and the id, and writes nothing
    assert proc.returncode == 4
    assert "test_sample.py::test_typo: AUD-999" in proc.stdout + proc.stderr
    assert (tmp_path / "out" / "results.json").read_text() == before


def test_the_suite_registers_the_marker_and_loads_the_plugin():
    import tomllib

    options = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert "-p validation.pytest_plugin" in options["addopts"]
    assert any(m.startswith("requirement(") for m in options["markers"])
