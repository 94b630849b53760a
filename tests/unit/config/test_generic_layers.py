"""The generic layers name no trial: every fact about a trial comes from its protocol
definition (``trial/protocol/``) or its analysis plan (``analysis/plans/``).

Scanned: the views, services and selectors of the trial app, the dataset builder, the report
tables, the releases, the report service, selectors and pages, the API, and the dashboard's
and report's templates. They must not contain "snrb" anywhere (any case, comments included),
nor name any form code, form model, variable name or model field of the seed trial, taken
from its protocol and variable dictionary (``dictionary_of``), not from a hand list.

A name counts where code uses it: a Python name, a string literal that is an identifier or a
dotted or ``__`` path (``"trial.PainVasData"``, ``"instance__clavien_dindo"``), a template
variable or tag argument, or an HTML attribute value (``data-testid="vas-trend"``). Prose
(comments, docstrings, translated sentences) is not code, except for "snrb".
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

import pytest

from trial.protocol import get_protocol
from trial.protocol.dictionary import dictionary_of

ROOT = Path(__file__).resolve().parents[3]
SEED = "snrb_peld"
GENERIC = (
    "trial/views",
    "trial/services",
    "trial/selectors",
    "analysis/datasets",
    "analysis/tables",
    "analysis/releases",
    "analysis/services.py",
    "analysis/selectors.py",
    "analysis/views.py",
    "analysis/views_releases.py",
    "api",
    "templates/trial/dashboard",
    "templates/analysis",
)
# Seed-specific modules inside a generic folder: contributed under the seed's form models,
# like the seed's edit checks (trial/edit_checks/<form>.py), and read by no generic code.
SEED_MODULES = {
    # BMI at baseline and length of stay at discharge: the seed forms' derivations,
    # contributed in trial/contributions.py (DERIVATIONS) under their form models
    "trial/services/clinical_derivations.py",
}
# Seed names that are also the engine's own words (each explained); nothing else.
GENERIC_WORDS = {
    # the engine's default date field of a form (FormDef.date_field) and the dataset's
    # per-visit timing column; the seed's forms use the default
    "assessment_date",
    # measurement level (nominal, ordinal, scale) of the dictionary, datasets and codebook
    "level",
    # a dataset column's description (the codebook's variable label)
    "description",
    # the root element of the CDISC ODM XML
    "root",
    # the analysis plan's primary outcome (PrimaryOutcome) and the dashboard's outcome panel
    "outcome",
}
# The seed's own words (its anchors, procedures, outcome grading and paper), which shared
# code says in no form, not even prose: a page or message of another trial must not show them.
SEED_WORDS = ("admission", "surgery", "surgical", "peld", "discectomy", "nerve root", "macnab",
              "beyond the paper", "snrb")  # fmt: skip
# Scanned for them besides the generic layers: the registration and dates pages.
WORDED = ("trial/forms/participants.py", "templates/trial/participants")
PATH_PARTS = re.compile(r"\.|__|-|:|/")
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def seed_names() -> set[str]:
    """Return the seed trial's form codes, form model names, canonical variable names and
    model fields (stored scores' paths left out: ``scores.<key>`` is the engine's)."""
    protocol = get_protocol(SEED)
    names = {f.code for f in protocol.forms} | {f.model.rsplit(".", 1)[1] for f in protocol.forms}
    for variable in dictionary_of(protocol):
        names.add(variable.name)
        if not variable.source.startswith("scores."):
            names.add(variable.source)
    return names


def generic_files() -> list[Path]:
    files: list[Path] = []
    for entry in GENERIC:
        path = ROOT / entry
        found = [path] if path.is_file() else sorted(path.rglob("*"))
        files += [f for f in found if f.suffix in (".py", ".html") and f.is_file()]
    return [f for f in files if f.relative_to(ROOT).as_posix() not in SEED_MODULES]


def worded_files() -> list[Path]:
    files = generic_files()
    for entry in WORDED:
        path = ROOT / entry
        found = [path] if path.is_file() else sorted(path.rglob("*"))
        files += [f for f in found if f.suffix in (".py", ".html") and f.is_file()]
    return files


def _parts(text: str) -> list[str]:
    """Return the components of an identifier-like string; none for prose."""
    if not text or any(c.isspace() for c in text):
        return []
    return [p for p in PATH_PARTS.split(text) if p]


def python_uses(source: str) -> list[tuple[int, str]]:
    """Return (line, word) of every name and identifier-like string literal of the code."""
    found = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.NAME:
            found.append((token.start[0], token.string))
        elif token.type == tokenize.STRING:
            try:
                value = ast.literal_eval(token.string)
            except (ValueError, SyntaxError):  # an f-string: its literal parts
                value = re.sub(r"\{[^}]*\}", "", token.string.strip("rbfRBF\"'"))
            if isinstance(value, str):
                found += [(token.start[0], part) for part in _parts(value)]
    return found


TAG = re.compile(r"\{\{(.*?)\}\}|\{%(.*?)%\}", re.S)
ATTRIBUTE = re.compile(r"[\w-]+=\"([^\"{}]*)\"")
QUOTED = re.compile(r"\"[^\"]*\"|'[^']*'")


def template_uses(source: str) -> list[tuple[int, str]]:
    """Return (line, word) of the template's variables, tag arguments and attribute values
    (the text of translated sentences is prose)."""
    found = []
    for match in TAG.finditer(source):
        line = source.count("\n", 0, match.start()) + 1
        body = match.group(1) or match.group(2)
        words = IDENTIFIER.findall(QUOTED.sub(" ", body))
        for quoted in QUOTED.findall(body):
            words += _parts(quoted[1:-1])
        found += [(line, w) for w in words]
    for match in ATTRIBUTE.finditer(TAG.sub(" ", source)):
        found += [(0, part) for part in _parts(match.group(1))]
    return found


def seed_uses(path: Path, names: set[str]) -> list[str]:
    source = path.read_text(encoding="utf-8")
    uses = python_uses(source) if path.suffix == ".py" else template_uses(source)
    where = path.relative_to(ROOT).as_posix()
    return [f"{where}:{line}: {word}" for line, word in uses if word in names]


@pytest.mark.requirement("EXP-012")
def test_the_generic_layers_never_mention_snrb() -> None:
    found = [
        f"{path.relative_to(ROOT).as_posix()}:{number}"
        for path in generic_files()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "snrb" in line.lower()
    ]
    assert not found, "the generic layers name the seed trial:\n" + "\n".join(found)


@pytest.mark.requirement("EXP-012")
def test_the_generic_layers_name_no_form_or_field_of_the_seed_trial() -> None:
    names = seed_names() - GENERIC_WORDS
    found = [use for path in generic_files() for use in seed_uses(path, names)]
    assert not found, (
        "the generic layers name the seed trial's forms or fields (take them from the "
        "protocol or the analysis plan):\n" + "\n".join(found)
    )


@pytest.mark.requirement("EXP-030")
def test_shared_code_never_says_the_seed_trials_words() -> None:
    found = [
        f"{path.relative_to(ROOT).as_posix()}:{number}: {word}"
        for path in worded_files()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        for word in SEED_WORDS
        if word in line.lower()
    ]
    assert not found, (
        "shared code says the seed trial's words (take them from the protocol's labels or "
        "the analysis plan):\n" + "\n".join(found)
    )


def test_the_scan_finds_the_seed_names_where_code_uses_them() -> None:
    # the scanner itself: names in code are found, prose is not
    names = seed_names()
    assert {"PainVasData", "leg_vas", "clavien_dindo", "date_of_birth", "baseline", "vas_leg",
            "snrb", "peld"} <= names  # fmt: skip
    code = 'rows = PainVasData.objects.values("instance__clavien_dindo", f"{x}.leg_vas")\n'
    assert {w for _l, w in python_uses(code)} & names == {
        "PainVasData",
        "clavien_dindo",
        "leg_vas",
    }
    prose = '"""The baseline form."""\nx = _("see the baseline form")  # the baseline\n'
    assert not {w for _l, w in python_uses(prose)} & names
    html = '<td data-testid="vas-trend">{{ c.leg_vas }}{% translate "The baseline" %}</td>'
    assert {w for _l, w in template_uses(html)} & names == {"vas", "leg_vas"}


def test_every_allowed_word_is_a_seed_name_and_every_scanned_path_exists() -> None:
    # an allowance for a word the seed no longer uses, or a folder that moved, is stale
    assert seed_names() >= GENERIC_WORDS
    assert all((ROOT / entry).exists() for entry in (*GENERIC, *SEED_MODULES, *WORDED))
