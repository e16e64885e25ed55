"""Legal documents (laws, decrees, circulars, decisions) as dated records, and what replaces what.

A document's number is written many ways (``36/2026/TT-BKHCN``, ``36/2026/tt-bkhcn``, ``Thông tư
36/2026/TT-BKHCN``, ``15/2018/ND-CP``): :func:`legal_key` turns any of them into one key, and
:func:`find_codes` finds the numbers inside a free-text legal basis ("Luật An toàn thực phẩm số
55/2010/QH12; Nghị định 15/2018/NĐ-CP"). A document's status on a date is derived from its dates and from
the documents that replace it (:func:`status_on`); the stored ``status`` is only the fallback when no date
says anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from kb import audit
from kb.errors import BadInput
from kb.models import LegalDocument, LegalDocumentBase, LegalKind, LegalRelation, LegalStatus, payload, utcnow
from kb.text import clean, fold
from kb.versioning import update_versioned

LEGAL_FIELDS = tuple(LegalDocumentBase.model_fields)
#: Relations a row may give, each as ``CODE@YYYY-MM-DD;…`` or plain codes.
RELATIONS = ("replaces", "amends", "guides")
KIND_LABELS_VI = {"law": "Luật", "decree": "Nghị định", "circular": "Thông tư", "decision": "Quyết định",
                  "other": "Văn bản khác"}
STATUS_LABELS_VI = {"in_force": "Còn hiệu lực", "not_yet": "Chưa có hiệu lực", "amended": "Còn hiệu lực (đã được sửa đổi)",
                    "replaced": "Đã được thay thế", "expired": "Hết hiệu lực", "unknown": "Chưa rõ"}

# number / [year /] symbol: 36/2026/TT-BKHCN, 55/2010/QH12, 1182/QĐ-BCT (no year: the symbol needs an
# issuer after a dash, so "1/2" or "2011/BYT" in a QCVN code are not taken). Spaces around / and - allowed.
_SYMBOL = r"[A-ZĐ]{1,8}\d{0,2}(?:\s*-\s*[A-ZĐ]{1,12}\d{0,2})*"
_CODE = re.compile(
    rf"(?<![\w:./-])(?P<num>\d{{1,5}})\s*/\s*(?:(?P<year>(?:19|20)\d\d)\s*/\s*(?P<sym>{_SYMBOL})"
    rf"|(?P<sym2>[A-ZĐ]{{1,8}}\s*-\s*[A-ZĐ]{{1,12}}\d{{0,2}}(?:\s*-\s*[A-ZĐ]{{1,12}}\d{{0,2}})*))(?![\w/])",
    re.IGNORECASE,
)
_SPACE = re.compile(r"\s+")
_KIND_BY_SYMBOL = (("qh", LegalKind.law), ("nd", LegalKind.decree), ("ttlt", LegalKind.circular),
                   ("tt", LegalKind.circular), ("qd", LegalKind.decision))
_DATED = re.compile(r"^(?P<code>.+?)\s*@\s*(?P<date>\d{4}-\d{2}-\d{2})$")


@dataclass(frozen=True)
class CodeMatch:
    start: int
    end: int
    code: str  # as canonical as the text allows: NFC, symbol upper-case, no inner spaces
    key: str


def _canonical(m: re.Match[str]) -> tuple[str, str]:
    num = m["num"]
    sym = _SPACE.sub("", m["sym"] or m["sym2"])
    if not any(ch.isupper() for ch in sym):  # typed in lower case; a written "QĐ-TTg" keeps its own case
        sym = sym.upper()
    code = f"{num}/{m['year']}/{sym}" if m["year"] else f"{num}/{sym}"
    # The key ignores case, đ/Đ, dashes and leading zeros: "05/2007/QH12" and "5/2007/qh12" are one law.
    key_sym = fold(sym).replace("-", "")
    key = f"{int(num)}/{m['year']}/{key_sym}" if m["year"] else f"{int(num)}/{key_sym}"
    return code, key


def find_codes(text: str | None) -> list[CodeMatch]:
    """The document numbers inside ``text``, in order, each once."""
    s = clean(text)
    out: list[CodeMatch] = []
    seen: set[str] = set()
    for m in _CODE.finditer(s):
        code, key = _canonical(m)
        if key not in seen:
            seen.add(key)
            out.append(CodeMatch(m.start(), m.end(), code, key))
    return out


def parse_code(value: Any, field: str = "code") -> CodeMatch:
    """The one document number in ``value`` (words around it such as "Thông tư số" are allowed)."""
    found = find_codes(str(value or ""))
    if len(found) != 1:
        what = "không có" if not found else "có nhiều hơn một"
        raise BadInput(f"{field}: {clean(str(value or ''))!r} {what} số hiệu văn bản dạng số/năm/ký hiệu")
    return found[0]


def legal_key(code: str) -> str:
    """Any spelling of a document number → its lookup key (BadInput when there is no number in it)."""
    return parse_code(code).key


def kind_of(code: str) -> LegalKind:
    """The kind a number's symbol says: QH law, NĐ-CP decree, TT/TTLT circular, QĐ decision."""
    symbol = legal_key(code).split("/")[-1]
    for prefix, kind in _KIND_BY_SYMBOL:
        if symbol.startswith(prefix):
            return kind
    return LegalKind.other


