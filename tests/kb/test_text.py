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
