"""Body structure: top-level numbered sections, annexes, and the clauses read by heading (scope,
normative references)."""

from __future__ import annotations

import re

from ingest._layout import (
    Line,
    is_toc_line,
    is_upper_line,
    single_space,
    squash,
)
from ingest.extract._doc import _DOC_HEADINGS, _UP, _Doc
from kb import codes
from kb.text import clean

_HEADING = re.compile(rf"^(?P<num>\d{{1,2}})(?P<dot>\.?)\s+(?P<title>[{_UP}][^\n]*)$")
_SUBNUM = re.compile(r"^(?P<num>\d{1,2}(?:\.\d{1,2})+)\.?\s+(?P<title>\S.*)$")
_ROMAN_HEAD = re.compile(rf"^(?P<num>[IVX]{{1,5}})\.\s*(?P<title>[{_UP}].*)$")
_CHAPTER = re.compile(r"^CHƯƠNG\s+(?P<num>[IVXLC]+)\b\.?\s*(?P<title>.*)$")
_ANNEX = re.compile(r"^(?P<id>(?i:phụ\s+lục)\s+(?P<letter>[IVX]{2,4}|[A-Z]|\d{1,2}))\b\.?\s*(?P<rest>.*)$")
_ANNEX_STATUS = re.compile(r"^\(?\s*(?P<status>(?i:quy định|qui định|tham khảo|bắt buộc))\b[^)]*\)?\s*(?P<rest>.*)$")
_DANGLING = re.compile(r"(?:\b(?:với|và|của|cho|trong|về|theo|đối|các|QCVN|TCVN|ISO)|[-–,])\s*$")
_REFS_HEAD = re.compile(r"^(?:(?P<num>\d{1,2}(?:\.\d{1,2})*)\.?\s+)?(?i:tài\s+liệu|tiêu\s+chuẩn)\s+(?i:viện\s+dẫn)\s*:?$")
_SCOPE_HEAD = re.compile(r"^(?:(?P<num>\d{1,2}(?:\.\d{1,2})*)\.?\s+)?(?i:phạm\s+vi\s+(?:áp\s+dụng|điều\s+chỉnh))\s*:?$")
# The opening paragraph that is the scope of a document without a scope heading.
_SCOPE_OPENING = re.compile(
    r"^(?:(?:Tiêu|Quy) chuẩn này\b|(?:Tài liệu|Văn bản) này\s+(?:quy định|áp dụng|đề cập|hướng dẫn|mô tả)\b)"
)
_CAPTION = re.compile(r"^(?:Hình|Bảng|Figure|Table)\s+[A-Z]?\.?\d")
_BIBLIO = re.compile(r"^(?i:thư\s+mục(?:\s+tài\s+liệu)?(?:\s+tham\s+khảo)?)\s*$")


def _is_list_item(lines: list[Line], k: int, num: int, accepted_at: int | None) -> bool:
    """A numbered line inside a run of numbered lines (figure legend, table rows) is not a heading: the
    row above is numbered one less, or the row below one more (a list that starts at 1 under a heading is
    its own list); the heading accepted just before does not count as such a neighbour."""
    for j, step in ((k - 1, -1), (k + 1, 1)):
        if 0 <= j < len(lines) and j != accepted_at:
            m = _HEADING.match(lines[j].text) or re.match(r"^(?P<num>\d{1,2})\s", lines[j].text)
            if m and int(m["num"]) - num == step:
                return True
    return False


_ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV", "XV",
          "XVI", "XVII", "XVIII", "XIX", "XX")


def _follows_unaccepted(lines: list[Line], k: int, previous: int, dot: str, accepted_at: int) -> bool:
    """True when one of the 6 lines above is numbered ``previous`` in the same style but is not the
    heading accepted for that number: the candidate is the next row of a numbered table or list."""
    for j in range(k - 1, max(-1, k - 7), -1):
        if _CAPTION.match(lines[j].text) or j == accepted_at:
            return False  # a figure/table caption closes the list above it, as does the last heading
        m = _HEADING.match(lines[j].text)
        if m and int(m["num"]) > previous and m["dot"] == dot:
            return False  # the rows above already counted past this number: they are another list
        if m and int(m["num"]) == previous and m["dot"] == dot and j != accepted_at:
            return True
    return False


