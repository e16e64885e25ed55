"""Legacy Vietnamese encodings (TCVN3, VNI), their detection, and generated PDFs that carry them."""

from __future__ import annotations

import unicodedata
from dataclasses import asdict

import pytest

from ingest import legacy_fonts as lf
from ingest.extract.fields import extract_fields
from ingest.pdf import normalise_page_text, read_pdf
from tests.support.pdfs import make_standard_pdf, tcvn3_bytes, vni_bytes

SAMPLE = (
    "Tiêu chuẩn quốc gia về bê tông nặng - Phương pháp xác định cường độ chịu nén. "
    "Đường sắt đô thị, ưu tiên, giữ nguyên, lỗ rỗng, mẫu thử được bảo dưỡng ẩm."
)
ALL_LOWER = "àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ"


def test_tcvn3_table_covers_every_vietnamese_letter_and_round_trips():
    assert lf.transcode(tcvn3_bytes(ALL_LOWER), "tcvn3") == ALL_LOWER
    assert lf.transcode(tcvn3_bytes(SAMPLE), "tcvn3") == SAMPLE
    # the seven capitals TCVN3 has codes for
    assert lf.transcode("¡¢§£¤¥¦", "tcvn3") == "ĂÂĐÊÔƠƯ"


def test_vni_table_round_trips_lower_and_upper_case():
    for text in (ALL_LOWER, ALL_LOWER.upper(), SAMPLE):
        assert lf.transcode(vni_bytes(text), "vni") == unicodedata.normalize("NFC", text)


def test_known_tcvn3_words():
    assert lf.transcode("Tiªu chuÈn", "tcvn3") == "Tiêu chuẩn"
    assert lf.transcode("Ph­¬ng ph¸p", "tcvn3") == "Phương pháp"


def test_tcvn3_capital_lines_come_back_upper_case():
    # .VnTimeH draws capitals with the lower-case codes: a line of capitals is restored whole
    assert lf.transcode(tcvn3_bytes("BÊ TÔNG - PHƯƠNG PHÁP THỬ"), "tcvn3") == "BÊ TÔNG - PHƯƠNG PHÁP THỬ"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (tcvn3_bytes(SAMPLE), "tcvn3"),
        (vni_bytes(SAMPLE), "vni"),
        (SAMPLE, None),
        ("Hot dip galvanized coatings on fabricated iron and steel articles", None),
        ("Café crème brûlée über Straße", None),  # Latin-1 letters that are not a legacy encoding
        ("", None),
    ],
)
def test_detect_by_syllable_statistics(text, expected):
    assert lf.detect(text) == expected


def test_font_name_hint_lowers_the_bar():
    assert lf.font_hint(["ABCDEF+.VnTime"]) == "tcvn3"
    assert lf.font_hint([".VnArialH"]) == "tcvn3"
    assert lf.font_hint(["VNI-Times"]) == "vni"
    assert lf.font_hint(["TimesNewRomanPSMT", "Arial"]) is None


def test_syllable_rule():
    for good in ("nghiêng", "thuở", "khuỷu", "đường", "giữ", "quốc", "a", "oán"):
        assert lf.is_vietnamese_syllable(good), good
    for bad in ("tiªu", "b¶o", "concrete", "xyz", "ááá", "chuÈn"):
        assert not lf.is_vietnamese_syllable(bad), bad


def test_symbol_font_private_use_glyphs_become_characters():
    assert normalise_page_text("100 \uf0b1 2\r\n\uf061 = \uf073") == "100 ± 2\nα = σ"
    assert normalise_page_text("đất\ufffenước") == "đất-nước"


def _fields(path):
    text = read_pdf(path)
    fields = asdict(extract_fields(text.pages))
    fields.pop("provenance")
    return text, fields


@pytest.fixture(scope="module")
def plain_fields(tmp_path_factory):
    return _fields(make_standard_pdf(tmp_path_factory.mktemp("plain") / "plain.pdf"))[1]


def test_tcvn3_text_layer_pdf_is_transcoded(tmp_path, plain_fields):
    text, fields = _fields(make_standard_pdf(tmp_path / "tcvn3.pdf", tcvn3=True))
    assert text.legacy_font == "tcvn3"
    assert not text.needs_ocr
    assert "Phương pháp xác định cường độ chịu nén" in text.pages[2]
    assert fields == plain_fields


def test_vni_text_layer_pdf_is_transcoded(tmp_path, plain_fields):
    text, fields = _fields(make_standard_pdf(tmp_path / "vni.pdf", vni=True))
    assert text.legacy_font == "vni"
    assert fields == plain_fields


def test_nfd_text_layer_is_normalised_to_nfc(tmp_path, plain_fields):
    text, fields = _fields(make_standard_pdf(tmp_path / "nfd.pdf", nfd=True))
    assert text.legacy_font is None
    assert all(unicodedata.is_normalized("NFC", page) for page in text.pages)
    assert "Tiêu chuẩn này quy định" in text.pages[2]
    assert fields == plain_fields


def test_two_column_page_reads_column_by_column(tmp_path, plain_fields):
    text, fields = _fields(make_standard_pdf(tmp_path / "two.pdf", two_column=True))
    body = text.pages[2]
    # the left column (clauses 1-3) comes before the right one (4-5), each clause whole
    assert body.index("1 Phạm vi áp dụng") < body.index("3 Thiết bị, dụng cụ") < body.index("4 Cách tiến hành")
    assert fields["sections"] == plain_fields["sections"]
    assert fields["normative_references"] == plain_fields["normative_references"]


def test_wordlike_ratio_accepts_english_and_cjk_but_not_symbol_soup():
    assert lf.wordlike_ratio("Hot dip galvanized coatings") == 1.0
    assert lf.wordlike_ratio("城市轨道交通 工程 测量规范") == 1.0
    assert lf.wordlike_ratio("@#$ ||| }{}{ ¤¤¤ §§ ¶¶") == 0.0
