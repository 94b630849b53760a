"""The statistical analysis plan as data: which variables, which tests, which layout.

Pure (no Django, no ORM): a plan names dataset columns (``analysis.datasets.columns``) and
the test family of each variable; the table builders only compose what it declares.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["continuous", "binary", "nominal", "ordinal"]


@dataclass(frozen=True, slots=True)
class Label:
    """A bilingual label (English and Simplified Chinese), as the paper prints its rows."""

    en: str
    zh: str

    def as_dict(self) -> dict[str, str]:
        """Return ``{"en": …, "zh": …}`` for JSON results."""
        return {"en": self.en, "zh": self.zh}


@dataclass(frozen=True, slots=True)
class Variable:
    """One analysed variable: a wide-dataset column and its test family.

    ``categories`` lists (value, label) in table order for binary/nominal/ordinal data; a
    binary variable's first category is the event. ``decimals`` is for the descriptive text.
    """

    column: str
    label: Label
    kind: Kind
    categories: tuple[tuple[str, Label], ...] = ()
    decimals: int = 1


@dataclass(frozen=True, slots=True)
class RepeatedMeasure:
    """A score measured at several visits; ``columns`` are ``<prefix>_<visit>`` in the wide data."""

    prefix: str
    label: Label
    visits: tuple[str, ...]
    decimals: int = 1

    def column(self, visit: str) -> str:
        """Return the wide-dataset column of this measure at ``visit``."""
        return f"{self.prefix}_{visit}"


@dataclass(frozen=True, slots=True)
class PrimaryOutcome:
    """Complete pain relief: the measure at ``visit`` at or below ``threshold`` (SAP)."""

    measure: str
    visit: str
    threshold: float
    label: Label


@dataclass(frozen=True, slots=True)
class AnalysisPlan:
    """The SAP of one protocol (docs/sap.md): tables 1–5, models, primary outcome, sample size.

    ``treatment_forms`` maps each arm to the forms that show it received its allocated
    treatment; ``per_protocol_form`` is the (visit, form) whose completion, with the
    treatment, puts a participant in the per-protocol population.
    ``baseline_p_values``: ``"paper"`` tests every Table 1 row as the published paper does;
    ``"omit"`` prints Table 1 without P values, as CONSORT 2010 (item 15) advises.
    """

    protocol_code: str
    arms: tuple[str, ...]
    arm_labels: dict[str, Label]
    visit_labels: dict[str, Label]
    baseline_visit: str
    table1: tuple[Variable, ...]
    table2: RepeatedMeasure
    table3: tuple[RepeatedMeasure, ...]
    table4: tuple[Variable, ...]
    table5: Variable
    excellent_good: tuple[str, ...]
    primary: PrimaryOutcome
    treatment_forms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # The centre the paper prints beside "(Q1, Q3)": "median", or "mean" (paper mode prints
    # it so; the correct mode always prints the median).
    paper_iqr_centre: Literal["median", "mean"] = "median"
    per_protocol_form: tuple[str, str] = ("", "")
    sample_size_inputs: dict[str, float] = field(default_factory=dict)
    alpha: float = 0.05
    baseline_p_values: Literal["paper", "omit"] = "paper"

    def columns(self) -> tuple[str, ...]:
        """Return every wide-dataset column the plan names (tables 1–5, primary outcome),
        in table order: each must be a column of the protocol's datasets."""
        measures = (self.table2, *self.table3)
        return tuple(dict.fromkeys((
            *(v.column for v in self.table1),
            *(m.column(visit) for m in measures for visit in m.visits),
            *(v.column for v in self.table4),
            self.table5.column,
            f"{self.primary.measure}_{self.primary.visit}",
        )))  # fmt: skip

    @property
    def reference_arm(self) -> str:
        """The comparator arm (the last arm: P, PELD alone)."""
        return self.arms[-1]