def _chapters(lines: list[Line], pattern: re.Pattern | None = None) -> list[tuple[int, str]]:
    """``CHƯƠNG I. ...``, ``CHƯƠNG II. ...`` (or, with ``_ROMAN_HEAD``, ``I. QUY ĐỊNH CHUNG``, ``II. ...``)
    in sequence; a wrapped upper-case title is joined."""
    pattern = pattern or _CHAPTER
    out: list[tuple[int, str]] = []
    for k, line in enumerate(lines):
        m = pattern.match(line.text)
        if m and pattern is _ROMAN_HEAD and not is_upper_line(m["title"]):
            continue
        if not m or is_toc_line(line.text) or len(out) >= len(_ROMAN) or m["num"] != _ROMAN[len(out)]:
            continue
        title = line.text
        nxt = lines[k + 1].text if k + 1 < len(lines) else ""
        if nxt and is_upper_line(nxt) and not pattern.match(nxt) and not _SUBNUM.match(nxt) \
                and not _HEADING.match(nxt) and len(nxt) < 80:
            title += " " + nxt
        out.append((k, clean(title)))
    return out


def _sections(doc: _Doc) -> tuple[list[str], int | None, list[tuple[int, int]]]:
    """Top-level headings in numbering order; also their body-line indexes (number, index)."""
    lines = doc.body
    chapters = _chapters(lines)
    if len(chapters) < 2:
        # QCVN often number their parts "I. QUY ĐỊNH CHUNG", "II. QUY ĐỊNH KỸ THUẬT" above clauses 1, 2 ...
        chapters = _chapters(lines, _ROMAN_HEAD)
        first_numbered = next((k for k, ln in enumerate(lines) if _HEADING.match(ln.text) and not is_toc_line(ln.text)), None)
        if len(chapters) >= 2 and first_numbered is not None and first_numbered < chapters[0][0]:
            chapters = []
    if len(chapters) >= 2:
        return [title for _, title in chapters], lines[chapters[0][0]].page, [
            (i + 1, k) for i, (k, _) in enumerate(chapters)
        ]
    found: list[str] = []
    where: list[tuple[int, int]] = []
    expected, style, page = 1, None, None
    colon_ok = False
    for k, line in enumerate(lines):
        text = line.text
        m = _HEADING.match(text)
        if m and int(m["num"]) != expected:
            m = None
        if m is None and found and not is_toc_line(text):
            # pdfium sometimes glues a heading to the end of the paragraph above it
            m = re.search(rf"(?<=[.;:])\s+(?P<num>{expected})(?P<dot>\.?)\s+(?P<title>[{_UP}][^.;:]{{2,100}})$", text)
            if m:
                text = text[m.start("num"):]
        if not m or is_toc_line(text):
            continue
        if style is not None and m["dot"] != style:
            continue
        title = m["title"].strip()
        if title.endswith(":") and found and not colon_ok:
            continue  # a numbered table row or list item ("7. Công trình liên lạc, ăng ten:")
        if len(title) > 150 or title.endswith((";", ",")) or _is_list_item(lines, k, expected, where[-1][1] if where else None):
            continue
        if ";" in title or (len(title.split()) > 6 and title.endswith(".")):
            continue  # a numbered sentence or list item in running text
        if re.search(rf"\s{expected + 1}\s+[{_UP}]", title):
            continue  # a figure legend run on one line: "5 Mẫu thử 6 Buồng đặt mẫu ..."
        first_code = next(codes.iter_matches(title), None)
        if first_code and first_code[0] == 0:
            continue  # a catalogue row "1 TCVN 9398:2012 Công tác trắc địa ..."
        if found and _follows_unaccepted(lines, k, expected - 1, m["dot"], where[-1][1]):
            continue  # a numbered table row right after its sibling row
        heading = clean(text)
        if _DANGLING.search(heading) and k + 1 < len(lines):
            nxt = lines[k + 1].text
            if not _HEADING.match(nxt) and not _SUBNUM.match(nxt) and len(nxt) < 80:
                heading = clean(heading + " " + nxt)
        if style is None:
            style, page, colon_ok = m["dot"], line.page, title.endswith(":")
        found.append(heading)
        where.append((expected, k))
        expected += 1
    return found, page, where


