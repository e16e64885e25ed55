"""Generated documents the extraction rules were not written against, each with the label a careful reader
gives it (the corpus label schema), in two parts:

- ``TUNING``: documents the rules were developed against (one per failure mode of issue 10);
- ``HELD_BACK``: other wording and layout variants in three batches, each written and committed before
  the rules it was first measured on, and never tuned against. That first score is the honest estimate
  of accuracy on unseen documents (README, "Measured").

Three layouts (fpdf2 + DejaVu):

- ``official``: a TCVN cover (letter-spaced heading, designation, edition, upper-case title, English
  title, ICS), a foreword page, body pages under a running header "designation + page";
- ``template``: a re-typeset excerpt whose header box (site name + document id, title, "Lần ban hành: 1")
  repeats on every page and which names no designation of its own;
- ``regulation``: a QCVN cover, foreword with the approval chain, clauses "1. QUY ĐỊNH CHUNG" / "1.1 ...".

A label lists only the fields it scores; ``None`` / ``[]`` mean "the document does not state it".
"""

from __future__ import annotations

from pathlib import Path

from tests.support.pdfs import _Doc, letter_spaced

NO_EQUIVALENCE = {"relation": None, "codes": []}
NO_CODE = {"code": None, "doc_type": None, "number": None, "part": None, "year": None, "issuer_suffix": None}
NO_CHAIN = {"drafted_by": None, "proposed_by": None, "appraised_by": None, "published_by": None}


def _body(pdf: _Doc, clauses: list[tuple[str, str]]) -> None:
    for head, text in clauses:
        if head:
            pdf.para(head, size=11, bold=True)
        if text:
            pdf.para(text)
        pdf.ln(2)


def build_official(path: Path, doc: dict) -> Path:
    pdf = _Doc(header_text=doc["code"])
    pdf.add_page()
    pdf.para(letter_spaced(doc.get("heading", "TIÊU CHUẨN QUỐC GIA")), size=12, bold=True, align="C")
    pdf.ln(6)
    pdf.para(doc["code"], size=16, bold=True, align="R")
    if doc.get("edition_line"):
        pdf.para(doc["edition_line"], size=10, align="R")
    pdf.ln(25)
    for line in doc["cover_title"]:
        pdf.para(line, size=14, bold=True, align="C", h=8)
    pdf.ln(4)
    for line in doc.get("cover_english", []):
        pdf.para(line, size=11, align="C")
    pdf.ln(50)
    if doc.get("ics"):
        pdf.para(f"ICS {doc['ics']}", size=10, align="L")
    pdf.para(doc.get("city_year", "HÀ NỘI – 2025"), size=11, bold=True, align="C")
    pdf.running = True
    pdf.add_page()
    pdf.para("Lời nói đầu", size=13, bold=True)
    pdf.ln(2)
    pdf.para(doc["foreword"])
    pdf.add_page()
    pdf.para(f"{letter_spaced(doc.get('heading', 'TIÊU CHUẨN QUỐC GIA'))}    {doc['code']}", size=11, bold=True)
    pdf.ln(2)
    for line in doc["body_title"]:
        pdf.para(line, size=13, bold=True)
    for line in doc.get("body_english", []):
        pdf.para(line, size=11)
    pdf.ln(3)
    _body(pdf, doc["clauses"])
    pdf.output(str(path))
    return path


class _Template(_Doc):
    """A header box repeated on every page: site + id, then the title wrapped in a narrow cell."""

    def __init__(self, box: list[str]):
        super().__init__()
        self._box = box

    def header(self):
        self.set_font("DejaVu", "B", 10)
        self.set_xy(20, 8)
        for line in self._box:
            self.cell(170, 5, line, new_x="LMARGIN", new_y="NEXT")
        self.set_xy(20, 10 + 5 * len(self._box) + 6)


def build_template(path: Path, doc: dict) -> Path:
    pdf = _Template(doc["header_box"])
    for page in doc["pages"]:
        pdf.add_page()
        _body(pdf, page)
    pdf.output(str(path))
    return path


def build_regulation(path: Path, doc: dict) -> Path:
    pdf = _Doc(header_text=doc["code"])
    pdf.add_page()
    pdf.para("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", size=12, bold=True, align="C")
    pdf.ln(10)
    pdf.para(doc["code"], size=16, bold=True, align="C")
    pdf.ln(15)
    for line in doc["cover_title"]:
        pdf.para(line, size=14, bold=True, align="C", h=8)
    pdf.ln(4)
    for line in doc.get("cover_english", []):
        pdf.para(line, size=11, align="C")
    pdf.ln(60)
    pdf.para(doc.get("city_year", "HÀ NỘI – 2025"), size=11, bold=True, align="C")
    pdf.running = True
    pdf.add_page()
    pdf.para("Lời nói đầu", size=13, bold=True)
    pdf.ln(2)
    pdf.para(doc["foreword"])
    pdf.add_page()
    _body(pdf, doc["clauses"])
    pdf.output(str(path))
    return path


BUILDERS = {"official": build_official, "template": build_template, "regulation": build_regulation}


def build(path: Path, doc: dict) -> Path:
    return BUILDERS[doc["layout"]](Path(path), doc)


# ---------------------------------------------------------------------------------------------
# Tuning part: the rules are developed against these.

