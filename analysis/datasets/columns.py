"""The column dictionary of the report datasets (STYLE §10: declared, always with
``participant_id``, ``arm`` and, in the long frame, ``visit``).

Wide: one row per participant. Long: one row per participant × visit. Screening: one row
per registered participant (the CONSORT source). Per-visit measures appear in the wide frame
as ``<measure>_<visit>`` for each protocol visit that collects the measure's form.
"""

from __future__ import annotations

from dataclasses import dataclass

MEASUREMENT_LEVELS = ("nominal", "ordinal", "scale")


@dataclass(frozen=True, slots=True)
class Column:
    """One dataset column: name, dtype, meaning and measurement level.

    ``dtype`` is ``str``, ``float``, ``bool``, ``list`` or ``date``. ``description`` is the
    variable label (no example values: they go stale and may identify someone). ``level``
    is the measurement level written to SPSS (``nominal``, ``ordinal``, ``scale``); empty
    means the rule of :attr:`measure`: numbers and dates are scale, everything else nominal.
    """

    name: str
    dtype: str
    description: str
    level: str = ""

    @property
    def measure(self) -> str:
        """The measurement level: ``level`` if given, else scale for float/date, else nominal."""
        if self.level:
            return self.level
        return "scale" if self.dtype in ("float", "date") else "nominal"


IDENTITY = (
    Column("participant_id", "str", "Pseudonymous trial id"),
    Column("arm", "str", "Allocated arm (empty when not randomized)"),
    Column("arm_historical", "bool", "Allocated before the trial used this system (historical)"),
    Column("site", "str", "Site code"),
    Column("status", "str", "Participant status"),
    Column("end_reason", "str", "Reason follow-up ended (withdrawn / lost)"),
)

# name, dtype, description, (form code, field in the typed data or "scores:<key>")
BASELINE = (
    Column("sex", "str", "Sex"),
    Column("age_years", "float", "Age at admission, years"),
    Column("bmi", "float", "Body mass index, kg/m²"),
    Column("leg_pain_duration_days", "float", "Duration of leg pain, days"),
    Column("pfirrmann_grade", "str", "Pfirrmann grade of disc degeneration", "ordinal"),
    Column("numbness", "bool", "Numbness"),
    Column("weakness", "bool", "Weakness (the paper's 'fatigue')"),
    Column("back_pain", "bool", "Back pain"),
    Column("herniation_level", "str", "Herniated lumbar level"),
    Column("hypertension", "bool", "History of hypertension"),
    Column("diabetes", "bool", "History of diabetes"),
)
OPERATIVE = (
    Column("surgery_minutes", "float", "Duration of the PELD surgery, minutes"),
    Column("blood_loss_ml", "float", "Intra-operative blood loss, ml"),
    Column("length_of_stay_days", "float", "Length of stay, days"),
)
OUTCOME = (
    Column("residual_low_back_pain", "bool", "Residual low back pain at 3 months"),
    Column("recurrent_pain", "bool", "Recurrent pain at 3 months"),
    Column("recurrence", "bool", "Recurrence confirmed by MRI"),
    Column("serious_complication", "bool", "Any serious complication"),
    Column("macnab", "str", "MacNab grade at 3 months", "ordinal"),
)
FLOW = (
    Column("received_allocated", "bool", "Every treatment form of the arm is complete"),
    Column("per_protocol", "bool", "Received the allocated treatment and has the 3-month form"),
)

# Long-frame measures: name, form code, how to read it from the form's scores/fields.
MEASURES = (
    Column("vas_leg", "float", "Leg-pain VAS 0–10"),
    Column("vas_back", "float", "Back-pain VAS 0–10"),
    Column("odi", "float", "ODI percent 0–100"),
    Column("joa", "float", "JOA total 0–29"),
    Column("sf36_total", "float", "SF-36 raw total of the 8 scales (the paper's 'SF-36 score')"),
    Column("sf36_pcs", "float", "SF-36 physical component summary (1990 norms)"),
    Column("sf36_mcs", "float", "SF-36 mental component summary (1990 norms)"),
)
MEASURE_FORM = {
    "vas_leg": "vas",
    "vas_back": "vas",
    "odi": "odi",
    "joa": "joa",
    "sf36_total": "sf36",
    "sf36_pcs": "sf36",
    "sf36_mcs": "sf36",
}
LONG_IDENTITY = (
    Column("participant_id", "str", "Pseudonymous trial id"),
    Column("arm", "str", "Allocated arm"),
    Column("visit", "str", "Visit code", "ordinal"),
    Column("visit_order", "float", "Visit order in the protocol", "ordinal"),
)
# When each visit's assessment took place, against the protocol's visit window.
TIMING = (
    Column(
        "assessment_date",
        "str",
        "Assessment date of the visit (YYYY-MM-DD): the earliest date of its complete forms",
    ),
    Column(
        "days_from_anchor",
        "float",
        "Days from the visit's anchor event (admission or surgery) to the assessment date",
    ),
    Column(
        "in_window",
        "bool",
        "Every complete form of the visit is dated inside the protocol's visit window",
    ),
)
SCREENING = (
    Column("participant_id", "str", "Pseudonymous trial id"),
    Column("arm", "str", "Allocated arm (empty when not randomized)"),
    Column("status", "str", "Participant status"),
    Column("eligible", "bool", "Eligibility decision (empty: not assessed)"),
    Column("failed_criteria", "list", "Codes of the criteria not met"),
    Column("received_allocated", "bool", "Received the allocated treatment"),
    Column("per_protocol", "bool", "In the per-protocol population"),
    Column("end_reason", "str", "Reason follow-up ended"),
)


