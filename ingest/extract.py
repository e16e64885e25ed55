"""Extract the label fields of a standard / regulation from its page texts.

``extract_fields(pages)`` takes the NFC page texts from ``ingest.reader.read_pdf`` and returns the
fields of the corpus label schema, each with the page it came from and how it was found
(``provenance``). Everything is found by position and wording, never by file name:

- the document's own designation: a line that is only a Vietnamese designation on the cover or in the
  running header, or the subject of a foreword sentence (``TCVN 9395:2012 được chuyển đổi từ ...``);
- titles: the upper-case block after the designation on the cover (else the template header box or
  the first upper-case block that is not a letterhead), the English line(s) after it;
- foreword: "thay thế", "chuyển đổi từ", "hoàn toàn tương đương" / "tham khảo", and the approval chain
  "do A biên soạn, B đề nghị, C thẩm định, D công bố";
- clause "Tài liệu viện dẫn": every designation in it;
- sections: top-level numbered headings found in sequence (1, 2, 3 ...), then annex identifiers.

All designations go through ``kb.codes``. Every regex here is linear in the text length.
"""

from __future__ import annotations

import re
from dataclasses import replace

from ingest._layout import (
    Line,
    body_lines,
    has_vietnamese,
    is_english_line,
    is_toc_line,
    is_upper_line,
    page_lines,
    single_space,
    squash,
)
from ingest.legacy_fonts import is_vietnamese_syllable
from kb import codes
from kb.records import Annex, Equivalence, ExtractedStandard, Provenance
from kb.text import clean, fold, nfc

# Families a Vietnamese document's own designation belongs to; the first group are regulations.
_REGULATION_TYPES = {"QCVN", "QCĐP", "QCXDVN"}
_OWN_TYPES = _REGULATION_TYPES | {"TCVN", "TCCS", "TCXDVN", "TCXD", "TCN"}

# Headings (folded, spaces removed) that open a national / organisation standard or regulation page.
_DOC_HEADINGS = ("tieuchuanquocgia", "tieuchuancoso", "tieuchuanvietnam", "tieuchuanxaydungvietnam",
                 "quychuankythuatquocgia", "quychuanxaydungvietnam")
# Titles that name a document *about* a standard (memo, decision, letter), not a standard.
_OTHER_GENRES = ("thuyetminh", "totrinh", "congvan", "quyetdinh", "baocao", "thongtu", "huongdan")
# First words of an issuing body's letterhead block (company, people's committee, department, institute).
_LETTERHEAD_OPENINGS = ("công ty", "ubnd", "ủy ban", "uỷ ban", "sở ", "cục ", "tổng cục", "viện ", "trường ",
                        "trung tâm", "ban quản lý", "tập đoàn", "tổng công ty", "hợp tác xã")
# "BỘ ..." is a letterhead only when a ministry follows ("BỘ THÔNG SỐ KỸ THUẬT" is a title).
_MINISTRIES = ("xaydung", "giaothong", "khoahoc", "yte", "congthuong", "nongnghiep", "tainguyen", "thongtin",
               "quocphong", "congan", "taichinh", "laodong", "giaoduc", "vanhoa", "noivu", "tuphap", "kehoach",
               "ngoaigiao", "dantoc")
# Capital letters (Latin with Vietnamese diacritics) for character classes; "À-Ỹ" would take lower case too.
_UP = "".join(ch for ch in map(chr, range(0x41, 0x1F00)) if ch.isalpha() and ch.isupper())
COVER_LINES = 12  # a cover's designation sits near the top of one of the first pages
# What may stand beside a designation on a "code line": nothing, "Số:", a heading, a logo + heading.
_CODE_LINE_RESTS = frozenset(
    ("", "so", "tieuchuancososo", *_DOC_HEADINGS, *(t.lower() + h for t in _OWN_TYPES for h in _DOC_HEADINGS))
)


# --------------------------------------------------------------------------------------------------
# Designations


def _code_text(text: str) -> str:
    """Text prepared for ``kb.codes``: lines joined, and two printings it does not read yet
    (``TCXDVN : 170: 2007``, ``GOST 12370.3 - 2020``) closed up."""
    text = re.sub(r"[ \t]*\n[ \t]*", " ", text)
    text = re.sub(r"\b(TCVN|TCXDVN|QCVN|QCXDVN|TCXD|TCCS)\s*:\s*(?=\d)", r"\1 ", text)
    return re.sub(r"(?<=\d) +[-–] *(?=(?:19|20)\d\d\b)", "-", text)


