"""Generated PDFs for the "documents never seen" tests: where a designation is (and is not) the
document's own, and tables that look like criteria tables but are not.

Each builder returns the path; the expected identity is stated by the caller's test, never read
from the file name.
"""

from __future__ import annotations

from pathlib import Path

from tests.support.ingest_pdfs import _table
from tests.support.pdfs import _Doc, letter_spaced

CITED = "TCVN 8827:2011"

#: A test list's header: names, applied standards and sample quantities, no criteria column.
TEST_LIST_HEADER = ("TT", "Tên phép thử", "Tiêu chuẩn áp dụng", "Lấy mẫu / khối lượng mẫu")
#: The same list headed as the issue's real file was: words a criteria header has, in other roles.
TEST_LIST_CRITERIA_WORDS = ("TT", "Tên chỉ tiêu thử nghiệm", "Tiêu chuẩn áp dụng", "Yêu cầu lấy mẫu / khối lượng mẫu")


def _test_rows(n: int, code: str = CITED) -> list[tuple[str, str, str, str]]:
    names = ("Sơn - độ bám dính", "Sơn - độ bền nhiệt", "Sơn - độ rửa trôi", "Sơn - thời gian khô")
    return [(str(k + 1), names[k % len(names)], code, "Lấy 5 lít sơn.") for k in range(n)]


def _offset_table(pdf: _Doc, widths: tuple[int, ...], rows: list[tuple[str, ...]], low: int = 2) -> None:
    """A ruled table of two-line rows whose column ``low`` is bottom-aligned under one-line neighbours:
    the text layer then prints that cell (the cited code) on a line of its own, as many real tables do."""
    pdf.set_font("DejaVu", "", 9)
    x0, y = pdf.l_margin, pdf.get_y()
    for n, row in enumerate(rows):
        height = 12
        x = x0
        for j, (w, text) in enumerate(zip(widths, row, strict=True)):
            pdf.text(x + 1, y + (9.5 if j == low and n else 4.5), text)
            pdf.rect(x, y, w, height)
            x += w
        y += height
    pdf.set_y(y + 2)


def make_table_cell_code_pdf(path: Path, *, rows: int = 12) -> Path:
    """A list of construction-material tests with no designation of its own; the only code is the
    one its table cites, in a cell (alone on its line, as a cell printed in its own column is)."""
    pdf = _Doc()
    pdf.add_page()
    pdf.para("DANH MỤC CÁC PHÉP THỬ VẬT LIỆU XÂY DỰNG", size=13, bold=True, align="C")
    pdf.ln(4)
    _offset_table(pdf, (12, 45, 40, 70), [TEST_LIST_HEADER, *_test_rows(rows)])
    pdf.output(str(path))
    return Path(path)


def _note(path: Path, title: str, clauses: list[tuple[str, str]]) -> Path:
    """A one-page note: an upper-case title, then headed clauses."""
    pdf = _Doc()
    pdf.add_page()
    pdf.para(title, size=13, bold=True, align="C")
    pdf.ln(4)
    for head, body in clauses:
        pdf.para(head, bold=True)
        pdf.para(body)
    pdf.output(str(path))
    return Path(path)


def make_body_code_pdf(path: Path) -> Path:
    """A guidance note whose body cites a designation at the start of lines (a wrapped sentence, a
    "là" sentence and a "thay thế" sentence, as a foreword would have it)."""
    return _note(path, "HƯỚNG DẪN KIỂM TRA CHẤT LƯỢNG SƠN TẠI CÔNG TRÌNH", [
        ("1 Mục đích", "Ghi lại các bước kiểm tra sơn tường trước khi nghiệm thu công trình xây dựng dân dụng."),
        ("2 Cách làm", "Lấy mẫu sơn tại hiện trường và gửi phòng thí nghiệm; phép thử độ bám dính theo\n"
                       f"{CITED} được thực hiện trên tấm thử đã khô hoàn toàn.\n"
                       f"{CITED} là tiêu chuẩn về sơn tường dạng nhũ tương.\n"
                       f"{CITED} thay thế TCVN 8827:2005; khi thử theo phiên bản cũ phải ghi rõ trong báo cáo."),
    ])


