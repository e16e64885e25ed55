"""Generated PDFs for the pipeline tests: ruled tables (criteria, lab scope, catalogue) and PDF bombs.

Built on ``tests.support.pdfs`` (fpdf2 + DejaVu) so they look like the real documents to the parsers:
fpdf2 draws each table cell as an outlined rectangle, the real files use thin rules or shading.
"""

from __future__ import annotations

import zlib
from pathlib import Path

from tests.support.pdfs import _Doc, letter_spaced, write_raw_pdf


def _cover(pdf: _Doc, code: str, title: str) -> None:
    pdf.add_page()
    pdf.para(letter_spaced("TIÊU CHUẨN QUỐC GIA"), size=12, bold=True, align="C")
    pdf.ln(6)
    pdf.para(code, size=16, bold=True, align="R")
    pdf.ln(30)
    pdf.para(title.upper(), size=14, bold=True, align="C", h=8)
    pdf.ln(60)
    pdf.para(f"HÀ NỘI – {code.rsplit(':', 1)[-1]}", size=11, bold=True, align="C")


def _table(pdf: _Doc, widths: tuple[int, ...], rows: list[tuple], *, size: float = 9) -> None:
    """Rows of strings; a row given as ``(text, colspan)`` pairs spans cells (group headings)."""
    pdf.set_font("DejaVu", "", size)
    with pdf.table(col_widths=widths, first_row_as_headings=False, line_height=5) as table:
        for row in rows:
            r = table.row()
            for cell in row:
                if isinstance(cell, tuple):
                    r.cell(cell[0], colspan=cell[1])
                else:
                    r.cell(cell)


CRITERIA_HEADER = ("TT", "Tên chỉ tiêu", "Mức", "Phương pháp thử")


def make_criteria_standard_pdf(path: Path, *, code: str = "TCVN 99001:2024",
                               title: str = "Gạo trắng - Yêu cầu kỹ thuật",
                               first: list[tuple] | None = None, continued: list[tuple] | None = None) -> Path:
    """A product standard whose Table 1 (criteria) starts on page 2 and goes on, headless, on page 3."""
    first = first or [("1", "Độ ẩm, %", "≤ 14,0", "TCVN 11888:2017"),
                      ("2", "Tạp chất, %", "≤ 0,2", "TCVN 8372:2010")]
    continued = continued or [("3", "Hạt vàng, %", "≤ 0,5", "TCVN 8368:2010")]
    pdf = _Doc(header_text=code)
    _cover(pdf, code, title)
    pdf.running = True
    pdf.add_page()
    pdf.para(f"{letter_spaced('TIÊU CHUẨN QUỐC GIA')}    {code}", size=11, bold=True)
    pdf.para(title, size=13, bold=True)
    pdf.ln(3)
    pdf.para("1 Phạm vi áp dụng", bold=True)
    pdf.para("Tiêu chuẩn này áp dụng cho gạo trắng dùng làm thực phẩm.")
    pdf.para("2 Yêu cầu kỹ thuật", bold=True)
    pdf.para("Bảng 1 - Chỉ tiêu chất lượng của gạo trắng")
    _table(pdf, (12, 70, 35, 50), [CRITERIA_HEADER, *first])
    pdf.add_page()
    pdf.para("Bảng 1 (tiếp theo)")
    _table(pdf, (12, 70, 35, 50), list(continued))
    pdf.para("3 Bao gói và ghi nhãn", bold=True)
    pdf.para("Ghi nhãn theo quy định hiện hành.")
    pdf.output(str(path))
    return Path(path)


LAB_HEADER = ("TT", "Tên chỉ tiêu thí nghiệm", "Tiêu chuẩn kỹ thuật để thực hiện chỉ tiêu thí nghiệm",
              "Máy móc, thiết bị để thực hiện chỉ tiêu thí nghiệm")


def make_lab_pdf(path: Path, *, registration: str | None = "LAS-XD 999",
                 groups: dict[str, list[tuple[str, str, str]]] | None = None) -> Path:
    """A construction lab's capability declaration: header lines, then the ruled scope table."""
    groups = groups or {
        "I THỬ NGHIỆM XI MĂNG": [("Xác định độ mịn", "TCVN 4030:2003; ASTM C204", "Sàng, cân"),
                                ("Xác định cường độ", "TCVN 6016:2011", "Máy nén")],
        "II BÊ TÔNG": [("Xác định độ sụt", "TCVN 3106:2022; ASTM C143", "Côn thử")],
    }
    pdf = _Doc()
    pdf.add_page()
    pdf.para("CÔNG BỐ THÔNG TIN VỀ NĂNG LỰC ĐỦ ĐIỀU KIỆN HOẠT ĐỘNG THÍ NGHIỆM CHUYÊN NGÀNH XÂY DỰNG",
             bold=True, align="C")
    pdf.para("1.1. Tên tổ chức: CÔNG TY CỔ PHẦN KIỂM ĐỊNH THỬ")
    pdf.para("1.2 Thông tin phòng thí nghiệm: PHÒNG THÍ NGHIỆM VẬT LIỆU THỬ")
    pdf.para("Địa chỉ: 1 đường Lý Thái Tổ, phường Suối Hoa, tỉnh Bắc Ninh.")
    pdf.para("Điện thoại: 0222 3800 000 Email: lab@example.vn")
    if registration:
        pdf.para(f"Phòng thí nghiệm mã số {registration} do Bộ Xây dựng cấp.")
    pdf.para("2.1 Danh mục các chỉ tiêu thí nghiệm; tiêu chuẩn kỹ thuật tương ứng")
    rows: list[tuple] = [LAB_HEADER, ("(1)", "(2)", "(3)", "(4)")]
    n = 0
    for group, tests in groups.items():
        roman, name = group.split(" ", 1)
        rows.append((roman, (name, 3)))
        for test, method, equipment in tests:
            n += 1
            rows.append((str(n), test, method, equipment))
    _table(pdf, (12, 55, 55, 48), rows)
    pdf.output(str(path))
    return Path(path)