def _codes_in(text: str) -> list[str]:
    out: list[str] = []
    for d in codes.find_all(_code_text(text)):
        s = d.format()
        if s not in out:
            out.append(s)
    return out


def _matches(text: str) -> list[tuple[int, int, list[codes.Designation]]]:
    return list(codes.iter_matches(text))


def _code_only_line(text: str) -> codes.Designation | None:
    """The designation a line consists of (allowing ``Số:``, a logo word or the letter-spaced heading
    around it), else None."""
    prepared = _code_text(text)
    found = _matches(prepared)
    if len(found) == 2 and len(found[1][2]) == 1 and found[1][2][0].doc_type not in _OWN_TYPES:
        # dual designation of an adopted standard on one line: "TCVN 5979:2021 ISO 10390:2021"
        prepared = prepared[: found[1][0]] + prepared[found[1][1]:]
        found = found[:1]
    if len(found) != 1 or len(found[0][2]) != 1:
        return None
    start, end, (d,) = found[0]
    rest = squash(prepared[:start] + " " + prepared[end:]).strip(":.,-–()")
    rest = re.sub(r"duthao(?:lan\d+)?|[:()]", "", rest)  # a draft's cover: "TCVN xxxx:2025 (Dự thảo lần 2)"
    if rest in _CODE_LINE_RESTS or rest == d.doc_type.lower():
        return d
    return None


# --------------------------------------------------------------------------------------------------
# Document model


class _Doc:
    def __init__(self, pages: list[str]):
        self.pages = pages
        self.raw = page_lines(pages)
        self.body, self.furniture = body_lines(pages)

    def first_pages(self, n: int) -> list[Line]:
        return [Line(p, x) for p, ls in enumerate(self.raw[:n], start=1) for x in ls]


def _own_code(doc: _Doc, prov: dict[str, Provenance]) -> tuple[codes.Designation | None, Line | None]:
    """Vote among designation positions: cover/heading code lines (3), running header (3), foreword
    subjects (2 each, at most 2). Only Vietnamese families can be the document's own code."""
    votes: dict[str, list] = {}  # key -> [score, designation, first line, method]

    def vote(d: codes.Designation, weight: int, line: Line, method: str) -> None:
        if d.doc_type not in _OWN_TYPES or not d.number:
            return
        entry = votes.setdefault(d.key, [0, d, line, method])
        entry[0] += weight

    seen_lines = set()
    for p, lines in enumerate(doc.raw[:3], start=1):
        found = [(x, d) for x in lines[:COVER_LINES] if (d := _code_only_line(x))]
        if len({d.key for _, d in found}) > 2:
            continue  # a list or table of standards (catalogue, lab scope), not a cover
        for text, d in found:
            if d.key not in seen_lines:
                seen_lines.add(d.key)
                vote(d, 3, Line(p, text), "cover/heading code line")
    header_keys = set()
    for p, lines in enumerate(doc.furniture, start=1):
        for text in lines:
            d = _code_only_line(text)
            if d and d.key not in header_keys:
                header_keys.add(d.key)
                vote(d, 3, Line(p, text), "running header")
    subject_counts: dict[str, int] = {}
    for line in doc.body[:400]:
        for start, end, items in _matches(_code_text(line.text)):
            if len(items) != 1:
                continue
            after = _code_text(line.text)[end:end + 20].lower()
            if start == 0 and re.match(r"\s*(?:thay thế|do\b|được|hoàn toàn|là\b|tương đương)", after):
                d = items[0]
                if subject_counts.get(d.key, 0) < 2:
                    subject_counts[d.key] = subject_counts.get(d.key, 0) + 1
                    vote(d, 2, line, "foreword subject")
    if not votes:
        return None, None
    best = max(votes.values(), key=lambda e: e[0])  # max keeps the first of equal scores
    prov["code"] = Provenance(best[2].page, best[3])
    return best[1], best[2]


# --------------------------------------------------------------------------------------------------
# Titles

_EDITION = re.compile(r"Xuất\s*bản\s*lần\s*(?:thứ\s*)?(\d+)", re.IGNORECASE)
_REVISION = re.compile(r"Soát\s*xét\s*lần\s*(?:thứ\s*)?(\d+)", re.IGNORECASE)
_TEMPLATE_FIELD = re.compile(r"\s*(?:Lần ban hành|Soát xét lần|Xuất bản lần)\s*:?\s*\d+\s*$", re.IGNORECASE)
_CITY_YEAR = re.compile(r"^(?:HÀ NỘI|HA NOI|TP\.? HỒ CHÍ MINH)\b", re.IGNORECASE)


