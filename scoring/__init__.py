"""Validated scoring of the trial's outcome instruments: VAS, ODI, JOA, SF-36, MacNab,
EQ-5D-5L.

Pure Python (no Django, Celery or ORM import; enforced by import-linter). The scoring
rules follow ``docs/instruments.md``; every instrument module documents its
source, its missing-data rule and its ``VERSION``, which is stored beside each score.

Public interface::

    score(instrument, answers) -> dict          # instrument: vas, odi, joa, sf36, macnab, eq5d5l
    joa_recovery_rate(pre_total, post_total)    # Hirabayashi, percent, or None
    joa_recovery_grade(rate)                    # excellent / good / fair / poor, or None
    excellent_good_rate(grades)                 # MacNab cohort counts and rate
    InvalidAnswer                               # .item, .code (see scoring.validation)
    INSTRUMENTS                                 # name -> Instrument definition
"""

from __future__ import annotations

from collections.abc import Mapping

from scoring.base import (
    Choice,
    DuplicateInstrument,
    ErrorCode,
    Instrument,
    InvalidAnswer,
    Item,
    Label,
    ScoreResult,
    Section,
    UnknownInstrument,
)
from scoring.instruments.eq5d5l import eq5d5l_profile, score_eq5d5l
from scoring.instruments.joa import joa_recovery_grade, joa_recovery_rate, score_joa
from scoring.instruments.macnab import excellent_good_rate, score_macnab
from scoring.instruments.odi import score_odi
from scoring.instruments.sf36 import score_sf36
from scoring.instruments.vas import score_vas
from scoring.registry import INSTRUMENTS, InstrumentRegistry

__all__ = [
    "INSTRUMENTS",
    "Choice",
    "DuplicateInstrument",
    "ErrorCode",
    "Instrument",
    "InstrumentRegistry",
    "InvalidAnswer",
    "Item",
    "Label",
    "ScoreResult",
    "Section",
    "UnknownInstrument",
    "eq5d5l_profile",
    "excellent_good_rate",
    "joa_recovery_grade",
    "joa_recovery_rate",
    "score",
    "score_eq5d5l",
    "score_joa",
    "score_macnab",
    "score_odi",
    "score_sf36",
    "score_vas",
]


def score(instrument: str, answers: Mapping[str, object]) -> dict[str, object]:
    """Validate ``answers`` and return the instrument's scores as a plain dict.

    Raises :class:`UnknownInstrument` for an unregistered name and :class:`InvalidAnswer`
    for any answer outside the allowed set. The scorer version is
    ``INSTRUMENTS[instrument].version``.
    """
    return INSTRUMENTS[instrument].score(answers).as_dict()
