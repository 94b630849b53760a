"""Spreadsheet (CSV/XLSX) formula injection: one rule for every export of the product.

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, in some
programs, a tab or carriage return) as a formula, so user text like ``=HYPERLINK(...)`` or
``-1+1`` in an export could run when a monitor opens it. Such text is prefixed with an
apostrophe, which spreadsheets show as text (OWASP "CSV injection").

Only text is touched: real numbers (``int``, ``float``, ``Decimal``), dates and ``None``
pass through, and so does text that is just a number (``-3.5``, ``+1``), which no
spreadsheet runs as anything but that number. Pure Python, no Django: every exporter
(trial views, analysis writers) may import it.
"""

from __future__ import annotations

import re
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def spreadsheet_safe(value: Any) -> Any:
    """Return ``value`` with a leading apostrophe if a spreadsheet would run it as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def is_formula(value: Any) -> bool:
    """Return whether an XLSX writer would store this text as a formula (it starts with ``=``).

    In XLSX only that is a risk: text cells are never evaluated, so the text is kept exactly
    and only stored as text (``analysis.render.xlsx.text_cell``).
    """
    return isinstance(value, str) and value.startswith("=")


def spreadsheet_text(value: Any) -> str:
    """Return ``value`` as CSV text, neutralised (``None`` is the empty string)."""
    return spreadsheet_safe("" if value is None else str(value))
