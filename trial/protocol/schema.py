"""Frozen dataclasses that declare a trial protocol. No behaviour of a trial lives in code.

A protocol says which arms exist, which visits happen when (a target day and a window
around an anchor event), which forms each visit needs (per arm), the eligibility criteria
and the complication list. Texts are bilingual (:class:`Text`), so a new protocol brings
its own English and Simplified Chinese wording without touching the message catalogues.
"""

import math
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from django.utils.translation import get_language


@dataclass(frozen=True, slots=True)
class Text:
    """A user-facing text in English and Simplified Chinese; ``str()`` picks the active one."""

    en: str
    zh: str

    def __str__(self) -> str:
        return self.in_language(get_language())

    def in_language(self, language: str | None) -> str:
        if language and language.lower().startswith("zh") and self.zh:
            return self.zh
        return self.en


class AnchorEvent(StrEnum):
    """An event the system itself records, whose day can anchor a visit schedule."""

    # the day the participant is registered with (the registration page's date, labelled
    # with these anchors' labels); staff may correct it on the participant's dates page
    REGISTRATION = "registration"
    # the day the participant is allocated (at the participant's site)
    RANDOMIZATION = "randomization"


def anchor_date_name(code: str) -> str:
    """The name of an anchor's date wherever it is named: the audit trail, the dates page,
    the enrolment's dictionary (``surgery_date``)."""
    return f"{code}_date"


@dataclass(frozen=True, slots=True)
class AnchorDef:
    """An event a visit's target day counts from, and where its date comes from.

    The date is recorded either by the system (``event``: registration or randomization)
    or by a form once it is saved (``form``'s ``field``: the surgery record's surgery
    date). ``entered``: staff may also enter or move it on the participant's dates page
    (a planned surgery date before the surgery record exists). ``not_before`` names an
    anchor whose date this one's cannot precede on the dates page (surgery not before
    admission). Each participant's anchor dates are rows of ``trial.AnchorDate``, read
    through ``trial.selectors.anchors``.
    """

    code: str
    label: Text
    event: AnchorEvent | None = None
    form: str = ""
    field: str = ""
    entered: bool = False
    not_before: str = ""

    def __post_init__(self) -> None:
        if (self.event is None) == (not self.form):
            raise ValueError(f"anchor {self.code} needs exactly one source: an event or a form")
        if bool(self.form) != bool(self.field):
            raise ValueError(f"anchor {self.code} needs both a form and its field")


class CriterionKind(StrEnum):
    INCLUSION = "inclusion"
    EXCLUSION = "exclusion"


@dataclass(frozen=True, slots=True)
class Arm:
    """A treatment arm; ``ratio`` is its share of the allocation (2 and 1: a 2:1 trial)."""

    code: str
    label: Text
    description: Text
    ratio: int = 1


@dataclass(frozen=True, slots=True)
class Choice:
    code: str
    label: Text


@dataclass(frozen=True, slots=True)
class Criterion:
    """An eligibility item, answered yes/no. Eligible = all inclusions yes, all exclusions no."""

    code: str
    kind: CriterionKind
    text: Text

    def passes(self, answer: bool) -> bool:
        return answer if self.kind is CriterionKind.INCLUSION else not answer


@dataclass(frozen=True, slots=True)
class VariableSpec:
    """What the protocol says about one variable of a form beyond its model field.

    ``source`` is the model field, or ``scores.<key>`` (``scores.<field>.<key>`` for a form
    whose columns are each scored on their own) for a stored score. ``name`` is the
    canonical name (empty: the dictionary's default, see ``trial.protocol.dictionary``);
    ``label`` replaces the model's verbose name; ``level`` is the measurement level
    (``nominal``, ``ordinal``, ``scale``; empty: from the type). A stored score enters the
    report's datasets only when named here; ``measure`` makes the variable a repeated
    measure of the long dataset (one value per participant and visit); ``code_list`` names
    the protocol's list of codes a list answer takes (``complications``).
    """

    source: str
    name: str = ""
    label: "Text | None" = None
    level: str = ""
    measure: bool = False
    # A list answer's codes: the name of the protocol's code list ("complications").
    code_list: str = ""