def get_document(session: Session, code: str) -> LegalDocument | None:
    try:
        key = legal_key(code)
    except BadInput:
        return None
    return session.exec(select(LegalDocument).where(LegalDocument.code_key == key)).first()


def list_documents(session: Session) -> list[LegalDocument]:
    """Every document, newest year first, then by number."""
    return sorted(session.exec(select(LegalDocument)).all(), key=_order)


def _order(doc: LegalDocument) -> tuple[int, int, str]:
    parts = doc.code_key.split("/")
    year = int(parts[1]) if len(parts) == 3 else (doc.issued.year if doc.issued else 0)
    return (-year, int(parts[0]), doc.code_key)


# --- parse and write ------------------------------------------------------------------------------------

def _date(value: Any, field: str) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(clean(str(value))[:10])
    except ValueError:
        raise BadInput(f"{field}: {clean(str(value))!r} không phải ngày dạng YYYY-MM-DD") from None


def _enum(cls: type[LegalKind] | type[LegalStatus], value: Any, field: str) -> Any:
    text = clean(str(value)).lower()
    try:
        return cls(text)
    except ValueError:
        raise BadInput(f"{field}: {text!r} không hợp lệ (dùng: {', '.join(e.value for e in cls)})") from None


def parse_relations(value: Any, field: str) -> list[tuple[CodeMatch, date | None]]:
    """``CODE@YYYY-MM-DD;…`` or plain codes (``;`` or new lines between them)."""
    out = []
    for part in re.split(r"[;\n]", str(value or "")):
        part = clean(part)
        if not part:
            continue
        dated = _DATED.match(part)
        code = parse_code(dated["code"] if dated else part, field)
        out.append((code, _date(dated["date"], field) if dated else None))
    return out


@dataclass
class LegalInput:
    code: CodeMatch
    fields: dict[str, Any]
    #: relation → [(document, from date)]; a relation absent from the input is left as it is.
    relations: dict[str, list[tuple[CodeMatch, date | None]]]


def parse_document(data: dict[str, Any]) -> LegalInput:
    """An import row or a form: every value cleaned and checked, the field named in Vietnamese errors.

    The kind follows the number's symbol when not given; an empty cell clears the field."""
    code = parse_code(data.get("code"))
    fields: dict[str, Any] = {"code": code.code}
    for f in LEGAL_FIELDS:
        if f == "code" or f not in data:
            continue
        value = data.get(f)
        if f in ("issued", "effective_from", "effective_until"):
            fields[f] = _date(value, f)
        elif f == "kind":
            fields[f] = _enum(LegalKind, value, f) if value not in (None, "") else None
        elif f == "status":
            fields[f] = _enum(LegalStatus, value, f) if value not in (None, "") else LegalStatus.unknown
        elif f == "source_url":
            url = clean(str(value or "")) or None
            if url and not re.match(r"^https?://", url, re.IGNORECASE):
                raise BadInput("source_url: chỉ nhận địa chỉ bắt đầu bằng http:// hoặc https://")
            fields[f] = url
        else:
            fields[f] = clean(str(value or "")) or None
    if not fields.get("kind"):
        fields["kind"] = kind_of(code.code)
    start, end = fields.get("effective_from"), fields.get("effective_until")
    if start and end and end < start:
        raise BadInput("effective_until: ngày hết hiệu lực trước ngày có hiệu lực")
    payload(LegalDocumentBase, fields)  # lengths and types, with the field named
    relations = {r: parse_relations(data.get(r), r) for r in RELATIONS if r in data}
    for r, items in relations.items():
        if any(c.key == code.key for c, _ in items):
            raise BadInput(f"{r}: văn bản không thể tự {r} chính nó")
    return LegalInput(code, fields, relations)


