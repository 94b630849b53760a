"""The columns of the report datasets (STYLE §10: declared, always with
``participant_id``, ``arm`` and, in the long frame, ``visit``), generated from the
protocol's variable dictionary (``trial.protocol.dictionary``): the names, types, labels
and levels of the form variables are the dictionary's; only the identity, timing, source
and flow columns, which no form holds, are declared here.

Wide: one row per participant: every captured item of each non-repeating form and every
stored score the protocol names, as ``<name>_<visit>`` for a form collected at several
visits (``vas_leg_postop_day_3``) and ``<name>`` otherwise (``sex``). Long: one row per
participant × visit, with the measures the protocol marks (``VariableSpec.measure``).
Screening: one row per registered participant (the CONSORT source).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from django.utils.text import capfirst

from analysis.plans import UnknownPlan
from analysis.trial_plans import get_plan
from trial.protocol import anchor_date_name
from trial.protocol.dictionary import dictionary_of

if TYPE_CHECKING:
    from trial.protocol import Protocol
    from trial.protocol.dictionary import Variable

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
    form: str = ""  # the form of a dictionary variable ("" for identity, timing, flow)
    source: str = ""  # its model field or ``scores.<path>``
    visit: str = ""  # the visit of a per-visit column
    item: str = ""  # the dictionary name (per-visit columns: without the visit)

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
    Column("screening_date", "str", "Screening date (YYYY-MM-DD)"),
)


def registration_columns(protocol: Protocol) -> tuple[Column, ...]:
    """Return the ``<code>_date`` column of each anchor the registration dates (the day the
    participant is registered with; staff may correct it)."""
    return tuple(
        Column(anchor_date_name(a.code), "str", f"{capfirst(a.label.en)} date (YYYY-MM-DD)")
        for a in protocol.registration_anchors
    )


def identity_columns(protocol: Protocol) -> tuple[Column, ...]:
    """Return the wide frame's identity columns, the registration dates last."""
    return (*IDENTITY, *registration_columns(protocol))


def age_column(protocol: Protocol) -> Column | None:
    """Return the derived age column the protocol declares (``Protocol.age``), or None."""
    age = protocol.age
    if age is None:
        return None
    at = protocol.anchor(age.anchor).label.en
    return Column(age.name, "float", f"Age at {at}, years", form=age.form, item=age.name)


FLOW = (
    Column("received_allocated", "bool", "Every treatment form of the arm is complete"),
    # described by the trial's analysis plan (:func:`flow_columns`)
    Column("per_protocol", "bool", "In the per-protocol population"),
)


def flow_columns(protocol: Protocol) -> tuple[Column, ...]:
    """Return the flow columns, the per-protocol flag described by the trial's plan."""
    try:
        plan = get_plan(protocol.code)
    except UnknownPlan:
        return FLOW
    received, per_protocol = FLOW
    return received, replace(per_protocol, description=plan.per_protocol_description())


