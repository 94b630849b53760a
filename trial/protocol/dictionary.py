"""The protocol's variable dictionary: one definition, and one canonical name, per variable.

Built from the protocol (forms, visits, arms, blinded and free-text fields, the
``FormDef.variables`` overrides), the CRF models (types, verbose names, choices, bounds)
and the scoring instruments (choice labels of items, score keys). Everything downstream
takes its names from here: the report's datasets (``analysis.datasets.columns``), the
release files and codebook, both API modes and the import mapping.

Canonical names, in order of precedence:

* the ``name`` of the form's :class:`~trial.protocol.schema.VariableSpec` for the source;
* a captured item: its model field name, prefixed ``<form>_`` when the field name occurs
  in more than one form (``vas_assessment_date``);
* a stored score: ``<form>_score_<key>``, or ``<item>_score_<key>`` (the item's canonical
  name) when a form's columns are scored one by one (two VAS lines on one form).

A variable of a form collected at several visits appears in the wide dataset as
``<name>_<visit>`` (:meth:`Variable.column`); at one visit, as ``<name>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import translation
from django.utils.text import capfirst

from scoring import INSTRUMENTS

from .schema import FormDef, Text

if TYPE_CHECKING:
    from .schema import Protocol

SKIP = ("instance", "scores", "scorer_version", "not_answered")
LANGUAGES = ("en", "zh-hans")
# Units read off a field name's ending (the CRF models name their units this way).
UNITS = (
    ("_ml", "ml"),
    ("_minutes", "min"),
    ("_days", "days"),
    ("_cm", "cm"),
    ("_kg", "kg"),
    ("_mg", "mg"),
    ("_pct", "%"),
    ("_per_day", "/day"),
)


@dataclass(frozen=True, slots=True)
class Code:
    """One allowed value of a variable with its label in both languages."""

    code: str
    label: Text


@dataclass(frozen=True, slots=True)
class Variable:
    """One captured item or stored score.

    ``source`` is the model field (``attname``) or ``scores.<path>`` of a stored score;
    ``dtype`` one of ``str``, ``text`` (free text), ``int``, ``float``, ``bool``, ``date``,
    ``datetime``, ``list`` (a list of codes); ``derivation`` says how a score is computed
    (``scores.percent of odi``), empty for a captured item; ``arm_revealing`` variables
    are withheld from blinded readers (arm-restricted forms, ``FormDef.blinded_fields``).
    """

    name: str
    form: str
    source: str
    visits: tuple[str, ...]
    label: Text
    dtype: str
    unit: str = ""
    codes: tuple[Code, ...] = ()
    arm_revealing: bool = False
    free_text: bool = False
    derivation: str = ""
    level: str = ""
    minimum: str = ""
    maximum: str = ""
    repeating: bool = False

    @property
    def captured(self) -> bool:
        return not self.derivation

    @property
    def measure(self) -> str:
        """The measurement level: declared, else scale for numbers and dates, else nominal."""
        if self.level:
            return self.level
        return "scale" if self.dtype in ("int", "float", "date", "datetime") else "nominal"

    @property
    def per_visit(self) -> bool:
        """Whether the wide dataset holds one column per visit (the form is collected at
        more than one visit)."""
        return len(self.visits) > 1

    def column(self, visit: str) -> str:
        """Return the wide dataset's column of this variable at ``visit``."""
        return f"{self.name}_{visit}" if self.per_visit else self.name

    def columns(self) -> tuple[tuple[str, str], ...]:
        """Return (column, visit) of every wide column of this variable."""
        return tuple((self.column(v), v) for v in self.visits)

    def code_labels(self, language: str) -> tuple[tuple[str, str], ...]:
        return tuple((c.code, c.label.in_language(language)) for c in self.codes)


