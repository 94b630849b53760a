"""The release's variables (labels, value labels, origin) and its two variants.

The unblinded variant carries the real arm codes. The blinded variant replaces the arm by
``A``/``B`` through a random mapping kept only in the unblinded files, and drops every
column that could reveal the arm: columns of arm-restricted forms (``FormDef.arms``: a form
only one arm fills in) and fields a form declares as ``blinded_fields`` (an adverse event's
relation to a treatment).
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from typing import Any

import pandas as pd
from django.utils import translation
from django.utils.translation import gettext_lazy

from analysis.datasets import columns as C
from analysis.datasets.builders import Dataset, long_frame_visits
from trial.blinding import blinded_policy
from trial.models import Participant
from trial.protocol import Protocol
from trial.protocol.dictionary import dictionary_of

FRAMES = ("wide", "long", "screening", "events")  # events: only a trial with an AE log
YES_NO = (("1", "Yes"), ("0", "No"))
YES_NO_ZH = (("1", "是"), ("0", "否"))
SUBJECT_FORM = "subject"  # pseudo-form of the identity and flow columns (ODM)


@dataclass(frozen=True, slots=True)
class Variable:
    """One released column: label, dtype, value labels, measurement level and origin.

    ``codes`` are the short English value labels written to SPSS/Stata/R; ``codes_zh`` the
    same codes with their Chinese labels (codebook, R script); ``level`` is the measurement
    level from the column definition (``analysis.datasets.columns``).
    """

    frame: str
    name: str
    dtype: str
    label: str
    codes: tuple[tuple[str, str], ...] = ()  # (code as written in the CSV, label)
    form: str = ""  # source form code ("subject" for identity/flow columns)
    visit: str = ""  # visit of a per-visit measure (wide frame), "" otherwise
    item: str = ""  # item name inside the form (the measure name for per-visit columns)
    level: str = "nominal"  # nominal, ordinal or scale
    codes_zh: tuple[tuple[str, str], ...] = ()  # (code, Chinese label)
    source: str = ""  # the model field or ``scores.<path>`` of a dictionary variable


@dataclass(frozen=True)
class ReleaseFrames:
    """The frames and variables of one variant of a release."""

    variant: str
    frames: dict[str, pd.DataFrame]
    variables: tuple[Variable, ...]

    def variables_of(self, frame: str) -> tuple[Variable, ...]:
        """Return the variables of ``frame`` in column order."""
        return tuple(v for v in self.variables if v.frame == frame)


Codes = tuple[tuple[str, str], ...]


def _choice_codes(choices: Any, language: str = "en") -> Codes:
    with translation.override(language):
        return tuple((str(value), str(label)) for value, label in choices)


def source_codes(language: str = "en") -> Codes:
    """Return the codes of the ePRO/staff source columns with their labels in ``language``."""
    labels = {
        "staff": gettext_lazy("Staff"),
        "epro": gettext_lazy("ePRO (the participant)"),
        "epro_invalid": gettext_lazy("ePRO, marked invalid"),
    }
    return _choice_codes(((code, labels[code]) for code in C.SOURCE_CODES), language)


def arm_codes(protocol: Protocol, language: str = "en") -> Codes:
    """Return the protocol's arms as (code, label in ``language``)."""
    return tuple((arm.code, arm.label.in_language(language)) for arm in protocol.arms)


def _codes(protocol: Protocol, column: C.Column, arms: Any, language: str = "en") -> Codes:
    name = column.name
    if name == "arm":
        return arms
    if name == "visit":  # the long frame's visits in time order: code i = visit_order + 1
        return tuple((v.code, v.label.in_language(language)) for v in long_frame_visits(protocol))
    if name == "status":
        return _choice_codes(Participant.Status.choices, language)
    if column.source:  # a variable of the protocol's dictionary: its codes
        return dictionary_of(protocol).by_source(column.form, column.source).code_labels(language)
    if name.startswith(tuple(C.source_column(f) for f in C.source_forms(protocol))):
        return source_codes(language)
    if column.dtype == "bool":
        return YES_NO_ZH if language.startswith("zh") else YES_NO
    return ()