# Who entered each measure's form (ePRO, docs/epro-staff.md): one column per form and visit in
# the wide frame (``<form>_source_<visit>``), one per form in the long frame.
SOURCE = Column(
    "source",
    "str",
    "Who entered the form: staff, or the participant through ePRO "
    "(epro_invalid: an ePRO entry marked invalid, its values left out)",
)
# The codes of the source columns, in the order written to SPSS/Stata/R.
SOURCE_CODES = ("staff", "epro", "epro_invalid")


def source_forms() -> tuple[str, ...]:
    """Return the forms whose source is released: those of the measures, in measure order."""
    return tuple(dict.fromkeys(MEASURE_FORM[m.name] for m in MEASURES))


def form_visits(measure_visits: dict[str, tuple[str, ...]], form: str) -> tuple[str, ...]:
    """Return the visits collecting ``form`` (those of its measures), in first-seen order."""
    return tuple(
        dict.fromkeys(v for m, visits in measure_visits.items() if MEASURE_FORM[m] == form
                      for v in visits)
    )  # fmt: skip


def source_column(form: str) -> str:
    """Return the long frame's source column of ``form`` (``<form>_source``)."""
    return f"{form}_{SOURCE.name}"


def timed_visits(measure_visits: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    """Return the visits of the long frame (those collecting a measure), in first-seen order."""
    return tuple(dict.fromkeys(v for visits in measure_visits.values() for v in visits))


def wide_columns(measure_visits: dict[str, tuple[str, ...]]) -> tuple[Column, ...]:
    """Return the wide frame's columns, with ``<measure>_<visit>`` for each collected visit
    and ``<timing>_<visit>`` (assessment date, days from anchor, in window) per visit."""
    per_visit = tuple(
        Column(f"{m.name}_{v}", m.dtype, f"{m.description} at visit {v}", m.level)
        for m in MEASURES
        for v in measure_visits.get(m.name, ())
    )
    timing = tuple(
        Column(f"{t.name}_{v}", t.dtype, f"{t.description}, visit {v}")
        for v in timed_visits(measure_visits)
        for t in TIMING
    )
    sources = tuple(
        Column(f"{source_column(f)}_{v}", SOURCE.dtype, f"{SOURCE.description}: {f} at visit {v}")
        for f in source_forms()
        for v in form_visits(measure_visits, f)
    )
    return (*IDENTITY, *BASELINE, *OPERATIVE, *per_visit, *timing, *sources, *OUTCOME, *FLOW)


def long_columns() -> tuple[Column, ...]:
    """Return the long frame's columns."""
    sources = tuple(
        Column(source_column(f), SOURCE.dtype, f"{SOURCE.description}: {f}") for f in source_forms()
    )
    return (*LONG_IDENTITY, *TIMING, *MEASURES, *sources)


def column_dictionary(measure_visits: dict[str, tuple[str, ...]]) -> list[dict[str, str]]:
    """Return every column of every frame as plain dicts (for the report and the XLSX)."""
    frames = (
        ("wide", wide_columns(measure_visits)),
        ("long", long_columns()),
        ("screening", SCREENING),
    )
    return [
        {
            "frame": f,
            "name": c.name,
            "dtype": c.dtype,
            "description": c.description,
            "level": c.measure,
        }  # fmt: skip
        for f, cols in frames
        for c in cols
    ]


# Where each column comes from: (form code, field of the typed data, or "scores.<key>").
SOURCES: dict[str, tuple[str, str]] = {
    **{c.name: ("baseline", c.name) for c in BASELINE if c.name != "age_years"},
    "surgery_minutes": ("peld", "duration_minutes"),
    "blood_loss_ml": ("peld", "blood_loss_ml"),
    "length_of_stay_days": ("discharge", "length_of_stay_days"),
    "residual_low_back_pain": ("outcome", "residual_low_back_pain"),
    "recurrent_pain": ("outcome", "recurrent_pain"),
    "recurrence": ("outcome", "recurrence_mri_confirmed"),
    "serious_complication": ("outcome", "had_serious_complication"),
    "macnab": ("outcome", "macnab"),
    "vas_leg": ("vas", "leg_vas"),
    "vas_back": ("vas", "back_vas"),
    "odi": ("odi", "scores.percent"),
    "joa": ("joa", "scores.total"),
    "sf36_total": ("sf36", "scores.raw_total_8scales"),
    "sf36_pcs": ("sf36", "scores.pcs"),
    "sf36_mcs": ("sf36", "scores.mcs"),
}
