"""The report as a manuscript-ready Word document (python-docx).

A4 pages, landscape sections for wide tables, three-line tables (top rule, rule under the
header, bottom rule; a short rule under each spanning header), columns fitted to their
words (analysis.render.layout), header rows repeated on every page, numbered captions and
footnotes as journals print them, the CONSORT flow and the VAS figure as 300 dpi images.
"""

from __future__ import annotations

import io
import re

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt

from analysis.render import layout
from analysis.render.figures import consort_png, figure_png
from analysis.render.text import (
    body_rows,
    caption_lines,
    cell_text,
    header_cells,
    header_spans,
    inputs_rows,
    note_lines,
)

TITLE = {"en": "Statistical report", "zh": "统计分析报告"}
INPUTS = {"en": "Inputs (for reproduction)", "zh": "输入（用于重现）"}
INPUT_HEADER = ({"en": "Input", "zh": "输入项"}, {"en": "Value", "zh": "值"})
CONSORT_TITLE = {"en": "CONSORT 2010 flow diagram", "zh": "CONSORT 2010 流程图"}
FIGURE = {"en": "Figure {n}. {title}", "zh": "图 {n} {title}"}
RULE_HEAVY, RULE_LIGHT = 12, 6  # eighths of a point: 1.5 pt and 0.75 pt
LATIN_FONT, CJK_FONT = "Times New Roman", "SimSun"


def body_language(language: str) -> str:
    """The language of the body text (``zh_en``: Chinese body, bilingual captions)."""
    return "zh" if language.startswith("zh") else "en"


def _fonts(run_or_style, size: float | None = None, *, bold: bool | None = None) -> None:
    font = run_or_style.font
    font.name = LATIN_FONT
    if size is not None:
        font.size = Pt(size)
    if bold is not None:
        font.bold = bold
    element = run_or_style.element
    rpr = element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attr), LATIN_FONT)
    fonts.set(qn("w:eastAsia"), CJK_FONT)


def _setup(doc: Document) -> None:
    normal = doc.styles["Normal"]
    _fonts(normal, layout.BODY_FONT_SIZE)
    normal.paragraph_format.space_after = Pt(4)
    section = doc.sections[0]
    _page(section, landscape=False)


def _page(section, *, landscape: bool) -> None:
    width, height = (layout.A4[1], layout.A4[0]) if landscape else layout.A4
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Pt(width), Pt(height)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Pt(layout.MARGIN))


def _paragraph(doc: Document, text: str, size: float, *, bold: bool = False, align=None,
               space_before: float = 0, space_after: float = 2):  # fmt: skip
    paragraph = doc.add_paragraph()
    _fonts(paragraph.add_run(text), size, bold=bold)
    paragraph.paragraph_format.space_before = Pt(space_before)
    paragraph.paragraph_format.space_after = Pt(space_after)
    paragraph.paragraph_format.keep_with_next = True
    if align is not None:
        paragraph.alignment = align
    return paragraph


CAPTION_NUMBER = re.compile(r"^(Table \d+\.|Figure \d+\.|表 ?\d+|图 ?\d+)(.*)$", re.S)


def _caption(doc: Document, text: str) -> None:
    """A caption with its number in bold ("Table 1." / "表 1") and the title in roman."""
    paragraph = doc.add_paragraph()
    paragraph.paragraph_format.space_before = Pt(10)
    paragraph.paragraph_format.space_after = Pt(3)
    paragraph.paragraph_format.keep_with_next = True
    match = CAPTION_NUMBER.match(text)
    number, rest = (match.group(1), match.group(2)) if match else ("", text)
    if number:
        _fonts(paragraph.add_run(number), layout.BODY_FONT_SIZE, bold=True)
    _fonts(paragraph.add_run(rest), layout.BODY_FONT_SIZE)


def _border(cell, edge: str, size: int) -> None:
    tc_pr = cell._tc.get_or_add_tcPr()
    borders = tc_pr.find(qn("w:tcBorders"))
    if borders is None:
        borders = OxmlElement("w:tcBorders")
        tc_pr.append(borders)
    rule = OxmlElement(f"w:{edge}")
    rule.set(qn("w:val"), "single")
    rule.set(qn("w:sz"), str(size))
    rule.set(qn("w:space"), "0")
    rule.set(qn("w:color"), "000000")
    borders.append(rule)


def _table_properties(table, widths: tuple[float, ...]) -> None:
    tbl_pr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        rule = OxmlElement(f"w:{edge}")
        heavy = edge in ("top", "bottom")
        rule.set(qn("w:val"), "single" if heavy else "nil")
        if heavy:
            rule.set(qn("w:sz"), str(RULE_HEAVY))
            rule.set(qn("w:space"), "0")
            rule.set(qn("w:color"), "000000")
        borders.append(rule)
    tbl_pr.append(borders)
    fixed = OxmlElement("w:tblLayout")
    fixed.set(qn("w:type"), "fixed")
    tbl_pr.append(fixed)
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        mar = OxmlElement(f"w:{side}")
        mar.set(qn("w:w"), str(int(layout.CELL_PADDING * 20)))
        mar.set(qn("w:type"), "dxa")
        margins.append(mar)
    tbl_pr.append(margins)
    table.autofit = False
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    grid = table._tbl.tblGrid
    for col, width in zip(grid.findall(qn("w:gridCol")), widths, strict=True):
        col.set(qn("w:w"), str(int(width * 20)))
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = Pt(width)


def _row_flags(row, *, header: bool) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    no_split = OxmlElement("w:cantSplit")
    tr_pr.append(no_split)
    if header:
        repeat = OxmlElement("w:tblHeader")
        tr_pr.append(repeat)


