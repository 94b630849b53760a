"""Columns of an uploaded table -> the export's variable names, and labels -> codes.

The variables are the flat export's columns (``api.formats.flat_header`` of the live
project the user may see): importing an export needs no mapping at all. A column is matched
by name first, then by the variable's label in English or Chinese; the data manager edits
the result. Cells of a variable with choices may hold a code or a choice label (SPSS value
labels arrive as labels); labels become codes here.
"""

import re
from dataclasses import dataclass, field

from django.utils import translation

from api.formats import flat_header
from api.live_dictionary import live_project
from trial.protocol import get_protocol

LANGUAGES = ("en", "zh-hans")


def _norm(text: str) -> str:
    return re.sub(r"[\s_\-:：]+", " ", str(text)).strip().casefold()


@dataclass
class Variable:
    name: str
    labels: set[str] = field(default_factory=set)
    codes: dict[str, str] = field(default_factory=dict)  # normalised code or label -> code


def variables(protocol_code: str, *, blinded: bool) -> dict[str, Variable]:
    """Return the trial's importable variables by name, with their labels and choices in both
    languages (the record, event and repeat columns included)."""
    protocol = get_protocol(protocol_code)
    out: dict[str, Variable] = {}
    for language in LANGUAGES:
        with translation.override(language):
            project = live_project(protocol, blinded=blinded)
            for name in flat_header(project, None, dag=False):
                out.setdefault(name, Variable(name))
            for f in project.fields:
                for name in f.export_names():
                    var = out.setdefault(name, Variable(name))
                    var.labels.add(_norm(f.label))
                    if f.field_type != "checkbox":
                        for code, label in f.choices:
                            var.codes[_norm(code)] = code
                            var.codes.setdefault(_norm(label), code)
    return out


def auto_map(header: list[str], known: dict[str, Variable]) -> dict[str, str]:
    """Return column -> variable name ('' when unmatched): by name, then by label."""
    by_name = {_norm(name): name for name in known}
    by_label: dict[str, str] = {}
    for var in known.values():
        for label in var.labels:
            by_label.setdefault(label, var.name)
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for column in header:
        key = _norm(column)
        target = by_name.get(key) or by_label.get(key) or ""
        if target in taken:
            target = ""
        taken.add(target)
        mapping[column] = target
    return mapping


def to_code(var: Variable, value: str) -> str:
    """Return the choice code of ``value`` (a code or a label); other values unchanged."""
    if not value or not var.codes:
        return value
    return var.codes.get(_norm(value), value)


def mapped_rows(
    header: list[str], rows: list[list[str]], mapping: dict[str, str], known: dict[str, Variable]
) -> list[dict[str, str]]:
    """Return the rows keyed by variable name, codes in place of labels; unmapped
    columns are left out."""
    used = [(i, known[mapping[c]]) for i, c in enumerate(header) if mapping.get(c) in known]
    return [{var.name: to_code(var, row[i]) for i, var in used} for row in rows]