@dataclass(frozen=True, slots=True)
class FormDef:
    """A case report form. ``model`` is the Django model label holding its typed data.

    ``instrument`` names a ``scoring`` instrument scored on save; ``repeating`` forms are
    logs with any number of entries (adverse events); ``arms`` restricts a form to arms.
    ``blinded_fields`` are answers that would reveal the arm (an event "related to the
    block"): blinded users neither see nor edit them, and their history is masked.
    ``free_text_fields`` are free-text answers that may carry intervention details the
    protocol cannot foresee ("pain after the block"): blinded users see them only in the
    wording an unblinded site user reviewed for them (``trial.blinding``).
    """

    code: str
    label: Text
    model: str
    instrument: str | None = None
    repeating: bool = False
    arms: frozenset[str] | None = None
    blinded_fields: tuple[str, ...] = ()
    free_text_fields: tuple[str, ...] = ()
    # The model field holding the day the form describes (its assessment date).
    date_field: str = "assessment_date"
    # The variable dictionary's definitions: (field, what it means and how it is measured),
    # shown on demand beside the form. Scored forms take theirs from the instrument.
    definitions: tuple[tuple[str, "Text"], ...] = ()
    # Canonical names, labels and levels of the form's variables that differ from the
    # dictionary's defaults (``trial.protocol.dictionary``).
    variables: tuple[VariableSpec, ...] = ()

    def spec(self, source: str) -> VariableSpec | None:
        return next((v for v in self.variables if v.source == source), None)

    def definition(self, field: str) -> "Text | None":
        return next((text for name, text in self.definitions if name == field), None)


@dataclass(frozen=True, slots=True)
class VisitDef:
    """A scheduled visit: target = anchor date + ``target_day``, window around the target.

    ``before_randomization`` visits exist from registration on; the others are created when
    the participant is allocated, and only for the arms in ``arms`` (all when None).
    """

    code: str
    label: Text
    anchor: str  # the code of one of the protocol's anchors (``AnchorDef``)
    target_day: int
    window_before: int
    window_after: int
    forms: tuple[str, ...]
    arms: frozenset[str] | None = None
    before_randomization: bool = False

    def applies_to(self, arm: str | None) -> bool:
        if self.before_randomization:
            return True
        return arm is not None and (self.arms is None or arm in self.arms)

    def target(self, anchor_date: date) -> date:
        return anchor_date + timedelta(days=self.target_day)

    def window_days(self) -> tuple[int, int]:
        """The window as days from the anchor date: (first, last), both inside."""
        return self.target_day - self.window_before, self.target_day + self.window_after

    def window(self, anchor_date: date) -> tuple[date, date]:
        first, last = self.window_days()
        return anchor_date + timedelta(days=first), anchor_date + timedelta(days=last)

    @property
    def follows_anchor(self) -> bool:
        """A visit on or after its anchor event: a form dated before that event is wrong."""
        return self.target_day >= 0

    def timing(self, anchor_date: date | None, day: date | None) -> "Timing":
        """Return where ``day`` falls for this visit: days from the anchor, in the window."""
        if anchor_date is None or day is None:
            return Timing(None, None)
        start, end = self.window(anchor_date)
        return Timing((day - anchor_date).days, start <= day <= end)


@dataclass(frozen=True, slots=True)
class Timing:
    """An assessment's place in its visit: days from the anchor and whether in the window
    (both None when the assessment date or the anchor date is unknown)."""

    days_from_anchor: int | None
    in_window: bool | None


@dataclass(frozen=True, slots=True)
class StratificationFactor:
    """A factor a list may stratify by: the participant's site, or an answer on a form.

    ``form``/``field`` name the form (before randomization) and the model field whose
    value is the participant's level; for ``site`` both are empty.
    """

    code: str
    label: Text
    form: str = ""
    field: str = ""


