"""The kind of document and the entry point ``extract_fields``: every part of the document read into one
``ExtractedStandard`` record."""


from __future__ import annotations

import re
from dataclasses import replace

from ingest._layout import (
    is_upper_line,
    squash,
)
from ingest.extract._doc import _OTHER_GENRES, _REGULATION_TYPES, _Doc
from ingest.extract.confidence import grade
from ingest.extract.foreword import _CONVERTED, _EQUIVALENCE, _REPLACES, _after_keyword_codes, _approval_chain, _foreword, _sentences
from ingest.extract.identity import _code_only_line, _code_text, _codes_in, _own_code
from ingest.extract.structure import _HEADING, _REFS_HEAD, _SCOPE_HEAD, _SCOPE_OPENING, _annexes, _clause, _first_sentence, _sections
from ingest.extract.titles import (
    _EDITION,
    _REVISION,
    _body_title,
    _cover_title,
    _english_after,
    _first_upper_block,
    _header_title,
    _join_title,
    sentence_case_title,
)
from kb import codes
from kb.records import Annex, Equivalence, ExtractedStandard, Provenance
from kb.text import clean, fold, nfc


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


_ICS = re.compile(r"\bICS\s*:?\s*(\d{2}\.\d{3}(?:\.\d{2})?(?:\s*[;,]\s*\d{2}\.\d{3}(?:\.\d{2})?)*)")


def extract_fields(pages: list[str]) -> ExtractedStandard:
    """Label fields of the document whose page texts are ``pages`` (index 0 = page 1)."""
    doc = _Doc([nfc(page) for page in pages])  # callers other than read_pdf may pass NFD text
    out = ExtractedStandard()
    prov = out.provenance

    fw = _foreword(doc)
    code, code_line = _own_code(doc, prov, fw)

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
    prov["kind"] = Provenance(1, kind_method, prov["code"].confidence if code is not None else None)

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
        out.scope = clean(" ".join(ln.text for ln in scope[0]))
        out.scope_first_sentence = _first_sentence(out.scope)
        prov["scope"] = Provenance(scope[1].page, "scope clause")
        prov["scope_first_sentence"] = Provenance(scope[1].page, "first sentence of scope clause")
    elif out.kind in ("standard", "regulation"):
        # no scope heading (old standards): the opening "Tiêu chuẩn này quy định ..." paragraph
        for k, line in enumerate(doc.body[:300]):
            if _SCOPE_OPENING.match(line.text):
                para = [line.text] + [ln.text for ln in doc.body[k + 1:k + 8] if not _HEADING.match(ln.text)]
                out.scope = clean(" ".join(para))
                out.scope_first_sentence = _first_sentence(out.scope)
                prov["scope"] = Provenance(line.page, "opening 'Tiêu chuẩn này' paragraph")
                prov["scope_first_sentence"] = replace(prov["scope"])
                break

    for line in doc.first_pages(6):
        m = _ICS.search(line.text)
        if m:
            out.ics = re.sub(r"\s+", "", m.group(1)).replace(",", ";")
            prov["ics"] = Provenance(line.page, "'ICS' line")
            break

    grade(prov)
    return out
