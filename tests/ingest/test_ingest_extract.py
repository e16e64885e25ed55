"""Reading PDFs (``ingest.pdf``) and extracting label fields (``ingest.extract``) on built inputs."""

from __future__ import annotations

import shutil
from dataclasses import asdict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.extract.fields import extract_fields
from ingest.pdf import read_pdf
from kb.errors import IngestError
from kb.records import FIELDS
from tests.support.pdfs import (
    make_encrypted_pdf,
    make_junk_text_pdf,
    make_not_pdf,
    make_scan_pdf,
    make_standard_pdf,
    make_text_pdf,
    make_truncated_pdf,
    make_zero_page_pdf,
)

# --------------------------------------------------------------------------------------------------
# Reader


def test_reader_returns_nfc_pages_and_counts(tmp_path):
    text = read_pdf(make_standard_pdf(tmp_path / "s.pdf"))
    assert text.page_count == 3 and len(text.pages) == 3
    assert not text.needs_ocr and text.legacy_font is None
    assert text.pages[0].splitlines()[0] == "T I Ê U C H U Ẩ N Q U Ố C G I A"
    assert "\r" not in "".join(text.pages)


def test_reader_max_pages_reads_only_the_first_pages(tmp_path):
    text = read_pdf(make_standard_pdf(tmp_path / "s.pdf"), max_pages=1)
    assert text.page_count == 3 and len(text.pages) == 1


def test_text_outside_the_visible_page_is_dropped(tmp_path):
    text = read_pdf(make_standard_pdf(tmp_path / "o.pdf", offpage_text="TCVN 9999:2001 HIDDEN KEYWORDS"))
    assert "HIDDEN" not in "".join(text.pages)
    assert extract_fields(text.pages).code == "TCVN 3118:2022"


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (make_not_pdf, "không phải tệp PDF"),
        (make_truncated_pdf, "cắt cụt"),
        (make_encrypted_pdf, "mật khẩu"),
        (make_zero_page_pdf, "không có trang"),
    ],
)
def test_bad_files_raise_one_line_ingest_errors(tmp_path, make, reason):
    path = make(tmp_path / "bad.pdf")
    with pytest.raises(IngestError) as info:
        read_pdf(path)
    assert reason in info.value.message
    assert "\n" not in info.value.message


def test_empty_and_missing_files(tmp_path):
    (tmp_path / "empty.pdf").write_bytes(b"")
    with pytest.raises(IngestError, match="rỗng"):
        read_pdf(tmp_path / "empty.pdf")
    with pytest.raises(IngestError, match="không đọc được"):
        read_pdf(tmp_path / "missing.pdf")


def test_garbage_after_a_pdf_header_is_corrupt(tmp_path):
    path = tmp_path / "garbage.pdf"
    path.write_bytes(b"%PDF-1.4\n" + b"\x00garbage" * 200 + b"\n%%EOF\n")
    with pytest.raises(IngestError, match="hỏng"):
        read_pdf(path)


def test_scans_and_junk_text_need_ocr(tmp_path):
    assert read_pdf(make_scan_pdf(tmp_path / "scan.pdf", pages=3)).needs_ocr
    junk = read_pdf(make_junk_text_pdf(tmp_path / "junk.pdf", pages=3))
    assert junk.needs_ocr and "TCVN 1.pdf" in junk.pages[0]


def test_a_short_real_text_does_not_need_ocr(tmp_path):
    path = make_text_pdf(tmp_path / "t.pdf", ["Tiêu chuẩn này quy định phương pháp xác định độ sụt của hỗn hợp bê tông."])
    assert not read_pdf(path).needs_ocr


def test_file_name_is_never_used(tmp_path):
    # a file whose name gives the wrong code
    path = shutil.copy(make_standard_pdf(tmp_path / "a.pdf"), tmp_path / "TCVN 9999-2001.pdf")
    assert extract_fields(read_pdf(path).pages).code == "TCVN 3118:2022"


# --------------------------------------------------------------------------------------------------
# Extraction from a generated standard


