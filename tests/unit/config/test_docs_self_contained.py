"""A clone is self-contained: nothing points outside the repository or to a missing doc.

Reads every tracked text file (``git ls-files``; the working tree when git is absent, e.g.
in a source archive) and fails on references to paths outside the repository (the old
``../shared`` design documents, absolute machine paths) and on references to ``docs/``
pages, relative Markdown links or images that do not exist.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
TEXT_SUFFIXES = {
    ".py", ".md", ".html", ".txt", ".toml", ".cfg", ".ini", ".R", ".csv", ".yml", ".yaml",
    ".js", ".css", ".sh", ".json",
}  # fmt: skip
TEXT_NAMES = {"Makefile", "Dockerfile", "run"}
SKIP_PARTS = {".git", ".venv", "var", "node_modules", "test-artifacts", "__pycache__", "vendor"}
# Paths outside the repository: the design documents that used to live beside it, and
# absolute paths of one machine.
OUTSIDE = re.compile(
    r"\.\./shared\b|(?<![\w.])shared/(?:DESIGN|SAP|STYLE|reference|seed)\b"
    r"|(?<![\w/])(?:DESIGN|SAP|STYLE|INSTRUMENTS)\.md\b|(?<![\w.])/work/|(?<![\w.])/home/\w"
)
DOCS_REF = re.compile(r"(?<![\w./-])docs/([\w./-]+?\.(?:md|png|toml))\b")
MD_LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def tracked_files() -> list[Path]:
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True, text=True
        ).stdout
        names = [n for n in out.split("\0") if n]
    except (OSError, subprocess.CalledProcessError):
        names = [str(p.relative_to(REPO)) for p in REPO.rglob("*") if p.is_file()]
    files = []
    for name in names:
        path = REPO / name
        if SKIP_PARTS & set(Path(name).parts) or not path.is_file():
            continue
        if path.suffix in TEXT_SUFFIXES or path.name in TEXT_NAMES:
            files.append(path)
    return files


def problems(path: Path, root: Path = REPO) -> list[str]:
    """Return the outside and broken references of one file, as ``file:line: text``."""
    found = []
    rel = path.relative_to(root)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        return []
    for number, line in enumerate(lines, start=1):
        where = f"{rel}:{number}"
        for match in OUTSIDE.finditer(line):
            found.append(f"{where}: outside the repository: {match.group(0)!r}")
        for match in DOCS_REF.finditer(line):
            if not (root / "docs" / match.group(1)).exists():
                found.append(f"{where}: no such file docs/{match.group(1)}")
        if path.suffix != ".md":
            continue
        for match in MD_LINK.finditer(line):
            target = match.group(1).split("#", 1)[0]
            if not target or re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("/"):
                continue  # an anchor in the same page, a URL, or an absolute URL path
            if not (path.parent / target).exists():
                found.append(f"{where}: broken link {match.group(1)!r}")
    return found


@pytest.mark.requirement("DOC-001")
def test_no_tracked_file_points_outside_the_repository_or_to_a_missing_doc():
    files = [f for f in tracked_files() if f != Path(__file__).resolve()]  # not its examples
    assert any(f.name == "architecture.md" for f in files), "the docs were not found"
    found = [p for path in files for p in problems(path)]
    assert not found, "\n".join(found)


@pytest.mark.requirement("DOC-001")
@pytest.mark.parametrize(
    ("text", "reported"),
    [
        ("See `../shared/DESIGN.md`.", True),
        ("rules follow ``shared/reference/INSTRUMENTS.md``", True),
        ('SAP.md "Test selection"', True),
        ("(STYLE.md §3)", True),
        ("Sources: /work/shared/seed/paper.txt", True),
        ("see docs/no-such-page.md", True),
        ("[the plan](sap.md)", False),
        ("![a screen](img/none.en.png)", True),
        ("docs/sap.md and [x](https://example.org/a.md) and [y](#top)", False),
    ],
)
def test_the_check_finds_outside_and_broken_references(tmp_path, text, reported):
    # given a page in a repository whose docs/ holds sap.md only
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "sap.md").write_text("# SAP\n", encoding="utf-8")
    page = tmp_path / "docs" / "page.md"
    page.write_text(text + "\n", encoding="utf-8")
    # when it is checked, then an outside or broken reference is reported, a good one not
    assert bool(problems(page, root=tmp_path)) is reported, problems(page, root=tmp_path)
