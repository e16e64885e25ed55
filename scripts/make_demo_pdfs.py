#!/usr/bin/env python3
"""Generate the demo PDFs in ``data/standards/pdf`` (fpdf2 + DejaVu; run from anywhere).

They are laid out like a TCVN — cover, "Lời nói đầu" with thay thế / biên soạn / đề nghị / thẩm định /
công bố sentences, numbered clauses, "Tài liệu viện dẫn", a criteria table Chỉ tiêu | Mức | Phương pháp thử —
so the ingest path can be shown on files we may redistribute. Every page says it is a SAMPLE.

Why the codes are ``TCCS 0N:2026/DEMO``: a made-up TCVN number could be allocated to a real standard at any
time (the national series is numbered centrally and grows every year), so no ``TCVN nnnnn:yyyy`` is safe.
An organisation standard (TCCS) is scoped by its issuer suffix; ``DEMO`` is not the abbreviation of any
Vietnamese body, so ``TCCS 01:2026/DEMO`` cannot name a real document, yet the designation grammar parses it.
The documents they cite (QCVN 8-x, TCVN 31xx:2022, TCVN 5408:2007 …) are real, with their real titles.

Output is deterministic (fixed creation date), so re-running the script leaves the files byte-identical
and re-ingesting them changes nothing. Fonts: Debian package ``fonts-dejavu-core`` (also on CI);
``KB_DEJAVU_DIR`` overrides the folder.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace

OUT_DIR = Path(__file__).resolve().parents[1] / "data" / "standards" / "pdf"
FONT_DIRS = [os.environ.get("KB_DEJAVU_DIR", ""), "/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu"]
SAMPLE = "TÀI LIỆU MẪU – không phải văn bản chính thức"
FIXED_DATE = datetime(2026, 1, 1, tzinfo=UTC)

REFERENCE_SENTENCE = (
    "Các tài liệu viện dẫn sau rất cần thiết cho việc áp dụng tiêu chuẩn này. Đối với các tài liệu viện dẫn "
    "ghi năm công bố thì áp dụng phiên bản được nêu. Đối với các tài liệu viện dẫn không ghi năm công bố thì "
    "áp dụng phiên bản mới nhất, bao gồm cả các sửa đổi, bổ sung (nếu có)."
)


@dataclass
class Doc:
    file: str
    code: str
    title_vi: str
    title_en: str
    foreword: list[str]
    scope: list[str]
    references: list[str]
    terms: list[tuple[str, str]]
    table_title: str
    criteria: list[tuple[str, str, str]]
    more_clauses: list[tuple[str, list[str]]] = field(default_factory=list)


# Names chosen so none contains a role verb (biên soạn / đề nghị / thẩm định / công bố) of its own.
BY = "Nhóm dữ liệu mẫu biên soạn, Tổ kỹ thuật mẫu đề nghị, Hội đồng mẫu thẩm định, Đơn vị mẫu (không có thật) công bố."

DOCS = [
    Doc(
        file="TCCS-01-2026-DEMO-my-gao.pdf",
        code="TCCS 01:2026/DEMO",
        title_vi="MỲ GẠO - YÊU CẦU KỸ THUẬT (TÀI LIỆU MẪU)",
        title_en="Rice noodles - Specifications (sample document)",
        foreword=[
            "TCCS 01:2026/DEMO thay thế TCCS 01:2025/DEMO.",
            f"TCCS 01:2026/DEMO do {BY}",
            "Đây là tài liệu mẫu do chương trình tạo ra để minh họa việc nạp văn bản; các mức chỉ tiêu chỉ có "
            "tính minh họa. Giới hạn an toàn thực phẩm áp dụng theo các quy chuẩn kỹ thuật quốc gia được viện dẫn.",
        ],
        scope=[
            "Tiêu chuẩn này áp dụng cho sản phẩm mỳ gạo dạng sợi khô, được làm từ gạo tẻ, dùng làm thực phẩm.",
            "Tiêu chuẩn này không áp dụng cho mỳ ăn liền.",
        ],
        references=[
            "QCVN 8-1:2011/BYT, Quy chuẩn kỹ thuật quốc gia đối với giới hạn ô nhiễm độc tố vi nấm trong thực phẩm.",
            "QCVN 8-2:2011/BYT, Quy chuẩn kỹ thuật quốc gia đối với giới hạn ô nhiễm kim loại nặng trong thực phẩm.",
            "QCVN 8-3:2012/BYT, Quy chuẩn kỹ thuật quốc gia đối với ô nhiễm vi sinh vật trong thực phẩm.",
            "TCVN 4884-1:2015 (ISO 4833-1:2013), Vi sinh vật trong chuỗi thực phẩm - Phương pháp định lượng vi sinh vật "
            "- Phần 1: Đếm khuẩn lạc ở 30 °C bằng kỹ thuật đổ đĩa.",
            "TCVN 7087:2013, Ghi nhãn thực phẩm bao gói sẵn.",
        ],
        terms=[("Mỳ gạo (rice noodles)", "Sản phẩm dạng sợi được làm từ bột gạo, qua các công đoạn tráng, cắt sợi và làm khô.")],
        table_title="Bảng 1 - Chỉ tiêu chất lượng của mỳ gạo",
        criteria=[
            ("Trạng thái", "Sợi khô, đều, không gãy vụn", "Quan sát bằng mắt thường (5.1)"),
            ("Độ ẩm, % khối lượng, không lớn hơn", "14", "Sấy ở 105 °C đến khối lượng không đổi (5.2)"),
            ("Tổng số vi sinh vật hiếu khí, CFU/g, không lớn hơn", "10⁴", "TCVN 4884-1:2015"),
            ("Chì (Pb), mg/kg", "Theo QCVN 8-2:2011/BYT", "Theo QCVN 8-2:2011/BYT"),
            ("Aflatoxin tổng số, µg/kg", "Theo QCVN 8-1:2011/BYT", "Theo QCVN 8-1:2011/BYT"),
        ],
        more_clauses=[
            ("5 Phương pháp thử", [
                "5.1 Kiểm tra trạng thái bằng mắt thường dưới ánh sáng tự nhiên.",
                "5.2 Xác định độ ẩm bằng cách sấy mẫu ở 105 °C đến khối lượng không đổi.",
            ]),
            ("6 Ghi nhãn, bao gói, bảo quản", [
                "Ghi nhãn theo quy định hiện hành về nhãn hàng hóa; tham khảo TCVN 7087:2013.",
                "Bảo quản nơi khô ráo, thoáng mát.",
            ]),
        ],
    ),
    Doc(
        file="TCCS-02-2026-DEMO-be-tong-thuong-pham.pdf",
        code="TCCS 02:2026/DEMO",
        title_vi="BÊ TÔNG THƯƠNG PHẨM - YÊU CẦU KỸ THUẬT (TÀI LIỆU MẪU)",
        title_en="Ready-mixed concrete - Specifications (sample document)",
        foreword=[
            f"TCCS 02:2026/DEMO do {BY}",
            "Đây là tài liệu mẫu do chương trình tạo ra để minh họa việc nạp văn bản; các mức chỉ tiêu chỉ có tính minh họa.",
        ],
        scope=["Tiêu chuẩn này áp dụng cho hỗn hợp bê tông trộn sẵn được sản xuất tại trạm trộn và vận chuyển đến công trình."],
        references=[
            "TCVN 3105:2022, Hỗn hợp bê tông và bê tông - Lấy mẫu, chế tạo và bảo dưỡng mẫu thử.",
            "TCVN 3106:2022, Hỗn hợp bê tông - Phương pháp xác định độ sụt.",
            "TCVN 3111:2022, Hỗn hợp bê tông - Phương pháp áp suất xác định hàm lượng bọt khí.",
            "TCVN 3118:2022, Bê tông - Phương pháp xác định cường độ chịu nén.",
            "TCVN 4506:2012, Nước cho bê tông và vữa - Yêu cầu kỹ thuật.",
            "TCVN 7570:2006, Cốt liệu cho bê tông và vữa - Yêu cầu kỹ thuật.",
            "TCVN 9340:2012, Hỗn hợp bê tông trộn sẵn - Yêu cầu cơ bản đánh giá chất lượng và nghiệm thu.",
        ],
        terms=[("Bê tông thương phẩm (ready-mixed concrete)",
                "Hỗn hợp bê tông được trộn sẵn tại trạm trộn và giao cho bên mua ở trạng thái chưa đông kết.")],
        table_title="Bảng 1 - Chỉ tiêu kỹ thuật của bê tông thương phẩm",
        criteria=[
            ("Độ sụt, mm", "Theo thỏa thuận, sai lệch ± 20", "TCVN 3106:2022"),
            ("Hàm lượng bọt khí, % thể tích, không lớn hơn", "3", "TCVN 3111:2022"),
            ("Cường độ chịu nén ở tuổi 28 ngày", "Không nhỏ hơn cấp thiết kế", "TCVN 3118:2022"),
            ("Nước trộn", "Phù hợp TCVN 4506:2012", "TCVN 4506:2012"),
            ("Cốt liệu", "Phù hợp TCVN 7570:2006", "TCVN 7570:2006"),
        ],
        more_clauses=[
            ("5 Lấy mẫu", ["Lấy mẫu, chế tạo và bảo dưỡng mẫu thử theo TCVN 3105:2022."]),
            ("6 Nghiệm thu", ["Đánh giá chất lượng và nghiệm thu theo TCVN 9340:2012."]),
        ],
    ),
    Doc(
        file="TCCS-03-2026-DEMO-ma-kem-nhung-nong.pdf",
        code="TCCS 03:2026/DEMO",
        title_vi="LỚP PHỦ KẼM NHÚNG NÓNG TRÊN KẾT CẤU THÉP - YÊU CẦU KỸ THUẬT (TÀI LIỆU MẪU)",
        title_en="Hot dip galvanized coatings on steel structures - Specifications (sample document)",
        foreword=[
            "TCCS 03:2026/DEMO được xây dựng trên cơ sở tham khảo TCVN 5408:2007 (ISO 1461:1999).",
            f"TCCS 03:2026/DEMO do {BY}",
            "Đây là tài liệu mẫu do chương trình tạo ra để minh họa việc nạp văn bản.",
        ],
        scope=["Tiêu chuẩn này áp dụng cho lớp phủ kẽm nhúng nóng trên các chi tiết kết cấu thép chế tạo sẵn."],
        references=[
            "TCVN 5408:2007 (ISO 1461:1999), Lớp phủ kẽm nhúng nóng trên bề mặt sản phẩm gang và thép - "
            "Yêu cầu kỹ thuật và phương pháp thử.",
            "TCVN 5878:2007 (ISO 2178:1982), Lớp phủ không từ trên chất nền từ - Đo chiều dày lớp mạ - Phương pháp từ.",
        ],
        terms=[("Chiều dày lớp phủ trung bình (mean coating thickness)",
                "Giá trị trung bình của các chiều dày cục bộ trên một sản phẩm lớn hoặc trên tất cả các sản phẩm "
                "trong mẫu kiểm tra (TCVN 5408:2007).")],
        table_title="Bảng 1 - Chiều dày lớp phủ tối thiểu trên mẫu không ly tâm (theo TCVN 5408:2007)",
        criteria=[
            ("Thép dày > 6 mm: chiều dày cục bộ / trung bình, µm", "70 / 85", "TCVN 5878:2007"),
            ("Thép dày > 3 mm đến ≤ 6 mm, µm", "55 / 70", "TCVN 5878:2007"),
            ("Thép dày ≥ 1,5 mm đến ≤ 3 mm, µm", "45 / 55", "TCVN 5878:2007"),
            ("Thép dày < 1,5 mm, µm", "35 / 45", "TCVN 5878:2007"),
            ("Bề ngoài", "Không có vết rộp, vùng không được phủ", "Quan sát bằng mắt thường"),
        ],
    ),
]


def font_dir() -> Path:
    for d in FONT_DIRS:
        if d and (Path(d) / "DejaVuSans.ttf").is_file():
            return Path(d)
    sys.exit("Không tìm thấy phông DejaVu (cài gói fonts-dejavu-core hoặc đặt KB_DEJAVU_DIR)")


class StandardPDF(FPDF):
    def __init__(self, doc: Doc, fonts: Path):
        super().__init__(format="A4")
        self.doc = doc
        self.add_font("DejaVu", "", str(fonts / "DejaVuSans.ttf"))
        self.add_font("DejaVu", "B", str(fonts / "DejaVuSans-Bold.ttf"))
        self.add_font("DejaVu", "I", str(fonts / "DejaVuSans-Oblique.ttf"))
        self.set_creation_date(FIXED_DATE)
        self.set_title(f"{doc.code} {doc.title_en}")
        self.set_author("Dữ liệu mẫu – không phải văn bản chính thức")
        self.set_margins(22, 20, 18)
        self.set_auto_page_break(True, margin=22)

    def header(self) -> None:
        if self.page_no() == 1:
            return
        self.set_font("DejaVu", "B", 9)
        self.cell(0, 6, self.doc.code, align="R", new_x="LMARGIN", new_y="NEXT")
        self.ln(2)

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font("DejaVu", "I", 7.5)
        self.set_text_color(170, 0, 0)
        self.cell(0, 5, SAMPLE, align="L")
        self.set_text_color(0, 0, 0)
        self.set_font("DejaVu", "", 9)
        self.cell(0, 5, str(self.page_no()), align="R")

    def para(self, text: str, size: float = 10.5, style: str = "", indent: float = 0) -> None:
        self.set_font("DejaVu", style, size)
        self.set_x(self.l_margin + indent)
        self.multi_cell(0, 5.6, text, new_x="LMARGIN", new_y="NEXT")
        self.ln(1.5)

    def heading(self, text: str) -> None:
        self.ln(2)
        self.para(text, size=11.5, style="B")


def render(doc: Doc, fonts: Path) -> bytes:
    pdf = StandardPDF(doc, fonts)
    # Cover
    pdf.add_page()
    pdf.set_fill_color(255, 235, 235)
    pdf.set_draw_color(170, 0, 0)
    pdf.set_text_color(170, 0, 0)
    pdf.set_font("DejaVu", "B", 11)
    pdf.multi_cell(0, 9, SAMPLE, border=1, align="C", fill=True, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.set_draw_color(0, 0, 0)
    pdf.set_fill_color(255, 255, 255)
    pdf.ln(22)
    pdf.set_font("DejaVu", "B", 16)
    pdf.cell(0, 10, "TIÊU CHUẨN QUỐC GIA", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "I", 8.5)
    pdf.cell(0, 5, "(bố cục mô phỏng một TCVN; ký hiệu mẫu không thể trùng văn bản thật)", align="C",
             new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("DejaVu", "B", 20)
    pdf.cell(0, 12, doc.code, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "I", 9)
    pdf.cell(0, 6, "Xuất bản lần 1", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(28)
    pdf.set_font("DejaVu", "B", 15)
    pdf.multi_cell(0, 8, doc.title_vi, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("DejaVu", "I", 10)  # one line: the English title must not wrap on the cover
    pdf.cell(0, 7, doc.title_en, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(-45)
    pdf.set_font("DejaVu", "B", 11)
    pdf.cell(0, 7, "HÀ NỘI – 2026", align="C", new_x="LMARGIN", new_y="NEXT")

    # Foreword
    pdf.add_page()
    pdf.para("Lời nói đầu", size=13, style="B")
    for sentence in doc.foreword:
        pdf.para(sentence)

    # Body
    pdf.add_page()
    pdf.para(doc.title_vi, size=12.5, style="B")
    pdf.para(doc.title_en, size=10.5, style="I")
    pdf.heading("1 Phạm vi áp dụng")
    for s in doc.scope:
        pdf.para(s)
    pdf.heading("2 Tài liệu viện dẫn")
    pdf.para(REFERENCE_SENTENCE)
    for ref in doc.references:
        pdf.para(ref)
    pdf.heading("3 Thuật ngữ và định nghĩa")
    pdf.para("Trong tiêu chuẩn này sử dụng thuật ngữ và định nghĩa sau:")
    for i, (term, definition) in enumerate(doc.terms, start=1):
        pdf.para(f"3.{i}", style="B")
        pdf.para(term, style="B")
        pdf.para(definition)
    pdf.heading("4 Yêu cầu kỹ thuật")
    pdf.para(f"Các chỉ tiêu kỹ thuật được quy định trong {doc.table_title.split(' - ')[0]}.")
    pdf.para(doc.table_title, size=10, style="B")
    pdf.set_font("DejaVu", "", 9.5)
    head = FontFace(emphasis="BOLD", fill_color=(235, 235, 235))
    with pdf.table(col_widths=(90, 50, 50), headings_style=head, line_height=5.5, text_align="LEFT") as table:
        row = table.row()
        for h in ("Chỉ tiêu", "Mức", "Phương pháp thử"):
            row.cell(h)
        for criterion in doc.criteria:
            row = table.row()
            for value in criterion:
                row.cell(value)
    pdf.ln(3)
    for heading, paragraphs in doc.more_clauses:
        pdf.heading(heading)
        for p in paragraphs:
            pdf.para(p)
    return bytes(pdf.output())


def main() -> None:
    fonts = font_dir()
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for doc in DOCS:
        path = OUT_DIR / doc.file
        data = render(doc, fonts)
        if path.is_file() and path.read_bytes() == data:
            print(f"không đổi  {path.name}")
            continue
        path.write_bytes(data)
        print(f"đã ghi     {path.name} ({len(data) // 1024} KB)")


if __name__ == "__main__":
    main()