@pytest.fixture(scope="module")
def standard(tmp_path_factory):
    path = make_standard_pdf(tmp_path_factory.mktemp("std") / "std.pdf")
    return asdict(extract_fields(read_pdf(path).pages))


def test_designation_fields(standard):
    assert standard["kind"] == "standard"
    assert (standard["code"], standard["doc_type"], standard["number"], standard["part"], standard["year"]) == (
        "TCVN 3118:2022", "TCVN", "3118", None, 2022,
    )
    assert standard["issuer_suffix"] is None


def test_titles_and_edition(standard):
    assert standard["title_vi"] == "BÊ TÔNG - PHƯƠNG PHÁP XÁC ĐỊNH CƯỜNG ĐỘ CHỊU NÉN"
    assert standard["title_vi_normalised"] == "Bê tông - Phương pháp xác định cường độ chịu nén"
    assert standard["title_en"] == "Hardened concrete - Test method for compressive strength"
    assert standard["edition"] == 3


def test_foreword_statements(standard):
    assert standard["replaces"] == ["TCVN 3118:1993"]
    assert standard["converted_from"] == []
    assert standard["equivalence"] == {"relation": "reference", "codes": ["GOST 10180-2012"]}
    assert standard["drafted_by"] == "Viện Khoa học Công nghệ Xây dựng"
    assert standard["proposed_by"] == "Bộ Xây dựng"
    assert standard["appraised_by"] == "Tổng cục Tiêu chuẩn Đo lường Chất lượng"
    assert standard["published_by"] == "Bộ Khoa học và Công nghệ"


def test_references_sections_scope(standard):
    assert standard["normative_references"] == ["TCVN 3105:2022", "TCVN 5878:2007", "ISO 2178:1982"]
    assert standard["sections"] == [
        "1 Phạm vi áp dụng", "2 Tài liệu viện dẫn", "3 Thiết bị, dụng cụ", "4 Cách tiến hành", "5 Báo cáo thử nghiệm",
    ]
    assert standard["scope_first_sentence"] == (
        "Tiêu chuẩn này quy định phương pháp xác định cường độ chịu nén của bê tông."
    )


def test_every_found_field_has_its_page_and_method(standard):
    prov = standard["provenance"]
    for field, value in standard.items():
        if field == "provenance" or value in (None, [], {"relation": None, "codes": []}):
            continue
        assert field in prov, field
        assert isinstance(prov[field]["page"], int) and prov[field]["page"] >= 1
        assert prov[field]["method"]
    assert prov["code"]["page"] == 1
    assert prov["replaces"]["page"] == 2
    assert prov["normative_references"]["page"] == 3


def test_a_field_of_the_record_comes_with_its_provenance(tmp_path):
    record = extract_fields(read_pdf(make_standard_pdf(tmp_path / "s.pdf")).pages)
    code = record.field("code")
    assert (code.value, code.page, code.method) == ("TCVN 3118:2022", 1, record.provenance["code"].method)
    assert record.field("title_en").value == record.title_en


# --------------------------------------------------------------------------------------------------
# Hazards on hand-made page texts (what pdfium gives for real layouts)


def _doc(*pages: str) -> dict:
    return asdict(extract_fields(list(pages)))


COVER = """T I Ê U C H U Ẩ N Q U Ố C G I A
TCVN 1234-2:2020
Xuất bản lần 1
VẬT LIỆU XÂY DỰNG – PHƯƠNG PHÁP THỬ –
PHẦN 2: XÁC ĐỊNH ĐỘ ẨM
Building materials – Test methods –
Part 2: Determination of moisture
HÀ NỘI – 2020"""


def _header(page: int) -> str:
    return f"TCVN 1234-2:2020\n{page}\n"


