"""The report files as a reader gets them: the PDF rendered to pages, the DOCX's layout,
the XLSX's cell types, the figures' geometry, the methods' names (issue 18)."""

from __future__ import annotations

import dataclasses
import io
import re

import numpy as np
import openpyxl
import pypdfium2 as pdfium
import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Mm

from analysis.render import layout
from analysis.render.docx import render_docx
from analysis.render.figures import consort_png, vas_figure
from analysis.render.pdf import render_pdf
from analysis.render.text import cell_text, note_lines
from analysis.render.xlsx import render_xlsx
from analysis.tables import TableContext, build_table
from tests.unit.analysis.report_result import PLAN, meta, report_frames, report_result

A4_PT = (595.28, 841.89)


def pdf_pages(data: bytes) -> list[tuple[tuple[float, float], str]]:
    """Return (page size in points, page text) of every page, as a PDF reader sees them."""
    pdf = pdfium.PdfDocument(data)
    pages = []
    for page in pdf:
        text = page.get_textpage().get_text_range().replace("\xa0", " ")
        pages.append((tuple(page.get_size()), text))
    return pages


def words(text: str) -> list[str]:
    return [w for w in re.split(r"[ \u00a0]+", text) if len(w) > 1]


def cell_texts(table: dict, language: str = "en") -> list[str]:
    texts = [cell_text(c.get("group", c["label"]), language) for c in table["columns"]]
    texts += [cell_text(c["sub"], language) for c in table["columns"] if "sub" in c]
    for row in table["rows"]:
        texts += [cell_text(row["cells"].get(c["key"], ""), language) for c in table["columns"]]
    return texts


# --- PDF -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pdf_en() -> tuple[dict, bytes]:
    result = report_result()
    return result, render_pdf(result, meta("en"))


def test_pdf_pages_are_a4_and_wide_tables_get_landscape_pages(pdf_en) -> None:
    _, data = pdf_en
    pages = pdf_pages(data)
    for (width, height), _ in pages:
        assert sorted((round(width, 1), round(height, 1))) == [595.3, 841.9]
    # Table 1 has eight columns: it is on a landscape page; Table 2 on a portrait one
    table1 = next(size for size, text in pages if "Table 1." in text)
    table2 = next(size for size, text in pages if "Table 2." in text)
    assert table1[0] > table1[1]
    assert table2[0] < table2[1]


def test_pdf_breaks_no_word_inside_a_cell(pdf_en) -> None:
    result, data = pdf_en
    text = "\n".join(t for _, t in pdf_pages(data))
    lines = set(text.split("\r\n"))
    assert "Hypertension, n (%)" in "\n".join(lines)  # the label of the issue, whole
    for table in result["tables"]:
        for cell in cell_texts(table):
            for word in words(cell):
                assert word in text, f"{word!r} of {table['key']} is broken in the PDF"


def test_pdf_repeats_the_header_row_on_a_continued_page() -> None:
    result = report_result()
    table4 = result["tables"][3]
    table4["rows"] = table4["rows"] * 40  # 160 rows: three pages or more
    data = render_pdf({**result, "tables": [table4]}, meta("en"))
    header = "Complications S group (n = 38) P group (n = 39) P Test P (paper mode) Effect (95% CI)"
    with_rows = [t for _, t in pdf_pages(data) if "Recurrent pain" in t]
    assert len(with_rows) >= 3
    assert all(t.count(header) == 1 for t in with_rows)


def rules(image: np.ndarray, *, landscape: bool) -> int:
    """Count the horizontal rules: unbroken dark runs over 75 % of the page's text width.

    A rule under a spanning header (Table 3's arms) covers its arm's columns only.
    """
    dark = image < 200  # a 0.5 pt rule is one grey pixel wide at this scale
    page_width = A4_PT[1] if landscape else A4_PT[0]
    text_width = layout.available_width(landscape) / page_width * image.shape[1]
    padded = np.pad(dark, ((0, 0), (1, 1))).astype(np.int8)
    longest = []
    for row in padded:
        edges = np.flatnonzero(np.diff(row))
        runs = edges[1::2] - edges[::2]
        longest.append(runs.max() if runs.size else 0)
    full = np.array(longest) > 0.75 * text_width
    return int(np.sum(full[1:] & ~full[:-1]) + full[0])


