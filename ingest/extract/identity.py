"""The document's own designation: code lines on the cover or in the running header, and the subject
of foreword sentences, voted on; and designations cited in a text."""

from __future__ import annotations

import re

from ingest._layout import (
    Line,
    squash,
)
from ingest.extract._doc import _DOC_HEADINGS, _OWN_TYPES, _Doc
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
