"""The document as the field readers see it (pages, lines, body without running headers) and the
designation families and headings they share."""

from __future__ import annotations

from ingest._layout import (
    Line,
    body_lines,
    page_lines,
)

# Families a Vietnamese document's own designation belongs to; the first group are regulations.
_REGULATION_TYPES = {"QCVN", "QCĐP", "QCXDVN"}
_OWN_TYPES = _REGULATION_TYPES | {"TCVN", "TCCS", "TCXDVN", "TCXD", "TCN"}

# Headings (folded, spaces removed) that open a national / organisation standard or regulation page.
_DOC_HEADINGS = ("tieuchuanquocgia", "tieuchuancoso", "tieuchuanvietnam", "tieuchuanxaydungvietnam",
                 "quychuankythuatquocgia", "quychuanxaydungvietnam")

# Titles that name a document *about* a standard (memo, decision, letter), not a standard.
_OTHER_GENRES = ("thuyetminh", "totrinh", "congvan", "quyetdinh", "baocao", "thongtu", "huongdan")

# Capital letters (Latin with Vietnamese diacritics) for character classes; "À-Ỹ" would take lower case too.
_UP = "".join(ch for ch in map(chr, range(0x41, 0x1F00)) if ch.isalpha() and ch.isupper())


class _Doc:
    def __init__(self, pages: list[str]):
        self.pages = pages
        self.raw = page_lines(pages)
        self.body, self.furniture = body_lines(pages)

    def first_pages(self, n: int) -> list[Line]:
        return [Line(p, x) for p, ls in enumerate(self.raw[:n], start=1) for x in ls]