@dataclass(frozen=True, slots=True)
class PatientForm:
    """A form the participant completes on their own (ePRO, ``epro`` app).

    ``instructions`` and ``recall_period`` are the instrument authors' words to the
    patient, shown above the questions on the patient's page.
    """

    form: str
    instructions: Text
    recall_period: Text


@dataclass(frozen=True, slots=True)
class IdentityCheck:
    """The question a patient answers before their questionnaires open: the year of the
    date recorded in ``form``'s ``field`` (e.g. the year of birth on the baseline form).

    ``max_attempts`` wrong answers lock the invitation for ``lockout_minutes``.
    """

    code: str
    question: Text
    form: str
    field: str
    max_attempts: int = 5
    lockout_minutes: int = 30


@dataclass(frozen=True, slots=True)
class Epro:
    """What participants may complete themselves, and how they show who they are."""

    forms: tuple[PatientForm, ...]
    identity: IdentityCheck

    def form(self, code: str) -> PatientForm | None:
        return next((f for f in self.forms if f.form == code), None)

    @property
    def form_codes(self) -> tuple[str, ...]:
        return tuple(f.form for f in self.forms)


@dataclass(frozen=True, slots=True)
class AgeAt:
    """A variable the datasets derive: the age in years at an anchor's date, from a date of
    birth a form records (``(anchor date - birth) / 365.25``, two decimals). ``name`` is its
    dataset column; it follows the form's variables."""

    name: str
    form: str
    field: str
    anchor: str  # the code of one of the protocol's anchors (``AnchorDef``)


@dataclass(frozen=True, slots=True)
class DashboardMeasure:
    """A measure the dashboard's outcome panel follows: its mean (SD) per visit and group.

    ``variable`` is a canonical name of the protocol's variable dictionary (a number
    captured on a non-repeating form, or a stored score such as the ODI percent); ``key``
    names its figures on the page; ``label`` opens its part of a table cell ("leg 4.1
    (1.2)"), ``series`` names its chart lines.
    """

    variable: str
    key: str
    label: Text
    series: Text


@dataclass(frozen=True, slots=True)
class Dashboard:
    """What the investigators' dashboard summarises beyond the journey's counts.

    The outcome panel: ``measures`` with the panel's texts and the chart's upper bound
    (``scale_max``, None: automatic). The safety panel: the adverse-event log form
    ``events_form``, its variable marking a serious event (``serious_flag``) and the variable
    whose codes grade an event (``grade``; its codes and labels come from the dictionary),
    with the grade table's caption; the form's ``date_field`` dates an event.
    """

    measures: tuple[DashboardMeasure, ...] = ()
    outcome_title: Text = Text("Outcome trend", "结局趋势")
    outcome_chart_title: Text = Text("Mean by visit", "各访视均值")
    outcome_caption: Text = Text(
        "Mean (SD) of randomized participants, complete forms only; n = forms.",
        "已随机化受试者的均值（标准差），仅统计已完成的表单；n = 表单数。",
    )
    outcome_empty: Text = Text("No complete forms yet.", "尚无已完成的表单。")
    scale_max: float | None = None
    events_form: str = ""
    serious_flag: str = ""
    grade: str = ""
    grade_caption: Text = Text("Adverse events by grade", "按分级的不良事件")


