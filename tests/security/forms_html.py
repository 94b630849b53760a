"""Read the POST forms of a page (action and inputs) and make hostile submissions for them."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import strategies as st

SKIPPED_ACTIONS = ("/i18n/setlang/", "/logout/")  # site chrome, not a data form


@dataclass
class Input:
    name: str
    kind: str  # text, textarea, number, date, datetime-local, select, radio, checkbox, ...
    options: list[str] = field(default_factory=list)
    multiple: bool = False
    attrs: dict[str, str] = field(default_factory=dict)


@dataclass
class PostForm:
    action: str
    inputs: dict[str, Input] = field(default_factory=dict)
    submits: list[tuple[str, str]] = field(default_factory=list)  # (name, value) of buttons


class _Parser(HTMLParser):
    def __init__(self, page_url: str) -> None:
        super().__init__()
        self.page_url, self.forms, self.form, self.select = page_url, [], None, None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            post = a.get("method", "get").lower() == "post"
            self.form = PostForm(a.get("action") or self.page_url) if post else None
            return
        if self.form is None:
            return
        name = a.get("name")
        if tag == "button" and name:
            self.form.submits.append((name, a.get("value", "")))
        elif tag == "input" and name and name != "csrfmiddlewaretoken":
            kind = a.get("type", "text").lower()
            if kind == "submit":
                self.form.submits.append((name, a.get("value", "")))
                return
            entry = self.form.inputs.setdefault(name, Input(name, kind, attrs=a))
            if kind in ("radio", "checkbox"):
                entry.options.append(a.get("value", "on"))
                entry.multiple = kind == "checkbox" and len(entry.options) > 1
        elif tag == "textarea" and name:
            self.form.inputs[name] = Input(name, "textarea", attrs=a)
        elif tag == "select" and name:
            self.select = Input(name, "select", multiple="multiple" in a, attrs=a)
            self.form.inputs[name] = self.select
        elif tag == "option" and self.select is not None:
            self.select.options.append(a.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self.form is not None:
            if not self.form.action.startswith(SKIPPED_ACTIONS):
                self.forms.append(self.form)
            self.form = None
        elif tag == "select":
            self.select = None


def post_forms(html: str, page_url: str) -> list[PostForm]:
    """Return the page's POST forms other than the language switch and the log-out button."""
    parser = _Parser(page_url)
    parser.feed(html)
    return parser.forms


NASTY = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\r\n\t",
    "<script>alert(1)</script>",
    '=HYPERLINK("http://evil.example","x")',
    "'; DROP TABLE trial_participant; --",
    "\u202etxet",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 中文 🙂",
    "9" * 400,
    "x" * 5000,
    "-1e309",
    "NaN",
    "Infinity",
    "1e5",
    "-0",
    "0x1F",
    "2025-02-30",
    "0000-00-00",
    "9999-12-31",
    "31/12/2020",
    "2020-01-01T25:61",
    "None",
    "true",
    "[]",
    "{}",
]
texts = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=60),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=300),
)
numbers = st.one_of(
    st.integers(-(10**12), 10**12).map(str),
    st.integers(-5, 110).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.decimals(allow_nan=False, allow_infinity=False, places=6).map(str),
)
dates = st.one_of(
    st.dates(datetime.date(1, 1, 1), datetime.date(9999, 12, 31)).map(str),
    st.dates(datetime.date(1990, 1, 1), datetime.date(2030, 1, 1)).map(str),
)
uploads = st.one_of(st.binary(max_size=400), st.sampled_from(NASTY).map(str.encode)).map(
    lambda raw: SimpleUploadedFile("list.csv", raw, content_type="text/csv")
)


def _plausible(entry: Input) -> st.SearchStrategy[Any]:
    if entry.options:
        if entry.multiple or entry.kind == "checkbox":
            return st.lists(st.sampled_from(entry.options), max_size=len(entry.options))
        return st.sampled_from(entry.options)
    if entry.kind == "number" or entry.name == "revision":
        return numbers
    if entry.kind in ("date", "datetime-local"):
        return dates
    if entry.kind == "file":
        return uploads
    return texts


def submission(form: PostForm) -> st.SearchStrategy[dict[str, Any]]:
    """Every field: left out, plausible, or hostile of any type; plus unknown extra fields."""
    fields = {
        name: st.one_of(
            st.none(),  # missing
            _plausible(entry),
            texts,
            numbers,
            dates,
            st.lists(texts, max_size=3),
        )
        for name, entry in form.inputs.items()
    }
    button = st.sampled_from(form.submits) if form.submits else st.none()
    extra = st.dictionaries(st.text(min_size=1, max_size=12), texts, max_size=2)
    return st.tuples(st.fixed_dictionaries(fields), button, extra).map(_merge)


def _merge(parts: tuple[dict, tuple[str, str] | None, dict]) -> dict[str, Any]:
    fields, button, extra = parts
    data = {k: v for k, v in extra.items() if k != "csrfmiddlewaretoken"}
    data.update({k: v for k, v in fields.items() if v is not None})
    if button is not None:
        data[button[0]] = button[1]
    return data