def test_running_headers_do_not_leak_into_references_or_sections():
    pages = [
        COVER,
        _header(2),
        _header(3) + "Lời nói đầu\nTCVN 1234-2:2020 hoàn toàn tương đương với ISO 9999-2:2015.\n"
        "TCVN 1234-2:2020 do Ban kỹ thuật tiêu chuẩn quốc gia TCVN/TC 71 biên soạn, Tổng cục Tiêu chuẩn\n"
        "Đo lường Chất lượng đề nghị, Bộ Khoa học và Công nghệ công bố.",
        _header(4) + "T I Ê U C H U Ẩ N Q U Ố C G I A TCVN 1234-2:2020\nVật liệu xây dựng – Phương pháp thử –\n"
        "Phần 2: Xác định độ ẩm\nBuilding materials – Test methods –\nPart 2: Determination of moisture\n"
        "1 Phạm vi áp dụng\nTiêu chuẩn này quy định phương pháp xác định độ ẩm.\n2 Tài liệu viện dẫn\n"
        "Các tài liệu viện dẫn sau đây là cần thiết.\nTCVN 4030:2003, Xi măng – Phương pháp xác định độ mịn.\n"
        "TCVN 7572-1:2006 (ISO 6274:1982), Cốt liệu cho bê tông.",
        _header(5) + "ISO\n12345:2010, Code split after its body\n3 Thiết bị, dụng cụ\n3.1 Cân.\n"
        "1 Tay cầm\n2 Thân côn\n3 Đáy côn\nHình 1 – Côn thử\n4 Cách tiến hành\nCân mẫu.",
    ]
    f = _doc(*pages)
    assert f["code"] == "TCVN 1234-2:2020" and f["part"] == "2"
    assert f["title_vi"] == "VẬT LIỆU XÂY DỰNG – PHƯƠNG PHÁP THỬ – PHẦN 2: XÁC ĐỊNH ĐỘ ẨM"
    assert f["title_en"] == "Building materials – Test methods – Part 2: Determination of moisture"
    assert f["title_vi_normalised"] == "Vật liệu xây dựng – Phương pháp thử – Phần 2: Xác định độ ẩm"
    assert f["edition"] == 1
    assert f["equivalence"] == {"relation": "IDT", "codes": ["ISO 9999-2:2015"]}
    assert f["drafted_by"] == "Ban kỹ thuật tiêu chuẩn quốc gia TCVN/TC 71"
    assert f["proposed_by"] == "Tổng cục Tiêu chuẩn Đo lường Chất lượng"
    assert f["appraised_by"] is None
    # the header "TCVN 1234-2:2020" on page 5 sits inside the references clause but is not one of them
    assert f["normative_references"] == ["TCVN 4030:2003", "TCVN 7572-1:2006", "ISO 6274:1982", "ISO 12345:2010"]
    # figure legend "1 Tay cầm / 2 Thân côn / 3 Đáy côn" is not a heading; clause 4 after it is
    assert f["sections"] == ["1 Phạm vi áp dụng", "2 Tài liệu viện dẫn", "3 Thiết bị, dụng cụ", "4 Cách tiến hành"]


def test_codes_split_across_lines_and_spaced_dashes_in_the_foreword():
    f = _doc(
        "TIÊU CHUẨN QUỐC GIA\nTCVN 3112:2022\nBÊ TÔNG - PHƯƠNG PHÁP THỬ\nLời nói đầu\n"
        "TCVN 3112:2022 thay thế TCVN 3112:1993.\nTCVN 3112:2022 được xây dựng trên cơ sở tham khảo GOST\n"
        "12730.1-2020, Concretes; GOST 12370.3 -\n2020, Concretes và AASHTO T\n176, Standard.\n"
        "TCVN 3112:2022 do Viện Khoa học Công nghệ Xây dựng – Bộ Xây dựng biên soạn, Bộ Xây dựng đề nghị,\n"
        "Tổng cục Tiêu chuẩn Đo lường Chất lượng thẩm định, Bộ Khoa học và Công nghệ Công bố."
    )
    assert f["replaces"] == ["TCVN 3112:1993"]
    assert f["equivalence"] == {
        "relation": "reference", "codes": ["GOST 12730.1-2020", "GOST 12370.3-2020", "AASHTO T 176"],
    }
    assert f["drafted_by"] == "Viện Khoa học Công nghệ Xây dựng – Bộ Xây dựng"
    assert f["published_by"] == "Bộ Khoa học và Công nghệ"