TUNING: list[dict] = [
    {
        "name": "tune_official_lab_wrapped_title",
        "layout": "official",
        "code": "TCVN 15230:2025",
        "edition_line": "Xuất bản lần 1",
        "cover_title": ["TIÊU CHUẨN PHÒNG XÉT NGHIỆM", "Y TẾ - YÊU CẦU VỀ CHẤT LƯỢNG VÀ NĂNG LỰC"],
        "cover_english": ["Medical laboratories - Requirements for quality and competence"],
        "ics": "11.100.01",
        "foreword": (
            "TCVN 15230:2025 thay thế TCVN 7782:2008.\n"
            "TCVN 15230:2025 hoàn toàn tương đương với ISO 15189:2022.\n"
            "TCVN 15230:2025 do Ban kỹ thuật tiêu chuẩn quốc gia TCVN/TC 212 Phòng thí nghiệm y tế biên soạn, "
            "Tổng cục Tiêu chuẩn Đo lường Chất lượng đề nghị, Bộ Khoa học và Công nghệ thẩm định và công bố."
        ),
        "body_title": ["Tiêu chuẩn phòng xét nghiệm y tế - Yêu cầu về chất lượng và năng lực"],
        "body_english": ["Medical laboratories - Requirements for quality and competence"],
        "clauses": [
            ("1 Phạm vi áp dụng",
             "Tài liệu này quy định các yêu cầu về chất lượng và năng lực của phòng xét nghiệm y tế. "
             "Tài liệu này áp dụng cho phòng xét nghiệm y tế khi xây dựng hệ thống quản lý."),
            ("2 Tài liệu viện dẫn",
             "Các tài liệu viện dẫn sau rất cần thiết cho việc áp dụng tài liệu này.\n"
             "TCVN ISO/IEC 17025:2017, Yêu cầu chung về năng lực của phòng thử nghiệm và hiệu chuẩn.\n"
             "ISO 22367, Medical laboratories - Application of risk management to medical laboratories."),
            ("3 Thuật ngữ và định nghĩa", "Tài liệu này áp dụng các thuật ngữ và định nghĩa sau."),
            ("4 Yêu cầu chung", "Phòng xét nghiệm phải khách quan và bảo mật thông tin."),
            ("5 Yêu cầu về cơ cấu", "Phòng xét nghiệm phải là một thực thể pháp lý."),
        ],
        "label": {
            "kind": "standard", "code": "TCVN 15230:2025", "doc_type": "TCVN", "number": "15230", "part": None,
            "year": 2025, "issuer_suffix": None,
            "title_vi": "TIÊU CHUẨN PHÒNG XÉT NGHIỆM Y TẾ - YÊU CẦU VỀ CHẤT LƯỢNG VÀ NĂNG LỰC",
            "title_en": "Medical laboratories - Requirements for quality and competence",
            "edition": 1, "replaces": ["TCVN 7782:2008"],
            "equivalence": {"relation": "IDT", "codes": ["ISO 15189:2022"]},
            "drafted_by": "Ban kỹ thuật tiêu chuẩn quốc gia TCVN/TC 212 Phòng thí nghiệm y tế",
            "proposed_by": "Tổng cục Tiêu chuẩn Đo lường Chất lượng",
            "appraised_by": "Bộ Khoa học và Công nghệ", "published_by": "Bộ Khoa học và Công nghệ",
            "normative_references": ["TCVN ISO/IEC 17025:2017", "ISO 22367"],
            "sections": ["1 Phạm vi áp dụng", "2 Tài liệu viện dẫn", "3 Thuật ngữ và định nghĩa", "4 Yêu cầu chung",
                         "5 Yêu cầu về cơ cấu"],
            "scope_first_sentence": "Tài liệu này quy định các yêu cầu về chất lượng và năng lực của phòng xét nghiệm y tế.",
            "ics": "11.100.01",
        },
    },
    {
        "name": "tune_template_header_title_bullets",
        "layout": "template",
        "header_box": ["VIETTEL AI RACE TD031", "TIÊU CHUẨN PHÒNG XÉT NGHIỆM Y", "TẾ Lần ban hành: 1"],
        "pages": [
            [
                ("1. Phạm vi áp dụng",
                 "• Tiêu chuẩn này quy định yêu cầu về an toàn sinh học cho phòng xét nghiệm y tế.\n"
                 "• Tiêu chuẩn này không áp dụng cho phòng xét nghiệm thú y."),
                ("2. Tài liệu viện dẫn",
                 "TCVN 6707:2009, Chất thải nguy hại - Dấu hiệu cảnh báo.\n"
                 "ETAG 018, Guideline for European technical approval of fire protective products."),
                ("3. Phân loại phòng xét nghiệm",
                 "Bảng 1 - Cấp an toàn sinh học\n"
                 "1. Cấp 1: tác nhân không gây bệnh\n2. Cấp 2: tác nhân gây bệnh nhẹ\n3. Cấp 3: tác nhân nguy hiểm\n"
                 "4. Cấp 4: tác nhân đặc biệt nguy hiểm\n5. Cấp 5: dự phòng\n6. Cấp 6: dự phòng\n"
                 "7. Cấp 7: dự phòng\n8. Cấp 8: dự phòng"),
                ("4. Quy hoạch mặt bằng phòng xét nghiệm", "Phòng xét nghiệm phải tách biệt khu hành chính."),
            ],
            [
                ("5. Trang thiết bị", "Tủ an toàn sinh học phải được kiểm định hằng năm."),
            ],
        ],
        "label": {
            "kind": "standard", **NO_CODE,
            "title_vi": "TIÊU CHUẨN PHÒNG XÉT NGHIỆM Y TẾ", "title_en": None, "edition": None, "replaces": [],
            "equivalence": NO_EQUIVALENCE, **NO_CHAIN,
            "normative_references": ["TCVN 6707:2009", "ETAG 018"],
            "sections": ["1. Phạm vi áp dụng", "2. Tài liệu viện dẫn", "3. Phân loại phòng xét nghiệm",
                         "4. Quy hoạch mặt bằng phòng xét nghiệm", "5. Trang thiết bị"],
            "scope_first_sentence": "Tiêu chuẩn này quy định yêu cầu về an toàn sinh học cho phòng xét nghiệm y tế.",
            "ics": None,
        },
    },
    {
        "name": "tune_regulation_dash_title_list_scope",
        "layout": "regulation",
        "code": "QCVN 132:2025/BTTTT",
        "cover_title": ["QUY CHUẨN KỸ THUẬT QUỐC GIA", "VỀ THIẾT BỊ VÔ TUYẾN DẢI TẦN 25 MHz", "- 1 GHz"],
        "cover_english": ["National technical regulation on radio equipment operating in the 25 MHz - 1 GHz band"],
        "foreword": (
            "QCVN 132:2025/BTTTT thay thế QCVN 18:2014/BTTTT.\n"
            "QCVN 132:2025/BTTTT do Cục Viễn thông biên soạn, Vụ Khoa học và Công nghệ đề nghị, "
            "Bộ Khoa học và Công nghệ thẩm định, Bộ trưởng Bộ Thông tin và Truyền thông ban hành."
        ),
        "clauses": [
            ("1. QUY ĐỊNH CHUNG", ""),
            ("1.1 Phạm vi điều chỉnh",
             "Quy chuẩn này quy định các yêu cầu kỹ thuật đối với các thiết bị sau:\n"
             "1) thiết bị vô tuyến cố định;\n2) thiết bị vô tuyến di động."),
            ("1.2 Tài liệu viện dẫn",
             "IEC 61000-4-3:2020, Electromagnetic compatibility.\nTCVN 8241-4-3:2009, Tương thích điện từ."),
            ("2. QUY ĐỊNH KỸ THUẬT", "Thiết bị phải đáp ứng các yêu cầu về công suất phát."),
            ("3. QUY ĐỊNH VỀ QUẢN LÝ", "Thiết bị phải được chứng nhận hợp quy."),
            ("4. TỔ CHỨC THỰC HIỆN", "Cục Viễn thông hướng dẫn thực hiện quy chuẩn này."),
        ],
        "label": {
            "kind": "regulation", "code": "QCVN 132:2025/BTTTT", "doc_type": "QCVN", "number": "132", "part": None,
            "year": 2025, "issuer_suffix": "BTTTT",
            "title_vi": "QUY CHUẨN KỸ THUẬT QUỐC GIA VỀ THIẾT BỊ VÔ TUYẾN DẢI TẦN 25 MHz - 1 GHz",
            "title_en": "National technical regulation on radio equipment operating in the 25 MHz - 1 GHz band",
            "edition": None, "replaces": ["QCVN 18:2014/BTTTT"], "equivalence": NO_EQUIVALENCE,
            "drafted_by": "Cục Viễn thông", "proposed_by": "Vụ Khoa học và Công nghệ",
            "appraised_by": "Bộ Khoa học và Công nghệ",
            "published_by": "Bộ trưởng Bộ Thông tin và Truyền thông",
            "normative_references": ["IEC 61000-4-3:2020", "TCVN 8241-4-3:2009"],
            "sections": ["1. QUY ĐỊNH CHUNG", "2. QUY ĐỊNH KỸ THUẬT", "3. QUY ĐỊNH VỀ QUẢN LÝ", "4. TỔ CHỨC THỰC HIỆN"],
            "scope_first_sentence": "Quy chuẩn này quy định các yêu cầu kỹ thuật đối với các thiết bị sau:",
        },
    },
    {
        "name": "tune_template_no_designation_table_rows",
        "layout": "template",
        "header_box": ["VIETTEL AI RACE TD044", "HƯỚNG DẪN THI CÔNG VÁCH KÍNH", "Lần ban hành: 1"],
        "pages": [
            [
                ("1. Phạm vi áp dụng",
                 "Tài liệu này hướng dẫn thi công và nghiệm thu vách kính dùng keo kết cấu cho nhà cao tầng. "
                 "Tài liệu này không áp dụng cho mái kính."),
                ("2. Tài liệu viện dẫn",
                 "ETAG 002-1, Structural sealant glazing kits.\nTCVN 7505:2005, Quy phạm sử dụng kính trong xây dựng.\n"
                 "EN 1279"),
                ("3. Vật liệu",
                 "1. Kính cường lực\n2. Kính dán an toàn\n3. Keo kết cấu silicone\n4. Thanh nhôm định hình"),
                ("4. Thi công", "Lắp khung nhôm trước khi dán kính."),
                ("5. Nghiệm thu", "Kiểm tra độ kín nước theo TCVN 7505:2005."),
            ],
        ],
        "label": {
            "kind": "other", **NO_CODE,
            "title_vi": "HƯỚNG DẪN THI CÔNG VÁCH KÍNH", "title_en": None, "edition": None, "replaces": [],
            "equivalence": NO_EQUIVALENCE, **NO_CHAIN,
            "normative_references": ["ETAG 002-1", "TCVN 7505:2005", "EN 1279"],
            "sections": ["1. Phạm vi áp dụng", "2. Tài liệu viện dẫn", "3. Vật liệu", "4. Thi công", "5. Nghiệm thu"],
            "scope_first_sentence": "Tài liệu này hướng dẫn thi công và nghiệm thu vách kính dùng keo kết cấu cho nhà cao tầng.",
            "ics": None,
        },
    },
    {
        "name": "tune_official_scope_without_heading",
        "layout": "official",
        "code": "TCVN 13980:2024",
        "edition_line": None,
        "cover_title": ["SƠN VÀ VECNI - XÁC ĐỊNH ĐỘ BÁM DÍNH", "BẰNG PHƯƠNG PHÁP KÉO ĐỨT"],
        "cover_english": ["Paints and varnishes - Pull-off test for adhesion"],
        "foreword": (
            "TCVN 13980:2024 được xây dựng trên cơ sở tham khảo ISO 4624:2023.\n"
            "TCVN 13980:2024 do Viện Vật liệu xây dựng biên soạn, Bộ Xây dựng đề nghị, Tổng cục Tiêu chuẩn Đo lường "
            "Chất lượng thẩm định, Bộ Khoa học và Công nghệ công bố."
        ),
        "body_title": ["Sơn và vecni - Xác định độ bám dính bằng phương pháp kéo đứt"],
        "body_english": ["Paints and varnishes - Pull-off test for adhesion"],
        "clauses": [
            ("", "Tài liệu này quy định phương pháp xác định độ bám dính của lớp phủ sơn bằng phép thử kéo đứt. "
                 "Phương pháp áp dụng cho nền bê tông và nền thép."),
            ("1 Thiết bị, dụng cụ", "Thiết bị kéo đứt có lực kéo đến 10 kN."),
            ("2 Cách tiến hành", "Dán quả kéo lên bề mặt lớp phủ."),
            ("3 Báo cáo thử nghiệm", "Ghi lại lực kéo đứt."),
        ],
        "label": {
            "kind": "standard", "code": "TCVN 13980:2024", "doc_type": "TCVN", "number": "13980", "part": None,
            "year": 2024, "issuer_suffix": None,
            "title_vi": "SƠN VÀ VECNI - XÁC ĐỊNH ĐỘ BÁM DÍNH BẰNG PHƯƠNG PHÁP KÉO ĐỨT",
            "title_en": "Paints and varnishes - Pull-off test for adhesion",
            "edition": None, "replaces": [],
            "equivalence": {"relation": "reference", "codes": ["ISO 4624:2023"]},
            "drafted_by": "Viện Vật liệu xây dựng", "proposed_by": "Bộ Xây dựng",
            "appraised_by": "Tổng cục Tiêu chuẩn Đo lường Chất lượng", "published_by": "Bộ Khoa học và Công nghệ",
            "normative_references": [],
            "sections": ["1 Thiết bị, dụng cụ", "2 Cách tiến hành", "3 Báo cáo thử nghiệm"],
            "scope_first_sentence": "Tài liệu này quy định phương pháp xác định độ bám dính của lớp phủ sơn bằng "
                                    "phép thử kéo đứt.",
        },
    },
    {
        "name": "tune_template_running_header_title",
        "layout": "template",
        "header_box": ["VIETTEL AI RACE TD052", "TIÊU CHUẨN THIẾT KẾ KẾT CẤU THÉP CHO NHÀ XƯỞNG MỘT", "TẦNG Lần ban hành: 1"],
        "pages": [
            [
                ("1. Phạm vi áp dụng",
                 "Tiêu chuẩn này áp dụng để thiết kế kết cấu thép của nhà xưởng một tầng khung cứng. "
                 "Tiêu chuẩn này không áp dụng cho nhà nhiều tầng."),
                ("2. Tài liệu viện dẫn", "TCVN 5575:2012, Kết cấu thép - Tiêu chuẩn thiết kế.\nETAG 018\nEN 1993-1-1"),
            ],
            [("3. Vật liệu", "Thép tấm và thép hình phải có chứng chỉ xuất xưởng.")],
            [("4. Tải trọng và tác động", "Tải trọng gió lấy theo TCVN 2737:2023.")],
        ],
        "label": {
            "kind": "standard", **NO_CODE,
            "title_vi": "TIÊU CHUẨN THIẾT KẾ KẾT CẤU THÉP CHO NHÀ XƯỞNG MỘT TẦNG", "title_en": None, "edition": None,
            "replaces": [], "equivalence": NO_EQUIVALENCE, **NO_CHAIN,
            "normative_references": ["TCVN 5575:2012", "ETAG 018", "EN 1993-1-1"],
            "sections": ["1. Phạm vi áp dụng", "2. Tài liệu viện dẫn", "3. Vật liệu", "4. Tải trọng và tác động"],
            "scope_first_sentence": "Tiêu chuẩn này áp dụng để thiết kế kết cấu thép của nhà xưởng một tầng khung cứng.",
            "ics": None,
        },
    },
    # Second round of tuning: a heading directly above a numbered list; a title line opening with a word
    # that also opens letterheads ("TRƯỜNG").
    {
        "name": "tune_template_list_right_under_heading",
        "layout": "template",
        "header_box": ["VIETTEL AI RACE TD061", "HƯỚNG DẪN VẬN HÀNH TRẠM XỬ LÝ NƯỚC THẢI", "Lần ban hành: 1"],
        "pages": [
            [
                ("1. Phạm vi áp dụng", "Tài liệu này hướng dẫn vận hành trạm xử lý nước thải sinh hoạt."),
                ("2. Khởi động trạm", "1. Kiểm tra bơm\n2. Mở van cấp khí\n3. Bật máy thổi khí"),
                ("3. Dừng trạm", "Tắt máy thổi khí sau khi dừng bơm."),
            ],
        ],
        "label": {
            "kind": "other", **NO_CODE,
            "title_vi": "HƯỚNG DẪN VẬN HÀNH TRẠM XỬ LÝ NƯỚC THẢI", "title_en": None, "edition": None, "replaces": [],
            "equivalence": NO_EQUIVALENCE, **NO_CHAIN, "normative_references": [],
            "sections": ["1. Phạm vi áp dụng", "2. Khởi động trạm", "3. Dừng trạm"],
            "scope_first_sentence": "Tài liệu này hướng dẫn vận hành trạm xử lý nước thải sinh hoạt.",
            "ics": None,
        },
    },
    {
        "name": "tune_regulation_title_line_opens_with_truong",
        "layout": "regulation",
        "code": "QCVN 21:2025/BTNMT",
        "cover_title": ["QUY CHUẨN KỸ THUẬT QUỐC GIA VỀ QUAN TRẮC", "TRƯỜNG ĐIỆN TỪ MÔI TRƯỜNG"],
        "cover_english": ["National technical regulation on environmental electromagnetic field monitoring"],
        "foreword": (
            "QCVN 21:2025/BTNMT do Cục Kiểm soát ô nhiễm môi trường biên soạn, Vụ Khoa học và Công nghệ trình duyệt, "
            "Bộ trưởng Bộ Tài nguyên và Môi trường ban hành."
        ),
        "clauses": [
            ("1. QUY ĐỊNH CHUNG", ""),
            ("1.1 Phạm vi điều chỉnh", "Quy chuẩn này quy định yêu cầu kỹ thuật quan trắc trường điện từ."),
            ("2. QUY ĐỊNH KỸ THUẬT", "Thiết bị đo phải được hiệu chuẩn."),
            ("3. TỔ CHỨC THỰC HIỆN", "Sở Tài nguyên và Môi trường hướng dẫn thực hiện."),
        ],
        "label": {
            "kind": "regulation", "code": "QCVN 21:2025/BTNMT", "doc_type": "QCVN", "number": "21", "part": None,
            "year": 2025, "issuer_suffix": "BTNMT",
            "title_vi": "QUY CHUẨN KỸ THUẬT QUỐC GIA VỀ QUAN TRẮC TRƯỜNG ĐIỆN TỪ MÔI TRƯỜNG",
            "title_en": "National technical regulation on environmental electromagnetic field monitoring",
            "edition": None, "replaces": [], "equivalence": NO_EQUIVALENCE,
            "drafted_by": "Cục Kiểm soát ô nhiễm môi trường", "proposed_by": None, "appraised_by": None,
            "published_by": "Bộ trưởng Bộ Tài nguyên và Môi trường", "submitted_by": "Vụ Khoa học và Công nghệ",
            "normative_references": [],
            "sections": ["1. QUY ĐỊNH CHUNG", "2. QUY ĐỊNH KỸ THUẬT", "3. TỔ CHỨC THỰC HIỆN"],
            "scope_first_sentence": "Quy chuẩn này quy định yêu cầu kỹ thuật quan trắc trường điện từ.",
        },
    },
]