@dataclass(frozen=True, slots=True)
class Protocol:
    code: str
    version: str
    title: Text
    arms: tuple[Arm, ...]
    visits: tuple[VisitDef, ...]
    forms: tuple[FormDef, ...]
    criteria: tuple[Criterion, ...]
    complications: tuple[Choice, ...]
    consent_versions: tuple[str, ...]
    target_sample_size: int
    logs: tuple[str, ...] = ()  # repeating forms kept per participant, outside visits
    blinded_roles: frozenset[str] = field(default_factory=lambda: frozenset({"outcome_assessor"}))
    # Roles that may see accumulating comparative results (outcomes, safety and follow-up by
    # arm) while the trial runs; everyone else sees pooled figures.
    comparative_roles: frozenset[str] = field(
        default_factory=lambda: frozenset({"statistician", "dmc_member"})
    )
    bmi_range: tuple[float, float] | None = None  # eligibility bounds, used by edit checks
    # The events visits are dated from, and where each participant's date of each comes from.
    anchors: tuple[AnchorDef, ...] = ()
    stratification_factors: tuple[StratificationFactor, ...] = ()
    # A visit overdue this many days after its window closed counts as missed.
    missed_after_days: int = 28
    # Roles that approve or refuse emergency unblinding.
    unblinding_approver_roles: frozenset[str] = field(
        default_factory=lambda: frozenset({"statistician"})
    )
    # Patient-reported forms participants may complete themselves (ePRO); None: no ePRO.
    epro: Epro | None = None
    # The age the datasets derive (from a form's date of birth, at an anchor); None: none.
    age: AgeAt | None = None
    dashboard: Dashboard = field(default_factory=Dashboard)
    # What the trial's participant ids start with ("RH": ``RH-S01-0001``); empty: the site
    # code and the number alone (``S01-0001``). Numbers count per trial and site.
    participant_id_prefix: str = ""

    def __post_init__(self) -> None:
        self._check_unique("arm", [a.code for a in self.arms])
        self._check_unique("visit", [v.code for v in self.visits])
        self._check_unique("form", [f.code for f in self.forms])
        self._check_unique("criterion", [c.code for c in self.criteria])
        self._check_unique("anchor", [a.code for a in self.anchors])
        if any(a.ratio < 1 for a in self.arms) or math.gcd(*self.allocation_ratio) != 1:
            raise ValueError(f"the allocation ratio {self.allocation_ratio} is not in lowest terms")
        known_forms, known_arms = {f.code for f in self.forms}, {a.code for a in self.arms}
        known_anchors = {a.code for a in self.anchors}
        for anchor in self.anchors:
            if anchor.form and anchor.form not in known_forms:
                raise ValueError(f"anchor {anchor.code} names unknown form {anchor.form}")
            if anchor.not_before and anchor.not_before not in known_anchors:
                raise ValueError(f"anchor {anchor.code} names unknown anchor {anchor.not_before}")
        if self.participant_id_prefix and not re.fullmatch(
            r"[A-Z][A-Z0-9]*", self.participant_id_prefix
        ):
            raise ValueError("a participant id prefix is capital letters and digits")
        for visit in self.visits:
            if visit.anchor not in known_anchors:
                raise ValueError(f"visit {visit.code} names unknown anchor {visit.anchor}")
            unknown = set(visit.forms) - known_forms
            if unknown:
                raise ValueError(f"visit {visit.code} names unknown forms {sorted(unknown)}")
            if visit.arms and not visit.arms <= known_arms:
                raise ValueError(f"visit {visit.code} names unknown arms")
        if set(self.logs) - known_forms:
            raise ValueError("logs name unknown forms")
        if self.age is not None and (
            self.age.form not in known_forms or self.age.anchor not in known_anchors
        ):
            raise ValueError("the age names an unknown form or anchor")
        if self.dashboard.events_form and self.dashboard.events_form not in known_forms:
            raise ValueError("the dashboard names an unknown events form")
        if self.epro is not None:
            self._check_unique("ePRO form", list(self.epro.form_codes))
            if (set(self.epro.form_codes) | {self.epro.identity.form}) - known_forms:
                raise ValueError("ePRO names unknown forms")

    @staticmethod
    def _check_unique(kind: str, codes: list[str]) -> None:
        duplicates = sorted({c for c in codes if codes.count(c) > 1})
        if duplicates:
            raise ValueError(f"duplicate {kind} codes: {duplicates}")

    @property
    def allocation_ratio(self) -> tuple[int, ...]:
        """The allocation ratio, one whole number per arm in arm order ((2, 1): 2:1)."""
        return tuple(a.ratio for a in self.arms)

    def arm(self, code: str) -> Arm:
        return next(a for a in self.arms if a.code == code)

    def visit(self, code: str) -> VisitDef:
        return next(v for v in self.visits if v.code == code)

    def form(self, code: str) -> FormDef:
        return next(f for f in self.forms if f.code == code)

    def anchor(self, code: str) -> AnchorDef:
        return next(a for a in self.anchors if a.code == code)

    def participant_id(self, site_code: str, sequence: int) -> str:
        """The trial id of the participant numbered ``sequence`` at the site (``S01-0007``,
        ``RH-S01-0001``)."""
        number = f"{site_code}-{sequence:04d}"
        return f"{self.participant_id_prefix}-{number}" if self.participant_id_prefix else number

    def parse_participant_id(self, text: str) -> tuple[str, int] | None:
        """Return (site code, number) of a trial id written as this trial writes them
        (:meth:`participant_id`), None for anything else."""
        rest = text
        if self.participant_id_prefix:
            prefix, _sep, rest = text.partition("-")
            if prefix != self.participant_id_prefix:
                return None
        site_code, _sep, number = rest.rpartition("-")
        if not site_code or not number.isdigit():
            return None
        if self.participant_id(site_code, int(number)) != text:
            return None
        return site_code, int(number)

    @property
    def entered_anchors(self) -> tuple[AnchorDef, ...]:
        """Return the anchors whose dates staff enter on the participant's dates page."""
        return tuple(a for a in self.anchors if a.entered)

    def anchors_recorded_by(self, form_code: str) -> tuple[AnchorDef, ...]:
        """Return the anchors whose date the form records once it is saved."""
        return tuple(a for a in self.anchors if a.form == form_code)

    def anchors_of_event(self, event: AnchorEvent) -> tuple[AnchorDef, ...]:
        """Return the anchors the system records at ``event``."""
        return tuple(a for a in self.anchors if a.event is event)

    @property
    def registration_anchors(self) -> tuple[AnchorDef, ...]:
        """Return the anchors dated by the registration (the enrolment's ``<code>_date``)."""
        return self.anchors_of_event(AnchorEvent.REGISTRATION)

    def visit_defined_by(self, visit: VisitDef, form_code: str) -> bool:
        """Whether the form records the date of the visit's own anchor (the surgery record
        at the surgery visit): it defines that date, so it cannot lie outside its window."""
        return any(a.code == visit.anchor for a in self.anchors_recorded_by(form_code))

    def visits_for(self, arm: str | None) -> tuple[VisitDef, ...]:
        return tuple(v for v in self.visits if v.applies_to(arm))

    def forms_for(self, visit: VisitDef, arm: str | None) -> tuple[FormDef, ...]:
        forms = (self.form(code) for code in visit.forms)
        return tuple(f for f in forms if f.arms is None or (arm is not None and arm in f.arms))

    def log_forms(self, arm: str | None) -> tuple[FormDef, ...]:
        forms = (self.form(code) for code in self.logs)
        return tuple(f for f in forms if f.arms is None or (arm is not None and arm in f.arms))

    def factor(self, code: str) -> StratificationFactor:
        return next(f for f in self.stratification_factors if f.code == code)

    def pre_randomization_forms(self) -> tuple[tuple[VisitDef, FormDef], ...]:
        """Return the (visit, form) pairs that must be complete before randomization."""
        return tuple(
            (visit, form)
            for visit in self.visits
            if visit.before_randomization
            for form in self.forms_for(visit, None)
        )

    def is_eligible(self, answers: dict[str, bool]) -> tuple[bool, list[str]]:
        """Return (eligible, failed criterion codes); every criterion must be answered."""
        missing = [c.code for c in self.criteria if c.code not in answers]
        if missing:
            raise ValueError(f"unanswered criteria: {missing}")
        failed = [c.code for c in self.criteria if not c.passes(answers[c.code])]
        return not failed, failed
