"""The text-rule failure modes of issue 10, one test each, on the generated tuning documents
(``tests/support/unseen_docs.py``) and on the rules' own helpers."""

from __future__ import annotations

import pytest

from ingest.extract.fields import extract_fields
from ingest.extract.structure import _first_sentence
from ingest.extract.titles import _continues_title
from ingest.pdf import read_pdf
from tests.support.unseen_docs import TUNING, build

_BY_NAME = {doc["name"]: doc for doc in TUNING}


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("unseen")
    cache: dict = {}

    def get(name: str):
        if name not in cache:
            cache[name] = extract_fields(read_pdf(build(tmp / f"{name}.pdf", _BY_NAME[name])).pages)
        return cache[name]

    return get


def _label(name: str, field: str):
    return _BY_NAME[name]["label"][field]


@pytest.mark.parametrize("name", ["tune_template_header_title_bullets", "tune_template_running_header_title"])
def test_title_wrapped_in_header_box_keeps_its_last_word(extracted, name):
    # "TIÊU CHUẨN PHÒNG XÉT NGHIỆM Y" / "TẾ Lần ban hành: 1": the title is not cut at "Y"
    assert extracted(name).title_vi == _label(name, "title_vi")


def test_title_line_opening_with_a_letterhead_word_is_kept(extracted):
    # "TRƯỜNG ĐIỆN TỪ ..." continues the title; only a school's letterhead ("TRƯỜNG ĐẠI HỌC ...") ends it
    out = extracted("tune_regulation_title_line_opens_with_truong")
    assert out.title_vi == _label("tune_regulation_title_line_opens_with_truong", "title_vi")


def test_title_line_starting_with_a_range_dash_is_kept(extracted):
    out = extracted("tune_regulation_dash_title_list_scope")
    assert out.title_vi.endswith("DẢI TẦN 25 MHz - 1 GHz")
    assert out.title_en == _label("tune_regulation_dash_title_list_scope", "title_en")


def test_scope_opening_tai_lieu_nay_without_a_scope_heading(extracted):
    out = extracted("tune_official_scope_without_heading")
    assert out.scope_first_sentence == _label("tune_official_scope_without_heading", "scope_first_sentence")


def test_scope_bullet_is_dropped_and_next_bullet_not_run_in(extracted):
    out = extracted("tune_template_header_title_bullets")
    assert out.scope_first_sentence == "Tiêu chuẩn này quy định yêu cầu về an toàn sinh học cho phòng xét nghiệm y tế."


def test_scope_stops_before_a_numbered_list(extracted):
    out = extracted("tune_regulation_dash_title_list_scope")
    assert out.scope_first_sentence.endswith("các thiết bị sau:")


def test_undated_unusual_references_are_found(extracted):
    assert "ETAG 018" in extracted("tune_template_header_title_bullets").normative_references
    assert extracted("tune_template_no_designation_table_rows").normative_references == [
        "ETAG 002-1", "TCVN 7505:2005", "EN 1279"]


@pytest.mark.parametrize("name", ["tune_template_header_title_bullets", "tune_template_no_designation_table_rows",
                                  "tune_template_list_right_under_heading"])
def test_section_after_numbered_table_rows(extracted, name):
    # rows 1.-8. then "4. Quy hoạch ..."; a list 1.-3. right under "2. Khởi động trạm"
    assert extracted(name).sections == _label(name, "sections")


@pytest.mark.parametrize("text, first", [
    ("• Tiêu chuẩn này quy định A. • Tiêu chuẩn này không quy định B.", "Tiêu chuẩn này quy định A."),
    ("- Tiêu chuẩn này áp dụng cho A. - Tiêu chuẩn này không áp dụng cho B.", "Tiêu chuẩn này áp dụng cho A."),
    ("Quy chuẩn này quy định các thiết bị sau: 1) thiết bị cố định; 2) thiết bị di động.",
     "Quy chuẩn này quy định các thiết bị sau:"),
    ("Văn bản này áp dụng cho các trường hợp sau: a) máy phát; b) máy thu.",
     "Văn bản này áp dụng cho các trường hợp sau:"),
    # a dash list after "bao gồm:" is part of the sentence, up to its full stop (as the corpus labels it)
    ("Tiêu chuẩn này quy định X bao gồm: - Sấy khô; - Bão hòa nước. Tiêu chuẩn này không quy định Y.",
     "Tiêu chuẩn này quy định X bao gồm: - Sấy khô; - Bão hòa nước."),
])
def test_first_sentence(text, first):
    assert _first_sentence(text) == first


@pytest.mark.parametrize("text, continues", [
    ("TẾ", True), ("CHUNG", True), ("- 1 GHz", True), ("– 3 kHz", True),
    ("NATIONAL TECHNICAL REGULATION ON RADIO", False),  # an English title in capitals starts, not continues
    ("Hà Nội", False), ("2025", False), ("- tiêu chuẩn", False),
])
def test_continues_title(text, continues):
    assert _continues_title(text) is continues