def _is_title_line(text: str) -> bool:
    return is_upper_line(text) and has_vietnamese(text) and not _CITY_YEAR.match(text)


def _is_cover_english(text: str) -> bool:
    """English title line under the Vietnamese one (sometimes printed in capitals too)."""
    if is_english_line(text):
        return True
    return is_upper_line(text) and not has_vietnamese(text) and len(re.findall(r"[A-Za-z]{2,}", text)) >= 2 \
        and not _CITY_YEAR.match(text)


def _join_title(lines: list[str]) -> str:
    return clean(" ".join(lines))


def _cover_title(doc: _Doc, code_line: Line | None) -> tuple[list[str], list[str], int] | None:
    """(title lines, English lines, page) from the block after the designation on the cover."""
    if code_line is None or code_line.page > 3:
        return None
    lines = doc.raw[code_line.page - 1]
    try:
        i = lines.index(code_line.text) + 1
    except ValueError:
        return None
    title: list[str] = []
    english: list[str] = []
    # The designation may be one line of a longer title ("THUYẾT MINH DỰ THẢO THÔNG TƯ" /
    # "SỬA ĐỔI 1:2023 QCVN 81:2019/BTTTT" / ...): then the title starts above it.
    j = i - 2
    above: list[str] = []
    while j >= 0 and _is_title_line(lines[j]) and not _is_heading_or_letterhead(lines[j]):
        above.insert(0, lines[j])
        j -= 1
    if above:
        title = above + [code_line.text]
    while i < len(lines):
        text = lines[i]
        if not title and (_EDITION.search(text) or _REVISION.search(text) or _code_only_line(text)):
            i += 1
            continue
        if _is_title_line(text) and not english and not (title and _is_letterhead(text)):
            title.append(_TEMPLATE_FIELD.sub("", text))
        elif title and _is_cover_english(text) and not _code_only_line(text):
            english.append(text)
        else:
            break
        i += 1
    if not title and _code_only_line(code_line.text):
        title, english = _mixed_case_cover_title(lines, i)
    if not title and _code_only_line(code_line.text):
        title, english = _title_above(lines, lines.index(code_line.text))
    if not title:
        return None
    return title, english, code_line.page


def _title_above(lines: list[str], k: int) -> tuple[list[str], list[str]]:
    """Covers that print the designation under the titles: Vietnamese (upper case), English, code."""
    j = k - 1
    english: list[str] = []
    while j >= 0 and _is_cover_english(lines[j]) and len(english) < 3:
        english.insert(0, lines[j])
        j -= 1
    title: list[str] = []
    while j >= 0 and _is_title_line(lines[j]) and not _is_heading_or_letterhead(lines[j]) and len(title) < 4:
        title.insert(0, lines[j])
        j -= 1
    return (title, english) if title else ([], [])


_GROUP_LINE = re.compile(r"^(?:Nhóm\s+\S+|Có hiệu lực.*|Group\s+\S+)$", re.IGNORECASE)
_BODY_START = re.compile(r"^(?:Tiêu chuẩn này|Quy chuẩn này|L[ờơ]i nói đầu|\d{1,2}\.?\s+[A-ZĐ])", re.IGNORECASE)


def _mixed_case_cover_title(lines: list[str], i: int) -> tuple[list[str], list[str]]:
    """Older standards print the title in sentence case under the designation (``Nhóm H`` between):
    up to three Vietnamese lines, accepted only when an English title or the body follows them."""
    while i < len(lines) and (_GROUP_LINE.match(lines[i]) or _EDITION.search(lines[i]) or _code_only_line(lines[i])):
        i += 1
    title: list[str] = []
    while i < len(lines) and len(title) < 3:
        text = lines[i]
        if is_english_line(text) or _BODY_START.match(text) or not has_vietnamese(text) or is_toc_line(text):
            break
        title.append(text)
        i += 1
    english: list[str] = []
    while i < len(lines) and is_english_line(lines[i]) and len(english) < 3:
        english.append(lines[i])
        i += 1
    if title and (english or (i < len(lines) and _BODY_START.match(lines[i]))):
        return title, english
    return [], []


def _is_letterhead(text: str) -> bool:
    """The issuing body's block at the top of a letter or decision, not a title."""
    whole, opening = squash(text), text.lower()
    return "conghoa" in whole or "doclap" in whole or opening.startswith(_LETTERHEAD_OPENINGS) or (
        opening.startswith("bộ ") and whole[2:].startswith(_MINISTRIES)
    )


def _is_heading_or_letterhead(text: str) -> bool:
    return any(h in squash(text) for h in _DOC_HEADINGS) or _is_letterhead(text)