def test_regulation_with_issuing_minister_and_submission():
    f = _doc(
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nQCVN 32:2026/BXD\nQUY CHUẨN KỸ THUẬT QUỐC GIA\n"
        "VỀ ĐƯỜNG SẮT ĐÔ THỊ\nNational technical regulation on urban railways\nHÀ NỘI – 2026",
        "QCVN 32:2026/BXD\n2\nLời nói đầu\nQCVN 32:2026/BXD do Cục Đường sắt Việt Nam biên soạn và trình duyệt,\n"
        "Vụ Khoa học công nghệ thẩm định, Bộ Khoa học và Công nghệ có ý kiến, Bộ trưởng Bộ Xây dựng ban hành theo\n"
        "Thông tư số /2026/TT-BXD",
        "3\n1. QUY ĐỊNH CHUNG\n1.1 Phạm vi điều chỉnh\nQuy chuẩn này quy định yêu cầu kỹ thuật.\n"
        "1.2 Tài liệu viện dẫn\nQCVN 10:2025/BCA Quy chuẩn kỹ thuật quốc gia về phòng cháy\n"
        "2. QUY ĐỊNH VỀ KỸ THUẬT\nTheo QCVN 93:2016/BGTVT.",
    )
    assert f["kind"] == "regulation"
    assert (f["code"], f["number"], f["issuer_suffix"]) == ("QCVN 32:2026/BXD", "32", "BXD")
    assert f["title_vi"] == "QUY CHUẨN KỸ THUẬT QUỐC GIA VỀ ĐƯỜNG SẮT ĐÔ THỊ"
    assert f["drafted_by"] == f["submitted_by"] == "Cục Đường sắt Việt Nam"
    assert f["appraised_by"] == "Vụ Khoa học công nghệ"
    assert f["published_by"] == "Bộ trưởng Bộ Xây dựng"
    assert f["proposed_by"] is None
    assert f["normative_references"] == ["QCVN 10:2025/BCA"]
    assert f["sections"] == ["1. QUY ĐỊNH CHUNG", "2. QUY ĐỊNH VỀ KỸ THUẬT"]
    assert f["scope_first_sentence"] == "Quy chuẩn này quy định yêu cầu kỹ thuật."


def test_memo_about_a_regulation_has_no_code_of_its_own():
    header = "VIETTEL AI RACE TD340\nTHUYẾT MINH DỰ THẢO THÔNG TƯ\nSỬA ĐỔI 1:2023 QCVN 81:2019/BTTTT\nLần ban hành: 1\n"
    f = _doc(*(header + f"{i}\n{i}. Mục {i}\nNội dung về QCVN 81:2019/BTTTT." for i in range(1, 5)))
    assert f["kind"] == "other"
    assert f["code"] is None and f["doc_type"] is None
    assert f["title_vi"] == "THUYẾT MINH DỰ THẢO THÔNG TƯ SỬA ĐỔI 1:2023 QCVN 81:2019/BTTTT"
    assert f["edition"] is None  # "Lần ban hành" is a template field, not an edition


def test_document_without_designation_keeps_its_title_and_no_invented_code():
    header = "VIETTEL AI RACE TD018\nTIÊU CHUẨN KẾT CẤU BÊ TÔNG Lần ban hành: 1\n"
    f = _doc(
        header + "1. Phạm vi áp dụng\nTiêu chuẩn này quy định các yêu cầu thiết kế.\n2. Tài liệu viện dẫn\n"
        "TCVN 2737:1995, Tải trọng và tác động – Tiêu chuẩn thiết kế",
        header + "TCVN 6284-2:1997 (ISO 6394-2:1991), Thép cốt\n3. Thuật ngữ, định nghĩa",
        header + "Nội dung.",
    )
    assert f["code"] is None and f["kind"] == "standard"
    assert f["title_vi"] == "TIÊU CHUẨN KẾT CẤU BÊ TÔNG"
    assert f["normative_references"] == ["TCVN 2737:1995", "TCVN 6284-2:1997", "ISO 6394-2:1991"]
    assert f["sections"] == ["1. Phạm vi áp dụng", "2. Tài liệu viện dẫn", "3. Thuật ngữ, định nghĩa"]


