"""Generated documents the extraction rules were not written against, each with the label a careful reader
gives it (the corpus label schema), in two parts:

- ``TUNING``: documents the rules were developed against (one per failure mode of issue 10);
- ``HELD_BACK``: other wording and layout variants in three batches, each written and committed before
  the rules it was first measured on, and never tuned against. That first score is the honest estimate
  of accuracy on unseen documents (README, "Measured");
- ``HELD_BACK_FRESH``: eight documents (food, construction materials, electrical, environment) written blind
  to the extraction rules and committed before their first and only measurement.

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

# Fresh held-back batch (issue 10): eight documents written blind to the extraction rules (nobody read
# ingest/extract/ while writing them) and committed before they were first measured. Sample designations
# use numbers in the 99xxx / 99x range so they cannot be mistaken for real documents.
_REFS_PREAMBLE = (
    "Các tài liệu viện dẫn sau rất cần thiết cho việc áp dụng tiêu chuẩn này. Đối với các tài liệu viện dẫn ghi "
    "năm công bố thì áp dụng phiên bản được nêu. Đối với các tài liệu viện dẫn không ghi năm công bố thì áp dụng "
    "phiên bản mới nhất, bao gồm cả các sửa đổi, bổ sung (nếu có).\n"
)

HELD_BACK_FRESH: list[dict] = [
    {
        "name": "fresh_official_food_cereal_ash",
        "layout": "official",
        "code": "TCVN 99101:2025",
        "edition_line": "Xuất bản lần 1",
        "cover_title": ["NGŨ CỐC, ĐẬU ĐỖ VÀ SẢN PHẨM PHỤ –", "XÁC ĐỊNH HÀM LƯỢNG TRO BẰNG PHƯƠNG PHÁP", "NUNG"],
        "cover_english": ["Cereals, pulses and by-products – Determination of ash yield", "by incineration"],
        "ics": "67.060",
        "foreword": (
            "TCVN 99101:2025 thay thế TCVN 99011:2007.\n"
            "TCVN 99101:2025 hoàn toàn tương đương với ISO 2171:2023.\n"
            "TCVN 99101:2025 do Ban kỹ thuật tiêu chuẩn quốc gia TCVN/TC/F1 Ngũ cốc và đậu đỗ biên soạn, "
            "Ủy ban Tiêu chuẩn Đo lường Chất lượng Quốc gia đề nghị, Bộ Khoa học và Công nghệ công bố."
        ),
        "body_title": ["Ngũ cốc, đậu đỗ và sản phẩm phụ – Xác định hàm lượng tro bằng phương pháp nung"],
        "body_english": ["Cereals, pulses and by-products – Determination of ash yield by incineration"],
        "clauses": [
            ("1 Phạm vi áp dụng",
             "Tiêu chuẩn này quy định phương pháp xác định hàm lượng tro của ngũ cốc, đậu đỗ, sản phẩm xay xát và "
             "thức ăn chăn nuôi từ ngũ cốc. Tiêu chuẩn này không áp dụng cho hạt có dầu."),
            ("2 Tài liệu viện dẫn",
             _REFS_PREAMBLE
             + "TCVN 9027 (ISO 24333), Ngũ cốc và sản phẩm ngũ cốc – Lấy mẫu.\n"
             "TCVN 9706:2013 (ISO 712:2009), Ngũ cốc và sản phẩm ngũ cốc – Xác định độ ẩm – Phương pháp chuẩn."),
            ("3 Nguyên tắc", "Phần mẫu thử được nung ở 550 °C đến khối lượng không đổi."),
            ("4 Thiết bị, dụng cụ", "Lò nung điện, có khả năng duy trì nhiệt độ 550 °C ± 10 °C."),
            ("5 Cách tiến hành", "Cân khoảng 5 g mẫu thử, chính xác đến 0,1 mg, cho vào chén nung đã chuẩn bị."),
        ],
        "label": {
            "kind": "standard", "code": "TCVN 99101:2025", "doc_type": "TCVN", "number": "99101", "part": None,
            "year": 2025, "issuer_suffix": None,
            "title_vi": "NGŨ CỐC, ĐẬU ĐỖ VÀ SẢN PHẨM PHỤ – XÁC ĐỊNH HÀM LƯỢNG TRO BẰNG PHƯƠNG PHÁP NUNG",
            "title_en": "Cereals, pulses and by-products – Determination of ash yield by incineration",
            "edition": 1, "replaces": ["TCVN 99011:2007"],
            "equivalence": {"relation": "IDT", "codes": ["ISO 2171:2023"]},
            "drafted_by": "Ban kỹ thuật tiêu chuẩn quốc gia TCVN/TC/F1 Ngũ cốc và đậu đỗ",
            "proposed_by": "Ủy ban Tiêu chuẩn Đo lường Chất lượng Quốc gia",
            "appraised_by": None, "published_by": "Bộ Khoa học và Công nghệ",
            "normative_references": ["TCVN 9027", "ISO 24333", "TCVN 9706:2013", "ISO 712:2009"],
            "sections": ["1 Phạm vi áp dụng", "2 Tài liệu viện dẫn", "3 Nguyên tắc", "4 Thiết bị, dụng cụ",
                         "5 Cách tiến hành"],
            "scope_first_sentence": "Tiêu chuẩn này quy định phương pháp xác định hàm lượng tro của ngũ cốc, đậu đỗ, "
                                    "sản phẩm xay xát và thức ăn chăn nuôi từ ngũ cốc.",
            "ics": "67.060",
        },
    },
    {
        "name": "fresh_official_materials_revision_reference",
        "layout": "official",
        "code": "TCVN 99102:2025",
        "edition_line": "Soát xét lần 1",
        "cover_title": ["GẠCH BÊ TÔNG RỖNG CÁCH NHIỆT –", "YÊU CẦU KỸ THUẬT"],
        "cover_english": ["Thermal insulating hollow concrete bricks – Specifications"],
        "ics": "91.100.30",
        "foreword": (
            "TCVN 99102:2025 thay thế TCVN 99012:2013.\n"
            "TCVN 99102:2025 được xây dựng trên cơ sở tham khảo EN 771-3:2011.\n"
            "TCVN 99102:2025 do Viện Vật liệu xây dựng – Bộ Xây dựng biên soạn, Bộ Xây dựng đề nghị, Tổng cục "
            "Tiêu chuẩn Đo lường Chất lượng thẩm định, Bộ Khoa học và Công nghệ công bố."
        ),
        "body_title": ["Gạch bê tông rỗng cách nhiệt – Yêu cầu kỹ thuật"],
        "body_english": ["Thermal insulating hollow concrete bricks – Specifications"],
        "clauses": [
            ("1 Phạm vi áp dụng",
             "Tiêu chuẩn này áp dụng cho gạch bê tông rỗng cách nhiệt sản xuất bằng phương pháp ép rung, dùng để "
             "xây tường bao và vách ngăn. Tiêu chuẩn này không áp dụng cho gạch bê tông khí chưng áp."),
            ("2 Tài liệu viện dẫn",
             _REFS_PREAMBLE
             + "TCVN 2682:2020, Xi măng poóc lăng – Yêu cầu kỹ thuật.\n"
             "TCVN 6260:2020, Xi măng poóc lăng hỗn hợp – Yêu cầu kỹ thuật.\n"
             "TCVN 7570:2006, Cốt liệu cho bê tông và vữa – Yêu cầu kỹ thuật."),
            ("3 Thuật ngữ và định nghĩa", "Trong tiêu chuẩn này sử dụng các thuật ngữ và định nghĩa sau."),
            ("4 Phân loại và ký hiệu",
             "Gạch được phân loại theo cường độ nén: M5,0; M7,5; M10; M15.\n"
             "Bảng 1 – Yêu cầu kỹ thuật\n"
             "Cường độ nén, MPa, không nhỏ hơn: 5,0 – 7,5 – 10,0 – 15,0\n"
             "Độ hút nước, %, không lớn hơn: 14 – 12 – 10 – 8"),
            ("5 Phương pháp thử",
             "Xác định cường độ nén theo TCVN 6355-2:2009. Xác định độ hút nước theo TCVN 6355-4:2009."),
        ],
        "label": {
            "kind": "standard", "code": "TCVN 99102:2025", "doc_type": "TCVN", "number": "99102", "part": None,
            "year": 2025, "issuer_suffix": None,
            "title_vi": "GẠCH BÊ TÔNG RỖNG CÁCH NHIỆT – YÊU CẦU KỸ THUẬT",
            "title_en": "Thermal insulating hollow concrete bricks – Specifications",
            "edition": None, "revision": 1, "replaces": ["TCVN 99012:2013"],
            "equivalence": {"relation": "reference", "codes": ["EN 771-3:2011"]},
            "drafted_by": "Viện Vật liệu xây dựng – Bộ Xây dựng", "proposed_by": "Bộ Xây dựng",
            "appraised_by": "Tổng cục Tiêu chuẩn Đo lường Chất lượng", "published_by": "Bộ Khoa học và Công nghệ",
            "normative_references": ["TCVN 2682:2020", "TCVN 6260:2020", "TCVN 7570:2006"],
            "sections": ["1 Phạm vi áp dụng", "2 Tài liệu viện dẫn", "3 Thuật ngữ và định nghĩa",
                         "4 Phân loại và ký hiệu", "5 Phương pháp thử"],
            "scope_first_sentence": "Tiêu chuẩn này áp dụng cho gạch bê tông rỗng cách nhiệt sản xuất bằng phương pháp "
                                    "ép rung, dùng để xây tường bao và vách ngăn.",
            "ics": "91.100.30",
        },
    },
    {
        "name": "fresh_official_electrical_part_series_list",
        "layout": "official",
        "code": "TCVN 99103-1:2025",
        "edition_line": None,
        "cover_title": ["PHÍCH CẮM VÀ Ổ CẮM DÙNG TRONG GIA ĐÌNH", "VÀ CÁC MỤC ĐÍCH TƯƠNG TỰ –",
                        "PHẦN 1: YÊU CẦU CHUNG"],
        "cover_english": ["Plugs and socket-outlets for household and similar purposes –", "Part 1: General requirements"],
        "ics": "29.120.30",
        "foreword": (
            "TCVN 99103-1:2025 hoàn toàn tương đương với IEC 60884-1:2022.\n"
            "TCVN 99103-1:2025 do Ban kỹ thuật tiêu chuẩn quốc gia TCVN/TC/E1 Máy điện và khí cụ điện biên soạn, "
            "Ủy ban Tiêu chuẩn Đo lường Chất lượng Quốc gia đề nghị, Bộ Khoa học và Công nghệ thẩm định và công bố.\n"
            "Bộ TCVN 99103 (IEC 60884), Phích cắm và ổ cắm dùng trong gia đình và các mục đích tương tự, gồm các "
            "phần sau:\n"
            "– TCVN 99103-1:2025 (IEC 60884-1:2022), Phần 1: Yêu cầu chung;\n"
            "– TCVN 99103-2-5:2025 (IEC 60884-2-5:2017), Phần 2-5: Yêu cầu cụ thể đối với bộ chuyển đổi."
        ),
        "body_title": ["Phích cắm và ổ cắm dùng trong gia đình và các mục đích tương tự –", "Phần 1: Yêu cầu chung"],
        "body_english": ["Plugs and socket-outlets for household and similar purposes – Part 1: General requirements"],
        "clauses": [
            ("1 Phạm vi áp dụng",
             "Tiêu chuẩn này áp dụng cho phích cắm và ổ cắm cố định hoặc di động chỉ dùng cho điện xoay chiều, có "
             "điện áp danh định lớn hơn 50 V nhưng không vượt quá 440 V và dòng điện danh định không vượt quá 32 A. "
             "Tiêu chuẩn này không áp dụng cho phích cắm và ổ cắm dùng trong công nghiệp."),
            ("2 Tài liệu viện dẫn",
             _REFS_PREAMBLE
             + "TCVN 7447-5-51:2010 (IEC 60364-5-51:2005), Hệ thống lắp đặt điện hạ áp – Phần 5-51: Lựa chọn và "
             "lắp đặt thiết bị điện – Quy tắc chung.\n"
             "IEC 60112, Method for the determination of the proof and the comparative tracking indices of solid "
             "insulating materials.\n"
             "IEC 60695-2-11:2021, Fire hazard testing – Part 2-11: Glowing/hot-wire based test methods."),
            ("3 Thuật ngữ và định nghĩa", "Tiêu chuẩn này áp dụng các thuật ngữ và định nghĩa sau."),
            ("4 Yêu cầu chung",
             "Phụ kiện phải được thiết kế và chế tạo sao cho khi sử dụng bình thường, tính năng của chúng tin cậy."),
            ("5 Thông số đặc trưng", "Điện áp danh định ưu tiên là 130 V, 250 V và 440 V."),
        ],
        "label": {
            "kind": "standard", "code": "TCVN 99103-1:2025", "doc_type": "TCVN", "number": "99103", "part": "1",
            "year": 2025, "issuer_suffix": None,
            "title_vi": "PHÍCH CẮM VÀ Ổ CẮM DÙNG TRONG GIA ĐÌNH VÀ CÁC MỤC ĐÍCH TƯƠNG TỰ – PHẦN 1: YÊU CẦU CHUNG",
            "title_en": "Plugs and socket-outlets for household and similar purposes – Part 1: General requirements",
            "edition": None, "replaces": [],
            "equivalence": {"relation": "IDT", "codes": ["IEC 60884-1:2022"]},
            "drafted_by": "Ban kỹ thuật tiêu chuẩn quốc gia TCVN/TC/E1 Máy điện và khí cụ điện",
            "proposed_by": "Ủy ban Tiêu chuẩn Đo lường Chất lượng Quốc gia",
            "appraised_by": "Bộ Khoa học và Công nghệ", "published_by": "Bộ Khoa học và Công nghệ",
            "normative_references": ["TCVN 7447-5-51:2010", "IEC 60364-5-51:2005", "IEC 60112", "IEC 60695-2-11:2021"],
            "sections": ["1 Phạm vi áp dụng", "2 Tài liệu viện dẫn", "3 Thuật ngữ và định nghĩa", "4 Yêu cầu chung",
                         "5 Thông số đặc trưng"],
            "scope_first_sentence": "Tiêu chuẩn này áp dụng cho phích cắm và ổ cắm cố định hoặc di động chỉ dùng cho "
                                    "điện xoay chiều, có điện áp danh định lớn hơn 50 V nhưng không vượt quá 440 V và "
                                    "dòng điện danh định không vượt quá 32 A.",
            "ics": "29.120.30",
        },
    },
    {
        "name": "fresh_regulation_environment_wastewater_circular",
        "layout": "regulation",
        "code": "QCVN 991:2025/BNNMT",
        "cover_title": ["QUY CHUẨN KỸ THUẬT QUỐC GIA", "VỀ NƯỚC THẢI CÔNG NGHIỆP"],
        "cover_english": ["National technical regulation on industrial wastewater"],
        "foreword": (
            "QCVN 991:2025/BNNMT thay thế QCVN 990:2011/BTNMT.\n"
            "QCVN 991:2025/BNNMT do Cục Kiểm soát ô nhiễm môi trường biên soạn, Vụ Khoa học và Công nghệ trình "
            "duyệt, Bộ Khoa học và Công nghệ thẩm định, Bộ trưởng Bộ Nông nghiệp và Môi trường ban hành kèm theo "
            "Thông tư số 99/2025/TT-BNNMT ngày 30 tháng 6 năm 2025."
        ),
        "clauses": [
            ("1. QUY ĐỊNH CHUNG", ""),
            ("1.1 Phạm vi điều chỉnh",
             "Quy chuẩn này quy định giá trị giới hạn cho phép của các thông số ô nhiễm trong nước thải công nghiệp "
             "khi xả ra nguồn tiếp nhận nước thải. Nước thải của ngành có quy chuẩn riêng áp dụng theo quy chuẩn đó."),
            ("1.2 Đối tượng áp dụng",
             "Quy chuẩn này áp dụng đối với cơ quan quản lý nhà nước, tổ chức, cá nhân có hoạt động xả nước thải "
             "công nghiệp ra nguồn tiếp nhận."),
            ("1.3 Giải thích từ ngữ", "Nguồn tiếp nhận nước thải là nguồn nước mặt hoặc vùng nước biển ven bờ."),
            ("1.4 Tài liệu viện dẫn",
             "TCVN 6663-1:2011 (ISO 5667-1:2006), Chất lượng nước – Lấy mẫu – Phần 1: Hướng dẫn lập chương trình "
             "lấy mẫu.\n"
             "TCVN 6491:1999 (ISO 6060:1989), Chất lượng nước – Xác định nhu cầu oxy hoá học.\n"
             "ISO 15705, Water quality – Determination of the chemical oxygen demand index (ST-COD)."),
            ("2. QUY ĐỊNH KỸ THUẬT",
             "Giá trị giới hạn cho phép của các thông số ô nhiễm quy định tại Bảng 1.\n"
             "Bảng 1 – Giá trị giới hạn\npH: 6 – 9\nCOD, mg/L: 75\nTổng chất rắn lơ lửng, mg/L: 50"),
            ("3. PHƯƠNG PHÁP XÁC ĐỊNH", "Phương pháp xác định COD theo TCVN 6491:1999 hoặc SMEWW 5220."),
            ("4. QUY ĐỊNH VỀ QUẢN LÝ", "Cơ sở xả nước thải phải quan trắc định kỳ."),
            ("5. TỔ CHỨC THỰC HIỆN", "Cục Kiểm soát ô nhiễm môi trường hướng dẫn thực hiện quy chuẩn này."),
        ],
        "label": {
            "kind": "regulation", "code": "QCVN 991:2025/BNNMT", "doc_type": "QCVN", "number": "991", "part": None,
            "year": 2025, "issuer_suffix": "BNNMT",
            "title_vi": "QUY CHUẨN KỸ THUẬT QUỐC GIA VỀ NƯỚC THẢI CÔNG NGHIỆP",
            "title_en": "National technical regulation on industrial wastewater",
            "edition": None, "replaces": ["QCVN 990:2011/BTNMT"], "equivalence": NO_EQUIVALENCE,
            "drafted_by": "Cục Kiểm soát ô nhiễm môi trường", "proposed_by": None,
            "submitted_by": "Vụ Khoa học và Công nghệ", "appraised_by": "Bộ Khoa học và Công nghệ",
            "published_by": "Bộ trưởng Bộ Nông nghiệp và Môi trường",
            "normative_references": ["TCVN 6663-1:2011", "ISO 5667-1:2006", "TCVN 6491:1999", "ISO 6060:1989",
                                     "ISO 15705"],
            "sections": ["1. QUY ĐỊNH CHUNG", "2. QUY ĐỊNH KỸ THUẬT", "3. PHƯƠNG PHÁP XÁC ĐỊNH",
                         "4. QUY ĐỊNH VỀ QUẢN LÝ", "5. TỔ CHỨC THỰC HIỆN"],
            "scope_first_sentence": "Quy chuẩn này quy định giá trị giới hạn cho phép của các thông số ô nhiễm trong "
                                    "nước thải công nghiệp khi xả ra nguồn tiếp nhận nước thải.",
        },
    },
    {
        "name": "fresh_regulation_food_roman_sections",
        "layout": "regulation",
        "code": "QCVN 992-1:2025/BYT",
        "cover_title": ["QUY CHUẨN KỸ THUẬT QUỐC GIA", "ĐỐI VỚI GIỚI HẠN Ô NHIỄM VI SINH VẬT", "TRONG THỰC PHẨM"],
        "cover_english": ["National technical regulation on microbiological contaminants in foods"],
        "foreword": (
            "QCVN 992-1:2025/BYT do Ban soạn thảo quy chuẩn kỹ thuật quốc gia về giới hạn vi sinh vật trong thực "
            "phẩm biên soạn, Cục An toàn thực phẩm trình duyệt và được ban hành theo Thông tư số 99/2025/TT-BYT "
            "ngày 15 tháng 5 năm 2025 của Bộ trưởng Bộ Y tế."
        ),
        "clauses": [
            ("I. QUY ĐỊNH CHUNG", ""),
            ("1. Phạm vi điều chỉnh",
             "Quy chuẩn này quy định giới hạn ô nhiễm vi sinh vật và các yêu cầu quản lý đối với thực phẩm. "
             "Quy chuẩn này không áp dụng cho nước khoáng thiên nhiên đóng chai."),
            ("2. Đối tượng áp dụng",
             "Quy chuẩn này áp dụng đối với tổ chức, cá nhân sản xuất, kinh doanh thực phẩm tại Việt Nam."),
            ("3. Tài liệu viện dẫn",
             "TCVN 4829:2005 (ISO 6579:2002), Vi sinh vật trong thực phẩm và thức ăn chăn nuôi – Phương pháp phát "
             "hiện Salmonella trên đĩa thạch.\n"
             "TCVN 7924-2:2008 (ISO 16649-2:2001), Vi sinh vật trong thực phẩm và thức ăn chăn nuôi – Phương pháp "
             "định lượng Escherichia coli dương tính β-glucuronidaza.\n"
             "ISO 11290-1, Microbiology of the food chain – Detection of Listeria monocytogenes."),
            ("II. QUY ĐỊNH KỸ THUẬT",
             "Giới hạn ô nhiễm vi sinh vật trong thực phẩm được quy định tại Bảng 1.\n"
             "Bảng 1 – Giới hạn vi sinh vật\nSalmonella: không phát hiện trong 25 g\nE. coli: 10 CFU/g"),
            ("III. PHƯƠNG PHÁP THỬ", "Phương pháp thử Salmonella theo TCVN 10780-1:2017 (ISO 6579-1:2017)."),
            ("IV. QUY ĐỊNH VỀ QUẢN LÝ", "Thực phẩm phải được công bố phù hợp quy định về an toàn thực phẩm."),
            ("V. TRÁCH NHIỆM CỦA TỔ CHỨC, CÁ NHÂN",
             "Tổ chức, cá nhân phải bảo đảm thực phẩm đáp ứng các quy định tại quy chuẩn này."),
            ("VI. TỔ CHỨC THỰC HIỆN", "Cục An toàn thực phẩm chủ trì hướng dẫn thực hiện quy chuẩn này."),
        ],
        "label": {
            "kind": "regulation", "code": "QCVN 992-1:2025/BYT", "doc_type": "QCVN", "number": "992", "part": "1",
            "year": 2025, "issuer_suffix": "BYT",
            "title_vi": "QUY CHUẨN KỸ THUẬT QUỐC GIA ĐỐI VỚI GIỚI HẠN Ô NHIỄM VI SINH VẬT TRONG THỰC PHẨM",
            "title_en": "National technical regulation on microbiological contaminants in foods",
            "edition": None, "replaces": [], "equivalence": NO_EQUIVALENCE,
            "drafted_by": "Ban soạn thảo quy chuẩn kỹ thuật quốc gia về giới hạn vi sinh vật trong thực phẩm",
            "proposed_by": None, "submitted_by": "Cục An toàn thực phẩm", "appraised_by": None,
            "published_by": "Bộ trưởng Bộ Y tế",
            "normative_references": ["TCVN 4829:2005", "ISO 6579:2002", "TCVN 7924-2:2008", "ISO 16649-2:2001",
                                     "ISO 11290-1"],
            "sections": ["I. QUY ĐỊNH CHUNG", "II. QUY ĐỊNH KỸ THUẬT", "III. PHƯƠNG PHÁP THỬ",
                         "IV. QUY ĐỊNH VỀ QUẢN LÝ", "V. TRÁCH NHIỆM CỦA TỔ CHỨC, CÁ NHÂN", "VI. TỔ CHỨC THỰC HIỆN"],
            "scope_first_sentence": "Quy chuẩn này quy định giới hạn ô nhiễm vi sinh vật và các yêu cầu quản lý đối "
                                    "với thực phẩm.",
        },
    },
    {
        "name": "fresh_template_materials_mortar_codes_in_table",
        "layout": "template",
        "header_box": ["THƯ VIỆN TIÊU CHUẨN XÂY DỰNG TL-2317", "TIÊU CHUẨN VỮA XÂY DỰNG – YÊU CẦU KỸ THUẬT",
                       "Lần ban hành: 1"],
        "pages": [
            [
                ("1. Phạm vi áp dụng",
                 "Tiêu chuẩn này áp dụng cho vữa xây và vữa trát dùng xi măng và vôi làm chất kết dính. "
                 "Tiêu chuẩn này không áp dụng cho vữa chịu axit."),
                ("2. Tài liệu viện dẫn",
                 "TCVN 2682:2020, Xi măng poóc lăng – Yêu cầu kỹ thuật.\n"
                 "TCVN 9205:2012, Cát nghiền cho bê tông và vữa.\n"
                 "ASTM C270, Standard specification for mortar for unit masonry."),
                ("3. Yêu cầu kỹ thuật",
                 "Cát dùng cho vữa phải phù hợp TCVN 9205:2012.\n"
                 "Bảng 1 – Mác vữa\n1. M1,0: cường độ nén 1,0 MPa\n2. M2,5: cường độ nén 2,5 MPa\n"
                 "3. M5,0: cường độ nén 5,0 MPa\n4. M7,5: cường độ nén 7,5 MPa"),
            ],
            [
                ("4. Phương pháp thử",
                 "Bảng 2 – Phương pháp thử\n1. Độ lưu động: TCVN 3121-3:2022\n"
                 "2. Cường độ nén: TCVN 3121-11:2022"),
                ("5. Vận chuyển và bảo quản", "Vữa trộn sẵn phải được sử dụng trong thời gian quy định."),
            ],
        ],
        "label": {
            "kind": "standard", **NO_CODE,
            "title_vi": "TIÊU CHUẨN VỮA XÂY DỰNG – YÊU CẦU KỸ THUẬT", "title_en": None, "edition": None,
            "replaces": [], "equivalence": NO_EQUIVALENCE, **NO_CHAIN,
            "normative_references": ["TCVN 2682:2020", "TCVN 9205:2012", "ASTM C270"],
            "sections": ["1. Phạm vi áp dụng", "2. Tài liệu viện dẫn", "3. Yêu cầu kỹ thuật", "4. Phương pháp thử",
                         "5. Vận chuyển và bảo quản"],
            "scope_first_sentence": "Tiêu chuẩn này áp dụng cho vữa xây và vữa trát dùng xi măng và vôi làm chất "
                                    "kết dính.",
            "ics": None,
        },
    },
    {
        "name": "fresh_template_environment_guideline_codes_in_body",
        "layout": "template",
        "header_box": ["VIETTEL AI RACE TD118", "HƯỚNG DẪN QUAN TRẮC KHÍ THẢI LÒ HƠI CÔNG",
                       "NGHIỆP Lần ban hành: 1"],
        "pages": [
            [
                ("1. Phạm vi áp dụng",
                 "Tài liệu này hướng dẫn lấy mẫu và phân tích khí thải từ ống khói lò hơi đốt than, dầu và sinh "
                 "khối. Tài liệu này không áp dụng cho lò đốt chất thải nguy hại."),
                ("2. Tài liệu viện dẫn",
                 "QCVN 19:2024/BTNMT, Quy chuẩn kỹ thuật quốc gia về khí thải công nghiệp.\n"
                 "TCVN 5977:2009 (ISO 9096:2003), Sự phát thải của nguồn tĩnh – Xác định nồng độ khối lượng bụi "
                 "bằng phương pháp thủ công.\n"
                 "EN 13284-1, Stationary source emissions – Determination of low range mass concentration of dust."),
                ("3. Thông số và phương pháp",
                 "Bảng 1 – Thông số và phương pháp\n1. Bụi tổng: TCVN 5977:2009\n2. SO2: TCVN 6750:2005\n"
                 "3. NOx: TCVN 7172:2002"),
            ],
            [
                ("4. Tần suất quan trắc", "Quan trắc định kỳ 3 tháng một lần theo QCVN 19:2024/BTNMT."),
                ("5. Báo cáo kết quả", "Kết quả được báo cáo theo biểu mẫu của cơ quan quản lý."),
            ],
        ],
        "label": {
            "kind": "other", **NO_CODE,
            "title_vi": "HƯỚNG DẪN QUAN TRẮC KHÍ THẢI LÒ HƠI CÔNG NGHIỆP", "title_en": None, "edition": None,
            "replaces": [], "equivalence": NO_EQUIVALENCE, **NO_CHAIN,
            "normative_references": ["QCVN 19:2024/BTNMT", "TCVN 5977:2009", "ISO 9096:2003", "EN 13284-1"],
            "sections": ["1. Phạm vi áp dụng", "2. Tài liệu viện dẫn", "3. Thông số và phương pháp",
                         "4. Tần suất quan trắc", "5. Báo cáo kết quả"],
            "scope_first_sentence": "Tài liệu này hướng dẫn lấy mẫu và phân tích khí thải từ ống khói lò hơi đốt "
                                    "than, dầu và sinh khối.",
            "ics": None,
        },
    },
    {
        "name": "fresh_template_electrical_code_in_scope",
        "layout": "template",
        "header_box": ["VIETTEL AI RACE TD131", "TIÊU CHUẨN NỐI ĐẤT AN TOÀN CHO TRẠM BIẾN ÁP", "Lần ban hành: 1"],
        "pages": [
            [
                ("1. Phạm vi áp dụng",
                 "Tiêu chuẩn này quy định yêu cầu thiết kế và kiểm tra hệ thống nối đất an toàn cho trạm biến áp "
                 "phân phối đến 35 kV. Yêu cầu nối đất chống sét xem TCVN 9385:2012."),
                ("2. Tài liệu viện dẫn",
                 "TCVN 9385:2012, Chống sét cho công trình xây dựng – Hướng dẫn thiết kế, kiểm tra và bảo trì hệ "
                 "thống.\n"
                 "TCVN 7447-5-54:2015 (IEC 60364-5-54:2011), Hệ thống lắp đặt điện hạ áp – Phần 5-54: Lựa chọn và "
                 "lắp đặt thiết bị điện – Bố trí nối đất và dây bảo vệ.\n"
                 "IEEE 80, Guide for safety in AC substation grounding."),
                ("3. Yêu cầu điện trở nối đất",
                 "Bảng 1 – Điện trở nối đất cho phép\n1. Trạm đến 22 kV: không lớn hơn 4 Ω\n"
                 "2. Trạm 35 kV: không lớn hơn 0,5 Ω"),
            ],
            [
                ("4. Kiểm tra định kỳ", "Đo điện trở nối đất hằng năm vào mùa khô theo IEC 61557-5."),
            ],
        ],
        "label": {
            "kind": "standard", **NO_CODE,
            "title_vi": "TIÊU CHUẨN NỐI ĐẤT AN TOÀN CHO TRẠM BIẾN ÁP", "title_en": None, "edition": None,
            "replaces": [], "equivalence": NO_EQUIVALENCE, **NO_CHAIN,
            "normative_references": ["TCVN 9385:2012", "TCVN 7447-5-54:2015", "IEC 60364-5-54:2011", "IEEE 80"],
            "sections": ["1. Phạm vi áp dụng", "2. Tài liệu viện dẫn", "3. Yêu cầu điện trở nối đất",
                         "4. Kiểm tra định kỳ"],
            "scope_first_sentence": "Tiêu chuẩn này quy định yêu cầu thiết kế và kiểm tra hệ thống nối đất an toàn cho "
                                    "trạm biến áp phân phối đến 35 kV.",
            "ics": None,
        },
    },
]