def _header_title(doc: _Doc) -> tuple[list[str], int] | None:
    """Title from a template header box repeated on every page (re-typeset documents)."""
    for p, lines in enumerate(doc.furniture[:2], start=1):
        title = []
        for text in lines:
            text = _TEMPLATE_FIELD.sub("", text).strip()
            if _is_title_line(text) and not _code_only_line(text):
                title.append(text)
            elif title:
                break
        if title:
            return title, p
    return None


# A signatory's title ends a block of capitals: "GIÁM ĐỐC CÔNG TY ..." is not part of the title above it.
_SIGNATORY = re.compile(r"^(?:KT\.\s*)?(?:TỔNG GIÁM ĐỐC|GIÁM ĐỐC|CHỦ TỊCH|BỘ TRƯỞNG|THỦ TRƯỞNG|NGƯỜI ĐẠI DIỆN)\b")


def _first_upper_block(doc: _Doc) -> tuple[list[str], int] | None:
    """First block of upper-case Vietnamese lines on the first page that is not a letterhead."""
    for p, lines in enumerate(doc.raw[:2], start=1):
        block: list[str] = []
        for text in lines + [""]:
            if text and _is_title_line(text) and not _code_only_line(text) and not _SIGNATORY.match(text):
                block.append(text)
                continue
            if block:
                words = " ".join(block).split()
                letterhead = _is_letterhead(" ".join(block))
                head = squash(block[0])
                if len(words) >= 3 and not letterhead and not any(head.startswith(h) for h in _DOC_HEADINGS):
                    return block, p
                block = []
    return None


def _body_title(doc: _Doc, title_vi: str | None) -> tuple[str, int] | None:
    """The mixed-case title under the heading of the first body page (``Hỗn hợp bê tông - ...``) that
    matches ``title_vi``; without a cover title, the first such title."""
    folded_title = _title_key(title_vi) if title_vi else None
    for p, lines in enumerate(doc.raw[:12], start=1):
        for i, text in enumerate(lines):
            if not _is_doc_heading(text) or (p == 1 and len(doc.raw) > 1 and not _has_body(lines)):
                continue  # the cover's heading: the body title is under the heading of a body page
            picked: list[str] = []
            for nxt in lines[i + 1:i + 8]:
                if is_english_line(nxt) or _HEADING.match(nxt) or _code_only_line(nxt):
                    break
                if not has_vietnamese(nxt) and not picked:
                    break
                picked.append(nxt)
            if picked:
                candidate = clean(" ".join(picked))
                key = _title_key(candidate)
                if folded_title is None and len(picked) <= 4 and not _FOREWORD_HEAD.match(picked[0]):
                    return candidate, p
                if folded_title and (key == folded_title or key[:16] == folded_title[:16]):
                    return candidate, p
    return None


def _english_after(doc: _Doc, page: int, title: str) -> str | None:
    """English title line(s) printed right under the body title on ``page``."""
    lines = doc.raw[page - 1]
    joined = ""
    for i, text in enumerate(lines):
        joined = clean(joined + " " + text) if joined else text
        if _title_key(joined) == _title_key(title) or _title_key(text) == _title_key(title):
            english = [x for x in lines[i + 1:i + 4]]
            picked = []
            for x in english:
                if not is_english_line(x):
                    break
                picked.append(x)
            return clean(" ".join(picked)) or None
        if not _title_key(title).startswith(_title_key(joined)):
            joined = ""
    return None


def _title_key(text: str) -> str:
    """Folded, without spaces or dashes: the cover's "A – B" and the body's "A - B" compare equal."""
    return re.sub(r"[-–—]", "", squash(text))


def _is_doc_heading(text: str) -> bool:
    if text[:1] not in "TQtq":  # cheap gate: every such heading starts with T(IÊU/CVN/CCS) or Q(UY/CVN)
        return False
    sq = re.sub(r"^(?:tcvn|tccs|qcvn|tcxdvn|qcxdvn)", "", squash(text))
    return sq.startswith(_DOC_HEADINGS)


def _has_body(lines: list[str]) -> bool:
    return any(_HEADING.match(x) for x in lines)