def test_converted_from_is_not_replaces():
    f = _doc(
        "TIÊU CHUẨN QUỐC GIA\nTCVN 9343:2012\nKẾT CẤU BÊ TÔNG - HƯỚNG DẪN BẢO TRÌ\nLời nói đầu\n"
        "TCVN 9343:2012 được chuyển đổi từ TCXDVN 348:2004 thành Tiêu chuẩn Quốc gia."
    )
    assert f["converted_from"] == ["TCXDVN 348:2004"]
    assert f["replaces"] == []


def test_old_spaced_and_en_dash_designations_are_canonical():
    f = _doc("TIÊU CHUẨN VIỆT NAM\nTCVN 5408 : 2007\nLỚP PHỦ KẼM NHÚNG NÓNG\nLời nói đầu\n"
             "TCVN 5408 : 2007 thay thế TCVN 5408 : 1991.")
    assert f["code"] == "TCVN 5408:2007" and f["replaces"] == ["TCVN 5408:1991"]
    g = _doc("TIÊU CHUẨN QUỐC GIA\nTCVN 1234–2:2020\nVẬT LIỆU XÂY DỰNG")
    assert g["code"] == "TCVN 1234-2:2020"


def test_empty_and_junk_pages_do_not_crash():
    for pages in ([], [""], ["\n\n"], ["@@@ ### $$$"], ["1\n2\n3"] * 5):
        f = asdict(extract_fields(pages))
        assert f["code"] is None and f["sections"] == [] and f["kind"] == "other"


def test_pathological_lines_stay_fast():
    # one huge line of dot leaders and another of digits: linear-time rules only (no timing assert,
    # this would hang for minutes with a backtracking pattern)
    pages = ["." * 200_000 + " x", "1 " * 50_000, "TCVN " * 20_000]
    extract_fields(pages)


def test_old_layout_sentence_case_title_and_unnumbered_scope():
    # what OCR gives for a 1982 standard: junk stamp, band heading, spaced code, group, title in sentence case
    f = _doc(
        "TCVN 1.pdf\nTIÊU CHUẨN VIỆT NAM\nTCVN 3736 : 1982\nNhóm H\n"
        "Xi măng - Phương pháp nhanh xác định giới hạn bền khi nén\n"
        "Cement – Quick method of testing in compression strength\n"
        "Tiêu chuẩn này quy định phương pháp nhanh xác định giới hạn bền khi nén của mọi loại ximăng. Mẫu thử.\n"
        "1. Thiết bị thử\n1.1. Máy nén.\n2. Chuẩn bị thử\nTheo TCVN 140 : 1964.",
        "TCVN 2.pdf\n3. Thử giới hạn bền khi nén của mẫu thử\nNén mẫu.\n4. Biên bản thử\nGhi kết quả.",
    )
    assert f["code"] == "TCVN 3736:1982" and f["year"] == 1982
    assert f["title_vi"] == "Xi măng - Phương pháp nhanh xác định giới hạn bền khi nén"
    assert f["title_en"] == "Cement – Quick method of testing in compression strength"
    assert f["sections"] == ["1. Thiết bị thử", "2. Chuẩn bị thử", "3. Thử giới hạn bền khi nén của mẫu thử", "4. Biên bản thử"]
    assert f["normative_references"] == []  # codes cited in the body are not normative references
    assert f["scope_first_sentence"] == (
        "Tiêu chuẩn này quy định phương pháp nhanh xác định giới hạn bền khi nén của mọi loại ximăng."
    )