def make_references_code_pdf(path: Path) -> Path:
    """A technical note with a references clause and no designation of its own."""
    return _note(path, "GHI CHÚ KỸ THUẬT VỀ SƠN TƯỜNG NHŨ TƯƠNG", [
        ("1 Phạm vi", "Tài liệu này tóm tắt các yêu cầu khi chọn sơn tường cho nhà ở."),
        ("2 Tài liệu viện dẫn", f"{CITED}\nTCVN 2097:2015, Sơn và vecni - Phương pháp cắt xác định độ bám dính."),
        ("3 Nội dung", "Chọn sơn có độ bám dính phù hợp với bề mặt tường."),
    ])


def _body_page(pdf: _Doc, heading: str, code: str, title: str) -> None:
    pdf.add_page()
    pdf.para(f"{letter_spaced(heading)}    {code}" if code else letter_spaced(heading), size=11, bold=True)
    pdf.para(title, size=13, bold=True)
    pdf.ln(3)
    pdf.para("1 Phạm vi áp dụng", bold=True)
    pdf.para("Tiêu chuẩn này quy định phương pháp thử độ bám dính của màng sơn.")
    pdf.para("2 Tài liệu viện dẫn", bold=True)
    pdf.para("TCVN 2097:2015, Sơn và vecni - Phương pháp cắt xác định độ bám dính.")
    pdf.para("3 Cách tiến hành", bold=True)
    pdf.para("Cắt màng sơn thành ô và đánh giá mức độ bong tróc.")


def make_header_only_code_pdf(path: Path, code: str = "TCVN 99310:2024") -> Path:
    """A re-typeset standard named only by its running header (no cover code line, no foreword)."""
    pdf = _Doc(header_text=code)
    pdf.running = True
    pdf.add_page()
    pdf.para("SƠN - PHƯƠNG PHÁP THỬ ĐỘ BÁM DÍNH", size=14, bold=True, align="C")
    pdf.ln(4)
    for _ in range(2):
        _body_page(pdf, "TIÊU CHUẨN QUỐC GIA", "", "Sơn - Phương pháp thử độ bám dính")
    pdf.output(str(path))
    return Path(path)


def make_foreword_only_code_pdf(path: Path, code: str = "TCVN 99320:2024") -> Path:
    """A standard whose designation is printed only in its foreword statement."""
    pdf = _Doc()
    pdf.add_page()
    pdf.para("SƠN - PHƯƠNG PHÁP XÁC ĐỊNH ĐỘ MỊN", size=14, bold=True, align="C")
    pdf.ln(6)
    pdf.para("Lời nói đầu", size=13, bold=True)
    pdf.para(f"{code} do Viện Vật liệu xây dựng biên soạn, Bộ Xây dựng đề nghị, Tổng cục Tiêu chuẩn Đo "
             "lường Chất lượng thẩm định, Bộ Khoa học và Công nghệ công bố.")
    _body_page(pdf, "TIÊU CHUẨN QUỐC GIA", "", "Sơn - Phương pháp xác định độ mịn")
    pdf.output(str(path))
    return Path(path)


def make_test_list_standard_pdf(path: Path, code: str = "TCVN 99330:2024") -> Path:
    """A real standard (cover, header) whose only table is a test list, not a criteria table."""
    pdf = _Doc(header_text=code)
    pdf.add_page()
    pdf.para(letter_spaced("TIÊU CHUẨN QUỐC GIA"), size=12, bold=True, align="C")
    pdf.ln(6)
    pdf.para(code, size=16, bold=True, align="R")
    pdf.ln(20)
    pdf.para("SƠN TƯỜNG - LẤY MẪU VÀ THỬ NGHIỆM", size=14, bold=True, align="C", h=8)
    pdf.running = True
    pdf.add_page()
    pdf.para("1 Phạm vi áp dụng", bold=True)
    pdf.para("Tiêu chuẩn này quy định việc lấy mẫu sơn tường để thử nghiệm.")
    pdf.para("2 Danh mục phép thử và chỉ tiêu lấy mẫu", bold=True)
    _table(pdf, (12, 45, 40, 70), [TEST_LIST_CRITERIA_WORDS, *_test_rows(6, "TCVN 2097:2015")])
    _offset_table(pdf, (12, 45, 40, 70), [TEST_LIST_HEADER, *_test_rows(6, "TCVN 2097:2015")])
    pdf.output(str(path))
    return Path(path)


