"""Vietnamese text handling: NFC at every boundary, accent folding (with đ → d), tokens."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_WORD = re.compile(r"\w+", re.UNICODE)
# NFD strips combining marks but leaves đ/Đ alone: they are letters of their own.
_D_MAP = str.maketrans({"đ": "d", "Đ": "D"})


def nfc(text: str | None) -> str:
    """NFC-normalise; ``None`` becomes ``""``."""
    if not text:
        return ""
    return unicodedata.normalize("NFC", text)


def clean(text: str | None) -> str:
    """NFC, drop control characters, collapse whitespace, strip."""
    s = nfc(text)
    if not s.isprintable():  # most text is: skip the character-by-character pass
        s = "".join(ch if (ch.isprintable() or ch in "\t\n ") else " " for ch in s)
    return _SPACES.sub(" ", s).strip()


def is_digits(text: str | None) -> bool:
    """Only ASCII digits, at least one: what ``int()`` reads. ``str.isdigit`` also passes "²" and "①", which
    ``int()`` refuses, so every check before an ``int()`` of outside text uses this instead."""
    return bool(text) and text.isascii() and text.isdigit()  # type: ignore[union-attr]


def _strip_one(ch: str) -> str:
    """One character without its diacritics (đ/Đ to d/D): the definition ``strip_accents`` applies."""
    s = unicodedata.normalize("NFD", ch.translate(_D_MAP))
    return unicodedata.normalize("NFC", "".join(c for c in s if not unicodedata.combining(c)))


class _StripTable(dict):
    """``str.translate`` table filled on first sight of each character: a C loop over the text instead of
    a Python generator over its decomposition (folding was a fifth of a search's time)."""

    def __missing__(self, code: int) -> str:
        out = self[code] = _strip_one(chr(code))
        return out


_STRIP = _StripTable()


def strip_accents(text: str | None) -> str:
    """Remove diacritics, mapping đ/Đ to d/D; case is kept.

    Character by character, then NFC again: dropping combining marks (ccc ≠ 0) commutes with splitting an
    NFD string into characters, and NFC of a concatenation of NFC pieces is NFC of the whole, so this is
    exactly NFC(marks removed from NFD(text)) (tests/kb/test_text.py checks it against that definition).
    """
    return unicodedata.normalize("NFC", nfc(text).translate(_STRIP))


def fold(text: str | None) -> str:
    """Lower-case, accent-free, whitespace-collapsed: the key for accent-insensitive comparison."""
    return _SPACES.sub(" ", strip_accents(text).casefold()).strip()


def tokens(text: str | None, *, folded: bool = False) -> list[str]:
    """Word tokens (one-letter words kept), lower-cased; folded when asked."""
    s = fold(text) if folded else nfc(text).casefold()
    return _WORD.findall(s)


def split_items(value: object) -> list[str]:
    """A list field as forms and import cells write it: one item a line or ``;``-separated (or already a list);
    each cleaned, blanks and repeats (case ignored) dropped, first spelling kept."""
    parts = re.split(r"[;\n]", value) if isinstance(value, str) else list(value or [])  # type: ignore[call-overload]
    out: list[str] = []
    seen: set[str] = set()
    for part in parts:
        item = clean(str(part))
        if item and item.casefold() not in seen:
            seen.add(item.casefold())
            out.append(item)
    return out


def sentence_case(text: str | None) -> str:
    """``BÊ TÔNG NẶNG`` → ``Bê tông nặng``; keeps designations like ``TCVN`` only if mixed-case input."""
    s = clean(text)
    if not s:
        return s
    low = s.lower()
    return low[0].upper() + low[1:]