def test_regulation_published_by_passive_instrument():
    f = _doc(
        "QCVN 8-1:2011/BYT\nQUY CHUẨN KỸ THUẬT QUỐC GIA ĐỐI VỚI GIỚI HẠN Ô NHIỄM ĐỘC TỐ VI NẤM TRONG THỰC PHẨM\n"
        "National technical regulation for the limits of mycotoxins contamination in food\nLời nói đầu\n"
        "QCVN 8-1:2011/BYT do Ban soạn thảo quy chuẩn kỹ thuật quốc gia về an toàn thực phẩm biên soạn, "
        "Cục An toàn vệ sinh thực phẩm trình duyệt và được ban hành theo Thông tư số 02/2011/TT-BYT "
        "ngày 13 tháng 01 năm 2011 của Bộ trưởng Bộ Y tế."
    )
    assert (f["kind"], f["code"], f["number"], f["part"], f["issuer_suffix"]) == (
        "regulation", "QCVN 8-1:2011/BYT", "8", "1", "BYT",
    )
    assert f["drafted_by"] == "Ban soạn thảo quy chuẩn kỹ thuật quốc gia về an toàn thực phẩm"
    assert f["submitted_by"] == "Cục An toàn vệ sinh thực phẩm"
    assert f["published_by"] == "Bộ trưởng Bộ Y tế"


_LINES = st.sampled_from([
    "TCVN 3118:2022", "T I Ê U C H U Ẩ N Q U Ố C G I A", "Lời nói đầu", "1 Phạm vi áp dụng", "2 Tài liệu viện dẫn",
    "TCVN 3118:2022 do Viện X biên soạn, Bộ Y đề nghị, Bộ Z công bố.", "thay thế TCVN 3118:1993", "Phụ lục A",
    "(quy định)", "BÊ TÔNG - PHƯƠNG PHÁP THỬ", "Hardened concrete - Test", "3", "CHƯƠNG I. QUY ĐỊNH", "......... 5",
    "QCVN 8-1/8-2:2011/BYT", "Sửa đổi 1:2016 QCVN 4:2009/BKHCN", "1. Mục", "Hình 1 - X", "do", "được ban hành",
])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.one_of(_LINES, st.text(max_size=40)), max_size=25).map("\n".join), max_size=6))
def test_any_text_gives_every_field_and_never_raises(pages):
    f = asdict(extract_fields(pages))
    assert set(FIELDS) <= set(f) and "provenance" in f
    assert f["kind"] in ("standard", "regulation", "lab_scope", "catalogue", "other")
    assert isinstance(f["sections"], list) and isinstance(f["normative_references"], list)
    for field in f["provenance"]:
        assert field in f


def test_old_style_approval_chain_with_draft_proposed_by():
    f = _doc(
        "TIÊU CHUẨN QUỐC GIA\nTCVN 7572-1:2006\nCỐT LIỆU CHO BÊ TÔNG VÀ VỮA – PHƯƠNG PHÁP THỬ – PHẦN 1: LẤY MẪU\n"
        "Lời nói đầu\nTCVN 7572-1:2006 thay thế TCVN 1771:1987 và TCVN 1772:1987.\n"
        'TCVN 7572-1:2006 do Tiểu ban kỹ thuật tiêu chuẩn TCVN/TC71/SC3 "Sản phẩm bê tông" hoàn thiện trên cơ sở\n'
        "dự thảo đề nghị của Viện Khoa học Công nghệ Xây dựng – Bộ Xây dựng, Tổng cục Tiêu chuẩn Đo lường Chất\n"
        "lượng xét duyệt, Bộ Khoa học và Công nghệ ban hành."
    )
    assert f["replaces"] == ["TCVN 1771:1987", "TCVN 1772:1987"]
    assert f["equivalence"] == {"relation": None, "codes": []}
    assert f["drafted_by"] == 'Tiểu ban kỹ thuật tiêu chuẩn TCVN/TC71/SC3 "Sản phẩm bê tông"'
    assert f["proposed_by"] == "Viện Khoa học Công nghệ Xây dựng – Bộ Xây dựng"
    assert f["appraised_by"] == "Tổng cục Tiêu chuẩn Đo lường Chất lượng"
    assert f["published_by"] == "Bộ Khoa học và Công nghệ"


