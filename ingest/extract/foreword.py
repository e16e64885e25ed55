"""The foreword (Lời nói đầu): what the document replaces, is converted from or adopts, and the approval
chain "do A biên soạn, B đề nghị, C thẩm định, D công bố"."""

from __future__ import annotations

import re

from ingest._layout import (
    is_toc_line,
    is_upper_line,
    single_space,
    squash,
)
from ingest.extract._doc import _DOC_HEADINGS, _UP, _Doc
from ingest.extract.identity import _code_text
from ingest.extract.structure import _HEADING
from kb import codes

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
