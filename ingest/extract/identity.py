"""The document's own designation: code lines on the cover or in the running header, and the subject
of foreword statements, voted on; and designations cited in a text. A designation printed anywhere
else is cited, never the document's own: a document that names itself nowhere has no designation."""

from __future__ import annotations

import re

from ingest._layout import (
    Line,
    is_upper_line,
    squash,
)
from ingest.extract._doc import _DOC_HEADINGS, _OWN_TYPES, _Doc
from ingest.extract.confidence import SOURCE_OF, code_confidence
from kb import codes
from kb.records import Provenance

COVER_LINES = 12  # a cover's designation sits near the top of one of the first pages
# What may stand beside a designation on a "code line": nothing, "Số:", a heading, a logo + heading.
_CODE_LINE_RESTS = frozenset(
    ("", "so", "tieuchuancososo", *_DOC_HEADINGS, *(t.lower() + h for t in _OWN_TYPES for h in _DOC_HEADINGS))
)


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


_EDITION_LINE = ("xuatbanlan", "soatxetlan", "lanbanhanh")
# After a designation at the start of a foreword sentence: what only a foreword says of its document.
_FOREWORD_VERB = re.compile(r"\s*(?:thay thế|được (?:chuyển đổi|xây dựng|biên soạn)|hoàn toàn tương đương|do\b)")
# A letter may say "QCVN x do Bộ Xây dựng ban hành"; only the document itself says who drafted it.
_DRAFTED = re.compile(r"biên\s+soạn")


def _on_cover(lines: list[str], i: int, page: int) -> bool:
    """Whether the code line ``lines[i]`` stands where a document names itself: beside a document
    heading ("TIÊU CHUẨN QUỐC GIA") or an edition statement, or over the title at the top of the first
    page. A code in a table cell, a sentence or a references list has none of these around it."""
    near = [squash(x) for x in lines[max(0, i - 4):i + 3]]
    if any(h in x for x in near for h in _DOC_HEADINGS) or any(x.startswith(_EDITION_LINE) for x in near):
        return True
    if squash(lines[i]).startswith("so"):  # "Số: TCCS 03:2022/MD"
        return True
    return (page == 1 and i + 1 < len(lines) and is_upper_line(lines[i + 1]) and not _code_only_line(lines[i + 1])
            and all(is_upper_line(x) for x in lines[:i]))


def _page_number_free(text: str) -> str:
    """A running header without the page number printed beside the code."""
    return re.sub(r"^\d{1,4}\s+|\s+\d{1,4}$", "", text.strip())


def _own_code(doc: _Doc, prov: dict[str, Provenance],
              foreword: tuple[str, int, str] | None = None) -> tuple[codes.Designation | None, Line | None]:
    """The designation the document gives itself, voted on by the places a document names itself:
    cover code lines (3), the running header (3), foreword statements (2 each, at most 2). A code
    found anywhere else (a table cell, the body, the references) is a citation and gets no vote.
    Only Vietnamese families can be the document's own code; its confidence is graded by how many
    places agree (``confidence.code_confidence``). ``foreword``: ``foreword._foreword(doc)``."""
    votes: dict[str, list] = {}  # key -> [score, designation, first line, method, sources]

    def vote(d: codes.Designation, weight: int, line: Line, method: str) -> None:
        if d.doc_type not in _OWN_TYPES or not d.number:
            return
        entry = votes.setdefault(d.key, [0, d, line, method, set()])
        entry[0] += weight
        entry[4].add(SOURCE_OF[method])

    seen_lines = set()
    for p, lines in enumerate(doc.raw[:3], start=1):
        found = [(i, x, d) for i, x in enumerate(lines[:COVER_LINES]) if (d := _code_only_line(x))]
        if len({d.key for _, _, d in found}) > 2:
            continue  # a list or table of standards (catalogue, lab scope), not a cover
        for i, text, d in found:
            if d.key not in seen_lines and _on_cover(lines, i, p):
                seen_lines.add(d.key)
                vote(d, 3, Line(p, text), "cover/heading code line")
    header_keys = set()
    for p, lines in enumerate(doc.furniture, start=1):
        for text in lines:
            d = _code_only_line(_page_number_free(text))
            if d and d.key not in header_keys:
                header_keys.add(d.key)
                vote(d, 3, Line(p, text), "running header")
    fw_lines = set(foreword[0].splitlines()) if foreword else set()
    fw_pages = (foreword[1], foreword[1] + 1) if foreword else ()
    subject_counts: dict[str, int] = {}
    body = doc.body[:400]
    for k, line in enumerate(body):
        in_foreword = line.page in fw_pages and line.text in fw_lines
        text = _code_text(line.text)
        for start, end, items in _matches(text):
            if len(items) != 1 or start != 0 or not _FOREWORD_VERB.match(text[end:end + 30]):
                continue
            # Outside a foreword only the drafting statement "X do A biên soạn, ..." names the document:
            # a body sentence may well begin with a cited code ("TCVN x thay thế TCVN y; ...").
            chain = text[end:].lstrip().startswith("do") and _DRAFTED.search(
                " ".join([text[end:], *(ln.text for ln in body[k + 1:k + 3])])[:240])
            if not (in_foreword or chain):
                continue
            d = items[0]
            if subject_counts.get(d.key, 0) < 2:
                subject_counts[d.key] = subject_counts.get(d.key, 0) + 1
                vote(d, 2, line, "foreword subject")
    if not votes:
        return None, None
    best = max(votes.values(), key=lambda e: e[0])  # max keeps the first of equal scores
    share = best[0] / sum(e[0] for e in votes.values())
    prov["code"] = Provenance(best[2].page, best[3], code_confidence(best[4], share))
    return best[1], best[2]
