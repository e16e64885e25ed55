"""Titles: the upper-case block after the designation on the cover (else the template header box or
the first upper-case block that is not a letterhead), the English line(s) after it, and the
mixed-case title under the first body heading."""

from __future__ import annotations

import re

from ingest._layout import (
    Line,
    has_vietnamese,
    is_english_line,
    is_toc_line,
    is_upper_line,
    squash,
)
from ingest.extract._doc import _DOC_HEADINGS, _Doc
from ingest.extract.foreword import _FOREWORD_HEAD
from ingest.extract.identity import _code_only_line, _matches
from ingest.extract.structure import _HEADING
from ingest.legacy_fonts import is_vietnamese_syllable
from kb.text import clean

# First words of an issuing body's letterhead block (company, people's committee, department, institute).
# A school's letterhead names its level: "TRƯỜNG ĐIỆN TỪ", "TRƯỜNG HỌC" open title lines.
_LETTERHEAD_OPENINGS = ("công ty", "ubnd", "ủy ban", "uỷ ban", "sở ", "cục ", "tổng cục", "viện ", "trường đại học",
                        "trường cao đẳng", "trường trung cấp", "trường trung học", "trường thpt", "trường thcs",
                        "trung tâm", "ban quản lý", "tập đoàn", "tổng công ty", "hợp tác xã")
# "BỘ ..." is a letterhead only when a ministry follows ("BỘ THÔNG SỐ KỸ THUẬT" is a title).
_MINISTRIES = ("xaydung", "giaothong", "khoahoc", "yte", "congthuong", "nongnghiep", "tainguyen", "thongtin",
               "quocphong", "congan", "taichinh", "laodong", "giaoduc", "vanhoa", "noivu", "tuphap", "kehoach",
               "ngoaigiao", "dantoc")


_EDITION = re.compile(r"Xuất\s*bản\s*lần\s*(?:thứ\s*)?(\d+)", re.IGNORECASE)
_REVISION = re.compile(r"Soát\s*xét\s*lần\s*(?:thứ\s*)?(\d+)", re.IGNORECASE)
_TEMPLATE_FIELD = re.compile(r"\s*(?:Lần ban hành|Soát xét lần|Xuất bản lần)\s*:?\s*\d+\s*$", re.IGNORECASE)
_CITY_YEAR = re.compile(r"^(?:HÀ NỘI|HA NOI|TP\.? HỒ CHÍ MINH)\b", re.IGNORECASE)


def _is_title_line(text: str) -> bool:
    return is_upper_line(text) and has_vietnamese(text) and not _CITY_YEAR.match(text)


# Units a capitalised title keeps in their own case: "DẢI TẦN 25 MHz - 1 GHz", "ĐỘ pH".
_UNIT = re.compile(r"[kMGTmµn]?(?:Hz|W|Wh|V|VA|Pa|bar|dB|dBm|g|m|l|L|s)|pH|mm|cm|km|kg|mg|ml|mL")


def _continues_title(text: str) -> bool:
    """The wrapped rest of a capitalised title line: a short run of capitals ("TẾ", "CHUNG") too short to
    be a title line itself, or a line that starts with the dash of a range ("- 1 GHz")."""
    words = [w for w in text.split() if any(ch.isalpha() for ch in w)]
    if not words or not all(w.isupper() or _UNIT.fullmatch(w.strip(".,;:()")) for w in words):
        return False
    return len(words) <= 2 or text[:1] in "-–"


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
        if not english and (
            _is_title_line(text) and not (title and _is_letterhead(text)) or title and _continues_title(text)
        ):
            title.append(_TEMPLATE_FIELD.sub("", text))
        elif title and _is_cover_english(text) and not _code_only_line(text):
            english.append(text)
        elif english and text[:1].islower() and not has_vietnamese(text) and len(text.split()) <= 3:
            english.append(text)  # the last word or two of a wrapped English title ("band")
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
            if (_is_title_line(text) or title and _continues_title(text)) and not _code_only_line(text):
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
            title_like = _is_title_line(text) or bool(block) and _continues_title(_TEMPLATE_FIELD.sub("", text))
            if text and title_like and not _code_only_line(text) and not _SIGNATORY.match(text):
                block.append(_TEMPLATE_FIELD.sub("", text).strip())
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