def test_pdf_tables_have_three_rules_only() -> None:
    result = report_result()
    for index in (1, 2):  # Table 2 (one header row), Table 3 (two-level header)
        data = render_pdf({**result, "tables": [result["tables"][index]]}, meta("en"))
        page = pdfium.PdfDocument(data)[0]
        image = np.asarray(page.render(scale=2).to_pil().convert("L"))
        # the table ends where its footnote starts (the CONSORT diagram may follow)
        textpage = page.get_textpage()
        table = result["tables"][index]
        first_note = note_lines(table, "en")[0][:12]
        found = textpage.search(first_note).get_next()
        assert found is not None
        top = textpage.get_charbox(found[0])[3]
        image = image[: int((page.get_size()[1] - top) * 2)]
        width, height = page.get_size()
        assert rules(image, landscape=width > height) == 3, table["key"]


def test_pdf_in_chinese_has_chinese_body_and_bilingual_captions() -> None:
    data = render_pdf(report_result(), meta("zh_en"))
    text = "\n".join(t for _, t in pdf_pages(data))
    assert "表 1 两组病人一般资料" in text
    assert "Table 1. General data of patients in the two groups" in text
    assert "特征" in text
    assert "Characteristics" not in text
    assert "图 1 CONSORT 2010 流程图" in text


# --- DOCX ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def docx_en():
    result = report_result()
    return result, Document(io.BytesIO(render_docx(result, meta("en"))))


def test_docx_is_a4_with_landscape_sections_for_wide_tables(docx_en) -> None:
    _, doc = docx_en
    sizes = {(round(s.page_width.mm), round(s.page_height.mm)) for s in doc.sections}
    assert sizes == {(297, 210), (210, 297)}
    assert all(s.left_margin == Mm(20) or abs(s.left_margin.mm - 20) < 0.1 for s in doc.sections)


def test_docx_tables_are_three_line_with_repeated_header_rows(docx_en) -> None:
    result, doc = docx_en
    for table, data in zip(doc.tables, result["tables"], strict=False):
        borders = table._tbl.tblPr.find(qn("w:tblBorders"))
        kinds = {b.tag.split("}")[1]: b.get(qn("w:val")) for b in borders}
        assert kinds == {"top": "single", "bottom": "single", "left": "nil", "right": "nil",
                         "insideH": "nil", "insideV": "nil"}  # fmt: skip
        depth = 2 if any("group" in c for c in data["columns"]) else 1
        repeated = [r._tr.trPr is not None and r._tr.trPr.find(qn("w:tblHeader")) is not None
                    for r in table.rows]  # fmt: skip
        assert repeated == [True] * depth + [False] * (len(table.rows) - depth)


def test_docx_columns_are_at_least_as_wide_as_their_longest_word(docx_en) -> None:
    result, doc = docx_en
    for table, data in zip(doc.tables, result["tables"], strict=False):
        widths = [int(c.get(qn("w:w"))) / 20 for c in table._tbl.tblGrid.findall(qn("w:gridCol"))]
        size = float(table.rows[-1].cells[0].paragraphs[0].runs[0].font.size.pt)
        for row in data["rows"]:
            for j, col in enumerate(data["columns"]):
                text = cell_text(row["cells"].get(col["key"], ""), "en")
                need = layout.longest_token(text, size) + 2 * layout.CELL_PADDING
                assert widths[j] >= need - 0.5, (data["key"], text)