def _fill(cell, text: str, size: float, *, bold: bool = False, first: bool = False,
          level: int = 0) -> None:  # fmt: skip
    paragraph = cell.paragraphs[0]
    paragraph.paragraph_format.space_after = Pt(0)
    paragraph.paragraph_format.space_before = Pt(1)
    paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT if first else WD_ALIGN_PARAGRAPH.CENTER
    if level:
        paragraph.paragraph_format.left_indent = Pt(layout.INDENT * level)
    _fonts(paragraph.add_run(text), size, bold=bold)


def add_table(doc: Document, header: list[list[str]], rows: list[tuple[list[str], int]],
              spans: list[tuple[int, int]], fitted: layout.TableLayout) -> None:  # fmt: skip
    """Add a three-line table with repeated header rows and fitted column widths."""
    size = fitted.font_size
    table = doc.add_table(rows=len(header) + len(rows), cols=len(header[0]))
    _table_properties(table, fitted.widths)
    for i, line in enumerate(header):
        _row_flags(table.rows[i], header=True)
        for j, text in enumerate(line):
            _fill(table.cell(i, j), text, size, bold=True, first=j == 0)
    if len(header) == 2:
        grouped = {j for first, last in spans for j in range(first, last + 1)}
        for j in range(len(header[0])):
            if j not in grouped:  # one-level column: one cell over both header rows
                top, below = table.cell(0, j), table.cell(1, j)
                below.paragraphs[0].clear()
                top.merge(below)
        for first, last in spans:
            merged = table.cell(0, first).merge(table.cell(0, last))
            for paragraph in merged.paragraphs[1:]:
                paragraph._p.getparent().remove(paragraph._p)
            _border(merged, "bottom", RULE_LIGHT)
    for j in range(len(header[0])):
        _border(table.cell(len(header) - 1, j), "bottom", RULE_LIGHT)
    for i, (cells, level) in enumerate(rows, start=len(header)):
        _row_flags(table.rows[i], header=False)
        for j, text in enumerate(cells):
            _fill(table.cell(i, j), text, size, first=j == 0, level=level if j == 0 else 0)


def _notes(doc: Document, notes: list[str], language: str) -> None:
    prefix = "注：" if body_language(language) == "zh" else "Note: "
    for i, note in enumerate(notes):
        text = note if i or note[:1] in "*#†ᵃ" else prefix + note
        paragraph = _paragraph(doc, text, 8, space_after=0)
        paragraph.paragraph_format.keep_with_next = False


class _Sections:
    """Switch page orientation only when a table needs the other one."""

    def __init__(self, doc: Document) -> None:
        self.doc, self.landscape = doc, False

    def use(self, landscape: bool) -> None:
        if landscape != self.landscape:
            _page(self.doc.add_section(WD_SECTION.NEW_PAGE), landscape=landscape)
            self.landscape = landscape


def fitted_table(table: dict, language: str) -> tuple[list, list, list, layout.TableLayout]:
    """Return (header rows, body rows, spans, layout) of a result table in ``language``."""
    body = body_language(language)
    top, sub = header_cells(table, body)
    header = [top] if sub is None else [top, sub]
    spans = header_spans(table, body)
    rows = body_rows(table, body)
    fit_header = [[("" if any(a <= j <= b for a, b in spans) else t) for j, t in enumerate(top)]]
    if sub is not None:
        fit_header.append(sub)
    return header, rows, spans, layout.fit_columns(fit_header, rows)


def render_docx(result: dict, meta: dict) -> bytes:
    """Return the DOCX bytes of a report result (``meta``: run id, inputs, language)."""
    language = meta.get("language", "en")
    body = body_language(language)
    doc = Document()
    _setup(doc)
    _paragraph(doc, f"{cell_text(TITLE, body)} #{meta['run_id']}", 14, bold=True,
               align=WD_ALIGN_PARAGRAPH.CENTER, space_after=8)  # fmt: skip
    fitted_tables = [(table, *fitted_table(table, language)) for table in result["tables"]]
    sections = _Sections(doc)
    if fitted_tables and fitted_tables[0][4].landscape:
        _page(doc.sections[0], landscape=True)
        sections.landscape = True
    for number, (table, header, rows, spans, fitted) in enumerate(fitted_tables, start=1):
        sections.use(fitted.landscape)
        for line in caption_lines(table, language, number):
            _caption(doc, line)
        add_table(doc, header, rows, spans, fitted)
        _notes(doc, note_lines(table, body), language)
    sections.use(False)
    figures = [(CONSORT_TITLE, consort_png(result["consort"], body), 150)]
    figures += [(f["title"], figure_png(f, body), 160) for f in result.get("figures", [])]
    for n, (title, png, width_mm) in enumerate(figures, start=1):
        picture = doc.add_paragraph()
        picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
        picture.paragraph_format.keep_with_next = True
        picture.add_run().add_picture(io.BytesIO(png), width=Pt(width_mm * layout.MM))
        captions = [cell_text(title, body)]
        if language == "zh_en":
            captions.append(cell_text(title, "en"))
        for k, text in enumerate(captions):
            template = FIGURE["en" if k else body]
            _caption(doc, template.format(n=n, title=text))
    _caption(doc, cell_text(INPUTS, body))
    inputs = [([k, v], 0) for k, v in inputs_rows(meta)]
    head = [[cell_text(INPUT_HEADER[0], body), cell_text(INPUT_HEADER[1], body)]]
    fitted = layout.fit_columns(head, inputs, font_size=8)
    add_table(doc, head, inputs, [], fitted)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