def test_regulation_parts_numbered_in_roman():
    f = _doc(
        "QCVN 8-2:2011/BYT\nQUY CHUẨN KỸ THUẬT QUỐC GIA ĐỐI VỚI GIỚI HẠN Ô NHIỄM KIM LOẠI NẶNG TRONG THỰC PHẨM\n"
        "I. QUY ĐỊNH CHUNG\n1. Phạm vi điều chỉnh\nQuy chuẩn này quy định giới hạn kim loại nặng.\n"
        "2. Đối tượng áp dụng\nTổ chức, cá nhân.\n3. Tài liệu viện dẫn\nTCVN 7602:2007 (AOAC 972.25), Thực phẩm.\n"
        "II. QUY ĐỊNH KỸ THUẬT\n1. Giới hạn\nTheo TCVN 8126:2009.\nIII. PHƯƠNG PHÁP THỬ\nIV. QUY ĐỊNH VỀ QUẢN LÝ\n"
        "V. TỔ CHỨC THỰC HIỆN\nPhụ lục A\n(quy định)\nPhương pháp lấy mẫu"
    )
    assert f["sections"] == [
        "I. QUY ĐỊNH CHUNG", "II. QUY ĐỊNH KỸ THUẬT", "III. PHƯƠNG PHÁP THỬ", "IV. QUY ĐỊNH VỀ QUẢN LÝ",
        "V. TỔ CHỨC THỰC HIỆN", "Phụ lục A",
    ]
    assert f["annexes"] == [{"id": "Phụ lục A", "status": "quy định", "title": "Phương pháp lấy mẫu"}]
    assert f["normative_references"] == ["TCVN 7602:2007"]
    assert f["scope_first_sentence"] == "Quy chuẩn này quy định giới hạn kim loại nặng."


def test_dual_designation_line_and_capitalised_english_title():
    f = _doc(
        "T I Ê U C H U Ẩ N Q U Ố C G I A\nTCVN 5979:2021 ISO 10390:2021\nXuất bản lần 3\n"
        "ĐẤT, CHẤT THẢI SINH HỌC ĐÃ XỬ LÝ VÀ BÙN – XÁC ĐỊNH pH\nSOIL, TREATED BIOWASTE AND SLUDGE – DETERMINATION OF pH\n"
        "HÀ NỘI – 2021",
        "Lời nói đầu\nTCVN 5979:2021 thay thế cho TCVN 5979:2007.\n"
        "TCVN 5979:2021 hoàn toàn tương đương với ISO 10390:2021.",
    )
    assert f["code"] == "TCVN 5979:2021"
    assert f["title_vi"] == "ĐẤT, CHẤT THẢI SINH HỌC ĐÃ XỬ LÝ VÀ BÙN – XÁC ĐỊNH pH"
    assert f["title_en"] == "SOIL, TREATED BIOWASTE AND SLUDGE – DETERMINATION OF pH"
    assert f["edition"] == 3
    assert f["replaces"] == ["TCVN 5979:2007"]
    assert f["equivalence"] == {"relation": "IDT", "codes": ["ISO 10390:2021"]}


def test_heading_glued_to_the_previous_paragraph_ends_the_clause():
    # pdfium sometimes joins a heading to the last line above it ("... Cát. 3 Thuật ngữ và định nghĩa")
    f = _doc(
        "TIÊU CHUẨN QUỐC GIA\nTCVN 1000:2020\nXI MĂNG - PHƯƠNG PHÁP THỬ\n1 Phạm vi áp dụng\nTiêu chuẩn này quy định.\n"
        "2 Tài liệu viện dẫn\nTCVN 2000:2010, Cát xây dựng. 3 Thuật ngữ và định nghĩa\n"
        "Theo TCVN 9000:2001 (ISO 5000:2000).\n4 Cách thử\nThử."
    )
    assert f["normative_references"] == ["TCVN 2000:2010"]
    assert f["sections"] == ["1 Phạm vi áp dụng", "2 Tài liệu viện dẫn", "3 Thuật ngữ và định nghĩa", "4 Cách thử"]