def sentence_case_title(title: str) -> str:
    """Editorial sentence case that keeps designations and capitalises each ``-`` segment."""
    parts = re.split(r"(\s[-–]\s)", clean(title))
    out = []
    for part in parts:
        if re.fullmatch(r"\s[-–]\s", part):
            out.append(part)
            continue
        keep = [(s, e) for s, e, _ in _matches(part)]
        # short capitalised tokens that are no Vietnamese syllable are acronyms: FDD, CLDV, W-CDMA
        keep += [(m.start(), m.end()) for m in re.finditer(r"[^\s,;:()]+", part)
                 if (m.group().isupper() and len(m.group().strip(".-")) <= 6
                     and not is_vietnamese_syllable(m.group().strip(".-")))
                 or not (m.group().isupper() or m.group().islower() or m.group().istitle())]  # pH, mL
        low = part.lower()
        for s, e in keep:
            low = low[:s] + part[s:e] + low[e:]
        out.append(low[:1].upper() + low[1:])
    return "".join(out)


# --------------------------------------------------------------------------------------------------
# Foreword

_FOREWORD_HEAD = re.compile(r"^(?:\d+\.?\s+)?L[ờơ]i\s*nói\s*đầu\s*:?$", re.IGNORECASE)
_SCOPE_WORDS = ("phamvi", "tailieuviendan", "tieuchuanviendan", "thuatngu", "quydinhchung")
_SENTENCE_SPLIT = re.compile(rf"(?<=[.])\s+(?=[{_UP}\"“(])")


def _foreword(doc: _Doc) -> tuple[str, int, str] | None:
    """(text, page, method) of the foreword."""
    body = doc.body
    for k, line in enumerate(body):
        if is_toc_line(line.text) or not _FOREWORD_HEAD.match(line.text):
            continue
        out = []
        for nxt in body[k + 1:k + 60]:
            sq = squash(re.sub(r"^\d+(?:\.\d+)*\.?\s+", "", nxt.text))
            if (
                nxt.page > line.page + 1
                or any(sq.startswith(h) for h in _DOC_HEADINGS)
                or sq.startswith("mucluc")
                or (_HEADING.match(nxt.text) and sq.startswith(_SCOPE_WORDS))
                or (is_upper_line(nxt.text) and len(nxt.text.split()) >= 3)
            ):
                break
            out.append(nxt.text)
        if out:
            return "\n".join(out), line.page, "foreword"
    return None


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_SPLIT.split(_code_text(text)) if s.strip()]


_CHAIN_VERBS = re.compile(
    r"\b(?:(?i:biên\s+soạn|hoàn\s+thiện|đề\s+nghị|thẩm\s+định|thẩm\s+tra|xét\s+duyệt|công\s+bố"
    r"|ban\s+hành|(?<!công\s)(?<!quy\s)(?<!chương\s)trình(?:\s+duyệt)?(?!\s+bày)|có\s+ý\s+kiến)"
    r"|xây\s+dựng(?=\s+và\b|\s*[,.;]|\s+(?i:ban\s+hành)))"
)
_VERB_FIELD = {
    "biênsoạn": "drafted_by", "xâydựng": "drafted_by", "hoànthiện": "drafted_by",
    "xétduyệt": "appraised_by", "đềnghị": "proposed_by", "thẩmđịnh": "appraised_by",
    "thẩmtra": "appraised_by", "côngbố": "published_by", "banhành": "published_by",
    "trìnhduyệt": "submitted_by", "trình": "submitted_by", "cóýkiến": None,
}


_OF_ORG = re.compile(r"\s+của\s+(?P<org>[^,.;()]{3,120})")
_PASSIVE_BY = re.compile(r"\s*(?:theo|tại|kèm theo)\b[^.]{0,200}?\bcủa\s+(?P<org>[^.,;()]{3,80})")


def _approval_chain(text: str) -> dict[str, str]:
    """``X do A biên soạn, B đề nghị, C thẩm định, D công bố`` → {drafted_by: A, ...}."""
    joined = single_space(text.replace("\n", " "))
    for m in re.finditer(r"\bdo\s+", joined):
        pos = m.end()
        result: dict[str, str] = {}
        org = None
        for v in _CHAIN_VERBS.finditer(joined, pos):
            between = joined[pos:v.start()]
            if len(between) > 160 or re.search(r"\.\s", between):
                break
            name = between.strip(" ,;").removeprefix("và ").strip(" ,;")
            field = _VERB_FIELD[re.sub(r"\s+", "", v.group().lower())]
            of = _OF_ORG.match(joined, v.end())
            if of:
                # old style: "... hoàn thiện trên cơ sở dự thảo đề nghị của Viện X, ..."
                if field and field not in result:
                    result[field] = of["org"].strip()
                org, pos = of["org"].strip(), of.end()
                continue
            if name.lower() == "được":
                # passive: "... trình duyệt và được ban hành theo Thông tư số ... của Bộ trưởng Bộ Y tế"
                pm = _PASSIVE_BY.match(joined, v.end())
                if pm and field and field not in result:
                    result[field] = pm["org"].strip()
                pos = v.end()
                continue
            if name.lower() in ("", "và"):
                name = org
            if not name:
                break
            org = name
            if field and field not in result:
                result[field] = name
            pos = v.end()
        if result:
            return result
    return {}


