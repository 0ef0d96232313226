"""The one spreadsheet writer (pharmex.exports): formula-like text is neutralised, types are kept, memory is flat."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from pharmex import exports

HOSTILE = ['=HYPERLINK("http://x","y")', "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]
HEADER = ["name", "amount", "count", "day", "at"]


def csv_text(header, rows) -> str:
    return b"".join(exports.csv_stream(header, rows)).decode("utf-8")


def xlsx_sheets(header, rows, **options):
    workbook = load_workbook(io.BytesIO(b"".join(exports.xlsx_stream(header, rows, **options))))
    return workbook.worksheets


@pytest.mark.parametrize("text", HOSTILE)
def test_neutralise_prefixes_formula_triggers(text):
    assert exports.neutralise(text) == "'" + text


@pytest.mark.parametrize("text", ["海口康宁大药房", "A=B", "1+1", "x-", "", "'=already quoted", " =SUM(A1)"])
def test_neutralise_leaves_other_text_alone(text):
    assert exports.neutralise(text) == text


def test_csv_quotes_and_neutralises_text_and_keeps_numbers_and_dates():
    # given: hostile text, a negative amount, an integer, a date, an aware datetime and a missing value
    rows = [
        [name, Decimal("-20.00"), 3, date(2026, 10, 1), datetime(2026, 10, 1, 4, 30, tzinfo=UTC)] for name in HOSTILE
    ]
    rows.append(["海口康宁大药房", Decimal("250.55"), -1, None, None])

    # when
    text = csv_text(HEADER, rows)

    # then: a BOM, the header, every text cell quoted with a leading ' when it could start a formula; numbers as is
    assert text == (
        '\ufeff"name","amount","count","day","at"\r\n'
        '"\'=HYPERLINK(""http://x"",""y"")",-20.00,3,"2026-10-01","2026-10-01T12:30:00+08:00"\r\n'
        '"\'+1",-20.00,3,"2026-10-01","2026-10-01T12:30:00+08:00"\r\n'
        '"\'-2+3",-20.00,3,"2026-10-01","2026-10-01T12:30:00+08:00"\r\n'
        '"\'@SUM(A1)",-20.00,3,"2026-10-01","2026-10-01T12:30:00+08:00"\r\n'
        '"\'\tx",-20.00,3,"2026-10-01","2026-10-01T12:30:00+08:00"\r\n'
        '"\'\rx",-20.00,3,"2026-10-01","2026-10-01T12:30:00+08:00"\r\n'
        '"海口康宁大药房",250.55,-1,"",""\r\n'
    )
    assert [row[0] for row in csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))][1:] == [
        "'" + name for name in HOSTILE
    ] + ["海口康宁大药房"]


def test_csv_neutralises_the_header_too():
    assert csv_text(["=cmd()", "ok"], []) == '\ufeff"\'=cmd()","ok"\r\n'


def test_xlsx_writes_text_as_string_cells_and_numbers_and_dates_as_such():
    # given
    rows = [
        [name, Decimal("-20.00"), 3, date(2026, 10, 1), datetime(2026, 10, 1, 4, 30, tzinfo=UTC)] for name in HOSTILE
    ]
    rows.append(["#N/A", Decimal("250.55"), -1, None, None])
    rows.append(["\x01=SUM(A1)", Decimal("0"), 0, None, None])  # a control character XML cannot carry, then a formula

    # when
    [sheet] = xlsx_sheets(HEADER, rows, sheet_name="lines")

    # then: every text cell is a string cell; no cell anywhere is a formula
    assert sheet.title == "lines1"
    cells = list(sheet.iter_rows())
    assert [(c.value, c.data_type) for c in cells[0]] == [(name, "s") for name in HEADER]
    assert [(row[0].value, row[0].data_type) for row in cells[1:]] == [
        *(("'" + name.replace("\r", "\n"), "s") for name in HOSTILE),  # XML reads a bare CR as a line feed
        ("#N/A", "s"),
        ("'=SUM(A1)", "s"),
    ]
    assert {c.data_type for row in cells for c in row} == {"s", "n", "d"}
    assert [(c.value, c.data_type) for c in cells[1][1:]] == [
        (-20, "n"),
        (3, "n"),
        (datetime(2026, 10, 1), "d"),
        (datetime(2026, 10, 1, 12, 30), "d"),  # Asia/Shanghai local time: Excel has no time zones
    ]
    assert (cells[7][1].value, cells[7][2].value) == (250.55, -1)


def test_xlsx_starts_a_new_sheet_with_the_header_at_the_row_limit(monkeypatch):
    monkeypatch.setattr(exports, "XLSX_SHEET_ROWS", 2)

    sheets = xlsx_sheets(["name"], [["a"], ["b"], ["=c"]])

    assert [(s.title, [r[0] for r in s.iter_rows(values_only=True)]) for s in sheets] == [
        ("rows1", ["name", "a", "b"]),
        ("rows2", ["name", "'=c"]),
    ]


def test_an_empty_export_is_the_header_alone():
    [sheet] = xlsx_sheets(HEADER, [])
    assert list(sheet.iter_rows(values_only=True)) == [tuple(HEADER)]
    assert csv_text(HEADER, []) == '\ufeff"name","amount","count","day","at"\r\n'


def test_csv_streams_in_pieces_as_rows_arrive():
    # given: rows produced lazily, far more than one piece
    produced = []

    def rows():
        for number in range(20_000):
            produced.append(number)
            yield [f"=row {number}", number]

    # when: the first piece is taken
    stream = exports.csv_stream(["name", "n"], rows())
    first = next(stream)

    # then: it came before all rows were read, and the pieces add up to the whole file
    assert exports.CSV_CHUNK_CHARS <= len(first.decode()) < exports.CSV_CHUNK_CHARS + 100
    assert len(produced) < 20_000
    rest = b"".join(stream)
    assert len(produced) == 20_000
    lines = (first + rest).decode().removeprefix("\ufeff").splitlines()
    assert (len(lines), lines[1], lines[-1]) == (20_001, '"\'=row 0",0', '"\'=row 19999",19999')


def test_export_response_streams_a_named_download():
    response = exports.export_response(file_format="csv", header=["a"], rows=[["+1"]], filename="statements-2026-10")

    assert response.streaming
    assert (response["Content-Type"], response["Content-Disposition"]) == (
        "text/csv; charset=utf-8",
        'attachment; filename="statements-2026-10.csv"',
    )
    assert b"".join(response.streaming_content).decode() == '\ufeff"a"\r\n"\'+1"\r\n'