# ---------------------------------------------------------------------------------------------
# Held-back part: written before tuning, never tuned against (see the module docstring).

HELD_BACK: list[dict] = [
    {
        "name": "held_official_three_line_title_en_dash",
        "layout": "official",
        "code": "TCVN 14512-2:2025",
        "edition_line": "Xuất bản lần 2",
        "cover_title": ["THIẾT BỊ ĐIỆN GIA DỤNG VÀ THIẾT BỊ ĐIỆN TƯƠNG TỰ", "– AN TOÀN – PHẦN 2: YÊU CẦU CỤ THỂ",
                        "ĐỐI VỚI BẾP ĐIỆN"],
        "cover_english": ["Household and similar electrical appliances - Safety -",
                          "Part 2: Particular requirements for cooking ranges"],
        "ics": "97.040.20",
        "foreword": (
            "TCVN 14512-2:2025 thay thế TCVN 5699-2-6:2010.\n"
            "TCVN 14512-2:2025 hoàn toàn tương đương với IEC 60335-2-6:2021.\n"
            "TCVN 14512-2:2025 do Ban kỹ thuật tiêu chuẩn quốc gia TCVN/TC/E2 Thiết bị điện dân dụng biên soạn, "
            "Tổng cục Tiêu chuẩn Đo lường Chất lượng đề nghị, Bộ Khoa học và Công nghệ thẩm định và công bố."
        ),
        "body_title": ["Thiết bị điện gia dụng và thiết bị điện tương tự - An toàn - Phần 2: Yêu cầu cụ thể đối với",
                       "bếp điện"],
        "body_english": ["Household and similar electrical appliances - Safety - Part 2: Particular requirements for",
                         "cooking ranges"],
        "clauses": [
            ("1 Phạm vi áp dụng",
             "Tài liệu này đề cập đến an toàn của bếp điện dùng trong gia đình có điện áp danh định không lớn "
             "hơn 250 V. Tài liệu này cũng áp dụng cho lò nướng."),
            ("2 Tài liệu viện dẫn",
             "Áp dụng điều này của Phần 1.\nTCVN 5699-1:2010 (IEC 60335-1:2010), Thiết bị điện gia dụng - An toàn.\n"
             "ETAG 016"),
            ("3 Thuật ngữ và định nghĩa", "Áp dụng điều này của Phần 1."),
            ("4 Yêu cầu chung", "Áp dụng điều này của Phần 1."),
        ],
        "label": {
            "kind": "standard", "code": "TCVN 14512-2:2025", "doc_type": "TCVN", "number": "14512", "part": "2",
            "year": 2025, "issuer_suffix": None,
            "title_vi": "THIẾT BỊ ĐIỆN GIA DỤNG VÀ THIẾT BỊ ĐIỆN TƯƠNG TỰ – AN TOÀN – PHẦN 2: YÊU CẦU CỤ THỂ "
                        "ĐỐI VỚI BẾP ĐIỆN",
            "title_en": "Household and similar electrical appliances - Safety - Part 2: Particular requirements "
                        "for cooking ranges",
            "edition": 2, "replaces": ["TCVN 5699-2-6:2010"],
            "equivalence": {"relation": "IDT", "codes": ["IEC 60335-2-6:2021"]},
            "drafted_by": "Ban kỹ thuật tiêu chuẩn quốc gia TCVN/TC/E2 Thiết bị điện dân dụng",
            "proposed_by": "Tổng cục Tiêu chuẩn Đo lường Chất lượng",
            "appraised_by": "Bộ Khoa học và Công nghệ", "published_by": "Bộ Khoa học và Công nghệ",
            "normative_references": ["TCVN 5699-1:2010", "IEC 60335-1:2010", "ETAG 016"],
            "sections": ["1 Phạm vi áp dụng", "2 Tài liệu viện dẫn", "3 Thuật ngữ và định nghĩa", "4 Yêu cầu chung"],
            "scope_first_sentence": "Tài liệu này đề cập đến an toàn của bếp điện dùng trong gia đình có điện áp "
                                    "danh định không lớn hơn 250 V.",
            "ics": "97.040.20",
        },
    },
    {
        "name": "held_template_short_header_word_dash_bullets",
        "layout": "template",
        "header_box": ["VIETTEL AI RACE TD077", "TIÊU CHUẨN THIẾT KẾ NHÀ TRẺ VÀ TRƯỜNG MẪU GIÁO - YÊU CẦU",
                       "CHUNG Lần ban hành: 1"],
        "pages": [
            [
                ("1. Phạm vi áp dụng",
                 "- Tiêu chuẩn này áp dụng để thiết kế mới và cải tạo nhà trẻ, trường mẫu giáo.\n"
                 "- Tiêu chuẩn này không áp dụng cho nhóm trẻ gia đình."),
                ("2. Tài liệu viện dẫn",
                 "TCVN 2622:1995, Phòng cháy, chống cháy cho nhà và công trình.\nQCVN 06:2022/BXD\nETAG 004"),
                ("3. Quy định chung",
                 "Bảng 2 - Diện tích sử dụng\n1. Phòng sinh hoạt chung: 1,5 m2/trẻ\n2. Phòng ngủ: 1,2 m2/trẻ\n"
                 "3. Phòng vệ sinh: 0,4 m2/trẻ"),
                ("4. Yêu cầu về khu đất xây dựng", "Khu đất phải cao ráo, thoáng mát."),
            ],
        ],
        "label": {
            "kind": "standard", **NO_CODE,
            "title_vi": "TIÊU CHUẨN THIẾT KẾ NHÀ TRẺ VÀ TRƯỜNG MẪU GIÁO - YÊU CẦU CHUNG", "title_en": None,
            "edition": None, "replaces": [], "equivalence": NO_EQUIVALENCE, **NO_CHAIN,
            "normative_references": ["TCVN 2622:1995", "QCVN 06:2022/BXD", "ETAG 004"],
            "sections": ["1. Phạm vi áp dụng", "2. Tài liệu viện dẫn", "3. Quy định chung",
                         "4. Yêu cầu về khu đất xây dựng"],
            "scope_first_sentence": "Tiêu chuẩn này áp dụng để thiết kế mới và cải tạo nhà trẻ, trường mẫu giáo.",
            "ics": None,
        },
    },
    {
        "name": "held_regulation_lettered_list_dash_line",
        "layout": "regulation",
        "code": "QCVN 47:2025/BKHCN",
        "cover_title": ["QUY CHUẨN KỸ THUẬT QUỐC GIA VỀ PHỔ TẦN SỐ", "VÀ BỨC XẠ VÔ TUYẾN ĐIỆN DẢI TẦN 9 kHz",
                        "- 3 GHz"],
        "cover_english": ["National technical regulation on spectrum and radio emission in the 9 kHz - 3 GHz band"],
        "foreword": (
            "QCVN 47:2025/BKHCN thay thế QCVN 47:2015/BTTTT.\n"
            "QCVN 47:2025/BKHCN do Viện Đo lường Việt Nam biên soạn, Ủy ban Tiêu chuẩn Đo lường Chất lượng quốc gia "
            "đề nghị, Vụ Pháp chế thẩm định, Bộ trưởng Bộ Khoa học và Công nghệ ban hành."
        ),
        "clauses": [
            ("1. QUY ĐỊNH CHUNG", ""),
            ("1.1 Phạm vi điều chỉnh",
             "Văn bản này quy định mức tối đa cho phép của phát xạ giả trong các trường hợp sau:\n"
             "a) máy phát vô tuyến điện;\nb) thiết bị thu phát vô tuyến điện."),
            ("1.2 Tài liệu viện dẫn", "QCVN 18:2022/BTTTT\nETAG 029"),
            ("2. QUY ĐỊNH KỸ THUẬT", "Mức phát xạ giả không vượt quá giới hạn tại Bảng 1."),
            ("3. QUY ĐỊNH VỀ QUẢN LÝ", "Thiết bị phải được công bố hợp quy."),
            ("4. TRÁCH NHIỆM CỦA TỔ CHỨC, CÁ NHÂN", "Tổ chức, cá nhân phải bảo đảm thiết bị phù hợp."),
            ("5. TỔ CHỨC THỰC HIỆN", "Cục Tần số vô tuyến điện hướng dẫn thực hiện."),
        ],
        "label": {
            "kind": "regulation", "code": "QCVN 47:2025/BKHCN", "doc_type": "QCVN", "number": "47", "part": None,
            "year": 2025, "issuer_suffix": "BKHCN",
            "title_vi": "QUY CHUẨN KỸ THUẬT QUỐC GIA VỀ PHỔ TẦN SỐ VÀ BỨC XẠ VÔ TUYẾN ĐIỆN DẢI TẦN 9 kHz - 3 GHz",
            "title_en": "National technical regulation on spectrum and radio emission in the 9 kHz - 3 GHz band",
            "edition": None, "replaces": ["QCVN 47:2015/BTTTT"], "equivalence": NO_EQUIVALENCE,
            "drafted_by": "Viện Đo lường Việt Nam",
            "proposed_by": "Ủy ban Tiêu chuẩn Đo lường Chất lượng quốc gia",
            "appraised_by": "Vụ Pháp chế", "published_by": "Bộ trưởng Bộ Khoa học và Công nghệ",
            "normative_references": ["QCVN 18:2022/BTTTT", "ETAG 029"],
            "sections": ["1. QUY ĐỊNH CHUNG", "2. QUY ĐỊNH KỸ THUẬT", "3. QUY ĐỊNH VỀ QUẢN LÝ",
                         "4. TRÁCH NHIỆM CỦA TỔ CHỨC, CÁ NHÂN", "5. TỔ CHỨC THỰC HIỆN"],
            "scope_first_sentence": "Văn bản này quy định mức tối đa cho phép của phát xạ giả trong các trường "
                                    "hợp sau:",
        },
    },
    {
        "name": "held_template_excerpt_other_rows_before_section",
        "layout": "template",
        "header_box": ["VIETTEL AI RACE TD090", "QUY TRÌNH KIỂM ĐỊNH CẦN TRỤC", "Lần ban hành: 1"],
        "pages": [
            [
                ("1. Phạm vi áp dụng",
                 "Tài liệu này quy định trình tự kiểm định kỹ thuật an toàn cần trục tháp. "
                 "Tài liệu này dùng cho kiểm định viên."),
                ("2. Tài liệu viện dẫn", "TCVN 4244:2005, Thiết bị nâng - Thiết kế, chế tạo và kiểm tra.\nETAG 001"),
                ("3. Các bước kiểm định",
                 "1. Kiểm tra hồ sơ\n2. Kiểm tra bên ngoài\n3. Thử không tải\n4. Thử tải tĩnh\n5. Thử tải động\n"
                 "6. Xử lý kết quả"),
            ],
            [
                ("4. Xử lý kết quả kiểm định", "Lập biên bản kiểm định theo mẫu."),
            ],
        ],
        "label": {
            "kind": "other", **NO_CODE,
            "title_vi": "QUY TRÌNH KIỂM ĐỊNH CẦN TRỤC", "title_en": None, "edition": None, "replaces": [],
            "equivalence": NO_EQUIVALENCE, **NO_CHAIN,
            "normative_references": ["TCVN 4244:2005", "ETAG 001"],
            "sections": ["1. Phạm vi áp dụng", "2. Tài liệu viện dẫn", "3. Các bước kiểm định",
                         "4. Xử lý kết quả kiểm định"],
            "scope_first_sentence": "Tài liệu này quy định trình tự kiểm định kỹ thuật an toàn cần trục tháp.",
            "ics": None,
        },
    },
]