LONG_IDENTITY = (
    Column("participant_id", "str", "Pseudonymous trial id"),
    Column("arm", "str", "Allocated arm"),
    Column("visit", "str", "Visit code", "ordinal"),
    Column("visit_order", "float", "Visit order in the protocol", "ordinal"),
)
# When each visit's assessment took place, against the protocol's visit window (the anchor
# events are named in :func:`timing_columns`).
TIMING = (
    Column(
        "assessment_date",
        "str",
        "Assessment date of the visit (YYYY-MM-DD): the earliest date of its complete forms",
    ),
    Column(
        "days_from_anchor",
        "float",
        "Days from the visit's anchor event to the assessment date",
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


# Dictionary types -> dataset column types (integers are read as floats; dates and
# date-times are released as ISO text, as the visits' assessment dates; free text is text).
DTYPES = {"int": "float", "float": "float", "bool": "bool", "date": "str", "list": "list",
          "str": "str", "text": "str", "datetime": "str"}  # fmt: skip


def dataset_variables(protocol: Protocol) -> tuple[Variable, ...]:
    """Return the dictionary variables the datasets carry: every captured item of a
    non-repeating form and every stored score the protocol names (``FormDef.variables``)."""
    out = []
    for v in dictionary_of(protocol):
        if v.repeating:
            continue
        formdef = protocol.form(v.form)
        if v.captured or formdef.spec(v.source) is not None:
            out.append(v)
    return tuple(out)


def measures(protocol: Protocol) -> tuple[Variable, ...]:
    """Return the repeated measures of the long frame: the variables the protocol marks as
    measures (``VariableSpec.measure``), in dictionary order."""
    return tuple(
        v for v in dataset_variables(protocol) if (s := protocol.form(v.form).spec(v.source))
        and s.measure
    )  # fmt: skip


def measure_visits(protocol: Protocol) -> dict[str, tuple[str, ...]]:
    """Return, per measure, the protocol visits whose forms collect it."""
    return {m.name: m.visits for m in measures(protocol)}


def source_forms(protocol: Protocol) -> tuple[str, ...]:
    """Return the forms whose source is released: those of the measures, in measure order."""
    return tuple(dict.fromkeys(m.form for m in measures(protocol)))


def form_visits(protocol: Protocol, form: str) -> tuple[str, ...]:
    """Return the visits collecting ``form`` (those of its measures), in first-seen order."""
    return tuple(dict.fromkeys(v for m in measures(protocol) if m.form == form for v in m.visits))


def source_column(form: str) -> str:
    """Return the long frame's source column of ``form`` (``<form>_source``)."""
    return f"{form}_{SOURCE.name}"


def timed_visits(protocol: Protocol) -> tuple[str, ...]:
    """Return the visits of the long frame (those collecting a measure), in first-seen order."""
    return tuple(dict.fromkeys(v for m in measures(protocol) for v in m.visits))


def timing_columns(protocol: Protocol) -> tuple[Column, ...]:
    """Return the timing columns, the days from the anchor naming the protocol's anchors."""
    labels = [a.label.en for a in protocol.anchors]
    if not labels:
        return TIMING
    events = " or ".join([", ".join(labels[:-1]), labels[-1]] if len(labels) > 1 else labels)
    days = Column(
        "days_from_anchor",
        "float",
        f"Days from the visit's anchor event ({events}) to the assessment date",
    )
    return tuple(days if t.name == days.name else t for t in TIMING)


def _column(v: Variable, column: str, visit: str) -> Column:
    label = v.label.en + (f" at visit {visit}" if v.per_visit else "")
    return Column(column, DTYPES[v.dtype], label, v.measure if v.level else "", v.form,
                  v.source, visit if v.per_visit else "", v.name)  # fmt: skip


def variable_columns(protocol: Protocol) -> tuple[Column, ...]:
    """Return the wide columns of the dictionary's variables (``<name>_<visit>`` for a form
    collected at several visits), form by form, with the derived age after its form."""
    out: list[Column] = []
    age = age_column(protocol)
    for v in dataset_variables(protocol):
        out += [_column(v, column, visit) for column, visit in v.columns()]
        if age is not None and (v.form, v.source) == (protocol.age.form, protocol.age.field):
            out.append(age)
    return tuple(out)


def wide_columns(protocol: Protocol) -> tuple[Column, ...]:
    """Return the wide frame's columns: identity, the dictionary's variables, the timing of
    each visit (assessment date, days from anchor, in window), who entered each measure's
    form, and the flow columns."""
    timing = tuple(
        Column(f"{t.name}_{v}", t.dtype, f"{t.description}, visit {v}", visit=v, item=t.name)
        for v in timed_visits(protocol)
        for t in timing_columns(protocol)
    )
    sources = tuple(
        Column(
            f"{source_column(f)}_{v}",
            SOURCE.dtype,
            f"{SOURCE.description}: {f} at visit {v}",
            form=f,
            visit=v,
            item=source_column(f),
        )  # fmt: skip
        for f in source_forms(protocol)
        for v in form_visits(protocol, f)
    )
    flow = flow_columns(protocol)
    columns = (*identity_columns(protocol), *variable_columns(protocol), *timing, *sources, *flow)
    names = [c.name for c in columns]
    clashes = sorted({n for n in names if names.count(n) > 1})
    if clashes:
        raise ValueError(f"wide columns named twice: {clashes}")
    return columns


def long_columns(protocol: Protocol) -> tuple[Column, ...]:
    """Return the long frame's columns."""
    sources = tuple(
        Column(source_column(f), SOURCE.dtype, f"{SOURCE.description}: {f}")
        for f in source_forms(protocol)
    )
    values = tuple(
        Column(
            m.name,
            DTYPES[m.dtype],
            m.label.en,
            m.measure if m.level else "",
            m.form,
            m.source,
            "",
            m.name,
        )  # fmt: skip
        for m in measures(protocol)
    )
    return (*LONG_IDENTITY, *timing_columns(protocol), *values, *sources)


EVENTS_IDENTITY = (
    Column("participant_id", "str", "Pseudonymous trial id"),
    Column("arm", "str", "Allocated arm"),
)


def events_form(protocol: Protocol) -> str:
    """Return the protocol's adverse-event log form (``Protocol.dashboard.events_form``),
    "" when it names none."""
    return protocol.dashboard.events_form


def events_columns(protocol: Protocol) -> tuple[Column, ...]:
    """Return the events frame's columns: one row per entry of the protocol's adverse-event
    log (``Protocol.dashboard.events_form``): identity, then the log form's captured items
    in dictionary order; none when the protocol names no log."""
    form = events_form(protocol)
    if not form:
        return ()
    items = tuple(
        Column(
            v.name,
            DTYPES[v.dtype],
            v.label.en,
            v.measure if v.level else "",
            v.form,
            v.source,
            "",
            v.name,
        )  # fmt: skip
        for v in dictionary_of(protocol).of_form(form)
        if v.captured
    )
    return (*EVENTS_IDENTITY, *items)


def frame_columns(protocol: Protocol) -> tuple[tuple[str, tuple[Column, ...]], ...]:
    """Return (frame, columns) of every dataset frame, in release order (the events frame
    only when the protocol names an adverse-event log)."""
    frames = (
        ("wide", wide_columns(protocol)),
        ("long", long_columns(protocol)),
        ("screening", SCREENING),
    )
    events = events_columns(protocol)
    return (*frames, ("events", events)) if events else frames


def column_dictionary(protocol: Protocol) -> list[dict[str, str]]:
    """Return every column of the wide, long and screening frames as plain dicts (for the
    report and the XLSX; the events frame is described in the release's codebook)."""
    frames = frame_columns(protocol)[:3]
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


def wide_sources(protocol: Protocol) -> dict[str, Column]:
    """Return the wide columns read from a form (dictionary variables), by column name."""
    return {c.name: c for c in variable_columns(protocol) if c.source}