def _after_keyword_codes(sentences: list[str], keyword: re.Pattern, own_key: str | None) -> list[str] | None:
    """Codes printed after ``keyword`` in the sentence that has it (or in the next sentence when a stray
    full stop ends it first); None when no sentence has the keyword."""
    for i, sentence in enumerate(sentences):
        m = keyword.search(sentence)
        if not m:
            continue
        found = [d for d in codes.find_all(sentence[m.end():]) if d.key != own_key]
        if not found and i + 1 < len(sentences):
            found = [d for d in codes.find_all(sentences[i + 1]) if d.key != own_key]
        out: list[str] = []
        for d in found:
            if d.format() not in out:
                out.append(d.format())
        return out
    return None


_REPLACES = re.compile(r"thay\s+thế(?:\s+cho)?", re.IGNORECASE)
_CONVERTED = re.compile(r"chuyển\s+đổi\s+từ", re.IGNORECASE)
_EQUIVALENCE = (
    ("IDT", re.compile(r"hoàn\s+toàn\s+tương\s+đương(?:\s+với)?", re.IGNORECASE)),
    ("MOD", re.compile(r"tương\s+đương\s+có\s+sửa\s+đổi(?:\s+với)?", re.IGNORECASE)),
    ("NEQ", re.compile(r"không\s+tương\s+đương(?:\s+với)?", re.IGNORECASE)),
    ("reference", re.compile(r"tham\s+khảo|(?:xây\s+dựng|biên\s+soạn)\s+(?:dựa\s+)?trên\s+cơ\s+sở", re.IGNORECASE)),
)


# --------------------------------------------------------------------------------------------------
# Body structure

_HEADING = re.compile(rf"^(?P<num>\d{{1,2}})(?P<dot>\.?)\s+(?P<title>[{_UP}][^\n]*)$")
_SUBNUM = re.compile(r"^(?P<num>\d{1,2}(?:\.\d{1,2})+)\.?\s+(?P<title>\S.*)$")
_ROMAN_HEAD = re.compile(rf"^(?P<num>[IVX]{{1,5}})\.\s*(?P<title>[{_UP}].*)$")
_CHAPTER = re.compile(r"^CHƯƠNG\s+(?P<num>[IVXLC]+)\b\.?\s*(?P<title>.*)$")
_ANNEX = re.compile(r"^(?P<id>(?i:phụ\s+lục)\s+(?P<letter>[IVX]{2,4}|[A-Z]|\d{1,2}))\b\.?\s*(?P<rest>.*)$")
_ANNEX_STATUS = re.compile(r"^\(?\s*(?P<status>(?i:quy định|qui định|tham khảo|bắt buộc))\b[^)]*\)?\s*(?P<rest>.*)$")
_DANGLING = re.compile(r"(?:\b(?:với|và|của|cho|trong|về|theo|đối|các|QCVN|TCVN|ISO)|[-–,])\s*$")
_REFS_HEAD = re.compile(r"^(?:(?P<num>\d{1,2}(?:\.\d{1,2})*)\.?\s+)?(?i:tài\s+liệu|tiêu\s+chuẩn)\s+(?i:viện\s+dẫn)\s*:?$")
_SCOPE_HEAD = re.compile(r"^(?:(?P<num>\d{1,2}(?:\.\d{1,2})*)\.?\s+)?(?i:phạm\s+vi\s+(?:áp\s+dụng|điều\s+chỉnh))\s*:?$")
_CAPTION = re.compile(r"^(?:Hình|Bảng|Figure|Table)\s+[A-Z]?\.?\d")
_BIBLIO = re.compile(r"^(?i:thư\s+mục(?:\s+tài\s+liệu)?(?:\s+tham\s+khảo)?)\s*$")


def _is_list_item(lines: list[Line], k: int, num: int, accepted_at: int | None) -> bool:
    """A numbered line inside a run of numbered lines (figure legend, table rows) is not a heading;
    the heading accepted just before does not count as such a neighbour."""
    for j in (k - 1, k + 1):
        if 0 <= j < len(lines) and j != accepted_at:
            m = _HEADING.match(lines[j].text) or re.match(r"^(?P<num>\d{1,2})\s", lines[j].text)
            if m and abs(int(m["num"]) - num) == 1:
                return True
    return False


_ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV", "XV",
          "XVI", "XVII", "XVIII", "XIX", "XX")


def _follows_unaccepted(lines: list[Line], k: int, previous: int, dot: str, accepted_at: int) -> bool:
    """True when one of the 6 lines above is numbered ``previous`` in the same style but is not the
    heading accepted for that number: the candidate is the next row of a numbered table or list."""
    for j in range(k - 1, max(-1, k - 7), -1):
        if _CAPTION.match(lines[j].text):
            return False  # a figure/table caption closes the list above it
        m = _HEADING.match(lines[j].text)
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


def _first_sentence(text: str) -> str | None:
    text = clean(re.sub(r"^\d+(?:\.\d+)+\s+", "", text.strip()))
    text = re.split(r"\s(?=\d+(?:\.\d+)+\s)", text, maxsplit=1)[0]  # stop at the next sub-clause
    if not text:
        return None
    m = re.search(rf"(?<=[.!?])\s+(?=[{_UP}])", text)
    return text[: m.start()] if m else text


# --------------------------------------------------------------------------------------------------
# Kind


def _kind(code: codes.Designation | None, title: str | None, doc: _Doc) -> tuple[str, str]:
    t = squash(title or "")
    if code is not None:
        return ("regulation" if code.doc_type in _REGULATION_TYPES else "standard"), "designation family"
    first = squash(" ".join(x for ls in doc.raw[:3] for x in ls))
    if ("nangluc" in t and "thinghiem" in t) or "vilas" in first:
        return "lab_scope", "title: năng lực thí nghiệm"
    rows = sum(1 for ln in doc.body if re.match(r"^\d{1,3}\s+(?:TCVN|QCVN|ISO|IEC|EN|ASTM|GB|BS|TB|UIC|JIS)\b", ln.text))
    if t.startswith("danhmuctieuchuan") or rows >= 30:
        return "catalogue", "numbered designation rows"
    if t.startswith(_OTHER_GENRES):
        return "other", "title genre"
    if t.startswith("quychuan"):
        return "regulation", "title"
    if t.startswith("tieuchuan"):
        return "standard", "title"
    body = fold(" ".join(ln.text for ln in doc.body[:300]))
    if body.count("quy chuan nay") > body.count("tieu chuan nay") and "quy chuan nay" in body:
        return "regulation", "body: quy chuẩn này"
    if "tieu chuan nay" in body:
        return "standard", "body: tiêu chuẩn này"
    return "other", "default"


# --------------------------------------------------------------------------------------------------
# Entry point

_ICS = re.compile(r"\bICS\s*:?\s*(\d{2}\.\d{3}(?:\.\d{2})?(?:\s*[;,]\s*\d{2}\.\d{3}(?:\.\d{2})?)*)")


