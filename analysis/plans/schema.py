"""The statistical analysis plan as data: which variables, which tests, which layout.

Pure (no Django, no ORM): a plan names dataset columns (``analysis.datasets.columns``) and
the test family of each variable; the table builders only compose what it declares.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
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


TableKind = Literal[
    "characteristics", "repeated_measure", "measures_at_visits", "events", "grades",
    "adverse_events",
]  # fmt: skip


@dataclass(frozen=True, slots=True)
class EventLog:
    """The protocol's adverse-event log as the events frame holds it (one row per entry):
    the column flagging a serious event, the column grading it and its codes with labels in
    severity order, mildest first. The protocol names them (``Protocol.dashboard``);
    ``analysis.trial_plans.event_log`` reads them from there, so a plan never restates them.
    """

    serious_flag: str
    grade: str
    grade_label: Label
    grades: tuple[tuple[str, Label], ...]


@dataclass(frozen=True, slots=True)
class TableSpec:
    """One table of the report built from the wide dataset, in report order.

    ``kind`` picks the engine's layout (``analysis.tables.TABLE_BUILDERS``):

    * ``characteristics``: one row per variable of ``variables`` (categories indented), each
      with its test, or none when the plan says ``baseline_p_values="omit"`` (the baseline
      table);
    * ``repeated_measure``: the one measure of ``measures`` at each of its visits, with
      between-arm and within-arm (against its first visit) markers;
    * ``measures_at_visits``: one row per measure of ``measures``, a column per group and
      visit, P at the last visit;
    * ``events``: n (%) of each binary variable of ``variables`` with its 2×2 test;
    * ``grades``: the ordinal variable ``variables[0]`` and the rate of the categories in
      ``good`` (row ``good_label``);
    * ``adverse_events``: the safety table of the protocol's adverse-event log (the release's
      events frame, not the wide dataset): participants with at least one event, with a
      serious one and with one of each grade, n (%) per arm with the 2×2 test of each row,
      and the number of events (``analysis.tables.adverse_events``).

    ``first_column`` heads the label column (the layout's default when None).
    """

    key: str
    title: Label
    kind: TableKind
    variables: tuple[Variable, ...] = ()
    measures: tuple[RepeatedMeasure, ...] = ()
    first_column: Label | None = None
    good: tuple[str, ...] = ()
    good_label: Label | None = None

    def __post_init__(self) -> None:
        if self.kind in ("repeated_measure", "measures_at_visits") and not self.measures:
            raise ValueError(f"table {self.key}: a {self.kind} table needs measures")
        if self.kind == "repeated_measure" and len(self.measures) != 1:
            raise ValueError(f"table {self.key}: a repeated_measure table has one measure")
        if self.kind in ("characteristics", "events", "grades") and not self.variables:
            raise ValueError(f"table {self.key}: a {self.kind} table needs variables")
        if self.kind == "grades" and (not self.good or self.good_label is None):
            raise ValueError(f"table {self.key}: a grades table names its good categories")

    def columns(self) -> tuple[str, ...]:
        """Return the wide-dataset columns the table reads, in row order."""
        return (
            *(v.column for v in self.variables),
            *(m.column(visit) for m in self.measures for visit in m.visits),
        )


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """The repeated-measures (arm × visit) mixed model of one measure: its long-frame
    column (a ``RepeatedMeasure.prefix`` of the plan's tables) and the row's label."""

    measure: str
    label: Label


@dataclass(frozen=True, slots=True)
class FigureSpec:
    """A figure of one measure over its visits (mean and 95% CI by group)."""

    key: str
    measure: str  # a ``RepeatedMeasure.prefix`` of the plan's tables
    title: Label


@dataclass(frozen=True, slots=True)
class AnalysisPlan:
    """The SAP of one protocol (docs/sap.md): its tables, models, primary outcome, sample size.

    ``tables`` are the report's tables from the wide dataset, in order; any number, each
    with its own title and layout (:class:`TableSpec`). Every repeated measure of the
    tables gets a baseline-adjusted ANCOVA at its last visit; ``mixed_model`` and
    ``figures`` name measures of the tables.
    ``treatment_forms`` maps each arm to the forms that show it received its allocated
    treatment; ``per_protocol_form`` is the (visit, form) whose completion, with the
    treatment, puts a participant in the per-protocol population.
    ``arm_labels`` and ``visit_labels`` name only the headings the plan words differently
    from its protocol; the lookup (``analysis.trial_plans.get_plan``) fills in the
    protocol's own labels for the rest (:meth:`with_protocol_labels`).
    ``baseline_p_values``: ``"paper"`` tests every row of a ``characteristics`` table as the
    published paper does; ``"omit"`` prints it without P values, as CONSORT 2010 (item 15)
    advises.
    """

    protocol_code: str
    arms: tuple[str, ...]
    baseline_visit: str
    tables: tuple[TableSpec, ...]
    primary: PrimaryOutcome
    mixed_model: ModelSpec | None = None
    figures: tuple[FigureSpec, ...] = ()
    treatment_forms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # The centre the paper prints beside "(Q1, Q3)": "median", or "mean" (paper mode prints
    # it so; the correct mode always prints the median).
    paper_iqr_centre: Literal["median", "mean"] = "median"
    per_protocol_form: tuple[str, str] = ("", "")
    # The codebook's description of the per-protocol flag; empty: said from
    # ``per_protocol_form`` (:meth:`per_protocol_description`).
    per_protocol_text: str = ""
    # The title of the table of the primary outcome and the adjusted analyses.
    adjusted_title: Label = Label("Primary outcome and adjusted analyses", "主要结局与校正分析")
    sample_size_inputs: dict[str, float] = field(default_factory=dict)
    alpha: float = 0.05
    baseline_p_values: Literal["paper", "omit"] = "paper"
    # Only the headings the plan words differently from its protocol (a shortened arm name,
    # the paper's wording of a visit); every other arm and visit is headed by the protocol's
    # own bilingual label, filled in by :meth:`with_protocol_labels` when the plan is
    # looked up (``analysis.trial_plans.get_plan``).
    arm_labels: dict[str, Label] = field(default_factory=dict)
    visit_labels: dict[str, Label] = field(default_factory=dict)

    def __post_init__(self) -> None:
        keys = [t.key for t in self.tables]
        if len(set(keys)) != len(keys):
            raise ValueError(f"{self.protocol_code}: table keys named twice: {keys}")
        prefixes = {m.prefix for m in self.repeated_measures()}
        named = [f.measure for f in self.figures]
        named += [self.mixed_model.measure] if self.mixed_model else []
        if set(named) - prefixes:
            raise ValueError(f"{self.protocol_code}: models or figures name measures that no "
                             f"table has: {sorted(set(named) - prefixes)}")  # fmt: skip

    def with_protocol_labels(
        self, arms: Mapping[str, Label], visits: Mapping[str, Label]
    ) -> AnalysisPlan:
        """Return the plan with every arm and visit labelled: the protocol's labels
        (``arms``, ``visits``, keyed by code) where the plan names none of its own."""
        return replace(
            self,
            arm_labels={**arms, **self.arm_labels},
            visit_labels={**visits, **self.visit_labels},
        )

    def table(self, key: str) -> TableSpec:
        """Return the table spec with ``key``."""
        return next(t for t in self.tables if t.key == key)

    def repeated_measures(self) -> tuple[RepeatedMeasure, ...]:
        """Return every repeated measure of the tables, in table order (each once)."""
        out: dict[str, RepeatedMeasure] = {}
        for t in self.tables:
            for m in t.measures:
                out.setdefault(m.prefix, m)
        return tuple(out.values())

    def measure(self, prefix: str) -> RepeatedMeasure:
        """Return the repeated measure of the tables with ``prefix``."""
        return next(m for m in self.repeated_measures() if m.prefix == prefix)

    def columns(self) -> tuple[str, ...]:
        """Return every wide-dataset column the plan names (its tables, the primary
        outcome), in table order: each must be a column of the protocol's datasets."""
        return tuple(dict.fromkeys((
            *(c for t in self.tables for c in t.columns()),
            f"{self.primary.measure}_{self.primary.visit}",
        )))  # fmt: skip

    def per_protocol_description(self) -> str:
        """What the per-protocol flag means (the codebook's description)."""
        if self.per_protocol_text:
            return self.per_protocol_text
        visit, form = self.per_protocol_form
        return f"Received the allocated treatment and has the {form} form at visit {visit}"

    @property
    def reference_arm(self) -> str:
        """The comparator arm (the last arm)."""
        return self.arms[-1]
