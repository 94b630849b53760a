"""The report as a PDF (reportlab): the same pages as the DOCX, laid out by reportlab.

A4 pages (landscape pages for wide tables), three-line tables whose header rows repeat on
every page a table continues on, columns fitted to their words (analysis.render.layout),
numbered captions, footnotes, and the CONSORT and VAS figures as 300 dpi images. Fonts are
embedded: Liberation Serif (Times metrics) for Latin text and a TrueType CJK font for
Chinese; reportlab's built-in Times and STSong are the fallback when they are missing.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    BaseDocTemplate,
    Frame,
    Image,
    KeepTogether,
    LongTable,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    TableStyle,
)

from analysis.render import layout
from analysis.render.docx import (
    CAPTION_NUMBER,
    CONSORT_TITLE,
    FIGURE,
    INPUT_HEADER,
    INPUTS,
    TITLE,
    body_language,
    fitted_table,
)
from analysis.render.figures import consort_png, figure_png
from analysis.render.text import caption_lines, cell_text, inputs_rows, note_lines

FONT_DIRS = (Path("/usr/share/fonts/truetype"), Path("/usr/share/fonts/opentype"))
LATIN_FILES = {"Serif": "LiberationSerif-Regular.ttf", "Serif-Bold": "LiberationSerif-Bold.ttf"}
CJK_FILES = ("DroidSansFallbackFull.ttf", "DroidSansFallback.ttf", "wqy-zenhei.ttc",
             "uming.ttc")  # fmt: skip


def _find(name: str) -> Path | None:
    for root in FONT_DIRS:
        if root.is_dir():
            for path in root.rglob(name):
                return path
    return None


@lru_cache(maxsize=1)
def fonts() -> dict[str, object]:
    """Register the fonts once; return names and the Latin font's characters."""
    names: dict[str, object] = {"regular": "Times-Roman", "bold": "Times-Bold", "chars": None}
    regular, bold = _find(LATIN_FILES["Serif"]), _find(LATIN_FILES["Serif-Bold"])
    if regular and bold:
        pdfmetrics.registerFont(TTFont("ReportSerif", str(regular)))
        pdfmetrics.registerFont(TTFont("ReportSerif-Bold", str(bold)))
        face = pdfmetrics.getFont("ReportSerif").face
        names.update(regular="ReportSerif", bold="ReportSerif-Bold",
                     chars=frozenset(face.charToGlyph))  # fmt: skip
    for file in CJK_FILES:
        path = _find(file)
        if path is not None:
            pdfmetrics.registerFont(TTFont("ReportCJK", str(path)))
            names["cjk"] = "ReportCJK"
            break
    else:
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
        names["cjk"] = "STSong-Light"
    return names


def markup(text: str) -> str:
    """Escape ``text`` for a Paragraph; characters the Latin font lacks use the CJK font."""
    f = fonts()
    chars = f["chars"]
    out, run, run_cjk = [], [], False

    def flush() -> None:
        if run:
            piece = escape("".join(run))
            out.append(f'<font name="{f["cjk"]}">{piece}</font>' if run_cjk else piece)
            run.clear()

    for ch in text:
        cjk = ord(ch) > 0x7F and (ord(ch) not in chars if chars is not None else ord(ch) > 0xFF)
        cjk = cjk and not ch.isspace()
        if cjk != run_cjk:
            flush()
            run_cjk = cjk
        run.append(ch)
    flush()
    return "".join(out)


def _styles(size: float) -> dict[str, ParagraphStyle]:
    f = fonts()
    base = {"fontName": f["regular"], "splitLongWords": 0}
    return {
        "cell": ParagraphStyle(
            "cell", fontSize=size, leading=size * 1.2, alignment=TA_CENTER, **base
        ),  # fmt: skip
        "first": ParagraphStyle(
            "first", fontSize=size, leading=size * 1.2, alignment=TA_LEFT, **base
        ),  # fmt: skip
        "head": ParagraphStyle(
            "head",
            fontSize=size,
            leading=size * 1.2,
            alignment=TA_CENTER,
            fontName=f["bold"],
            splitLongWords=0,
        ),  # fmt: skip
        "head_first": ParagraphStyle(
            "head_first",
            fontSize=size,
            leading=size * 1.2,
            alignment=TA_LEFT,
            fontName=f["bold"],
            splitLongWords=0,
        ),
        "caption": ParagraphStyle(
            "caption",
            fontSize=layout.BODY_FONT_SIZE,
            leading=13,
            spaceBefore=10,
            spaceAfter=4,
            keepWithNext=1,
            **base,
        ),
        "title": ParagraphStyle(
            "title", fontSize=14, leading=18, alignment=TA_CENTER, spaceAfter=10, fontName=f["bold"]
        ),  # fmt: skip
        "note": ParagraphStyle("note", fontSize=8, leading=10, spaceBefore=1, **base),
    }


def _caption(text: str, style: ParagraphStyle) -> Paragraph:
    match = CAPTION_NUMBER.match(text)
    if not match:
        return Paragraph(markup(text), style)
    bold = fonts()["bold"]
    return Paragraph(f'<font name="{bold}">{markup(match.group(1))}</font>'
                     f"{markup(match.group(2))}", style)  # fmt: skip


