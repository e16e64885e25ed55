import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from kb.text import clean, fold, nfc, sentence_case, strip_accents, tokens


def test_fold_maps_d_bar_and_strips_marks():
    assert fold("Đường ĐÔ THỊ đặc biệt") == "duong do thi dac biet"
    assert fold("Nước mắm Phú Quốc") == "nuoc mam phu quoc"


def test_fold_merges_distinct_words_that_exact_matching_keeps_apart():
    assert fold("mắm") == fold("mầm") == "mam"
    assert tokens("mắm") != tokens("mầm")


def test_nfd_input_becomes_nfc():
    decomposed = unicodedata.normalize("NFD", "Bánh phu thê Đình Bảng")
    assert nfc(decomposed) == "Bánh phu thê Đình Bảng"
    assert tokens(decomposed) == ["bánh", "phu", "thê", "đình", "bảng"]


def test_one_letter_words_are_tokens():
    assert tokens("Vitamin A và E") == ["vitamin", "a", "và", "e"]


def test_clean_drops_control_characters_and_collapses_spaces():
    assert clean("  Bê\x00 tông\t\n nặng  ") == "Bê tông nặng"


def test_sentence_case():
    assert sentence_case("BÊ TÔNG NẶNG - PHƯƠNG PHÁP THỬ") == "Bê tông nặng - phương pháp thử"


@given(st.text())
def test_fold_is_idempotent_and_ascii_for_vietnamese(s):
    once = fold(s)
    assert fold(once) == once
    assert strip_accents(strip_accents(s)) == strip_accents(s)


@given(st.text(alphabet="aăâbcdđeêghiklmnoôơpqrstuưvxyàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ ĐÂ"))
def test_fold_of_vietnamese_letters_is_plain_ascii(s):
    assert fold(s).isascii()


def _strip_accents_by_definition(text: str) -> str:
    """NFC of the text's NFD with every combining mark removed (đ/Đ to d/D first): what strip_accents means."""
    s = unicodedata.normalize("NFD", nfc(text).translate(str.maketrans({"đ": "d", "Đ": "D"})))
    return unicodedata.normalize("NFC", "".join(ch for ch in s if not unicodedata.combining(ch)))


@given(st.text(max_size=40))
def test_strip_accents_character_table_matches_the_definition_on_any_text(text):
    assert strip_accents(text) == _strip_accents_by_definition(text)


def test_strip_accents_matches_the_definition_where_pieces_recompose():
    # Oriya e + a stray accent + aa: once the accent is gone the two vowel signs compose into one
    # (U+0B4B); Hangul jamo and a decomposed Vietnamese word for good measure.
    for text in ("\u0b47\u0301\u0b3e", "\u1100\u0301\u1161", unicodedata.normalize("NFD", "Bánh phu thê Đồng Kỵ"),
                 "x\u0301\u0323y", "\u212b\u2126"):
        assert strip_accents(text) == _strip_accents_by_definition(text)
    assert strip_accents("\u0b47\u0301\u0b3e") == "\u0b4b"
