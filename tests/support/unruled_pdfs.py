"""Generated product standards whose criteria table has no drawn rules: columns aligned by white space.

Built on ``tests.support.pdfs`` (fpdf2 + DejaVu). A cell is a string; ``\\n`` in it is a wrapped line,
drawn under the first one in the same column, as a tab-aligned Word table or a re-typeset page shows it.
"""

from __future__ import annotations

from pathlib import Path

from tests.support.pdfs import _Doc

LINE_H = 5.0  # mm


def draw_unruled_table(pdf: _Doc, widths: tuple[float, ...], rows: list[tuple[str, ...]], *,
                       size: float = 10, align: tuple[str, ...] | None = None, row_gap: float = 1.5,
                       middle: bool = False) -> None:
    """Rows of cells at fixed column positions, no rule or border drawn; a row as tall as its longest cell,
    each cell at its top (or, ``middle``, centred on the row's height)."""
    pdf.set_font("DejaVu", "", size)
    align = align or ("L",) * len(widths)
    for row in rows:
        lines = [cell.split("\n") for cell in row]
        height = max(len(ls) for ls in lines) * LINE_H
        if pdf.get_y() + height > pdf.h - 25:
            pdf.add_page()
        y = pdf.get_y()
        x = pdf.l_margin
        for w, cell_lines, a in zip(widths, lines, align, strict=False):
            offset = (height - len(cell_lines) * LINE_H) / 2 if middle else 0.0
            for k, text in enumerate(cell_lines):
                pdf.set_xy(x, y + offset + k * LINE_H)
                pdf.cell(w - 2, LINE_H, text, align=a)
            x += w
        pdf.set_xy(pdf.l_margin, y + height + row_gap)


def make_unruled_standard_pdf(path: Path, tables: list[tuple[tuple[float, ...], list[tuple[str, ...]]]] | None = None,
                              *, code: str = "TCCS 01:2025/ABC", continued: list[tuple[str, ...]] | None = None,
                              prose_only: bool = False, align: tuple[str, ...] | None = None,
                              middle: bool = False) -> Path:
    """Page 1: a heading, prose and each given table (header row first). ``continued`` rows go on
    page 2 under "Bảng 1 (tiếp theo)" without a repeated header; ``prose_only`` writes a page that
    talks about "chỉ tiêu" and "mức" but holds no table."""
    pdf = _Doc(header_text=code)
    pdf.running = True
    pdf.add_page()
    pdf.para(f"TIÊU CHUẨN CƠ SỞ    {code}", size=11, bold=True)
    pdf.para("Bánh phu thê - Yêu cầu kỹ thuật", size=13, bold=True)
    pdf.para("1 Phạm vi áp dụng", bold=True)
    pdf.para("Tiêu chuẩn này áp dụng cho bánh phu thê do cơ sở sản xuất.")
    pdf.para("2 Yêu cầu kỹ thuật", bold=True)
    if prose_only:
        pdf.para("Chỉ tiêu chất lượng của sản phẩm được xác định theo mức quy định trong hợp đồng; "
                 "phương pháp thử do hai bên thoả thuận. Chỉ tiêu nào không đạt mức yêu cầu thì lô "
                 "hàng bị loại, đơn vị tính theo quy định hiện hành.")
        pdf.para("Chỉ tiêu   Mức   Phương pháp thử", size=11)  # a sentence fragment, not a table
        pdf.para("3 Bao gói và ghi nhãn", bold=True)
        pdf.para("Ghi nhãn theo quy định hiện hành.")
    for n, (widths, rows) in enumerate(tables or [], 1):
        pdf.para(f"Bảng {n} - Chỉ tiêu chất lượng")
        pdf.ln(1)
        draw_unruled_table(pdf, widths, rows, align=align, middle=middle)
        pdf.ln(3)
    if continued:
        pdf.add_page()
        pdf.para("Bảng 1 (tiếp theo)")
        pdf.ln(1)
        draw_unruled_table(pdf, tables[0][0], continued, align=align, middle=middle)
        pdf.ln(3)
    if not prose_only:
        pdf.para("3 Bao gói và ghi nhãn", bold=True)
        pdf.para("Ghi nhãn theo quy định hiện hành. Sản phẩm được bao gói trong túi kín.")
    pdf.output(str(path))
    return Path(path)