def _table(header, rows, spans, fitted: layout.TableLayout) -> LongTable:
    st = _styles(fitted.font_size)
    data = [[Paragraph(markup(t), st["head_first" if j == 0 else "head"])
             for j, t in enumerate(line)] for line in header]  # fmt: skip
    for cells, level in rows:
        first = ParagraphStyle("lvl", parent=st["first"], leftIndent=layout.INDENT * level)
        data.append([Paragraph(markup(t), first if j == 0 else st["cell"])
                     for j, t in enumerate(cells)])  # fmt: skip
    nh = len(header)
    commands = [
        ("LINEABOVE", (0, 0), (-1, 0), 1.0, "black"),
        ("LINEBELOW", (0, nh - 1), (-1, nh - 1), 0.5, "black"),
        ("LINEBELOW", (0, -1), (-1, -1), 1.0, "black"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), layout.CELL_PADDING),
        ("RIGHTPADDING", (0, 0), (-1, -1), layout.CELL_PADDING),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
    ]
    if nh == 2:
        grouped = {j for a, b in spans for j in range(a, b + 1)}
        commands += [("SPAN", (j, 0), (j, 1)) for j in range(len(header[0])) if j not in grouped]
        for a, b in spans:
            commands += [("SPAN", (a, 0), (b, 0)), ("LINEBELOW", (a, 0), (b, 0), 0.5, "black")]
    table = LongTable(data, colWidths=list(fitted.widths), repeatRows=nh, hAlign="CENTER")
    table.setStyle(TableStyle(commands))
    return table


def _footer(canvas, doc) -> None:
    canvas.saveState()
    canvas.setFont(fonts()["regular"], 8)
    width = canvas._pagesize[0]
    canvas.drawCentredString(width / 2, layout.MARGIN / 2, str(doc.page))
    canvas.restoreState()


def _template(name: str, size: tuple[float, float]) -> PageTemplate:
    m = layout.MARGIN
    frame = Frame(m, m, size[0] - 2 * m, size[1] - 2 * m, id=name, leftPadding=0,
                  rightPadding=0, topPadding=0, bottomPadding=0)  # fmt: skip
    return PageTemplate(id=name, frames=[frame], pagesize=size, onPage=_footer)


def _image(png: bytes, width_mm: float) -> Image:
    reader = ImageReader(io.BytesIO(png))
    w, h = reader.getSize()
    width = width_mm * layout.MM
    return Image(io.BytesIO(png), width=width, height=width * h / w)


def render_pdf(result: dict, meta: dict) -> bytes:
    """Return the PDF bytes of a report result (``meta``: run id, inputs, language)."""
    language = meta.get("language", "en")
    body = body_language(language)
    st = _styles(layout.TABLE_FONT_SIZE)
    story: list = [Paragraph(markup(f"{cell_text(TITLE, body)} #{meta['run_id']}"), st["title"])]
    fitted_tables = [(table, *fitted_table(table, language)) for table in result["tables"]]
    current = "landscape" if fitted_tables and fitted_tables[0][4].landscape else "portrait"
    for number, (table, header, rows, spans, fitted) in enumerate(fitted_tables, start=1):
        wanted = "landscape" if fitted.landscape else "portrait"
        if wanted != current:
            story += [NextPageTemplate(wanted), PageBreak()]
            current = wanted
        story += [_caption(line, st["caption"]) for line in caption_lines(table, language, number)]
        story.append(_table(header, rows, spans, fitted))
        prefix = "注：" if body == "zh" else "Note: "
        notes = note_lines(table, body)
        story += [Paragraph(markup(n if i or n[:1] in "*#†" else prefix + n), st["note"])
                  for i, n in enumerate(notes)]  # fmt: skip
    story_starts_portrait = not (fitted_tables and fitted_tables[0][4].landscape)
    if current != "portrait":
        story += [NextPageTemplate("portrait"), PageBreak()]
    figures = [(CONSORT_TITLE, consort_png(result["consort"], body), 150)]
    figures += [(f["title"], figure_png(f, body), 160) for f in result.get("figures", [])]
    for n, (title, png, width_mm) in enumerate(figures, start=1):
        captions = [FIGURE[body].format(n=n, title=cell_text(title, body))]
        if language == "zh_en":
            captions.append(FIGURE["en"].format(n=n, title=cell_text(title, "en")))
        story.append(KeepTogether([Spacer(1, 6), _image(png, width_mm),
                                   *[_caption(c, st["caption"]) for c in captions]]))  # fmt: skip
    story.append(_caption(cell_text(INPUTS, body), st["caption"]))
    inputs = [([k, v], 0) for k, v in inputs_rows(meta)]
    head = [[cell_text(INPUT_HEADER[0], body), cell_text(INPUT_HEADER[1], body)]]
    fitted = layout.fit_columns(head, inputs, font_size=8)
    story.append(_table(head, inputs, [], fitted))
    buffer = io.BytesIO()
    doc = BaseDocTemplate(buffer, pagesize=A4, title=cell_text(TITLE, body),
                          author="EDC report", leftMargin=layout.MARGIN,
                          rightMargin=layout.MARGIN, topMargin=layout.MARGIN,
                          bottomMargin=layout.MARGIN)  # fmt: skip
    templates = [_template("portrait", A4), _template("landscape", landscape(A4))]
    first = templates[0] if story_starts_portrait else templates[1]
    doc.addPageTemplates([first, *[t for t in templates if t is not first]])
    doc.build(story)
    return buffer.getvalue()