# Second held-back batch: written after the rules were tuned and never tuned against, so it measures
# the finished rules on wording they have not seen.
HELD_BACK += [
    {
        "name": "held2_official_lettered_tests_dash_unit_title",
        "layout": "official",
        "code": "TCVN 9067-3:2025",
        "edition_line": "Xuất bản lần 2",
        "cover_title": ["TẤM TRẢI CHỐNG THẤM TRÊN CƠ SỞ BITUM BIẾN TÍNH", "– PHƯƠNG PHÁP THỬ – PHẦN 3: XÁC ĐỊNH ĐỘ",
                        "BỀN CHỊU NHIỆT Ở 70 °C"],
        "cover_english": ["Modified bitumen waterproofing sheets - Test methods - Part 3: Determination of heat",
                          "resistance at 70 °C"],
        "ics": "91.100.50",
        "foreword": (
            "TCVN 9067-3:2025 thay thế TCVN 9067-3:2012.\n"
            "TCVN 9067-3:2025 được xây dựng trên cơ sở tham khảo ASTM D5147-20.\n"
            "TCVN 9067-3:2025 do Viện Khoa học Công nghệ Xây dựng biên soạn, Bộ Xây dựng đề nghị, Ủy ban Tiêu chuẩn "
            "Đo lường Chất lượng quốc gia thẩm định, Bộ Khoa học và Công nghệ công bố."
        ),
        "body_title": ["Tấm trải chống thấm trên cơ sở bitum biến tính - Phương pháp thử - Phần 3: Xác định độ bền",
                       "chịu nhiệt ở 70 °C"],
        "body_english": ["Modified bitumen waterproofing sheets - Test methods - Part 3: Determination of heat",
                         "resistance at 70 °C"],
        "clauses": [
            ("1 Phạm vi áp dụng",
             "Tiêu chuẩn này quy định phương pháp xác định độ bền chịu nhiệt của tấm trải chống thấm gồm các bước "
             "sau:\na) chuẩn bị mẫu;\nb) gia nhiệt mẫu;\nc) đánh giá mẫu."),
            ("2 Tài liệu viện dẫn",
             "TCVN 9067-1:2025, Tấm trải chống thấm - Phần 1: Lấy mẫu.\nASTM D5147\nETAG 005-1"),
            ("3 Thiết bị, dụng cụ", "Tủ sấy có điều chỉnh nhiệt độ."),
            ("4 Chuẩn bị mẫu",
             "Bảng 1 - Kích thước mẫu\n1 Mẫu dọc: 100 mm × 50 mm\n2 Mẫu ngang: 100 mm × 50 mm\n"
             "3 Mẫu đối chứng: 100 mm × 50 mm\n4 Mẫu dự phòng: 100 mm × 50 mm\n5 Mẫu lưu: 100 mm × 50 mm"),
            ("5 Cách tiến hành", "Treo mẫu thẳng đứng trong tủ sấy trong 2 h."),
            ("6 Báo cáo thử nghiệm", "Báo cáo gồm số hiệu tiêu chuẩn này."),
        ],
        "label": {
            "kind": "standard", "code": "TCVN 9067-3:2025", "doc_type": "TCVN", "number": "9067", "part": "3",
            "year": 2025, "issuer_suffix": None,
            "title_vi": "TẤM TRẢI CHỐNG THẤM TRÊN CƠ SỞ BITUM BIẾN TÍNH – PHƯƠNG PHÁP THỬ – PHẦN 3: XÁC ĐỊNH ĐỘ "
                        "BỀN CHỊU NHIỆT Ở 70 °C",
            "title_en": "Modified bitumen waterproofing sheets - Test methods - Part 3: Determination of heat "
                        "resistance at 70 °C",
            "edition": 2, "replaces": ["TCVN 9067-3:2012"],
            "equivalence": {"relation": "reference", "codes": ["ASTM D5147-20"]},
            "drafted_by": "Viện Khoa học Công nghệ Xây dựng", "proposed_by": "Bộ Xây dựng",
            "appraised_by": "Ủy ban Tiêu chuẩn Đo lường Chất lượng quốc gia",
            "published_by": "Bộ Khoa học và Công nghệ",
            "normative_references": ["TCVN 9067-1:2025", "ASTM D5147", "ETAG 005-1"],
            "sections": ["1 Phạm vi áp dụng", "2 Tài liệu viện dẫn", "3 Thiết bị, dụng cụ", "4 Chuẩn bị mẫu",
                         "5 Cách tiến hành", "6 Báo cáo thử nghiệm"],
            "scope_first_sentence": "Tiêu chuẩn này quy định phương pháp xác định độ bền chịu nhiệt của tấm trải "
                                    "chống thấm gồm các bước sau:",
            "ics": "91.100.50",
        },
    },
    {
        "name": "held2_template_round_bullets_three_pages",
        "layout": "template",
        "header_box": ["VIETTEL AI RACE TD105", "TIÊU CHUẨN HỆ THỐNG CẤP NƯỚC BÊN TRONG CÔNG TRÌNH - YÊU CẦU",
                       "KỸ THUẬT Lần ban hành: 1"],
        "pages": [
            [
                ("1. Phạm vi áp dụng",
                 "● Tiêu chuẩn này áp dụng cho thiết kế hệ thống cấp nước lạnh bên trong nhà ở và công trình công "
                 "cộng.\n● Tiêu chuẩn này không áp dụng cho hệ thống cấp nước chữa cháy."),
                ("2. Tài liệu viện dẫn",
                 "TCVN 4513:1988, Cấp nước bên trong - Tiêu chuẩn thiết kế.\nQCVN 01:2021/BXD, Quy chuẩn quy hoạch "
                 "xây dựng.\nETAG 022"),
            ],
            [("3. Lưu lượng nước tính toán", "Lưu lượng tính toán lấy theo số thiết bị vệ sinh.")],
            [("4. Đường ống và phụ tùng", "Đường ống phải chịu được áp lực làm việc 1 MPa.")],
        ],
        "label": {
            "kind": "standard", **NO_CODE,
            "title_vi": "TIÊU CHUẨN HỆ THỐNG CẤP NƯỚC BÊN TRONG CÔNG TRÌNH - YÊU CẦU KỸ THUẬT", "title_en": None,
            "edition": None, "replaces": [], "equivalence": NO_EQUIVALENCE, **NO_CHAIN,
            "normative_references": ["TCVN 4513:1988", "QCVN 01:2021/BXD", "ETAG 022"],
            "sections": ["1. Phạm vi áp dụng", "2. Tài liệu viện dẫn", "3. Lưu lượng nước tính toán",
                         "4. Đường ống và phụ tùng"],
            "scope_first_sentence": "Tiêu chuẩn này áp dụng cho thiết kế hệ thống cấp nước lạnh bên trong nhà ở và "
                                    "công trình công cộng.",
            "ics": None,
        },
    },
    {
        "name": "held2_regulation_field_strength_en_dash_range",
        "layout": "regulation",
        "code": "QCVN 9:2025/BKHCN",
        "cover_title": ["QUY CHUẨN KỸ THUẬT QUỐC GIA VỀ GIỚI HẠN PHƠI NHIỄM", "TRƯỜNG ĐIỆN TỪ TẦN SỐ 100 kHz",
                        "– 300 GHz"],
        "cover_english": ["National technical regulation on limits of exposure to electromagnetic fields",
                          "from 100 kHz to 300 GHz"],
        "foreword": (
            "QCVN 9:2025/BKHCN do Cục Tần số vô tuyến điện biên soạn, Vụ Khoa học và Công nghệ đề nghị, "
            "Vụ Pháp chế thẩm định, Bộ trưởng Bộ Khoa học và Công nghệ ban hành."
        ),
        "clauses": [
            ("1. QUY ĐỊNH CHUNG", ""),
            ("1.1. Phạm vi điều chỉnh",
             "Quy chuẩn này quy định giới hạn phơi nhiễm trường điện từ đối với công chúng tại các khu vực sau:\n"
             "1) khu dân cư;\n2) trường học, bệnh viện."),
            ("1.2. Tài liệu viện dẫn", "TCVN 3718-1:2005\nETAG 017"),
            ("2. QUY ĐỊNH KỸ THUẬT", "Mật độ công suất không vượt quá 10 W/m2."),
            ("3. QUY ĐỊNH VỀ QUẢN LÝ", "Trạm gốc phải được kiểm định trước khi đưa vào sử dụng."),
            ("4. TỔ CHỨC THỰC HIỆN", "Cục Tần số vô tuyến điện hướng dẫn thực hiện."),
        ],
        "label": {
            "kind": "regulation", "code": "QCVN 9:2025/BKHCN", "doc_type": "QCVN", "number": "9", "part": None,
            "year": 2025, "issuer_suffix": "BKHCN",
            "title_vi": "QUY CHUẨN KỸ THUẬT QUỐC GIA VỀ GIỚI HẠN PHƠI NHIỄM TRƯỜNG ĐIỆN TỪ TẦN SỐ 100 kHz – 300 GHz",
            "title_en": "National technical regulation on limits of exposure to electromagnetic fields from 100 kHz "
                        "to 300 GHz",
            "edition": None, "replaces": [], "equivalence": NO_EQUIVALENCE,
            "drafted_by": "Cục Tần số vô tuyến điện", "proposed_by": "Vụ Khoa học và Công nghệ",
            "appraised_by": "Vụ Pháp chế", "published_by": "Bộ trưởng Bộ Khoa học và Công nghệ",
            "normative_references": ["TCVN 3718-1:2005", "ETAG 017"],
            "sections": ["1. QUY ĐỊNH CHUNG", "2. QUY ĐỊNH KỸ THUẬT", "3. QUY ĐỊNH VỀ QUẢN LÝ", "4. TỔ CHỨC THỰC HIỆN"],
            "scope_first_sentence": "Quy chuẩn này quy định giới hạn phơi nhiễm trường điện từ đối với công chúng "
                                    "tại các khu vực sau:",
        },
    },
    {
        "name": "held2_template_guideline_no_scope_heading",
        "layout": "template",
        "header_box": ["VIETTEL AI RACE TD118", "HƯỚNG DẪN LẮP ĐẶT NEO HÓA CHẤT TRONG BÊ TÔNG", "Lần ban hành: 1"],
        "pages": [
            [
                ("", "Tài liệu này hướng dẫn lắp đặt và kiểm tra neo hóa chất trong kết cấu bê tông. "
                     "Người lắp đặt phải được đào tạo."),
                ("1. Tài liệu viện dẫn", "ETAG 001-5\nEN 1992-4:2018\nTCVN 5574:2018"),
                ("2. Khoan lỗ",
                 "1. Khoan lỗ đúng đường kính\n2. Làm sạch lỗ khoan\n3. Bơm keo\n4. Cắm thanh neo\n5. Chờ keo đông cứng"),
                ("3. Kiểm tra lực nhổ", "Thử nhổ 3 % số neo nhưng không ít hơn 3 neo."),
            ],
        ],
        "label": {
            "kind": "other", **NO_CODE,
            "title_vi": "HƯỚNG DẪN LẮP ĐẶT NEO HÓA CHẤT TRONG BÊ TÔNG", "title_en": None, "edition": None,
            "replaces": [], "equivalence": NO_EQUIVALENCE, **NO_CHAIN,
            "normative_references": ["ETAG 001-5", "EN 1992-4:2018", "TCVN 5574:2018"],
            "sections": ["1. Tài liệu viện dẫn", "2. Khoan lỗ", "3. Kiểm tra lực nhổ"],
            "scope_first_sentence": None,
            "ics": None,
        },
    },
]

