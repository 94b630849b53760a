"""Reading CSV, XLSX and SPSS .sav uploads in chunks, and mapping columns to variables."""

import datetime

import openpyxl
import pandas as pd
import pyreadstat
import pytest

from imports.mapping import auto_map, mapped_rows, variables
from imports.readers import UnreadableFile, cell_text, file_format, iter_chunks, read_header

pytestmark = [pytest.mark.requirement("IMP-101"), pytest.mark.django_db]


def all_rows(path, fmt, size=2):
    return [row for _line, chunk in iter_chunks(path, fmt, size=size) for row in chunk]


def test_file_formats_and_cells():
    assert file_format("a.CSV") == "csv"
    assert file_format("b.xlsx") == "xlsx"
    assert file_format("c.sav") == "sav"
    assert file_format("d.xls") is None
    assert cell_text(None) == ""
    assert cell_text(float("nan")) == ""
    assert cell_text(3.0) == "3"
    assert cell_text(2.5) == "2.5"
    assert cell_text(datetime.datetime(2024, 5, 1))  # noqa: DTZ001 (naive, as openpyxl gives) == "2024-05-01"
    assert cell_text(datetime.date(2024, 5, 1)) == "2024-05-01"


def test_csv_streams_in_chunks_with_bom_and_blank_lines(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("\ufeffrecord_id,性别\n\nS01-0001,男\nS01-0002,女\nS01-0003\n", "utf-8")
    assert read_header(path, "csv") == ["record_id", "性别"]
    chunks = list(iter_chunks(path, "csv", size=2))
    assert [line for line, _rows in chunks] == [2, 4]
    assert all_rows(path, "csv") == [["S01-0001", "男"], ["S01-0002", "女"], ["S01-0003", ""]]
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"a,b\n\xff\xfe,1\n")
    with pytest.raises(UnreadableFile):
        all_rows(bad, "csv")


def test_xlsx_reads_the_first_sheet_read_only(tmp_path):
    path = tmp_path / "x.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["record_id", "screening_date", "height_cm"])
    sheet.append(["S01-0001", datetime.datetime(2024, 3, 2), 170.0])  # noqa: DTZ001
    sheet.append([None, None, None])
    sheet.append(["S01-0002", datetime.date(2024, 3, 3), 165.5])
    book.save(path)
    assert read_header(path, "xlsx") == ["record_id", "screening_date", "height_cm"]
    assert all_rows(path, "xlsx") == [
        ["S01-0001", "2024-03-02", "170"],
        ["S01-0002", "2024-03-03", "165.5"],
    ]
    not_xlsx = tmp_path / "n.xlsx"
    not_xlsx.write_text("hello")
    with pytest.raises(UnreadableFile):
        read_header(not_xlsx, "xlsx")


def test_sav_value_labels_become_the_protocols_codes(tmp_path):
    path = tmp_path / "x.sav"
    frame = pd.DataFrame(
        {"record_id": ["S01-0001", "S01-0002"], "sex": [1.0, 2.0], "height_cm": [170.0, None]}
    )
    pyreadstat.write_sav(
        frame, str(path), variable_value_labels={"sex": {1.0: "男", 2.0: "female"}}
    )
    header = read_header(path, "sav")
    assert header == ["record_id", "sex", "height_cm"]
    rows = all_rows(path, "sav", size=1)
    assert rows == [["S01-0001", "男", "170"], ["S01-0002", "female", ""]]
    known = variables("snrb_peld", blinded=False)
    mapping = auto_map(header, known)
    assert mapping == {"record_id": "record_id", "sex": "sex", "height_cm": "height_cm"}
    assert mapped_rows(header, rows, mapping, known) == [
        {"record_id": "S01-0001", "sex": "male", "height_cm": "170"},
        {"record_id": "S01-0002", "sex": "female", "height_cm": ""},
    ]


def test_columns_match_by_name_or_label_in_either_language():
    known = variables("snrb_peld", blinded=False)
    header = ["Record_ID", "性别", "Admission date", "腰椎间盘突出节段", "free notes", "sex"]
    mapping = auto_map(header, known)
    assert mapping == {
        "Record_ID": "record_id",
        "性别": "sex",
        "Admission date": "admission_date",
        "腰椎间盘突出节段": "herniation_level",
        "free notes": "",
        "sex": "",  # already taken by the Chinese label's column
    }
    rows = mapped_rows(header, [["S01-0001", "女", "2024-01-02", "L4-5", "x", ""]], mapping, known)
    assert rows == [
        {
            "record_id": "S01-0001",
            "sex": "female",
            "admission_date": "2024-01-02",
            "herniation_level": "L4-5",
        }
    ]


def test_blinded_users_get_no_arm_variables():
    assert "arm" in variables("snrb_peld", blinded=False)
    assert "arm" not in variables("snrb_peld", blinded=True)
    assert "arm_historical" not in variables("snrb_peld", blinded=True)