def test_docx_has_numbered_captions_no_headings_and_no_stray_lines(docx_en) -> None:
    _, doc = docx_en
    texts = [p.text for p in doc.paragraphs]
    assert not [
        p.style.name for p in doc.paragraphs if p.style.name.startswith(("Heading", "Title"))
    ]
    captions = [t for t in texts if t.startswith("Table ")]
    assert [c.split(".")[0] for c in captions] == [f"Table {i}" for i in range(1, 7)]
    assert captions[5] == "Table 6. Primary outcome and adjusted analyses (beyond the paper)"
    first = next(p for p in doc.paragraphs if p.text.startswith("Table 1."))
    assert first.runs[0].text == "Table 1."
    assert first.runs[0].bold
    assert "VAS scores" not in texts
    assert "Figure 1. CONSORT 2010 flow diagram" in texts


def test_docx_figures_are_high_resolution_images(docx_en) -> None:
    _, doc = docx_en
    from PIL import Image

    shapes = doc.inline_shapes
    assert len(shapes) == 2  # CONSORT and VAS
    for shape in shapes:
        blip = shape._inline.graphic.graphicData.pic.blipFill.blip
        image = Image.open(io.BytesIO(doc.part.related_parts[blip.embed].blob))
        dpi = image.size[0] / (shape.width.inches)
        assert dpi >= 290


# --- Figures ---------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "zh"])
def test_vas_figure_x_labels_do_not_overlap(language) -> None:
    figure = report_result()["figures"][0]
    fig = vas_figure(figure, language)
    fig.canvas.draw()
    boxes = [t.get_window_extent() for t in fig.axes[0].get_xticklabels() if t.get_text()]
    assert len(boxes) == len(figure["visits"])
    for left, right in zip(boxes, boxes[1:], strict=False):
        assert left.x1 < right.x0


def test_consort_diagram_is_a_300_dpi_image() -> None:
    from PIL import Image

    image = Image.open(io.BytesIO(consort_png(report_result()["consort"], "zh")))
    assert image.info["dpi"][0] == pytest.approx(300, abs=1)
    assert image.size[0] > 1500


# --- XLSX ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def book():
    result = report_result()
    return result, openpyxl.load_workbook(io.BytesIO(render_xlsx(result, meta("en"))))


def test_xlsx_has_one_sheet_per_table_and_a_methods_sheet(book) -> None:
    result, wb = book
    assert [t["key"] for t in result["tables"]] == wb.sheetnames[1:7]
    assert "methods" in wb.sheetnames
    methods = list(wb["methods"].iter_rows(values_only=True))
    assert (
        "Table 4. The incidence of postoperative complications in the two groups",
        "Postoperative residual low back pain",
        "Yates-corrected χ²",
        "yates_chi2",
    ) in methods


def test_xlsx_numbers_are_numbers_with_formats(book) -> None:
    result, wb = book
    ws = wb["table4"]
    header = [c.value for c in ws[2]]
    sub = [c.value for c in ws[3]]
    assert header[1] == "S group (n = 38)"
    assert sub[1:3] == ["n", "%"]
    row = {ws.cell(r, 1).value: [c for c in ws[r]] for r in range(4, ws.max_row + 1)}
    cells = row["Postoperative residual low back pain †"]
    assert (cells[1].value, cells[1].number_format) == (1, "0")
    assert cells[2].value == pytest.approx(100 / 38)
    assert cells[2].number_format == "0.0"
    p = header.index("P")
    source = next(r for r in result["tables"][3]["rows"] if r["cells"]["test"])
    assert isinstance(cells[p].value, float)
    assert cells[p].value == pytest.approx(source["p_value"], rel=1e-12)  # every digit kept
    assert cells[p].number_format == "0.0000"
    assert not any(isinstance(c.value, str) and re.fullmatch(r"[\d.]+", c.value)
                   for r in ws.iter_rows() for c in r)  # fmt: skip


def test_xlsx_table3_header_is_merged_on_two_levels(book) -> None:
    _, wb = book
    ws = wb["table3"]
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert ws["B2"].value == "S group (n = 38)"
    group = next(r for r in merged if r.startswith("B2:"))
    assert ws["B3"].value == "On admission"
    admission = next(r for r in merged if r.startswith("B3:"))
    assert group.split(":")[1] > admission.split(":")[1]  # the arm spans both visits
    assert "A2:A4" in merged  # the label column spans the three header rows
    assert isinstance(ws["D5"].value, int | float)


