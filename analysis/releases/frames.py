"""The release's variables (labels, value labels, origin) and its two variants.

The unblinded variant carries the real arm codes. The blinded variant replaces the arm by
``A``/``B`` through a random mapping kept only in the unblinded files, and drops every
column that could reveal the arm: columns of arm-restricted forms (the SNRB form) and
fields a form declares as ``blinded_fields`` (the adverse-event relation).
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from typing import Any

import pandas as pd
from django.apps import apps
from django.db import models
from django.utils import translation

from analysis.datasets import columns as C
from analysis.datasets.builders import Dataset, measure_visits
from trial.models import Participant
from trial.protocol import Protocol

FRAMES = ("wide", "long", "screening")
YES_NO = (("1", "Yes"), ("0", "No"))
SUBJECT_FORM = "subject"  # pseudo-form of the identity and flow columns (ODM)


@dataclass(frozen=True, slots=True)
class Variable:
    """One released column: label, dtype, value labels and where it was collected."""

    frame: str
    name: str
    dtype: str
    label: str
    codes: tuple[tuple[str, str], ...] = ()  # (code as written in the CSV, label)
    form: str = ""  # source form code ("subject" for identity/flow columns)
    visit: str = ""  # visit of a per-visit measure (wide frame), "" otherwise
    item: str = ""  # item name inside the form (the measure name for per-visit columns)


@dataclass(frozen=True)
class ReleaseFrames:
    """The frames and variables of one variant of a release."""

    variant: str
    frames: dict[str, pd.DataFrame]
    variables: tuple[Variable, ...]

    def variables_of(self, frame: str) -> tuple[Variable, ...]:
        """Return the variables of ``frame`` in column order."""
        return tuple(v for v in self.variables if v.frame == frame)


def _choice_codes(choices: Any) -> tuple[tuple[str, str], ...]:
    with translation.override("en"):
        return tuple((str(value), str(label)) for value, label in choices)


def _field_codes(protocol: Protocol, form: str, field: str) -> tuple[tuple[str, str], ...]:
    formdef = next((f for f in protocol.forms if f.code == form), None)
    if formdef is None or field.startswith("scores."):
        return ()
    model_field = apps.get_model(formdef.model)._meta.get_field(field)
    if isinstance(model_field, models.BooleanField):
        return YES_NO
    return _choice_codes(model_field.choices) if model_field.choices else ()


def arm_codes(protocol: Protocol) -> tuple[tuple[str, str], ...]:
    """Return the protocol's arms as (code, English label)."""
    return tuple((arm.code, arm.label.en) for arm in protocol.arms)


def _origin(name: str, mv: dict[str, tuple[str, ...]]) -> tuple[str, str, str]:
    """Return (form, visit, item) of a wide column."""
    for measure, visits in mv.items():
        for visit in visits:
            if name == f"{measure}_{visit}":
                return C.MEASURE_FORM[measure], visit, measure
    for visit in C.timed_visits(mv):
        for timing in C.TIMING:
            if name == f"{timing.name}_{visit}":
                return SUBJECT_FORM, visit, timing.name
    if name in C.SOURCES:
        return C.SOURCES[name][0], "", name
    if name == "age_years":
        return "baseline", "", name
    return SUBJECT_FORM, "", name


def _codes(protocol: Protocol, frame: str, name: str, dtype: str, arms: Any) -> tuple:
    if name == "arm":
        return arms
    if name == "status":
        return _choice_codes(Participant.Status.choices)
    if dtype == "bool":
        return YES_NO
    if frame == "wide" and name in C.SOURCES:
        return _field_codes(protocol, *C.SOURCES[name])
    return ()


def release_variables(protocol: Protocol, arms: Any = None) -> tuple[Variable, ...]:
    """Return every released variable with its label, value labels and origin."""
    mv = measure_visits(protocol)
    arms = arms if arms is not None else arm_codes(protocol)
    out = []
    for entry in C.column_dictionary(mv):
        frame, name, dtype = entry["frame"], entry["name"], entry["dtype"]
        form, visit, item = _origin(name, mv) if frame == "wide" else ("", "", name)
        codes = _codes(protocol, frame, name, dtype, arms)
        out.append(Variable(frame, name, dtype, entry["description"], codes, form, visit, item))
    return tuple(out)


def arm_revealing(protocol: Protocol, variables: tuple[Variable, ...]) -> set[str]:
    """Return the wide columns that could reveal the arm (arm-restricted or blinded fields)."""
    restricted = {f.code for f in protocol.forms if f.arms is not None}
    blinded = {(f.code, field) for f in protocol.forms for field in f.blinded_fields}
    names = set()
    for v in variables:
        source = C.SOURCES.get(v.name, (v.form, v.item))
        if v.form in restricted or (source[0], source[1]) in blinded:
            names.add(v.name)
    return names


def blinding_mapping(protocol: Protocol, rng: random.Random | None = None) -> dict[str, str]:
    """Return a random one-to-one mapping of the protocol's arm codes onto A, B, C…"""
    codes = [arm.code for arm in protocol.arms]
    (rng or random.SystemRandom()).shuffle(codes)
    return {code: string.ascii_uppercase[i] for i, code in enumerate(codes)}


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value))


def _release_frame(frame: pd.DataFrame, variables: tuple[Variable, ...]) -> pd.DataFrame:
    """Return the frame as released: booleans as 1/0, list cells joined by ';'."""
    out = frame.copy()
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
    variables = release_variables(protocol, masked_arms)
    drop = arm_revealing(protocol, variables)
    frames = {}
    for name, frame in unblinded.frames.items():
        out = frame.drop(columns=[c for c in frame.columns if c in drop and name == "wide"])
        out["arm"] = pd.Series([None if _missing(a) else mapping[a] for a in out["arm"]],
                               index=out.index, dtype=object)  # fmt: skip
        frames[name] = out
    kept = tuple(v for v in variables if not (v.frame == "wide" and v.name in drop))
    return ReleaseFrames("blinded", frames, kept)
