"""R (Rscript with nlme and haven) as a real service for the analysis tests.

R is a service like PostgreSQL: without it a laptop skips the live-R tests with the reason,
and CI (``EDC_REQUIRE_SERVICES=1``) fails them (``tests.conftest.need``). Debian packages:
r-base-core, r-cran-nlme, r-cran-haven.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest

from tests.conftest import need

R_PACKAGES = ("nlme", "haven")


@cache
def _r_problem() -> str:
    """Why live R cannot run here ("" when it can)."""
    if shutil.which("Rscript") is None:
        return "R is not installed (Debian package r-base-core)"
    probe = "; ".join(f"library({p})" for p in R_PACKAGES)
    out = subprocess.run(["Rscript", "-e", probe], capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        return f"R lacks {', '.join(R_PACKAGES)} (Debian r-cran-nlme r-cran-haven): {out.stderr}"
    return ""


@pytest.fixture
def rscript() -> Callable[..., str]:
    """Return ``run(script, cwd)``: run an R script with Rscript, return its stdout.

    A script that fails fails the test with R's message.
    """
    problem = _r_problem()
    need(not problem, problem)

    def run(script: str, cwd: Path | None = None, timeout: int = 300) -> str:
        out = subprocess.run(["Rscript", "-e", script], capture_output=True, text=True,
                             cwd=cwd, timeout=timeout)  # fmt: skip
        if out.returncode != 0:
            pytest.fail(f"Rscript failed:\n{out.stderr}\n{out.stdout}")
        return out.stdout

    return run
