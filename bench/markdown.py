"""Write generated Markdown into ``docs/benchmarks.md`` without touching hand-written text.

A generated section sits between ``<!-- bench:NAME:begin -->`` and
``<!-- bench:NAME:end -->``; rewriting it replaces only what is between the two markers.
A section not in the file yet is appended at its end.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def markers(name: str) -> tuple[str, str]:
    return f"<!-- bench:{name}:begin -->", f"<!-- bench:{name}:end -->"


def replace_section(text: str, name: str, body: str) -> str:
    """Return ``text`` with section ``name`` holding ``body`` (appended if absent).

    Raises ``ValueError`` if the markers are unbalanced or out of order, rather than
    guessing and losing hand-written text.
    """
    begin, end = markers(name)
    first, last = text.find(begin), text.find(end)
    if text.count(begin) > 1 or text.count(end) > 1:
        raise ValueError(f"section {name!r} is marked more than once")
    block = f"{begin}\n{body.strip()}\n{end}"
    if first == -1 and last == -1:
        return f"{text.rstrip()}\n\n{block}\n" if text.strip() else f"{block}\n"
    if first == -1 or last == -1 or last < first:
        raise ValueError(f"the markers of section {name!r} are unbalanced")
    return text[:first] + block + text[last + len(end) :]


def number(value: Any, digits: int = 0) -> str:
    """Format a figure for a table: thousands separators, ``—`` for nothing."""
    if value is None or value == "":
        return "—"
    if isinstance(value, int | float):
        return f"{value:,.{digits}f}"
    return str(value)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], align: str = "") -> str:
    """A Markdown table; ``align`` is one letter per column, ``l`` or ``r`` (default r)."""
    align = align or "l" + "r" * (len(headers) - 1)
    rule = ["---" if a == "l" else "---:" for a in align]
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(rule) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)