def upsert_document(session: Session, data: LegalInput, actor: str,
                    expected_version: int | None = None) -> tuple[LegalDocument, str]:
    """Create or update a document and its relations; ``created`` / ``updated`` / ``unchanged``.

    A new document is one audit event (its relations in it); a change of relations is one more."""
    doc = session.exec(select(LegalDocument).where(LegalDocument.code_key == data.code.key)).first()
    if doc is None:
        doc = LegalDocument(code_key=data.code.key, **data.fields)
        session.add(doc)
        session.flush()
        rels = _set_relations(session, doc, data.relations)
        audit.record(session, actor=actor, action="create", entity="legal_document", entity_id=doc.id,
                     after={**audit.snapshot(doc), **{r: after for r, (_, after) in rels.items()}},
                     summary=f"Thêm văn bản {doc.code}")
        return doc, "created"
    changed = update_versioned(session, doc, data.fields, expected_version, actor=actor,
                               entity="legal_document", summary=f"Cập nhật văn bản {doc.code}")
    rels = _set_relations(session, doc, data.relations)
    if rels:
        # The relations are part of the document: its timestamp moves so that cached pages see the change.
        doc.updated_at = utcnow()
        session.add(doc)
        audit.record(session, actor=actor, action="update", entity="legal_document", entity_id=doc.id,
                     before={r: b for r, (b, _) in rels.items()}, after={r: a for r, (_, a) in rels.items()},
                     summary=f"Cập nhật văn bản mà {doc.code} thay thế, sửa đổi hoặc hướng dẫn")
    return doc, "updated" if changed or rels else "unchanged"


def _set_relations(session: Session, doc: LegalDocument,
                   given: dict[str, list[tuple[CodeMatch, date | None]]]) -> dict[str, tuple[list[str], list[str]]]:
    """Make ``doc``'s outgoing relations of each given kind exactly the ones given; returns what changed,
    per relation, as ``CODE@date`` lists before and after (for the audit event)."""
    changes: dict[str, tuple[list[str], list[str]]] = {}
    for relation, items in given.items():
        current = {r.to_key: r for r in session.exec(
            select(LegalRelation).where(LegalRelation.from_key == doc.code_key, LegalRelation.relation == relation)
        ).all()}
        want = {c.key: (c, d) for c, d in items}
        before = sorted(f"{r.to_code}@{r.effective_from or ''}" for r in current.values())
        after = sorted(f"{c.code}@{d or ''}" for c, d in want.values())
        if before == after:
            continue
        for key, old in current.items():
            if key not in want:
                session.delete(old)
        for key, (c, d) in want.items():
            rel = current.get(key) or LegalRelation(from_key=doc.code_key, relation=relation, to_key=key, to_code=c.code)
            rel.to_code, rel.effective_from = c.code, d
            session.add(rel)
        session.flush()
        changes[relation] = (before, after)
    return changes


# --- status for a date --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Successor:
    """A later document that replaces or amends this one, from a date (``None``: date not known)."""
    relation: str
    code: str
    key: str
    on: date | None


def successors(session: Session, keys: list[str]) -> dict[str, list[Successor]]:
    """For each key, the documents that replace or amend it, with the date (the relation's own, else the
    later document's ``effective_from``)."""
    if not keys:
        return {}
    rels = session.exec(select(LegalRelation).where(col(LegalRelation.to_key).in_(keys),
                                                    col(LegalRelation.relation).in_(["replaces", "amends"]))).all()
    froms = {d.code_key: d for d in session.exec(
        select(LegalDocument).where(col(LegalDocument.code_key).in_({r.from_key for r in rels}))).all()}
    out: dict[str, list[Successor]] = {}
    for r in rels:
        later = froms.get(r.from_key)
        on = r.effective_from or (later.effective_from if later else None)
        out.setdefault(r.to_key, []).append(
            Successor(r.relation, later.code if later else r.from_key, r.from_key, on))
    for items in out.values():
        items.sort(key=lambda s: (s.on or date.min, s.code))
    return out


def status_on(doc: LegalDocument, on: date, succ: list[Successor] | None = None) -> LegalStatus:
    """The status of ``doc`` on ``on``: replaced from the day a replacing document says; expired after
    ``effective_until`` (the last day in force); not yet before ``effective_from``; amended once an
    amendment applies; else in force when a date or the stored status says so."""
    succ = succ or []
    if any(s.relation == "replaces" and (s.on is None or s.on <= on) for s in succ):
        return LegalStatus.replaced
    if doc.effective_until and on > doc.effective_until:
        return LegalStatus.expired
    if doc.effective_from and on < doc.effective_from:
        return LegalStatus.not_yet
    if doc.status in (LegalStatus.replaced, LegalStatus.expired):  # curated without a date: it stands
        return doc.status
    if any(s.relation == "amends" and (s.on is None or s.on <= on) for s in succ):
        return LegalStatus.amended
    if doc.effective_from or doc.status in (LegalStatus.in_force, LegalStatus.amended):
        return LegalStatus.in_force
    return doc.status