# --- Held back: written after the rules, run once to measure them, never tuned on ---------------------


def _held_inspection_list(path: Path) -> Path:
    pdf = _Doc()
    pdf.add_page()
    pdf.para("BẢNG KIỂM TRA HỒ SƠ NGHIỆM THU", size=13, bold=True, align="C")
    pdf.ln(3)
    rows = [("STT", "Nội dung kiểm tra", "Căn cứ", "Ghi chú")]
    rows += [(str(k), f"Hạng mục {k}", "QCVN 16:2023/BXD", "Đạt") for k in range(1, 9)]
    _offset_table(pdf, (14, 60, 50, 46), rows)
    pdf.output(str(path))
    return Path(path)


def _held_letter(path: Path) -> Path:
    pdf = _Doc()
    pdf.add_page()
    pdf.para("SỞ KHOA HỌC VÀ CÔNG NGHỆ", bold=True)
    pdf.para("V/v áp dụng quy chuẩn về sản phẩm vật liệu xây dựng")
    pdf.para("Kính gửi: các doanh nghiệp sản xuất vật liệu xây dựng trên địa bàn tỉnh.")
    pdf.para("QCVN 16:2023/BXD do Bộ Xây dựng ban hành kèm theo Thông tư số 04/2023/TT-BXD có hiệu lực từ "
             "ngày 01/01/2024.")
    pdf.para("TCVN 9030:2017 được áp dụng để thử bê tông nhẹ.")
    pdf.output(str(path))
    return Path(path)


def _held_report(path: Path) -> Path:
    pdf = _Doc(header_text="Kết quả thử theo TCVN 8827:2011")
    pdf.running = True
    for k in range(2):
        pdf.add_page()
        pdf.para(f"PHIẾU KẾT QUẢ THỬ NGHIỆM SỐ {k + 1}", size=13, bold=True, align="C")
        pdf.para("Mẫu sơn tường lấy tại công trình nhà văn hóa xã. Độ bám dính: điểm 1.")
    pdf.output(str(path))
    return Path(path)


def _held_regulation(path: Path) -> Path:
    pdf = _Doc(header_text="QCVN 99:2025/BKHCN")
    pdf.add_page()
    pdf.para("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True, align="C")
    pdf.ln(10)
    pdf.para("QCVN 99:2025/BKHCN", size=16, bold=True, align="C")
    pdf.para(letter_spaced("QUY CHUẨN KỸ THUẬT QUỐC GIA"), size=12, bold=True, align="C")
    pdf.para("VỀ AN TOÀN ĐỒ CHƠI TRẺ EM", size=14, bold=True, align="C")
    pdf.running = True
    pdf.add_page()
    pdf.para("Lời nói đầu", bold=True)
    pdf.para("QCVN 99:2025/BKHCN do Ban soạn thảo quy chuẩn biên soạn, Bộ Khoa học và Công nghệ ban hành.")
    pdf.add_page()
    pdf.para("1 Quy định chung", bold=True)
    pdf.para("Quy chuẩn này quy định mức giới hạn an toàn của đồ chơi trẻ em.")
    pdf.output(str(path))
    return Path(path)


def _held_foreword_replaces(path: Path) -> Path:
    pdf = _Doc()
    pdf.add_page()
    pdf.para("GẠCH ĐẤT SÉT NUNG - YÊU CẦU KỸ THUẬT", size=14, bold=True, align="C")
    pdf.para("Lời nói đầu", bold=True)
    pdf.para("TCVN 99340:2024 thay thế TCVN 1451:1998.")
    pdf.para("1 Phạm vi áp dụng", bold=True)
    pdf.para("Tiêu chuẩn này áp dụng cho gạch đất sét nung. TCVN 6355:2009 được dùng cho phép thử.")
    pdf.output(str(path))
    return Path(path)


#: (builder, the designation the document gives itself or None).
HELD_BACK = [
    (_held_inspection_list, None),
    (_held_letter, None),
    (_held_report, None),
    (_held_regulation, "QCVN 99:2025/BKHCN"),
    (_held_foreword_replaces, "TCVN 99340:2024"),
]
