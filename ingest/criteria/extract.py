"""Criteria rows of a standard: which pages to cut (``criteria_pages``) and the readers in order
(``extract_criteria``)."""


from __future__ import annotations

import re

from ingest.criteria.ruled import criteria_from_grid, pdfplumber_criteria
from ingest.criteria.unruled import criteria_unruled
from ingest.grid import Row, Word, page_rows, page_words, path_geometry
from ingest.pdf import OpenPdf
from kb.records import CriterionRow
from kb.text import fold

# A header line that opens a criteria table: "TT | Tên chỉ tiêu | ...", "Chỉ tiêu | Mức | ...".
_CRITERIA_HEAD = re.compile(r"^(?:s?tt\.?\s+)?(?:ten\s+|cac\s+)?chi\s+tieu\b")
_CRITERIA_COLS = re.compile(r"\b(muc|yeu cau|gioi han|phuong phap thu|don vi|ham luong toi da)\b")
_CRITERIA_HINT = re.compile(r"ch[iỉ]\s*ti[eê]u|ti[eế]p\s+theo", re.IGNORECASE)
_CONTINUED = re.compile(r"\bbang\s+\d+[^\n]{0,80}\(\s*tiep\s+theo\s*\)")


def criteria_pages(pages: list[str]) -> list[int]:
    """1-based numbers of pages whose plain text shows a criteria table header, or its continuation."""
    found: list[int] = []
    for no, text in enumerate(pages, 1):
        if not _CRITERIA_HINT.search(text):
            continue  # folding every line of every page costs more than this test
        lines = [fold(ln) for ln in text.splitlines() if ln.strip()]
        hit = False
        for i, ln in enumerate(lines):
            # "Tên chỉ" / "tiêu": a header cell wrapped over two lines.
            head = ln if len(ln) >= 40 or i + 1 == len(lines) else f"{ln} {lines[i + 1]}"
            if len(ln) < 140 and _CRITERIA_HEAD.search(head) and _CRITERIA_COLS.search(" ".join(lines[i:i + 6])):
                hit = True
                break
        if not hit and found and found[-1] == no - 1 and _CONTINUED.search("\n".join(lines[:12])):
            hit = True
        if hit:
            found.append(no)
    return found


def extract_criteria(pdf: OpenPdf, page_numbers: list[int], *, find_codes=None) -> list[CriterionRow]:
    """Criteria rows from the given pages: the pypdfium2 grid, pdfplumber only for pages it cannot cut."""
    if not page_numbers:
        return []
    gridded: list[tuple[int, list[Row]]] = []
    unruled: list[int] = []
    page_words_: dict[int, list[Word]] = {}
    for no in page_numbers:
        page = pdf.doc[no - 1]
        try:
            words = page_words(page)
            rows = page_rows(page, words)
            # Drawn lines the grid could not cut into bands: let pdfplumber try. A page with no
            # lines at all has no table pdfplumber could find either.
            odd_lines = not rows and any(path_geometry(page))
        finally:
            page.close()
        page_words_[no] = words
        if rows:
            gridded.append((no, rows))
        elif odd_lines:
            unruled.append(no)
    out = criteria_from_grid(gridded, find_codes=find_codes)
    if unruled:
        out.extend(pdfplumber_criteria(pdf, unruled, find_codes=find_codes))
    # A page no ruled reader got a criterion from may hold a table aligned by white space only.
    done = {row.page for row in out}
    out.extend(criteria_unruled([(no, page_words_[no]) for no in page_numbers if no not in done],
                                find_codes=find_codes))
    out.sort(key=lambda r: (r.page or 0, r.position))
    for pos, row in enumerate(out, 1):
        row.position = pos
    return out
