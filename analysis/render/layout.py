"""Page and column layout shared by the DOCX and PDF reports (pure arithmetic, no I/O).

Widths are in points and measured with the Times metrics the documents print in, so a
column is never narrower than its longest word: no word is broken inside a cell.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from reportlab.pdfbase.pdfmetrics import stringWidth

MM = 72 / 25.4
A4 = (210 * MM, 297 * MM)
MARGIN = 20 * MM
TABLE_FONT_SIZE = 9.0
BODY_FONT_SIZE = 10.5
CELL_PADDING = 4.0  # left + right, points, each side
INDENT = 10.0  # points per category level


def is_wide_char(ch: str) -> bool:
    """True for CJK and other full-width characters (one em wide, breakable anywhere)."""
    return unicodedata.east_asian_width(ch) in ("W", "F")


def text_width(text: str, size: float = TABLE_FONT_SIZE, *, bold: bool = False) -> float:
    """Return the printed width of ``text``: Times metrics, full-width characters one em."""
    font = "Times-Bold" if bold else "Times-Roman"
    width = 0.0
    for ch in text:
        if is_wide_char(ch):
            width += size
        else:
            width += stringWidth(ch, font, size) or size * 0.5
    return width


_TOKEN = re.compile(r"[^ \t\r\n]+")  # a no-break space joins the words around it


def longest_token(text: str, size: float = TABLE_FONT_SIZE, *, bold: bool = False) -> float:
    """Width of the longest piece of ``text`` between spaces: it is never broken.

    A run of Chinese characters without spaces counts as one piece too, so a label stays on
    one line in the PDF (which breaks lines at spaces only) as in Word.
    """
    return max((text_width(t, size, bold=bold) for t in _TOKEN.findall(text)), default=0.0)


@dataclass(frozen=True, slots=True)
class TableLayout:
    """Where a table goes: the page orientation and each column's width in points."""

    landscape: bool
    widths: tuple[float, ...]
    font_size: float


def available_width(landscape: bool) -> float:
    """Text width of an A4 page with the report's margins."""
    return (A4[1] if landscape else A4[0]) - 2 * MARGIN


def fit_columns(
    header: list[list[str]],
    rows: list[tuple[list[str], int]],
    *,
    font_size: float = TABLE_FONT_SIZE,
) -> TableLayout:
    """Return the orientation and column widths that fit every cell without breaking a word.

    ``header`` is one or two header rows of texts (empty texts under spanning cells);
    ``rows`` are (cells, indent level). Every column but the first (the row labels) keeps
    each cell on one line; the label column gets at least its longest word, and the spare
    width is shared in proportion to what each column still lacks. A table that does not
    fit portrait goes landscape; only then may other columns wrap (never inside a word),
    and the font shrinks (to 7 pt at least) only if even landscape is too narrow.
    """
    ncols = len(header[0])
    pad = 2 * CELL_PADDING
    for size in (font_size, font_size - 1, font_size - 2):
        low = [0.0] * ncols
        high = [0.0] * ncols
        for line in header:
            for j, text in enumerate(line):
                low[j] = max(low[j], longest_token(text, size, bold=True) + pad)
                high[j] = max(high[j], text_width(text, size, bold=True) + pad)
        for cells, level in rows:
            for j, text in enumerate(cells):
                extra = INDENT * level if j == 0 else 0.0
                low[j] = max(low[j], longest_token(text, size) + pad + extra)
                high[j] = max(high[j], text_width(text, size) + pad + extra)
        for landscape in (False, True):
            width = available_width(landscape)
            # numbers and short headers on one line; only the label column may wrap
            one_line = [low[0], *high[1:]]
            if sum(one_line) <= width:
                return TableLayout(landscape, tuple(_share(one_line, high, width)), size)
        if sum(low) <= width:
            return TableLayout(True, tuple(_share(low, high, width)), size)
    return TableLayout(True, tuple(w * width / sum(low) for w in low), size)


def _share(low: list[float], high: list[float], width: float) -> list[float]:
    if sum(high) <= width:
        # everything fits on one line: widen the columns in proportion to their text
        spare = width - sum(high)
        return [h + spare * h / sum(high) for h in high]
    lack = [h - lo for lo, h in zip(low, high, strict=True)]
    spare = width - sum(low)
    return [lo + spare * d / sum(lack) for lo, d in zip(low, lack, strict=True)]
