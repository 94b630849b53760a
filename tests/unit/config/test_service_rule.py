"""The one rule for services (tests/conftest.py): skip with the reason, or fail under CI."""

import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import REPO

SAMPLE = """
import pytest

@pytest.mark.services("postgres")
def test_marked():
    pass

def test_by_fixture(redis_url):
    pass

def test_plain():
    pass
"""


def run_sample(tmp_path, sample: str, **env: str) -> subprocess.CompletedProcess:
    """Run ``sample`` under a copy of the suite's conftest, with no service configured."""
    shutil.copy(REPO / "tests" / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_sample.py").write_text(sample)
    clean = {k: v for k, v in os.environ.items()
             if k not in ("DATABASE_URL", "REDIS_URL", "EDC_REQUIRE_SERVICES")}  # fmt: skip
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-rsE", "-p", "no:cacheprovider", "-p", "no:django",
         str(tmp_path)],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env={**clean, "PYTHONPATH": str(REPO), "DJANGO_SETTINGS_MODULE": "config.settings",
             **env},
    )  # fmt: skip


def test_a_missing_service_skips_the_test_with_the_reason_at_the_tests_line(tmp_path) -> None:
    result = run_sample(tmp_path, SAMPLE)
    assert result.returncode == 0, result.stdout
    assert "1 passed, 2 skipped" in result.stdout
    assert "test_sample.py:4: DATABASE_URL does not point at PostgreSQL (needed: postgres)" in (
        result.stdout
    )
    assert "test_sample.py:8: REDIS_URL is not set (needed: redis)" in result.stdout


def test_with_services_required_a_missing_service_fails_the_test(tmp_path) -> None:
    result = run_sample(tmp_path, SAMPLE, EDC_REQUIRE_SERVICES="1")
    assert result.returncode == 1, result.stdout
    assert "1 passed, 2 errors" in result.stdout
    assert "EDC_REQUIRE_SERVICES=1 but DATABASE_URL does not point at PostgreSQL" in result.stdout
    assert "EDC_REQUIRE_SERVICES=1 but REDIS_URL is not set" in result.stdout


def test_an_unknown_service_name_is_a_usage_error_not_a_silent_pass(tmp_path) -> None:
    sample = 'import pytest\n\n@pytest.mark.services("postgre")\ndef test_typo():\n    pass\n'
    result = run_sample(tmp_path, sample)
    assert result.returncode != 0
    assert "unknown service(s) ['postgre']" in result.stdout + result.stderr


@pytest.mark.services("postgres")
def test_this_suite_sees_postgresql_whenever_the_rule_lets_a_postgres_test_run() -> None:
    from django.conf import settings

    assert "postgresql" in settings.DATABASES["default"]["ENGINE"]