@dataclass(frozen=True)
class VariableDictionary:
    """Every variable of a protocol, in form order (captured items, then scores)."""

    protocol_code: str
    variables: tuple[Variable, ...]

    def __post_init__(self) -> None:
        names = [v.name for v in self.variables]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"{self.protocol_code}: duplicate variable names {duplicates}")

    def __iter__(self):  # noqa: ANN204
        return iter(self.variables)

    def __getitem__(self, name: str) -> Variable:
        for v in self.variables:
            if v.name == name:
                return v
        raise KeyError(name)

    def __contains__(self, name: object) -> bool:
        return any(v.name == name for v in self.variables)

    def of_form(self, form: str) -> tuple[Variable, ...]:
        return tuple(v for v in self.variables if v.form == form)

    def by_source(self, form: str, source: str) -> Variable:
        for v in self.variables:
            if v.form == form and v.source == source:
                return v
        raise KeyError(f"{form}.{source}")

    def name_of(self, form: str, source: str) -> str:
        """Return the canonical name of a form's model field or score path."""
        return self.by_source(form, source).name

    def names(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.variables)

    def wide_columns(self) -> dict[str, Variable]:
        """Return every wide-dataset column of a non-repeating form -> its variable."""
        return {column: v for v in self.variables if not v.repeating for column, _ in v.columns()}


def _text(value: Any) -> Text:
    out = []
    for language in LANGUAGES:
        with translation.override(language):
            out.append(capfirst(str(value)))
    return Text(*out)


def _bounds(db_field: models.Field) -> tuple[str, str]:
    low = high = ""
    for v in db_field.validators:
        if isinstance(v, MinValueValidator):
            low = str(v.limit_value)
        elif isinstance(v, MaxValueValidator):
            high = str(v.limit_value)
    return low, high


def _dtype(db_field: models.Field, free_text: bool) -> str:
    if isinstance(db_field, models.BooleanField):
        return "bool"
    if isinstance(db_field, models.JSONField):
        return "list"
    if isinstance(db_field, models.DateTimeField):
        return "datetime"
    if isinstance(db_field, models.DateField):
        return "date"
    if isinstance(db_field, models.DecimalField | models.FloatField):
        return "float"
    if isinstance(db_field, models.IntegerField) and not db_field.choices:
        return "int"
    if free_text or isinstance(db_field, models.TextField):
        return "text"
    return "str"


def _unit(name: str) -> str:
    return next((unit for ending, unit in UNITS if name.endswith(ending)), "")


def _choice_codes(choices: Any) -> tuple[Code, ...]:
    codes = []
    for value, _label in choices:
        if value in ("", None):
            continue
        labels = []
        for language in LANGUAGES:
            with translation.override(language):
                labels.append(str(dict(choices)[value]))
        codes.append(Code(str(value), Text(*labels)))
    return tuple(codes)


def _instrument_codes(instrument: Any, field: str) -> tuple[Code, ...] | None:
    if instrument is None:
        return None
    for item in instrument.items:
        if item.id == field and item.choices:
            return tuple(
                Code(str(c.value), Text(c.short("en"), c.short("zh"))) for c in item.choices
            )
    return None


def _shared_fields(protocol: Protocol) -> set[str]:
    seen: dict[str, int] = {}
    for formdef in protocol.forms:
        for db_field in apps.get_model(formdef.model)._meta.concrete_fields:
            if db_field.name not in SKIP:
                seen[db_field.name] = seen.get(db_field.name, 0) + 1
    return {name for name, count in seen.items() if count > 1}


