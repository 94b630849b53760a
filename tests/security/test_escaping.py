"""User text is inert: escaped in every page, neutralised in every spreadsheet export."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pandas as pd
import pytest
from django.urls import reverse
from openpyxl import load_workbook

from analysis.releases.writers import write_csv, write_xlsx
from analysis.render.xlsx import render_xlsx
from tests.factories import SiteFactory, allocated_participant, user_with_role
from trial.models import AuditEvent, Role, Visit
from trial.services.audit import audit_record
from trial.services.crfs import crf_save
from trial.services.participants import participant_update_identity
from trial.services.queries import query_raise
from trial.spreadsheet import spreadsheet_safe

SCRIPT = "<script>alert(1)</script>"
FORMULAS = ['=HYPERLINK("http://evil.example","x")', "+cmd|' /C calc'!A0", "-1+1", "@SUM(A1:A9)",
            "\t=1+1", "\r=1+1"]  # fmt: skip
CONSORT = {"assessed": 0, "excluded": 0, "excluded_reasons": [], "randomized": 0, "arms": {}}
NUMBERS = ["-3.5", "+1", "-0", "1e-3"]


@pytest.mark.parametrize("text", FORMULAS)
@pytest.mark.requirement("EXP-007")
def test_formula_text_is_neutralised(text):
    assert spreadsheet_safe(text) == "'" + text


@pytest.mark.parametrize("value", [*NUMBERS, -3.5, 7, Decimal("-2.25"), None, "plain", "a=b"])
@pytest.mark.requirement("EXP-007")
def test_numbers_and_plain_text_are_left_alone(value):
    assert spreadsheet_safe(value) == value


@pytest.fixture
def world(db):
    site = SiteFactory(code="S01")
    nurse = user_with_role(Role.RESEARCH_NURSE, site=site, username="esc-nurse")
    manager = user_with_role(Role.DATA_MANAGER, site=None, username="esc-dm")
    participant = allocated_participant(nurse, site, arm="S")
    participant_update_identity(
        actor=nurse,
        participant=participant,
        reason=SCRIPT,
        full_name=SCRIPT,
        phone=FORMULAS[1],
        hospital_number=FORMULAS[0],
    )
    visit = Visit.objects.get(participant=participant, code="admission")
    answers = {"leg_vas": Decimal("3.5"), "back_vas": 2, "assessment_date": visit.target_date}
    vas = crf_save(actor=nurse, participant=participant, form_code="vas", visit=visit,
                   complete=True, answers=answers)  # fmt: skip
    ae = crf_save(actor=nurse, participant=participant, form_code="adverse_event", visit=None,
                  complete=False, answers={"term": SCRIPT, "description": FORMULAS[0]})  # fmt: skip
    query_raise(actor=manager, form_instance=vas, field="leg_vas", text=SCRIPT + FORMULAS[2])
    return {"nurse": nurse, "manager": manager, "participant": participant, "vas": vas, "ae": ae}


def _pages(p, ae):
    t = p.trial_id
    return [
        reverse("trial:participant-detail", args=[t]),
        reverse("trial:identity", args=[t]),
        reverse("trial:crf-entry", args=[t, "admission", "vas"]),
        reverse("trial:log-list", args=[t, "adverse_event"]),
        reverse("trial:log-edit", args=[t, "adverse_event", ae.seq]),
        reverse("trial:log-history", args=[t, "adverse_event", ae.seq]),
        reverse("trial:query-list"),
        reverse("trial:participant-list") + "?q=%3Cscript%3E",
    ]


@pytest.mark.django_db
@pytest.mark.requirement("ACC-008")
def test_user_text_is_escaped_in_every_page_that_shows_it(client, world):
    client.force_login(world["nurse"])
    for url in _pages(world["participant"], world["ae"]):
        body = client.get(url).content.decode()
        assert SCRIPT not in body, url
    detail = reverse("trial:participant-detail", args=[world["participant"].trial_id])
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in client.get(detail).content.decode()
    client.force_login(world["manager"])
    for url in (reverse("trial:audit"), reverse("trial:query-list")):
        response = client.get(url)
        assert response.status_code == 200
        assert SCRIPT not in response.content.decode(), url


@pytest.mark.django_db
@pytest.mark.requirement("ACC-008")
def test_an_address_with_markup_is_escaped_on_the_not_found_page(client, world):
    client.force_login(world["nurse"])
    response = client.get("/participants/%3Cscript%3Ealert(1)%3C%2Fscript%3E/")
    assert response.status_code == 404
    assert SCRIPT not in response.content.decode()


@pytest.mark.django_db
@pytest.mark.requirement("EXP-007")
def test_audit_export_neutralises_formulas_but_keeps_numbers(client, world):
    audit_record(actor=world["manager"], action=AuditEvent.Action.UPDATE, obj=world["participant"],
                 changes={"leg_vas": (-3.5, "-1.5"), "note": ("-1+1", "@SUM(A1)")},
                 reason="\t=cmd")  # fmt: skip
    client.force_login(world["manager"])
    response = client.get(reverse("trial:audit-export"))
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    vas = next(r for r in rows if r["field"] == "leg_vas" and r["old"] == "-3.5")
    assert vas["new"] == "-1.5"  # numbers stay numbers
    assert vas["reason"] == "'\t=cmd"
    note = next(r for r in rows if r["field"] == "note")
    assert (note["old"], note["new"]) == ("'-1+1", "'@SUM(A1)")
    for row in rows:  # no cell anywhere starts a formula
        for value in row.values():
            assert not value.startswith(("=", "@", "\t", "\r")), row
    assert any(r["new"] == "'" + FORMULAS[0] for r in rows)  # the AE description, neutralised


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "participant_id": ["S01-0001", "S01-0002", "S01-0003"],
            "change": [-3.5, 1.25, None],
            "days": pd.array([-2, 3, None], dtype="Int64"),
            "details": [FORMULAS[0], "-1+1", "-3.5"],
        }
    )


@pytest.mark.requirement("EXP-007")
def test_release_csv_neutralises_text_cells_only(tmp_path):
    path = tmp_path / "wide.csv"
    write_csv(_frame(), path)
    read = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert list(read["details"]) == ["'" + FORMULAS[0], "'-1+1", "-3.5"]
    assert list(read["change"]) == ["-3.5", "1.25", ""]
    assert list(read["days"]) == ["-2", "3", ""]


@pytest.mark.requirement("EXP-007")
def test_release_and_report_xlsx_store_formula_text_as_text(tmp_path):
    from analysis.releases.frames import ReleaseFrames

    release = ReleaseFrames(variant="unblinded", frames={"wide": _frame()}, variables=())
    path = tmp_path / "release.xlsx"
    write_xlsx(release, path)
    sheet = load_workbook(path)["wide"]
    cells = {c.coordinate: c for row in sheet.iter_rows() for c in row}
    assert all(c.data_type != "f" for c in cells.values())
    assert cells["D2"].value == FORMULAS[0]  # exactly the text, stored as text
    assert cells["B2"].value == -3.5
    assert cells["B2"].data_type == "n"
    assert cells["C2"].value == -2
    report = render_xlsx(
        {"tables": [], "consort": CONSORT, "dictionary": [
            {"frame": "wide", "name": "x", "dtype": "str", "description": FORMULAS[0]}]},
        {"language": "en", "run_id": 1, "inputs": {}},
    )  # fmt: skip
    book = load_workbook(io.BytesIO(report))
    assert all(c.data_type != "f" for ws in book for row in ws.iter_rows() for c in row)
    assert book["columns"]["D2"].value == FORMULAS[0]