def test_without_a_cover_the_body_gives_code_and_title():
    f = _doc(
        "TCVN 3106:2022\n4\nLời nói đầu\nTCVN 3106:2022 thay thế TCVN 3106:1993.",
        "5\nT I Ê U C H U Ẩ N Q U Ố C G I A TCVN 3106:2022\nHỗn hợp bê tông - Phương pháp xác định độ sụt\n"
        "Fresh concrete - Test method for slump\n1 Phạm vi áp dụng\nTiêu chuẩn này quy định phương pháp.",
        "TCVN 3106:2022\n6\n2 Tài liệu viện dẫn\nTCVN 3105:2022, Hỗn hợp bê tông.",
    )
    assert f["code"] == "TCVN 3106:2022" and f["replaces"] == ["TCVN 3106:1993"]
    assert f["title_vi"] == f["title_vi_normalised"] == "Hỗn hợp bê tông - Phương pháp xác định độ sụt"
    assert f["title_en"] == "Fresh concrete - Test method for slump"
    assert f["normative_references"] == ["TCVN 3105:2022"]


def test_cover_with_the_designation_under_the_titles():
    f = _doc("TIÊU CHUẨN QUỐC GIA\nXI MĂNG POÓCLĂNG\nPortland cement\nTCVN 2682:2020\nHÀ NỘI – 2020")
    assert (f["code"], f["title_vi"], f["title_en"]) == ("TCVN 2682:2020", "XI MĂNG POÓCLĂNG", "Portland cement")


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        (
            "QCVN 01-1:2018/BYT do Cục Quản lý môi trường y tế biên soạn, Vụ Pháp chế trình, Bộ trưởng Bộ Y tế "
            "ban hành theo Thông tư số 41/2018/TT-BYT.",
            {"drafted_by": "Cục Quản lý môi trường y tế", "submitted_by": "Vụ Pháp chế",
             "published_by": "Bộ trưởng Bộ Y tế"},
        ),
        (
            # "trình" inside "Công trình" is part of a name, not the verb
            "TCVN 1000:2020 do Viện Công trình biển biên soạn, Bộ Xây dựng đề nghị, Bộ Khoa học và Công nghệ công bố.",
            {"drafted_by": "Viện Công trình biển", "proposed_by": "Bộ Xây dựng",
             "published_by": "Bộ Khoa học và Công nghệ"},
        ),
        (
            "TCCS 03:2022/MD do Công ty TNHH TM Cà phê Minh Dũng xây dựng và ban hành.",
            {"drafted_by": "Công ty TNHH TM Cà phê Minh Dũng", "published_by": "Công ty TNHH TM Cà phê Minh Dũng"},
        ),
    ],
)
def test_approval_chain_variants(sentence, expected):
    f = _doc("TIÊU CHUẨN\n" + sentence.split(" do ")[0] + "\nTÊN TÀI LIỆU THỬ\nLời nói đầu\n" + sentence)
    got = {k: f[k] for k in ("drafted_by", "proposed_by", "appraised_by", "published_by", "submitted_by") if f[k]}
    assert got == expected


def test_a_list_of_designations_is_not_a_cover():
    f = _doc("DANH MỤC TIÊU CHUẨN CHO ĐƯỜNG SẮT ĐÔ THỊ\nSTT\nMã tiêu chuẩn\n1\nTCVN 9398:2012\nCông tác trắc địa\n2\n"
             "TCVN 9401:2024\nKỹ thuật đo GNSS\n3\nTCVN 4419:1987\nKhảo sát cho xây dựng")
    assert f["code"] is None and f["kind"] == "catalogue"


def test_annexes_run_in_sequence_and_cross_references_are_not_annexes():
    f = _doc(
        "TIÊU CHUẨN QUỐC GIA\nTCVN 1000:2020\nXI MĂNG - PHƯƠNG PHÁP THỬ\n1 Phạm vi áp dụng\nTheo\n"
        "Phụ lục C\nvà bảng.\n2 Cách thử\nThử.\nPhụ lục A\n(quy định)\nChuẩn bị mẫu\nA.1 Cân.\n"
        "Phụ lục B\nXác định độ ẩm\nB.1 Sấy.\nPhụ lục D (tham khảo) Độ chụm"
    )
    assert f["sections"] == ["1 Phạm vi áp dụng", "2 Cách thử", "Phụ lục A", "Phụ lục B"]
    assert f["annexes"] == [
        {"id": "Phụ lục A", "status": "quy định", "title": "Chuẩn bị mẫu"},
        {"id": "Phụ lục B", "status": None, "title": "Xác định độ ẩm"},
    ]