# --- Methods and tables ----------------------------------------------------------------


def test_every_test_and_method_has_a_readable_name() -> None:
    result = report_result()
    codes = re.compile(r"^[a-z]+(_[a-z0-9]+)*$")
    for table in result["tables"]:
        for row in table["rows"]:
            test = row["cells"].get("test")
            for language in ("en", "zh"):
                text = cell_text(test, language) if test else ""
                assert not codes.fullmatch(text), (table["key"], text)
    adjusted = result["tables"][-1]
    methods = [cell_text(r["cells"]["test"], "en") for r in adjusted["rows"][1:5]]
    assert methods == ["Newcombe hybrid score interval", "Katz log interval",
                       "Woolf logit interval", "1/RD, Newcombe limits (benefit)"]  # fmt: skip


def test_the_other_mode_column_is_explained_or_left_out() -> None:
    tables = {t["key"]: t for t in report_result()["tables"]}
    for key in ("table2", "table3"):  # continuous only: both modes test alike
        assert "p_other" not in [c["key"] for c in tables[key]["columns"]]
    notes = [n["en"] for n in tables["table1"]["notes"]]
    assert any(n.startswith("P (paper mode): ") for n in notes)


def test_the_plan_can_omit_baseline_p_values() -> None:
    wide, _, _ = report_frames()
    paper = build_table(wide, TableContext(PLAN), PLAN.table("table1"))
    assert {"p", "test"} <= {c["key"] for c in paper["columns"]}
    plan = dataclasses.replace(PLAN, baseline_p_values="omit")
    table = build_table(wide, TableContext(plan), plan.table("table1"))
    assert [c["key"] for c in table["columns"]] == ["label", "S", "P"]
    assert all(r.get("p_value") is None for r in table["rows"])
    assert any("CONSORT" in n["en"] for n in table["notes"])


def test_xlsx_keeps_formula_like_text_as_text() -> None:
    result = report_result()
    result["tables"][3]["rows"][0]["cells"]["label"] = {"en": "=1+1", "zh": "=1+1"}
    result["tables"][3]["notes"].append({"en": "=HYPERLINK(1)", "zh": "=HYPERLINK(1)"})
    wb = openpyxl.load_workbook(io.BytesIO(render_xlsx(result, meta("en"))))
    ws = wb["table4"]
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    assert ws["A4"].value == "=1+1 †"


def test_docx_in_the_papers_layout_has_chinese_body_and_bilingual_captions() -> None:
    doc = Document(io.BytesIO(render_docx(report_result(), meta("zh_en"))))
    texts = [p.text for p in doc.paragraphs]
    at = texts.index("表 1 两组病人一般资料")
    assert texts[at + 1] == "Table 1. General data of patients in the two groups"
    assert doc.tables[0].rows[0].cells[0].text == "特征"
    fonts = doc.styles["Normal"].element.rPr.find(qn("w:rFonts"))
    assert fonts.get(qn("w:eastAsia")) == "SimSun"


@pytest.mark.parametrize(
    ("asked", "stored"),
    [("en-us", "en"), ("zh-hans", "zh"), ("zh", "zh"), ("zh_en", "zh_en"), ("fr", "en")],
)
def test_report_language_option(asked, stored) -> None:
    from analysis.services import report_language

    assert report_language(asked) == stored


def test_the_screen_header_of_table3_has_two_levels() -> None:
    from analysis.templatetags.analysis_tags import header_rows

    table3 = report_result()["tables"][2]
    top, sub = header_rows(table3)
    assert [(h["text"], h["colspan"], h["rowspan"]) for h in top[:3]] == [
        ("Rating scale", 1, 2),
        ("S group (n = 38)", 2, 1),
        ("P group (n = 39)", 2, 1),
    ]
    assert [h["text"] for h in sub] == ["On admission", "3 months after surgery"] * 2