def _form_variables(protocol: Protocol, formdef: FormDef, shared: set[str]) -> list[Variable]:

    model = apps.get_model(formdef.model)
    instrument = INSTRUMENTS.get(formdef.instrument) if formdef.instrument else None
    visits = tuple(v.code for v in protocol.visits if formdef.code in v.forms)
    hidden = formdef.arms is not None
    out: list[Variable] = []
    for db_field in model._meta.concrete_fields:
        if db_field.name in SKIP:
            continue
        spec = formdef.spec(db_field.attname)
        default = f"{formdef.code}_{db_field.name}" if db_field.name in shared else db_field.name
        free = db_field.name in formdef.free_text_fields
        codes = _instrument_codes(instrument, db_field.name)
        level = "ordinal" if codes else ""
        if codes is None:
            codes = _choice_codes(db_field.choices) if db_field.choices else ()
        if not codes and spec is not None and spec.code_list:  # a list of the protocol's codes
            codes = tuple(Code(c.code, c.label) for c in getattr(protocol, spec.code_list))
        if isinstance(db_field, models.BooleanField):
            codes = (Code("1", Text("Yes", "是")), Code("0", Text("No", "否")))
        low, high = _bounds(db_field)
        out.append(
            Variable(
                name=(spec.name if spec and spec.name else default),
                form=formdef.code,
                source=db_field.attname,
                visits=visits,
                label=(spec.label if spec and spec.label else _text(db_field.verbose_name)),
                dtype=_dtype(db_field, free),
                unit=_unit(db_field.name),
                codes=codes,
                arm_revealing=hidden or db_field.name in formdef.blinded_fields,
                free_text=free,
                level=(spec.level if spec else "") or level,
                minimum=low,
                maximum=high,
                repeating=formdef.repeating,
            )
        )
    if instrument is not None:
        out += _score_variables(formdef, instrument, out, visits, hidden)
    return out


def _score_variables(
    formdef: FormDef, instrument: Any, items: list[Variable], visits: tuple, hidden: bool
) -> list[Variable]:
    """Stored scores: one per score key, or per scored column and key (``scores`` nested by
    column when the instrument's items are not the form's columns)."""
    columns = [v for v in items if v.source != formdef.date_field]
    flat = set(instrument.item_ids) <= {v.source for v in columns}
    targets = [(formdef.code, "", formdef.code)] if flat else [
        (v.name, f"{v.source}.", v.name) for v in columns
    ]  # fmt: skip
    out = []
    for prefix, path, of in targets:
        # the scores the protocol names first, in its order; then the others
        named = [s.source for s in formdef.variables if s.source.startswith(f"scores.{path}")]
        keys = [k for k in instrument.score_keys if f"scores.{path}{k}" in named]
        keys.sort(key=lambda k: named.index(f"scores.{path}{k}"))
        for key in (*keys, *(k for k in instrument.score_keys if k not in keys)):
            source = f"scores.{path}{key}"
            spec = formdef.spec(source)
            title = Text(instrument.title_en, instrument.title_zh)
            label = Text(f"{title.en}: {key}", f"{title.zh}：{key}") if flat else Text(
                f"{title.en} ({of}): {key}", f"{title.zh}（{of}）：{key}"
            )  # fmt: skip
            out.append(
                Variable(
                    name=(spec.name if spec and spec.name else f"{prefix}_score_{key}"),
                    form=formdef.code,
                    source=source,
                    visits=visits,
                    label=(spec.label if spec and spec.label else label),
                    dtype="float",
                    derivation=f"scores.{key} of {of} ({instrument.name} {instrument.version})",
                    arm_revealing=hidden,
                    level=spec.level if spec else "",
                    repeating=formdef.repeating,
                )
            )
    return out


def build_dictionary(protocol: Protocol) -> VariableDictionary:
    """Return the variable dictionary of ``protocol`` (not cached: see :func:`dictionary_of`)."""
    shared = _shared_fields(protocol)
    variables: list[Variable] = []
    for formdef in protocol.forms:
        variables += _form_variables(protocol, formdef, shared)
    return VariableDictionary(protocol.code, tuple(variables))


_BUILT: dict[tuple[str, str], VariableDictionary] = {}


def dictionary_of(protocol: Protocol) -> VariableDictionary:
    """Return the protocol's dictionary, built once per process and protocol version."""
    key = (protocol.code, protocol.version)
    if key not in _BUILT:
        _BUILT[key] = build_dictionary(protocol)
    return _BUILT[key]
