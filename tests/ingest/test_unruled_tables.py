"""Criteria tables without drawn rules (columns aligned by white space) become the same rows as ruled ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.criteria.extract import criteria_pages, extract_criteria
from ingest.pdf import open_pdf, read_pdf
from kb import codes
from tests.support.unruled_pdfs import make_unruled_standard_pdf


def _find_codes(text: str) -> list[str]:
    return [d.format() for d in codes.find_all(text or "")]


def _rows(pdf: Path) -> list[tuple]:
    pages = read_pdf(pdf).pages
    with open_pdf(pdf) as opened:
        got = extract_criteria(opened, criteria_pages(pages), find_codes=_find_codes)
    assert [r.position for r in got] == list(range(1, len(got) + 1))
    return [(r.name, r.requirement, r.unit, r.method, r.method_code, r.page) for r in got]


THREE_COLUMNS = ((80, 35, 55), [
    ("Chỉ tiêu", "Mức", "Phương pháp thử"),
    ("Độ ẩm, %", "≤ 14,0", "TCVN 11888:2017"),
    ("Tro tổng số, %", "≤ 0,5", "TCVN 8124:2009"),
    ("Hàm lượng protein, g/100g", "≥ 7,0", "TCVN 8125:2015"),
])

FIVE_COLUMNS = ((12, 62, 22, 34, 40), [
    ("TT", "Tên chỉ tiêu", "Đơn vị", "Mức công bố", "Phương pháp thử"),
    ("1", "Hàm lượng chất béo tính theo\nchất khô", "%", "≥ 3,0", "TCVN 6688-1:2007"),
    ("2", "Tổng số vi sinh vật hiếu khí", "CFU/g", "≤ 10⁴", "TCVN 4884-1:2015\n(ISO 4833-1:2013)"),
    ("3", "Coliforms", "CFU/g", "≤ 10", "TCVN 6848:2007"),
])


def test_three_column_table_without_rules(tmp_path):
    assert _rows(make_unruled_standard_pdf(tmp_path / "a.pdf", [THREE_COLUMNS])) == [
        ("Độ ẩm, %", "≤ 14,0", "%", "TCVN 11888:2017", "TCVN 11888:2017", 1),
        ("Tro tổng số, %", "≤ 0,5", "%", "TCVN 8124:2009", "TCVN 8124:2009", 1),
        ("Hàm lượng protein, g/100g", "≥ 7,0", "g/100g", "TCVN 8125:2015", "TCVN 8125:2015", 1),
    ]


def test_tt_and_unit_columns_with_wrapped_cells(tmp_path):
    assert _rows(make_unruled_standard_pdf(tmp_path / "b.pdf", [FIVE_COLUMNS])) == [
        ("Hàm lượng chất béo tính theo chất khô", "≥ 3,0", "%", "TCVN 6688-1:2007", "TCVN 6688-1:2007", 1),
        ("Tổng số vi sinh vật hiếu khí", "≤ 10⁴", "CFU/g", "TCVN 4884-1:2015 (ISO 4833-1:2013)", "TCVN 4884-1:2015", 1),
        ("Coliforms", "≤ 10", "CFU/g", "TCVN 6848:2007", "TCVN 6848:2007", 1),
    ]


def test_group_rows_two_line_header_and_wrapped_requirement(tmp_path):
    table = ((14, 70, 40, 46), [
        ("STT", "Chỉ tiêu", "Yêu cầu", "Phương pháp\nthử"),
        ("I", "Chỉ tiêu cảm quan", "", ""),
        ("1", "Màu sắc", "Vàng nâu đặc\ntrưng", "TCVN 3215-79"),
        ("II", "Chỉ tiêu hoá lý", "", ""),
        ("2", "Độ ẩm, %", "≤ 12", "TCVN 4069:2009"),
    ])
    assert _rows(make_unruled_standard_pdf(tmp_path / "c.pdf", [table])) == [
        ("Màu sắc", "Vàng nâu đặc trưng", None, "TCVN 3215-79", "TCVN 3215:1979", 1),
        ("Độ ẩm, %", "≤ 12", "%", "TCVN 4069:2009", "TCVN 4069:2009", 1),
    ]


def test_without_tt_a_lower_case_line_continues_the_name_and_a_bare_heading_is_no_criterion(tmp_path):
    table = ((80, 35, 55), [
        ("Tên chỉ tiêu", "Mức", "Phương pháp\nthử"),
        ("Chỉ tiêu hoá học", "", ""),
        ("Hàm lượng đường tổng số tính\ntheo sacaroza, %", "≥ 20", "TCVN 4074:2009"),
        ("Natri benzoat, mg/kg", "Không phát hiện", "TCVN 8122:2009"),
    ])
    pdf = make_unruled_standard_pdf(tmp_path / "d.pdf", [table], align=("L", "C", "L"))
    assert _rows(pdf) == [
        ("Hàm lượng đường tổng số tính theo sacaroza, %", "≥ 20", "%", "TCVN 4074:2009", "TCVN 4074:2009", 1),
        ("Natri benzoat, mg/kg", "Không phát hiện", "mg/kg", "TCVN 8122:2009", "TCVN 8122:2009", 1),
    ]


def test_table_continued_on_the_next_page_keeps_its_columns(tmp_path):
    pdf = make_unruled_standard_pdf(tmp_path / "e.pdf", [FIVE_COLUMNS], continued=[
        ("4", "E. coli", "CFU/g", "KPH", "TCVN 7924-2:2008"),
        ("5", "Chì (Pb)", "mg/kg", "≤ 0,2", "TCVN 8126:2009"),
    ])
    assert criteria_pages(read_pdf(pdf).pages) == [1, 2]
    got = _rows(pdf)
    assert [r[0] for r in got] == ["Hàm lượng chất béo tính theo chất khô", "Tổng số vi sinh vật hiếu khí",
                                   "Coliforms", "E. coli", "Chì (Pb)"]
    assert got[3:] == [
        ("E. coli", "KPH", "CFU/g", "TCVN 7924-2:2008", "TCVN 7924-2:2008", 2),
        ("Chì (Pb)", "≤ 0,2", "mg/kg", "TCVN 8126:2009", "TCVN 8126:2009", 2),
    ]


def test_prose_about_criteria_gives_no_rows(tmp_path):
    pdf = make_unruled_standard_pdf(tmp_path / "f.pdf", [], prose_only=True)
    assert criteria_pages(read_pdf(pdf).pages) == [1]  # a candidate page, as the reader cannot tell yet
    assert _rows(pdf) == []


def test_the_next_clause_after_the_table_is_not_read_as_a_row(tmp_path):
    rows = _rows(make_unruled_standard_pdf(tmp_path / "g.pdf", [THREE_COLUMNS]))
    assert all("Bao gói" not in r[0] for r in rows)


@pytest.mark.parametrize("rel, count", [
    ("conformity/tieu-chuan-co-so.pdf", 11),  # TCCS 03:2022/MD, ruled
    ("tcvn/TCCS 09 - 2024.pdf", 29),  # TCCS 09:2024/CĐBVN, ruled
    ("derived_viettel_ai_race/Public018.pdf", 0),  # prose defining "chỉ tiêu thấm nước"
    ("derived_viettel_ai_race/Public_360.pdf", 0),  # ruled tables of radio limits, not criteria
    ("qcvn/quychuanvietnamQCVN.pdf", 0),  # planning "chỉ tiêu" in prose and a ruled land-use table
])
def test_corpus_candidate_pages_keep_their_counts(corpus_dir, rel, count):
    pdf = corpus_dir / "pdf" / rel
    if not pdf.exists():
        pytest.skip(f"{rel} not in the corpus")
    assert len(_rows(pdf)) == count


def test_row_numbers_and_values_centred_on_wrapped_rows(tmp_path):
    pdf = make_unruled_standard_pdf(tmp_path / "h.pdf", [FIVE_COLUMNS], middle=True)
    assert [r[:4] for r in _rows(pdf)] == [
        ("Hàm lượng chất béo tính theo chất khô", "≥ 3,0", "%", "TCVN 6688-1:2007"),
        ("Tổng số vi sinh vật hiếu khí", "≤ 10⁴", "CFU/g", "TCVN 4884-1:2015 (ISO 4833-1:2013)"),
        ("Coliforms", "≤ 10", "CFU/g", "TCVN 6848:2007"),
    ]


@pytest.mark.parametrize("grades", [("Loại 1", "Loại 2"), ("Hạng A", "Hạng B")])
def test_grade_names_under_a_spanning_level_header_label_the_requirement(tmp_path, grades):
    table = ((60, 32, 32, 50), [
        ("Tên chỉ tiêu", "Mức", "", "Phương pháp thử"),
        ("", *grades, ""),
        ("Độ ẩm, %, không lớn hơn", "12,0", "13,5", "TCVN 4069:2009"),
        ("Tạp chất, %", "0,1", "Không quy định", "TCVN 8372:2010"),
    ])
    a, b = grades
    pdf = make_unruled_standard_pdf(tmp_path / "i.pdf", [table], align=("L", "C", "C", "L"))
    assert [r[:2] + r[3:4] for r in _rows(pdf)] == [
        ("Độ ẩm, %, không lớn hơn", f"{a}: 12,0; {b}: 13,5", "TCVN 4069:2009"),
        ("Tạp chất, %", f"{a}: 0,1; {b}: Không quy định", "TCVN 8372:2010"),
    ]


def test_real_table_read_from_word_positions_alone_matches_its_ruled_reading(corpus_dir):
    """TCCS 03:2022/MD: its drawn rules ignored, the words alone give the same 11 rows (names wrapped
    over two lines with the row number centred between them)."""
    from ingest.criteria.unruled import criteria_unruled
    from ingest.grid import page_words

    pdf = corpus_dir / "pdf" / "conformity" / "tieu-chuan-co-so.pdf"
    if not pdf.exists():
        pytest.skip("TCCS 03:2022/MD not in the corpus")
    pages = criteria_pages(read_pdf(pdf).pages)
    with open_pdf(pdf) as opened:
        words = [(no, page_words(opened.doc[no - 1])) for no in pages]
        ruled = extract_criteria(opened, pages, find_codes=_find_codes)
    key = lambda r: (r.name, r.requirement, r.unit, r.method, r.page)  # noqa: E731
    unruled = [key(r) for r in criteria_unruled(words, find_codes=_find_codes)]
    assert unruled == [key(r) for r in ruled]
    assert len(unruled) == 11 and unruled[0][0] == "Định lượng Staphylococi có phản ứng dương tính coagulase"


def test_the_continuation_of_another_table_does_not_take_the_criteria_columns(tmp_path):
    from tests.support.pdfs import _Doc
    from tests.support.unruled_pdfs import draw_unruled_table

    widths, rows = THREE_COLUMNS
    pdf = _Doc(header_text="TCCS 02:2025/ABC")
    pdf.running = True
    pdf.add_page()
    pdf.para("2 Yêu cầu kỹ thuật", bold=True)
    pdf.para("Bảng 1 - Chỉ tiêu chất lượng")
    draw_unruled_table(pdf, widths, rows)
    pdf.ln(4)
    pdf.para("Bảng 2 - Quy cách bao gói")
    draw_unruled_table(pdf, widths, [("Túi PE", "500 g", "Hàn kín miệng túi"), ("Hộp giấy", "1 kg", "Dán băng keo")])
    pdf.add_page()
    pdf.para("Bảng 2 (tiếp theo)")
    draw_unruled_table(pdf, widths, [("Thùng carton", "10 kg", "Đai nẹp nhựa"), ("Bao dứa", "25 kg", "Khâu miệng")])
    path = tmp_path / "j.pdf"
    pdf.output(str(path))
    assert criteria_pages(read_pdf(path).pages) == [1, 2]
    assert [r[0] for r in _rows(path)] == ["Độ ẩm, %", "Tro tổng số, %", "Hàm lượng protein, g/100g"]


def test_header_cells_wrapped_over_two_lines(tmp_path):
    table = ((14, 66, 35, 55), [
        ("TT", "Tên chỉ\ntiêu", "Mức", "Phương pháp\nthử"),
        ("1", "Độ ẩm, %", "≤ 14,0", "TCVN 11888:2017"),
        ("2", "Hàm lượng tro không tan\ntrong axit, %", "≤ 0,1", "TCVN 8124:2009"),
    ])
    rows = _rows(make_unruled_standard_pdf(tmp_path / "k.pdf", [table], middle=True))
    assert [r[:4] for r in rows] == [
        ("Độ ẩm, %", "≤ 14,0", "%", "TCVN 11888:2017"),
        ("Hàm lượng tro không tan trong axit, %", "≤ 0,1", "%", "TCVN 8124:2009"),
    ]