def make_catalogue_pdf(path: Path, sections: dict[str, list[tuple[str, str]]]) -> Path:
    """A list of standards: STT | Mã tiêu chuẩn | Tên tiêu chuẩn with section rows."""
    pdf = _Doc()
    pdf.add_page()
    pdf.para("Phụ lục", align="C")
    pdf.para("DANH MỤC TIÊU CHUẨN CHO THỬ NGHIỆM", bold=True, align="C")
    pdf.para("(Kèm theo văn bản số: /BKHCN ngày / /2026 của Bộ Khoa học và Công nghệ)", align="C")
    rows: list[tuple] = [("STT", "Mã Tiêu chuẩn", "Tên Tiêu chuẩn")]
    for section, entries in sections.items():
        sid, name = section.split(" ", 1)
        rows.append((sid, (name, 2)))
        for i, (code, title) in enumerate(entries, 1):
            rows.append((str(i), code, title))
    _table(pdf, (14, 60, 96), rows, size=10)
    pdf.output(str(path))
    return Path(path)


def make_stream_bomb_pdf(path: Path, inflated_mb: int = 2048) -> Path:
    """One page whose content stream inflates to ``inflated_mb`` of zeros from a few MB of deflate.

    After a full flush, identical input compresses to identical bytes, so one block is repeated
    instead of compressing gigabytes (the checksum at the end is wrong, as in real bombs).
    """
    c = zlib.compressobj(9)
    chunk = b"\0" * (1 << 20)
    first = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
    block = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
    data = first + block * (inflated_mb - 2) + c.flush()
    return write_raw_pdf(path, [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream",
    ])


def make_page_bomb_pdf(path: Path, fanout: int = 10, depth: int = 6) -> Path:
    """A page tree whose every node lists one child ``fanout`` times: fanout**depth pages, 1 kB of file."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    for level in range(depth):
        kid = level + 3
        objects.append(b"<< /Type /Pages /Kids [%s] /Count %d >>"
                       % (b" ".join([b"%d 0 R" % kid] * fanout), fanout ** (depth - level)))
    objects.append(b"<< /Type /Page /MediaBox [0 0 595 842] >>")
    return write_raw_pdf(path, objects)


VILAS_HEADER = ("TT", "Tên sản phẩm, vật liệu được thử", "Tên phép thử cụ thể",
                "Giới hạn định lượng (nếu có)/ Phạm vi đo", "Phương pháp thử")


def make_vilas_scope_pdf(path: Path, accreditation: str = "VILAS 1234") -> Path:
    """A VILAS scope annex: one material cell spans two tests (a row span with no rule under it)."""
    pdf = _Doc()
    pdf.add_page()
    pdf.para("DANH MỤC PHÉP THỬ ĐƯỢC CÔNG NHẬN", bold=True, align="C")
    pdf.para("Tên phòng thí nghiệm: Phòng Thử nghiệm Hóa")
    pdf.para(f"Số hiệu/ Code: {accreditation}")
    pdf.set_font("DejaVu", "", 9)
    with pdf.table(col_widths=(10, 40, 50, 30, 40), first_row_as_headings=False, line_height=5) as table:
        r = table.row()
        for cell in VILAS_HEADER:
            r.cell(cell)
        r = table.row()
        r.cell("1")
        r.cell("Thực phẩm", rowspan=2)
        for cell in ("Xác định hàm lượng chì (Pb)", "0,01 mg/kg", "TCVN 8126:2009"):
            r.cell(cell)
        r = table.row()
        for cell in ("2", "Xác định hàm lượng cadimi (Cd)", "0,005 mg/kg", "TCVN 8126:2009"):
            r.cell(cell)
        r = table.row()
        for cell in ("3", "Nước sạch", "Xác định pH", "2 ~ 12", "TCVN 6492:2011"):
            r.cell(cell)
    pdf.output(str(path))
    return Path(path)
