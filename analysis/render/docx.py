"""The report as a Word document (python-docx): inputs, Tables 1–5, models, CONSORT, figure."""

from __future__ import annotations

import io

from docx import Document
from docx.shared import Inches, Pt

from analysis.render.figures import figure_png
from analysis.render.text import cell_text, consort_matrix, inputs_rows, table_matrix

TITLE = {"en": "Statistical report", "zh": "统计分析报告"}
INPUTS = {"en": "Inputs (for reproduction)", "zh": "输入（用于重现）"}
CONSORT = {"en": "CONSORT flow", "zh": "CONSORT 流程"}


def _add_grid(doc: Document, header: list[str], rows: list[list[str]]) -> None:
    grid = doc.add_table(rows=1, cols=len(header))
    grid.style = "Table Grid"
    for cell, text in zip(grid.rows[0].cells, header, strict=True):
        cell.text = text
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for row in rows:
        for cell, text in zip(grid.add_row().cells, row, strict=True):
            cell.text = text
    for row in grid.rows:
        for cell in row.cells:
            for paragraph in cell.paragraphs:
                for run in paragraph.runs:
                    run.font.size = Pt(8)


def render_docx(result: dict, meta: dict) -> bytes:
    """Return the DOCX bytes of a report result (``meta``: run id, inputs, language)."""
    language = meta.get("language", "en")
    doc = Document()
    doc.add_heading(f"{cell_text(TITLE, language)} #{meta['run_id']}", level=0)
    doc.add_heading(cell_text(INPUTS, language), level=2)
    _add_grid(doc, ["", ""], [[k, v] for k, v in inputs_rows(meta)])
    for table in result["tables"]:
        doc.add_heading(cell_text(table["title"], language), level=2)
        header, rows = table_matrix(table, language)
        _add_grid(doc, header, rows)
        for note in table.get("notes", []):
            doc.add_paragraph(cell_text(note, language)).runs[0].font.size = Pt(8)
    doc.add_heading(cell_text(CONSORT, language), level=2)
    _add_grid(doc, ["", "", "n"], consort_matrix(result["consort"], language))
    for figure in result.get("figures", []):
        doc.add_heading(cell_text(figure["title"], language), level=2)
        doc.add_picture(io.BytesIO(figure_png(figure, language)), width=Inches(6))
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