# Third held-back batch: written before the second round of tuning (a heading directly above a numbered
# list; a title line opening with a word that also opens letterheads) and never tuned against.
HELD_BACK += [
    {
        "name": "held3_official_rows_under_last_heading",
        "layout": "official",
        "code": "TCVN 13567-1:2025",
        "edition_line": "Xuất bản lần 1",
        "cover_title": ["LỚP MẶT ĐƯỜNG BẰNG HỖN HỢP NHỰA NÓNG - THI CÔNG", "VÀ NGHIỆM THU - PHẦN 1: BÊ TÔNG NHỰA",
                        "CHẶT"],
        "cover_english": ["Hot mix asphalt pavement - Construction and acceptance - Part 1: Dense graded",
                          "asphalt concrete"],
        "ics": "93.080.20",
        "foreword": (
            "TCVN 13567-1:2025 thay thế TCVN 8819:2011.\n"
            "TCVN 13567-1:2025 do Viện Khoa học và Công nghệ Giao thông vận tải biên soạn, Bộ Giao thông vận tải "
            "đề nghị, Ủy ban Tiêu chuẩn Đo lường Chất lượng quốc gia thẩm định, Bộ Khoa học và Công nghệ công bố."
        ),
        "body_title": ["Lớp mặt đường bằng hỗn hợp nhựa nóng - Thi công và nghiệm thu - Phần 1: Bê tông nhựa chặt"],
        "body_english": ["Hot mix asphalt pavement - Construction and acceptance - Part 1: Dense graded asphalt",
                         "concrete"],
        "clauses": [
            ("1 Phạm vi áp dụng",
             "Tiêu chuẩn này quy định yêu cầu về vật liệu, thi công và nghiệm thu lớp mặt đường bê tông nhựa chặt. "
             "Tiêu chuẩn này áp dụng cho đường ô tô và đường đô thị."),
            ("2 Tài liệu viện dẫn",
             "TCVN 7493:2005, Bitum - Yêu cầu kỹ thuật.\nAASHTO T 27\nETAG 013"),
            ("3 Vật liệu", "Đá dăm phải sạch, không lẫn tạp chất."),
            ("4 Thi công",
             "1 Chuẩn bị mặt bằng\n2 Tưới nhựa dính bám\n3 Rải hỗn hợp\n4 Lu lèn"),
            ("5 Nghiệm thu", "Kiểm tra độ chặt lu lèn bằng mẫu khoan."),
        ],
        "label": {
            "kind": "standard", "code": "TCVN 13567-1:2025", "doc_type": "TCVN", "number": "13567", "part": "1",
            "year": 2025, "issuer_suffix": None,
            "title_vi": "LỚP MẶT ĐƯỜNG BẰNG HỖN HỢP NHỰA NÓNG - THI CÔNG VÀ NGHIỆM THU - PHẦN 1: BÊ TÔNG NHỰA CHẶT",
            "title_en": "Hot mix asphalt pavement - Construction and acceptance - Part 1: Dense graded asphalt "
                        "concrete",
            "edition": 1, "replaces": ["TCVN 8819:2011"], "equivalence": NO_EQUIVALENCE,
            "drafted_by": "Viện Khoa học và Công nghệ Giao thông vận tải", "proposed_by": "Bộ Giao thông vận tải",
            "appraised_by": "Ủy ban Tiêu chuẩn Đo lường Chất lượng quốc gia",
            "published_by": "Bộ Khoa học và Công nghệ",
            "normative_references": ["TCVN 7493:2005", "AASHTO T 27", "ETAG 013"],
            "sections": ["1 Phạm vi áp dụng", "2 Tài liệu viện dẫn", "3 Vật liệu", "4 Thi công", "5 Nghiệm thu"],
            "scope_first_sentence": "Tiêu chuẩn này quy định yêu cầu về vật liệu, thi công và nghiệm thu lớp mặt "
                                    "đường bê tông nhựa chặt.",
            "ics": "93.080.20",
        },
    },
    {
        "name": "held3_template_header_two_short_lines",
        "layout": "template",
        "header_box": ["VIETTEL AI RACE TD131", "TIÊU CHUẨN CHIẾU SÁNG NHÂN TẠO BÊN NGOÀI CÔNG TRÌNH CÔNG CỘNG",
                       "VÀ KỸ THUẬT HẠ TẦNG ĐÔ THỊ Lần ban hành: 1"],
        "pages": [
            [
                ("1. Phạm vi áp dụng",
                 "• Tiêu chuẩn này áp dụng để thiết kế chiếu sáng đường phố, quảng trường và công viên.\n"
                 "• Tiêu chuẩn này không áp dụng cho chiếu sáng sân bay."),
                ("2. Tài liệu viện dẫn", "TCVN 7722-1:2017, Đèn điện - Yêu cầu chung.\nETAG 009\nCIE 115"),
            ],
            [
                ("3. Yêu cầu chiếu sáng",
                 "Bảng 3 - Cấp chiếu sáng\n1. Cấp M1: 2,0 cd/m2\n2. Cấp M2: 1,5 cd/m2\n3. Cấp M3: 1,0 cd/m2\n"
                 "4. Cấp M4: 0,75 cd/m2\n5. Cấp M5: 0,5 cd/m2"),
                ("4. Nguồn sáng và đèn", "Ưu tiên sử dụng đèn LED hiệu suất cao."),
            ],
            [("5. Điều khiển chiếu sáng", "Hệ thống phải điều khiển được theo thời gian.")],
        ],
        "label": {
            "kind": "standard", **NO_CODE,
            "title_vi": "TIÊU CHUẨN CHIẾU SÁNG NHÂN TẠO BÊN NGOÀI CÔNG TRÌNH CÔNG CỘNG VÀ KỸ THUẬT HẠ TẦNG ĐÔ THỊ",
            "title_en": None, "edition": None, "replaces": [], "equivalence": NO_EQUIVALENCE, **NO_CHAIN,
            "normative_references": ["TCVN 7722-1:2017", "ETAG 009"],
            "sections": ["1. Phạm vi áp dụng", "2. Tài liệu viện dẫn", "3. Yêu cầu chiếu sáng", "4. Nguồn sáng và đèn",
                         "5. Điều khiển chiếu sáng"],
            "scope_first_sentence": "Tiêu chuẩn này áp dụng để thiết kế chiếu sáng đường phố, quảng trường và "
                                    "công viên.",
            "ics": None,
        },
    },
    {
        "name": "held3_regulation_title_school_word",
        "layout": "regulation",
        "code": "QCVN 12:2025/BXD",
        "cover_title": ["QUY CHUẨN KỸ THUẬT QUỐC GIA VỀ CÔNG TRÌNH", "TRƯỜNG HỌC VÀ CƠ SỞ GIÁO DỤC MẦM NON"],
        "cover_english": ["National technical regulation on schools and preschool facilities"],
        "foreword": (
            "QCVN 12:2025/BXD thay thế QCXDVN 05:2008/BXD.\n"
            "QCVN 12:2025/BXD do Viện Kiến trúc Quốc gia biên soạn, Vụ Khoa học công nghệ và môi trường đề nghị, "
            "Bộ Khoa học và Công nghệ thẩm định, Bộ trưởng Bộ Xây dựng ban hành."
        ),
        "clauses": [
            ("1. QUY ĐỊNH CHUNG", ""),
            ("1.1 Phạm vi điều chỉnh",
             "Quy chuẩn này quy định các yêu cầu kỹ thuật bắt buộc khi xây dựng mới trường học. "
             "Quy chuẩn này không áp dụng cho trường đại học."),
            ("1.2 Tài liệu viện dẫn", "QCVN 06:2022/BXD, An toàn cháy cho nhà và công trình.\nTCVN 3907:2011"),
            ("2. QUY ĐỊNH KỸ THUẬT", "Diện tích phòng học không nhỏ hơn 1,5 m2 cho một học sinh."),
            ("3. QUY ĐỊNH VỀ QUẢN LÝ", "Hồ sơ thiết kế phải thuyết minh sự tuân thủ quy chuẩn này."),
            ("4. TỔ CHỨC THỰC HIỆN", "Sở Xây dựng kiểm tra việc tuân thủ quy chuẩn này."),
        ],
        "label": {
            "kind": "regulation", "code": "QCVN 12:2025/BXD", "doc_type": "QCVN", "number": "12", "part": None,
            "year": 2025, "issuer_suffix": "BXD",
            "title_vi": "QUY CHUẨN KỸ THUẬT QUỐC GIA VỀ CÔNG TRÌNH TRƯỜNG HỌC VÀ CƠ SỞ GIÁO DỤC MẦM NON",
            "title_en": "National technical regulation on schools and preschool facilities",
            "edition": None, "replaces": ["QCXDVN 05:2008/BXD"], "equivalence": NO_EQUIVALENCE,
            "drafted_by": "Viện Kiến trúc Quốc gia", "proposed_by": "Vụ Khoa học công nghệ và môi trường",
            "appraised_by": "Bộ Khoa học và Công nghệ", "published_by": "Bộ trưởng Bộ Xây dựng",
            "normative_references": ["QCVN 06:2022/BXD", "TCVN 3907:2011"],
            "sections": ["1. QUY ĐỊNH CHUNG", "2. QUY ĐỊNH KỸ THUẬT", "3. QUY ĐỊNH VỀ QUẢN LÝ", "4. TỔ CHỨC THỰC HIỆN"],
            "scope_first_sentence": "Quy chuẩn này quy định các yêu cầu kỹ thuật bắt buộc khi xây dựng mới trường "
                                    "học.",
        },
    },
    {
        "name": "held3_template_steps_under_heading",
        "layout": "template",
        "header_box": ["VIETTEL AI RACE TD140", "QUY TRÌNH BẢO TRÌ THANG MÁY", "Lần ban hành: 1"],
        "pages": [
            [
                ("1. Phạm vi áp dụng",
                 "Tài liệu này quy định nội dung bảo trì định kỳ thang máy điện trong nhà chung cư. "
                 "Tài liệu này không thay thế hướng dẫn của nhà sản xuất."),
                ("2. Tài liệu viện dẫn", "TCVN 6395:2008, Thang máy điện - Yêu cầu an toàn.\nEN 81-20:2020"),
                ("3. Bảo trì hằng tháng",
                 "1. Kiểm tra phanh\n2. Kiểm tra cáp tải\n3. Kiểm tra cửa tầng\n4. Vệ sinh buồng máy"),
                ("4. Bảo trì hằng năm", "Thử tải 125 % tải định mức."),
            ],
        ],
        "label": {
            "kind": "other", **NO_CODE,
            "title_vi": "QUY TRÌNH BẢO TRÌ THANG MÁY", "title_en": None, "edition": None, "replaces": [],
            "equivalence": NO_EQUIVALENCE, **NO_CHAIN,
            "normative_references": ["TCVN 6395:2008", "EN 81-20:2020"],
            "sections": ["1. Phạm vi áp dụng", "2. Tài liệu viện dẫn", "3. Bảo trì hằng tháng", "4. Bảo trì hằng năm"],
            "scope_first_sentence": "Tài liệu này quy định nội dung bảo trì định kỳ thang máy điện trong nhà chung "
                                    "cư.",
            "ics": None,
        },
    },
]