def release_variables(
    protocol: Protocol, arms: Any = None, arms_zh: Any = None
) -> tuple[Variable, ...]:
    """Return every released variable with its label, value labels, level and origin (the
    columns of ``analysis.datasets.columns``, generated from the protocol's dictionary)."""
    arms = arms if arms is not None else arm_codes(protocol)
    arms_zh = arms_zh if arms_zh is not None else arm_codes(protocol, "zh-hans")
    out = []
    for frame, columns in C.frame_columns(protocol):
        for c in columns:
            form, visit, item = (c.form or SUBJECT_FORM, c.visit, c.item or c.name) if (
                frame == "wide") else (c.form, "", c.name)  # fmt: skip
            out.append(Variable(frame, c.name, c.dtype, c.description, _codes(protocol, c, arms),
                                form, visit, item, c.measure,
                                _codes(protocol, c, arms_zh, "zh-hans"), c.source))  # fmt: skip
    return tuple(out)


def arm_revealing(protocol: Protocol, variables: tuple[Variable, ...]) -> set[str]:
    """Return the wide columns a blinded reader may not get (``trial.blinding``): those of
    arm-only forms, blinded answers and free text (a release holds no per-entry review)."""
    return {name for frame, name in _hidden(protocol, variables) if frame == "wide"}


def _hidden(protocol: Protocol, variables: tuple[Variable, ...]) -> set[tuple[str, str]]:
    """Return (frame, column) of the form columns a blinded reader may not get: the wide
    frame's and the adverse-event log's (its relation to a treatment, its free text)."""
    policy = blinded_policy(protocol)
    out = set()
    for v in variables:
        if v.frame not in ("wide", "events") or not v.form:
            continue
        if not (policy.shows_form(v.form) and policy.column_visible(v.form, v.source or v.item)):
            out.add((v.frame, v.name))
    return out


def blinding_mapping(protocol: Protocol, rng: random.Random | None = None) -> dict[str, str]:
    """Return a random one-to-one mapping of the protocol's arm codes onto A, B, C…"""
    codes = [arm.code for arm in protocol.arms]
    (rng or random.SystemRandom()).shuffle(codes)
    return {code: string.ascii_uppercase[i] for i, code in enumerate(codes)}


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value))


def _release_frame(frame: pd.DataFrame, variables: tuple[Variable, ...]) -> pd.DataFrame:
    """Return the frame as released: booleans as 1/0, list cells joined by ';'."""
    out = frame.copy(deep=False)  # copy-on-write: only the replaced columns are new
    for var in variables:
        if var.dtype == "bool":
            values = [None if _missing(x) else int(bool(x)) for x in out[var.name]]
        elif var.dtype == "list":
            values = [None if x is None else ";".join(map(str, x)) for x in out[var.name]]
        else:
            continue
        out[var.name] = pd.Series(values, index=out.index, dtype=object)
    return out


def unblinded_frames(data: Dataset, protocol: Protocol) -> ReleaseFrames:
    """Return the unblinded variant: the datasets as built, booleans 1/0, lists joined."""
    variables = release_variables(protocol)
    frames = {"wide": data.wide, "long": data.long, "screening": data.screening}
    events = C.events_columns(protocol)
    if events:  # a dataset built without the log releases it empty, with its columns
        log = data.events if data.events is not None else pd.DataFrame()
        frames["events"] = log.reindex(columns=[c.name for c in events])
    released = {
        name: _release_frame(frame, tuple(v for v in variables if v.frame == name))
        for name, frame in frames.items()
    }
    return ReleaseFrames("unblinded", released, variables)


def blinded_frames(
    unblinded: ReleaseFrames, protocol: Protocol, mapping: dict[str, str]
) -> ReleaseFrames:
    """Return the blinded variant: arm masked through ``mapping``, revealing columns dropped."""
    masked_arms = tuple((letter, f"Arm {letter}") for letter in sorted(mapping.values()))
    masked_zh = tuple((letter, f"{letter} 组") for letter in sorted(mapping.values()))
    variables = release_variables(protocol, masked_arms, masked_zh)
    drop = _hidden(protocol, variables)
    frames = {}
    for name, frame in unblinded.frames.items():
        out = frame.drop(columns=[c for c in frame.columns if (name, c) in drop])
        out["arm"] = pd.Series([None if _missing(a) else mapping[a] for a in out["arm"]],
                               index=out.index, dtype=object)  # fmt: skip
        frames[name] = out
    kept = tuple(v for v in variables if (v.frame, v.name) not in drop)
    return ReleaseFrames("blinded", frames, kept)
