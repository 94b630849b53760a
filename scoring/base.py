"""Definition objects shared by every instrument, and the scoring error.

An :class:`Instrument` is plain, frozen data: its items in form order, the allowed answer
values with their labels in English and Simplified Chinese, the form sections, the names
of the scores it produces, a ``version`` string stored beside every computed score, and
its pure scorer. Answers are stored exactly as printed on the form (the precoded value);
recoding happens only in the scorers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from scoring.i18n import pick

AnswerValue = int | str | Decimal | float
ItemKind = Literal["choice", "decimal"]


class ErrorCode(StrEnum):
    """Stable codes carried by :class:`InvalidAnswer` (members compare equal to the strings)."""

    OUT_OF_RANGE = "out_of_range"
    INVALID_TYPE = "invalid_type"
    INVALID_CHOICE = "invalid_choice"
    UNKNOWN_ITEM = "unknown_item"


class InvalidAnswer(ValueError):
    """An answer outside the allowed set; never silently treated as missing.

    ``item`` is the item id (or the argument name for the helper functions), ``code`` one of
    ``out_of_range``, ``invalid_type``, ``invalid_choice``, ``unknown_item`` and ``value``
    the offending value. The message is English for logs; user-facing text is chosen by
    the caller from ``code``.
    """

    def __init__(self, item: str, code: ErrorCode | str, value: object, message: str) -> None:
        self.item = item
        self.code = ErrorCode(code)
        self.value = value
        super().__init__(f"{item}: {message} (got {value!r})")


class UnknownInstrument(KeyError):
    """The instrument name is not registered."""


class DuplicateInstrument(ValueError):
    """An instrument with the same name is already registered."""


@dataclass(frozen=True, slots=True)
class Choice:
    """One allowed answer: the stored value and what the reader sees.

    ``short_en``/``short_zh`` name the answer in a word or two where the label is a whole
    sentence (value labels of the SPSS/Stata/R release, table rows); empty: the label.
    """

    value: int | str
    label_en: str
    label_zh: str
    short_en: str = ""
    short_zh: str = ""

    def label(self, lang: str | None = None) -> str:
        """Return the label in ``lang`` (Chinese for any ``zh`` code, else English)."""
        return pick(lang, self.label_en, self.label_zh)

    def short(self, lang: str | None = None) -> str:
        """Return the short label in ``lang`` (the full label when there is none)."""
        return pick(lang, self.short_en or self.label_en, self.short_zh or self.label_zh)


@dataclass(frozen=True, slots=True)
class Section:
    """A block of the form with its heading and the instruction printed above its items."""

    id: str
    title_en: str
    title_zh: str
    instruction_en: str = ""
    instruction_zh: str = ""

    def title(self, lang: str | None = None) -> str:
        """Return the heading in ``lang`` (English fallback)."""
        return pick(lang, self.title_en, self.title_zh)

    def instruction(self, lang: str | None = None) -> str:
        """Return the instruction in ``lang`` (English fallback)."""
        return pick(lang, self.instruction_en, self.instruction_zh)


@dataclass(frozen=True, slots=True)
class Item:
    """One question of a form.

    ``kind="choice"`` items accept exactly the values of ``choices``; ``kind="decimal"``
    items accept a number in ``min_value``…``max_value`` with at most ``decimals`` places.
    ``required`` tells the data-entry form whether the field is mandatory; the scorers
    apply their own missing-data rules either way.
    """

    id: str
    text_en: str
    text_zh: str
    section: str
    kind: ItemKind = "choice"
    choices: tuple[Choice, ...] = ()
    min_value: Decimal | None = None
    max_value: Decimal | None = None
    decimals: int = 0
    required: bool = False
    number: str = ""

    def text(self, lang: str | None = None) -> str:
        """Return the item text in ``lang`` (English fallback)."""
        return pick(lang, self.text_en, self.text_zh)

    @property
    def allowed_values(self) -> tuple[int | str, ...]:
        """Return the stored values a choice item accepts, in form order."""
        return tuple(choice.value for choice in self.choices)

    def choice(self, value: int | str) -> Choice:
        """Return the :class:`Choice` stored as ``value`` (``KeyError`` if none)."""
        for choice in self.choices:
            if choice.value == value and type(choice.value) is type(value):
                return choice
        raise KeyError(value)


@dataclass(frozen=True, slots=True)
class ScoreResult:
    """The scores of one completed form, with the version of the scorer that made them."""

    instrument: str
    version: str
    values: Mapping[str, object] = field(default_factory=dict)

    def __getitem__(self, key: str) -> object:
        return self.values[key]

    def as_dict(self) -> dict[str, object]:
        """Return the scores as a new plain dict (the shape ``scoring.score`` returns)."""
        return dict(self.values)


Scorer = Callable[[Mapping[str, object]], ScoreResult]


@dataclass(frozen=True, slots=True)
class Label:
    """The bilingual name of a score (``percent``: "ODI (%)") or of a code a score takes
    (a band or grade: ``severe``), shown where stored scores are displayed."""

    code: str
    en: str
    zh: str

    def text(self, lang: str | None = None) -> str:
        """Return the label in ``lang`` (English fallback)."""
        return pick(lang, self.en, self.zh)


@dataclass(frozen=True, slots=True)
class Instrument:
    """A complete instrument definition: items in form order, sections, scores, scorer."""

    name: str
    title_en: str
    title_zh: str
    version: str
    items: tuple[Item, ...]
    sections: tuple[Section, ...]
    score_keys: tuple[str, ...]
    scorer: Scorer = field(repr=False, compare=False)
    source: str = ""
    # What the patient (or assessor) reads before the items, as the authors wrote it, and
    # the period the answers are about; both languages. Staff CRF pages and ePRO pages
    # show these same texts.
    instructions_en: str = ""
    instructions_zh: str = ""
    recall_en: str = ""
    recall_zh: str = ""
    # A shorter name where the title is too long (the name of its data model); empty: the
    # title.
    short_title_en: str = ""
    short_title_zh: str = ""
    # The names of the scores (one per ``score_keys`` entry) and of the codes they take
    # (bands, grades), both languages, for display.
    score_labels: tuple[Label, ...] = ()
    value_labels: tuple[Label, ...] = ()

    def __post_init__(self) -> None:
        ids = [item.id for item in self.items]
        if len(ids) != len(set(ids)):
            raise ValueError(f"{self.name}: duplicate item ids")
        section_ids = {section.id for section in self.sections}
        stray = [item.id for item in self.items if item.section not in section_ids]
        if stray:
            raise ValueError(f"{self.name}: items without a known section: {stray}")

    def title(self, lang: str | None = None) -> str:
        """Return the instrument title in ``lang`` (English fallback)."""
        return pick(lang, self.title_en, self.title_zh)

    def short_title(self, lang: str | None = None) -> str:
        """Return the short name in ``lang`` (the title when there is none)."""
        return pick(
            lang, self.short_title_en or self.title_en, self.short_title_zh or self.title_zh
        )

    def instructions(self, lang: str | None = None) -> str:
        """Return the instructions to the respondent in ``lang`` (English fallback)."""
        return pick(lang, self.instructions_en, self.instructions_zh)

    def recall(self, lang: str | None = None) -> str:
        """Return the recall period in ``lang`` (English fallback; empty when none)."""
        return pick(lang, self.recall_en, self.recall_zh)

    @property
    def item_ids(self) -> tuple[str, ...]:
        """Return the item ids in form order."""
        return tuple(item.id for item in self.items)

    def item(self, item_id: str) -> Item:
        """Return the item with this id (``KeyError`` if none)."""
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    def section_items(self, section_id: str) -> tuple[Item, ...]:
        """Return the items of one section in form order."""
        return tuple(item for item in self.items if item.section == section_id)

    def score_label(self, key: str, lang: str | None = None) -> str:
        """Return the name of the score ``key`` in ``lang`` (the key when it has none)."""
        label = next((label for label in self.score_labels if label.code == key), None)
        return label.text(lang) if label is not None else key

    def value_label(self, code: str, lang: str | None = None) -> str | None:
        """Return the label of a band or grade code in ``lang``; ``None`` if not one."""
        label = next((label for label in self.value_labels if label.code == code), None)
        return label.text(lang) if label is not None else None

    def score(self, answers: Mapping[str, object]) -> ScoreResult:
        """Validate ``answers`` and return the scores (raises :class:`InvalidAnswer`)."""
        return self.scorer(answers)