def _annexes(doc: _Doc, start: int) -> list[dict]:
    lines = doc.body
    out: list[dict] = []
    seen: set[str] = set()
    for k in range(start, len(lines)):
        text = lines[k].text
        m = _ANNEX.match(text)
        if not m or is_toc_line(text):
            continue
        rest = m["rest"].strip()
        status, title = None, None
        sm = _ANNEX_STATUS.match(rest) if rest else None
        if sm:
            status, title = sm["status"], sm["rest"].strip() or None
        elif rest and not rest[:1].islower() and len(rest) < 120:
            title = rest.lstrip("-–: ")
        elif rest:
            continue  # "Phụ lục A quy định ..." in running text
        j = k + 1
        if status is None and j < len(lines):
            sm = _ANNEX_STATUS.match(lines[j].text)
            if sm and lines[j].text.startswith("("):
                status, j = sm["status"], j + 1
        if title is None and j < len(lines) and lines[j].text[:1].isupper():
            title = lines[j].text  # "Phụ lục A" alone on its line, the title under it
        if status is None and title is None:
            continue
        if m["letter"] != _next_annex([a["letter"] for a in out], m["letter"]):
            continue  # annexes run A, B, C ... (or 1, 2, 3): anything else is a cross-reference
        ident = single_space(m["id"])
        if ident.lower() in seen:
            continue
        seen.add(ident.lower())
        out.append({"id": ident, "status": status, "title": clean(title) if title else None,
                    "page": lines[k].page, "letter": m["letter"]})
    return out


def _next_annex(accepted: list[str], candidate: str) -> str:
    """The annex identifier expected after ``accepted`` ones: A, B, C ...; 1, 2, 3 ...; or I, II, III ..."""
    if not accepted:
        return candidate if candidate in ("A", "1", "I") else "A"
    if accepted[0].isdigit():
        return str(int(accepted[-1]) + 1)
    if accepted[0] == "I":  # letters start at A, so a first "I" is roman
        return _ROMAN[len(accepted)] if len(accepted) < len(_ROMAN) else ""
    return chr(ord(accepted[-1]) + 1)


def _clause(doc: _Doc, head: re.Pattern, limit: int = 120) -> tuple[list[Line], Line] | None:
    lines = doc.body
    for k, line in enumerate(lines):
        m = head.match(line.text)
        if not m or is_toc_line(line.text):
            continue
        prefix = tuple((m["num"] or "").split(".")) if m["num"] else None
        out: list[Line] = []
        for nxt in lines[k + 1:k + 1 + limit]:
            if _BIBLIO.match(nxt.text) or _ANNEX.match(nxt.text) and len(nxt.text) < 40:
                break
            hm = _HEADING.match(nxt.text) or _SUBNUM.match(nxt.text)
            if hm:
                num = tuple(hm["num"].split("."))
                if prefix is None or num[: len(prefix)] != prefix:
                    break
                if len(num) == len(prefix):
                    break
            if _CHAPTER.match(nxt.text) or _ROMAN_HEAD.match(nxt.text) and is_upper_line(nxt.text) \
                    or any(squash(nxt.text).startswith(h) for h in _DOC_HEADINGS):
                break
            if prefix and len(prefix) == 1:
                # the next clause's heading glued to the end of this clause's last line
                glued = re.search(rf"(?<=[.;:])\s+{int(prefix[0]) + 1}\.?\s+[{_UP}][^.;:]{{2,100}}$", nxt.text)
                if glued:
                    out.append(Line(nxt.page, nxt.text[: glued.start()]))
                    break
            out.append(nxt)
        return out, line
    return None


_BULLET = r"[•·▪◦●\-–+]\s"
_ENUMERATOR = r"(?:\d{1,2}[.)]|[a-zđ]\))\s"


def _first_sentence(text: str) -> str | None:
    text = clean(re.sub(r"^\d+(?:\.\d+)+\s+", "", text.strip()))
    text = re.sub(rf"^{_BULLET}\s*", "", text)  # "• Tiêu chuẩn này ...": the bullet is no part of it
    text = re.split(r"\s(?=\d+(?:\.\d+)+\s)", text, maxsplit=1)[0]  # stop at the next sub-clause
    if not text:
        return None
    # A sentence ends at a full stop before a capital or the next bullet, and at "sau:" before a numbered
    # or lettered list (its items are sentences of their own); a dash list after "bao gồm:" stays in it.
    m = re.search(rf"(?<=[.!?])\s+(?=[{_UP}]|{_BULLET})|(?<=:)\s+(?={_ENUMERATOR})", text)
    return text[: m.end() if text[m.start() - 1] == ":" else m.start()].strip() if m else text
