"""Legacy Vietnamese 8-bit fonts (TCVN3/ABC ``.VnTime``, VNI ``VNI-Times``) and Symbol-font glyphs.

A PDF set in such a font has a text layer that carries the font's byte codes read as Latin-1
(``Tiªu chuÈn`` for ``Tiêu chuẩn``). We detect it from the font names when pdfium reports them and,
because names are often missing or subset-prefixed, from the text itself: the share of tokens that are
well-formed Vietnamese syllables before and after transcoding (``syllable_ratio``).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# --- TCVN3 (TCVN 5712:1993 VN3, the "ABC" fonts) --------------------------------------------------
# Lower-case letters and the seven upper-case base letters have their own codes; other capitals come
# from the separate upper-case fonts (.VnTimeH ...), whose codes are the lower-case ones.
_TCVN3_PAIRS = (
    "µà ¸á ¶ả ·ã ¹ạ ¨ă »ằ ¾ắ ¼ẳ ½ẵ Æặ ©â Çầ Êấ Èẩ Éẫ Ëậ ®đ Ìè Ðé Îẻ Ïẽ Ñẹ ªê Òề Õế Óể Ôễ Öệ "
    "×ì Ýí Øỉ Üĩ Þị ßò ãó áỏ âõ äọ «ô åồ èố æổ çỗ éộ ¬ơ êờ íớ ëở ìỡ îợ ïù óú ñủ òũ ôụ "
    "\u00adư õừ øứ öử ÷ữ ùự úỳ ýý ûỷ üỹ þỵ ¡Ă ¢Â §Đ £Ê ¤Ô ¥Ơ ¦Ư"
)
TCVN3_TO_UNICODE = {pair[0]: pair[1] for pair in _TCVN3_PAIRS.split(" ")}
_TCVN3_TABLE = str.maketrans(TCVN3_TO_UNICODE)

# --- VNI (VNI-Windows): base letter followed by a mark byte ----------------------------------------
# Tone bytes after a plain vowel: ù sắc, ø huyền, û hỏi, õ ngã, ï nặng.  After â/ê/ô (written with the
# byte â) the tones are á à å ã ä; after ă (byte ê) they are é è ú ü ë.
_TONES = "\u0301\u0300\u0309\u0303\u0323"  # sắc huyền hỏi ngã nặng
_VNI_PLAIN_TONES = "ùøûõï"
_VNI_HAT_TONES = "áàåãä"
_VNI_BREVE_TONES = "éèúüë"


def _vni_table() -> dict[str, str]:
    table: dict[str, str] = {}

    def add(code: str, base: str, tone: str = "") -> None:
        for c, b in ((code, base), (code.upper(), base.upper())):
            table[c] = unicodedata.normalize("NFC", b + tone)

    for v in "aeouy":
        for byte, tone in zip(_VNI_PLAIN_TONES, _TONES, strict=False):
            add(v + byte, v, tone)
    for v, hat in (("a", "â"), ("e", "ê"), ("o", "ô")):
        add(v + "â", hat)
        for byte, tone in zip(_VNI_HAT_TONES, _TONES, strict=False):
            add(v + byte, hat, tone)
    add("aê", "ă")
    for byte, tone in zip(_VNI_BREVE_TONES, _TONES, strict=False):
        add("a" + byte, "ă", tone)
    # ơ and ư are single bytes (ô, ö) that then take the plain tone bytes.
    for code, base in (("ô", "ơ"), ("ö", "ư")):
        add(code, base)
        for byte, tone in zip(_VNI_PLAIN_TONES, _TONES, strict=False):
            add(code + byte, base, tone)
    # i is toned by single bytes; ỵ too; đ is ñ.
    for code, ch in (("í", "í"), ("ì", "ì"), ("æ", "ỉ"), ("ó", "ĩ"), ("ò", "ị"), ("î", "ỵ"), ("ñ", "đ")):
        add(code, ch)
    return table


VNI_TO_UNICODE = _vni_table()
# Longest sequences first so "ôù" wins over "ô".
_VNI_RE = re.compile("|".join(re.escape(k) for k in sorted(VNI_TO_UNICODE, key=len, reverse=True)))

# --- Symbol font (formulas): pdfium reports its glyphs as private-use U+F0xx -----------------------
_SYMBOL = {
    0x22: "∀", 0x24: "∃", 0x27: "∋", 0x2A: "∗", 0x2D: "−", 0x40: "≅",
    0x41: "Α", 0x42: "Β", 0x43: "Χ", 0x44: "Δ", 0x45: "Ε", 0x46: "Φ", 0x47: "Γ", 0x48: "Η", 0x49: "Ι",
    0x4A: "ϑ", 0x4B: "Κ", 0x4C: "Λ", 0x4D: "Μ", 0x4E: "Ν", 0x4F: "Ο", 0x50: "Π", 0x51: "Θ", 0x52: "Ρ",
    0x53: "Σ", 0x54: "Τ", 0x55: "Υ", 0x56: "ς", 0x57: "Ω", 0x58: "Ξ", 0x59: "Ψ", 0x5A: "Ζ", 0x5C: "∴",
    0x5E: "⊥", 0x61: "α", 0x62: "β", 0x63: "χ", 0x64: "δ", 0x65: "ε", 0x66: "φ", 0x67: "γ", 0x68: "η",
    0x69: "ι", 0x6A: "ϕ", 0x6B: "κ", 0x6C: "λ", 0x6D: "μ", 0x6E: "ν", 0x6F: "ο", 0x70: "π", 0x71: "θ",
    0x72: "ρ", 0x73: "σ", 0x74: "τ", 0x75: "υ", 0x76: "ϖ", 0x77: "ω", 0x78: "ξ", 0x79: "ψ", 0x7A: "ζ",
    0x7E: "∼", 0xA2: "′", 0xA3: "≤", 0xA4: "⁄", 0xA5: "∞", 0xA6: "ƒ", 0xAB: "↔", 0xAC: "←", 0xAD: "↑",
    0xAE: "→", 0xAF: "↓", 0xB0: "°", 0xB1: "±", 0xB2: "″", 0xB3: "≥", 0xB4: "×", 0xB5: "∝", 0xB6: "∂",
    0xB7: "•", 0xB8: "÷", 0xB9: "≠", 0xBA: "≡", 0xBB: "≈", 0xBC: "…", 0xC4: "⊗", 0xC5: "⊕", 0xC6: "∅",
    0xC7: "∩", 0xC8: "∪", 0xCE: "∈", 0xCF: "∉", 0xD0: "∠", 0xD1: "∇", 0xD5: "∏", 0xD6: "√", 0xD7: "⋅",
    0xD8: "¬", 0xD9: "∧", 0xDA: "∨", 0xDE: "⇒", 0xE0: "◊", 0xE1: "〈", 0xE5: "∑", 0xF1: "〉", 0xF2: "∫",
}
_SYMBOL_TABLE = {0xF000 + code: ch for code, ch in _SYMBOL.items()}
# Other private-use F0xx (ASCII range): the same character without the offset; the rest (Wingdings
# bullets and arrows) become a plain bullet rather than an invisible private-use code.
_SYMBOL_TABLE.update({0xF000 + c: chr(c) for c in range(0x20, 0x7F) if c not in _SYMBOL})
_SYMBOL_TABLE.update({0xF000 + c: "•" for c in range(0x80, 0x100) if c not in _SYMBOL})


def fix_symbol_glyphs(text: str) -> str:
    """Map Symbol-font private-use glyphs (U+F020-U+F0FF) to the characters they draw."""
    return text.translate(_SYMBOL_TABLE) if "\uf000" <= max(text, default="\0") else text


# --- Detection ------------------------------------------------------------------------------------
_INITIAL = "ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdđghklmnprstvx]"
_SYLLABLE = re.compile(rf"(?:{_INITIAL})?[aăâeêioôơuưy]{{1,3}}(?:ch|nh|ng|[cmnpt])?")
_TONE_MARKS = frozenset(_TONES)
_TOKEN_STRIP = "\"'“”‘’()[]{}.,;:!?…-–—/*•"


@lru_cache(maxsize=65536)  # the same few thousand syllables make up most of any text
def is_vietnamese_syllable(token: str) -> bool:
    """A well-formed Vietnamese syllable (initial + vowel nucleus + final, at most one tone mark),
    written lower-case, capitalised or all capitals."""
    if not (token.islower() or token.isupper() or token[:1].isupper() and token[1:].islower()):
        return False
    decomposed = unicodedata.normalize("NFD", token.lower())
    tones = sum(1 for ch in decomposed if ch in _TONE_MARKS)
    if tones > 1:
        return False
    base = unicodedata.normalize("NFC", "".join(ch for ch in decomposed if ch not in _TONE_MARKS))
    return _SYLLABLE.fullmatch(base) is not None


_HAS_DIGIT = re.compile(r"\d")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")  # Chinese/Japanese titles in catalogues are words too
_LETTER = re.compile(r"[^\W\d_]")


def count_letters(text: str) -> int:
    return len(_LETTER.findall(text))


def _word_tokens(text: str) -> list[str]:
    toks = (raw.strip(_TOKEN_STRIP) for raw in text.split())
    return [tok for tok in toks if tok and not _HAS_DIGIT.search(tok)]


def syllable_ratio(text: str) -> float:
    """Share of word tokens (no digits) that are well-formed Vietnamese syllables."""
    toks = _word_tokens(text)
    if not toks:
        return 0.0
    return sum(1 for t in toks if is_vietnamese_syllable(t)) / len(toks)


def wordlike_ratio(text: str) -> float:
    """Share of word tokens that are Vietnamese syllables, plain ASCII words (English, acronyms) or CJK."""
    toks = _word_tokens(text)
    if not toks:
        return 0.0
    good = sum(1 for t in toks if (t.isascii() and t.isalpha()) or _CJK.search(t) or is_vietnamese_syllable(t))
    return good / len(toks)


def transcode(text: str, encoding: str | None) -> str:
    """Legacy-coded text → NFC Unicode; ``encoding`` is ``"tcvn3"``, ``"vni"`` or None (unchanged)."""
    if encoding == "tcvn3":
        lines = text.translate(_TCVN3_TABLE).split("\n")
        return unicodedata.normalize("NFC", "\n".join(_restore_capitals(line) for line in lines))
    if encoding == "vni":
        return unicodedata.normalize("NFC", _VNI_RE.sub(lambda m: VNI_TO_UNICODE[m.group()], text))
    return text


def _restore_capitals(line: str) -> str:
    """TCVN3 draws accented capitals with a separate upper-case font (.VnTimeH) that reuses the
    lower-case codes, so ``CHUẨN`` comes out as ``CHUẩN``: a line whose plain letters are (nearly) all
    capitals is upper-cased whole."""
    plain = [ch for ch in line if ch.isascii() and ch.isalpha()]
    if len(plain) >= 3 and sum(ch.isupper() for ch in plain) >= 0.9 * len(plain):
        return line.upper()
    return line


def font_hint(font_names) -> str | None:
    """Encoding suggested by font names: ``.VnTime``/``.VnArialH`` → tcvn3, ``VNI-Times`` → vni."""
    for name in font_names:
        base = (name or "").split("+", 1)[-1].lower()  # drop a subset prefix "ABCDEF+"
        if base.startswith(".vn") or base.startswith("vn") and not base.startswith("vni"):
            return "tcvn3"
        if base.startswith("vni"):
            return "vni"
    return None


# Legacy bytes that are not letters of NFC Vietnamese (à, á, â, ... are both): their presence is
# what makes a page worth testing, so ordinary Unicode pages cost nothing.
_VIET_LATIN1 = frozenset("àáâãèéêìíòóôõùúýÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝ")
_LEGACY_MARKERS = frozenset(
    ch for ch in set(TCVN3_TO_UNICODE) | set("".join(VNI_TO_UNICODE)) if not ch.isascii() and ch not in _VIET_LATIN1
)


def has_legacy_bytes(text: str) -> bool:
    return not _LEGACY_MARKERS.isdisjoint(text)


def detect(text: str, font_names=()) -> str | None:
    """Which legacy encoding, if any, the text layer is in.

    Rule: transcode with each candidate and keep the one whose Vietnamese-syllable ratio beats the raw
    text by at least 0.15 and reaches 0.6 (0.05 / 0.5 when a font name points to it). Text without any
    Latin-1 letters outside ASCII cannot be legacy-coded Vietnamese, so it is never transcoded.
    """
    sample = text[:6000]
    # Legacy-coded Vietnamese shows marker bytes in most words; a stray "×" or "µm" does not count.
    markers = sum(1 for ch in sample if ch in _LEGACY_MARKERS)
    letters = count_letters(sample)
    if markers < 3 or markers < 0.02 * letters:
        return None
    hint = font_hint(font_names)
    raw = syllable_ratio(sample)
    best, best_ratio = None, 0.0
    for enc in ("tcvn3", "vni"):
        ratio = syllable_ratio(transcode(sample, enc))
        margin, floor = (0.05, 0.5) if enc == hint else (0.15, 0.6)
        if ratio >= raw + margin and ratio >= floor and ratio > best_ratio:
            best, best_ratio = enc, ratio
    return best