def extract_fields(pages: list[str]) -> ExtractedStandard:
    """Label fields of the document whose page texts are ``pages`` (index 0 = page 1)."""
    doc = _Doc([nfc(page) for page in pages])  # callers other than read_pdf may pass NFD text
    out = ExtractedStandard()
    prov = out.provenance

    code, code_line = _own_code(doc, prov)

    # Titles
    title_lines, english, title_page, title_method = None, [], None, None
    cover = _cover_title(doc, code_line)
    if cover:
        title_lines, english, title_page = cover
        title_method = "cover block after designation"
    else:
        header = _header_title(doc)
        if header:
            title_lines, title_page = header
            title_method = "repeated header box"
        else:
            block = _first_upper_block(doc)
            if block:
                title_lines, title_page = block
                title_method = "first upper-case block"
            else:
                body = _body_title(doc, None)
                if body:
                    title_lines, title_page = [body[0]], body[1]
                    title_method = "title under the first body heading"
                    english = [e] if (e := _english_after(doc, body[1], body[0])) else []
    if title_lines:
        out.title_vi = _join_title(title_lines)
        prov["title_vi"] = Provenance(title_page, title_method)
    if english:
        out.title_en = clean(" ".join(english))
        prov["title_en"] = Provenance(title_page, "English lines after cover title")

    # A memo or decision *about* a designation names it in its title: it is not the document's own.
    if code is not None and out.title_vi and squash(out.title_vi).startswith(_OTHER_GENRES) \
            and squash(code.format()) in squash(out.title_vi):
        code = None
        prov.pop("code", None)

    if code is not None:
        out.code, out.doc_type, out.number, out.part = code.format(), code.doc_type, code.number, code.part
        out.year, out.issuer_suffix = int(code.year) if code.year else None, code.issuer_suffix
        for f in ("doc_type", "number", "part", "year", "issuer_suffix"):
            prov[f] = replace(prov["code"])
    out.kind, kind_method = _kind(code, out.title_vi, doc)
    prov["kind"] = Provenance(1, kind_method)

    if out.title_vi:
        body_title = _body_title(doc, out.title_vi)
        if body_title and not is_upper_line(body_title[0]):
            out.title_vi_normalised = body_title[0]
            prov["title_vi_normalised"] = Provenance(body_title[1], "title under first body heading")
        else:
            out.title_vi_normalised = sentence_case_title(out.title_vi)
            prov["title_vi_normalised"] = Provenance(title_page, "sentence case of title_vi")

    # Edition / revision: cover statements only (a template's "Lần ban hành" is not an edition)
    for field, rx in (("edition", _EDITION), ("revision", _REVISION)):
        for line in doc.first_pages(3):
            m = rx.search(line.text)
            if m:
                setattr(out, field, int(m.group(1)))
                prov[field] = Provenance(line.page, f"cover '{m.group(0)}'")
                break

    # Foreword
    fw = _foreword(doc)
    if fw is None and code is not None:
        # No heading: the statements still name the document, e.g. "QCXDVN 01: 2008/BXD do ... ban hành"
        texts = [ln for ln in doc.body if ln.page <= 4]
        own = [
            ln for ln in texts
            if not _code_only_line(ln.text) and code.key in {d.key for d in codes.find_all(_code_text(ln.text))}
        ]
        if own:
            start = texts.index(own[0])
            fw = ("\n".join(ln.text for ln in texts[start:start + 12]), own[0].page, "statement naming the designation")
    if fw:
        text, fw_page, fw_method = fw
        sentences = _sentences(text)
        own_key = code.key if code else None
        for field, rx in (("replaces", _REPLACES), ("converted_from", _CONVERTED)):
            found = _after_keyword_codes(sentences, rx, own_key)
            if found is not None:
                setattr(out, field, found)
                prov[field] = Provenance(fw_page, f"{fw_method}: '{rx.pattern.split(chr(92))[0]}'")
        for relation, rx in _EQUIVALENCE:
            found = _after_keyword_codes(sentences, rx, own_key)
            if found:
                out.equivalence = Equivalence(relation, found)
                prov["equivalence"] = Provenance(fw_page, f"{fw_method}: {relation}")
                break
        for field, org in _approval_chain(text).items():
            setattr(out, field, org)
            prov[field] = Provenance(fw_page, f"{fw_method}: approval chain")

    # Normative references
    refs = _clause(doc, _REFS_HEAD)
    if refs:
        ref_lines, head = refs
        out.normative_references = _codes_in("\n".join(ln.text for ln in ref_lines))
        prov["normative_references"] = Provenance(head.page, "clause 'Tài liệu viện dẫn'")

    # Sections and annexes
    sections, sec_page, where = _sections(doc)
    annex_start = where[-1][1] if where else 0
    annexes = _annexes(doc, annex_start)
    out.annexes = [Annex(a["id"], a["status"], a["title"]) for a in annexes]
    out.sections = sections + [a["id"] for a in annexes]
    if out.sections:
        prov["sections"] = Provenance(sec_page or annexes[0]["page"], "numbered headings in sequence")
    if annexes:
        prov["annexes"] = Provenance(annexes[0]["page"], "'Phụ lục X' headings")

    scope = _clause(doc, _SCOPE_HEAD, limit=20)
    if scope and scope[0]:
        out.scope_first_sentence = _first_sentence(" ".join(ln.text for ln in scope[0]))
        prov["scope_first_sentence"] = Provenance(scope[1].page, "first sentence of scope clause")
    elif out.kind in ("standard", "regulation"):
        # no scope heading (old standards): the opening "Tiêu chuẩn này quy định ..." paragraph
        for k, line in enumerate(doc.body[:300]):
            if re.match(r"^(?:Tiêu|Quy) chuẩn này\b", line.text):
                para = [line.text] + [ln.text for ln in doc.body[k + 1:k + 8] if not _HEADING.match(ln.text)]
                out.scope_first_sentence = _first_sentence(" ".join(para))
                prov["scope_first_sentence"] = Provenance(line.page, "opening 'Tiêu chuẩn này' paragraph")
                break

    for line in doc.first_pages(6):
        m = _ICS.search(line.text)
        if m:
            out.ics = re.sub(r"\s+", "", m.group(1)).replace(",", ";")
            prov["ics"] = Provenance(line.page, "'ICS' line")
            break

    return out
