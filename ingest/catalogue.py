"""A printed list of standards ("Danh mục tiêu chuẩn": STT | Mã tiêu chuẩn | Tên tiêu chuẩn) → entries.

Each entry keeps its (sub)section, number and title as printed; its code cell is read with
``kb.codes`` so shorthands (``TCVN 13937-1,2,3:2024``, ``-1 đến 10``) become one designation per part,
and bracketed adoptions (``TCVN 14560-1:2025 (ISO 5735-1:2024)``) become equivalences, not entries.
"""

from __future__ import annotations

import re
from typing import Any

from ingest.grid import Row, page_rows
from ingest.pdf import OpenPdf
from kb import codes
from kb.records import Catalogue, CatalogueCode, CatalogueEntry
from kb.text import clean, fold

_SECTION_ID = re.compile(r"^([IVXLC]+(?:\.\d+)*)\.?$")
_STT = re.compile(r"^\d{1,4}\.?$")
_PART_TITLE = re.compile(r"Phần\s+(\d+(?:-\d+)?)\s*:?\s*", re.IGNORECASE)


def looks_like_catalogue(pages: list[str]) -> bool:
    """A list of standards: its first page has a "Danh mục ... tiêu chuẩn" title and a code column."""
    head = fold(" ".join(pages[:2]))
    return "danh muc" in head and "tieu chuan" in head and bool(
        re.search(r"(ma|so hieu|ky hieu) (tieu chuan|tc)\b", head)) and bool(re.search(r"\bstt\b", head))


def _header_roles(row: Row) -> list[str] | None:
    roles = []
    for cell in row.cells:
        f = fold(cell)
        if re.fullmatch(r"s?tt\.?", f):
            roles.append("stt")
        elif re.search(r"\b(ma|so hieu|ky hieu)\b", f):
            roles.append("code")
        elif re.search(r"\bten\b", f):
            roles.append("title")
        else:
            roles.append("")
    return roles if {"code", "title"} <= set(roles) else None


def parse_rows(pdf: OpenPdf) -> dict[str, Any]:
    """Entries and section headings of every catalogue table in the document."""
    entries: list[dict[str, Any]] = []
    sections: list[str] = []
    section_path: dict[int, str] = {}
    section_id: str | None = None
    roles: list[str] | None = None
    header: Row | None = None
    for index in range(len(pdf)):
        page = pdf.doc[index]
        try:
            rows = page_rows(page)
        finally:
            page.close()
        for row in rows:
            head = _header_roles(row)
            if head:
                roles, header = head, row
                continue
            if roles is None or header is None or not row.text:
                continue
            first = row.cells[0]
            m = _SECTION_ID.match(first)
            if m and (len(row.cells) < len(roles) or not _cell(row, roles, header, "code")):
                section_id = m.group(1)
                name = clean(" ".join(row.cells[1:]))
                depth = section_id.count(".")
                section_path = {d: v for d, v in section_path.items() if d < depth}
                section_path[depth] = name
                if depth == 0:
                    sections.append(f"{section_id} {name}")
                continue
            stt, code, title = (_cell(row, roles, header, r) for r in ("stt", "code", "title"))
            if _STT.match(stt):
                entries.append({"section": section_id, "stt": stt.rstrip("."), "code_raw": code,
                                "title": title, "page": index + 1,
                                "section_title": section_path.get(max(section_path)) if section_path else None})
            elif not stt and entries:
                last = entries[-1]  # a title (or a code list) carried over to the next band or page
                if code:
                    last["code_raw"] = clean(f"{last['code_raw']} {code}")
                if title:
                    last["title"] = clean(f"{last['title']} {title}")
    return {"entries": entries, "sections": sections}


def _cell(row: Row, roles: list[str], header: Row, role: str) -> str:
    if role not in roles:
        return ""
    if len(row.cells) == len(roles):
        return row.cells[roles.index(role)]
    j = roles.index(role)
    parts = [text for i, text in enumerate(row.cells)
             if text and header.cell_at(row.edges[i], row.edges[i + 1]) == j]
    return clean(" ".join(parts))


def split_code_cell(cell: str) -> tuple[list[codes.Designation], list[codes.Designation]]:
    """Designations of a code cell: (the listed standards, the bracketed equivalents they adopt).

    An opening bracket that never closes runs to the end of the cell, as printed in real lists.
    """
    primary_text, bracketed_text = [], []
    depth = 0
    buf = ""
    for ch in cell:
        if ch == "(":
            if depth == 0:
                primary_text.append(buf)
                buf = ""
            depth += 1
            buf += ch
        elif ch == ")" and depth:
            depth -= 1
            buf += ch
            if depth == 0:
                bracketed_text.append(buf)
                buf = ""
        else:
            buf += ch
    (bracketed_text if depth else primary_text).append(buf)
    primary: list[codes.Designation] = []
    bracketed: list[codes.Designation] = []
    for chunk in primary_text:
        primary.extend(codes.find_all(chunk))
    for chunk in bracketed_text:
        found = codes.find_all(chunk)
        if found:
            bracketed.extend(found)
        elif primary:
            # "(các phần 1-6)" belongs to the code before it.
            primary = codes.find_all(" ".join(primary_text).strip() + " " + chunk) or primary
    return _dedupe(primary), _dedupe(bracketed)


def _dedupe(items: list[codes.Designation]) -> list[codes.Designation]:
    seen, out = set(), []
    for d in items:
        if d.key not in seen:
            seen.add(d.key)
            out.append(d)
    return out


def part_title(title: str, part: str | None, *, several: bool) -> str:
    """The title of one part out of a combined title ("X: Phần 1: A, Phần 2: B" → "X - Phần 2: B")."""
    if not several or not part:
        return title
    hits = list(_PART_TITLE.finditer(title))
    if not hits:
        return title
    stem = clean(title[:hits[0].start()]).rstrip(":;,.- ")
    for i, m in enumerate(hits):
        if m.group(1) == part:
            end = hits[i + 1].start() if i + 1 < len(hits) else len(title)
            own = clean(title[m.end():end]).rstrip(":;,. ")
            return f"{stem} - Phần {part}: {own}" if stem else f"Phần {part}: {own}"
    return title


def parse_catalogue(pdf: OpenPdf, pages: list[str]) -> Catalogue:
    """Entries with their designations (computed in the worker)."""
    parsed = parse_rows(pdf)
    entries = []
    for e in parsed["entries"]:
        primary, bracketed = split_code_cell(e["code_raw"])
        several = len(primary) > 1
        entries.append(CatalogueEntry(
            **e, codes=[CatalogueCode(d.format(), part_title(e["title"], d.part, several=several)) for d in primary],
            equivalents=[d.format() for d in bracketed]))
    return Catalogue(entries=entries, sections=parsed["sections"], title=_catalogue_title(pages),
                     published_by=_issuer(pages))


def _catalogue_title(pages: list[str]) -> str | None:
    for line in (pages[0] if pages else "").splitlines():
        s = clean(line)
        if fold(s).startswith("danh muc") and len(s) > 12:
            return s
    return None


def _issuer(pages: list[str]) -> str | None:
    m = re.search(r"\bcủa\s+(Bộ\s+[A-ZĐ][^\n)]*?)\s*\)", " ".join((pages[0] if pages else "").split()))
    return clean(m.group(1)) if m else None
