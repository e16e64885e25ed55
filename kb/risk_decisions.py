"""A curator's answer to "does this item of a risk list apply to this product?" (issue 12, item 4).

When one of a product's HS codes sits under several items of the lists (8517.14.00 is both high-risk
"thiết bị vô tuyến" and medium-risk "máy điện thoại di động"), the code alone does not say which applies;
a curator answers per item: it applies (``applies`` true: the item counts as confirmed) or it does not
(false: the item leaves the product's requirements). An item the code meets alone may be answered too: a
curator may know the product is not that item. :mod:`kb.read.regulatory` reads the answers.

An answer (``RiskItemDecision``) names the item as the document numbers it — the document's key, annex,
item and the row's HS code (``''`` for a blank annex or item) — so it survives a re-import of the list and
holds for every date the item is in force. Only an item some imported list holds, under one of the
product's approved codes, can be answered. Changing or withdrawing an answer names the version it was read
at (a stale one is a 409); every change is one audit event naming the product, the document and the item.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from kb import audit, hscodes, legal
from kb.errors import BadInput, Conflict, NotFound
from kb.hs import dotted, normalize_hs
from kb.models import AuditEvent, Product, RiskItemDecision, RiskList, RiskListRow, pk
from kb.text import clean
from kb.versioning import StaleEdit, delete_versioned, update_versioned

ENTITY = "risk_item_decision"
NOTE_MAX = 2000
_SHORT = 40  # the annex and item columns

#: How an item is named: (document key, annex or '', item or '', the row's HS code).
Key = tuple[str, str, str, str]


@dataclass(frozen=True)
class Candidate:
    """An item of a risk list as a curator names it (the document in any spelling of its number)."""

    document: str
    annex: str | None
    item: str | None
    hs_code: str

    def key(self) -> Key:
        text = clean(self.document)
        if not text:
            raise BadInput("thiếu số hiệu văn bản của danh mục (document)")
        try:
            document_key = legal.legal_key(text)
        except BadInput:
            raise BadInput(f"document: {text[:80]!r} không phải số hiệu văn bản (dạng số/năm/ký hiệu)") from None
        annex, item = clean(self.annex), clean(self.item)
        if len(annex) > _SHORT or len(item) > _SHORT:
            raise BadInput(f"phụ lục và mục dài quá {_SHORT} ký tự")
        return document_key, annex, item, normalize_hs(self.hs_code, "hs_code")


def key_of(document_key: str, annex: str | None, item: str | None, hs_code: str) -> Key:
    """The key of a stored list row (its annex and item as imported, blank as '')."""
    return document_key, annex or "", item or "", hs_code


# --- reading ------------------------------------------------------------------------------------------


def for_product(session: Session, product_id: int) -> dict[Key, RiskItemDecision]:
    """Every answer recorded for a product, by item."""
    rows = session.exec(select(RiskItemDecision).where(RiskItemDecision.product_id == product_id)
                        .order_by(col(RiskItemDecision.id))).all()
    return {key_of(d.document_key, d.annex, d.item, d.hs_code): d for d in rows}


def current(session: Session, product_id: int, candidate: Candidate) -> RiskItemDecision | None:
    """The answer on record for one item of a product, if any."""
    return _find(session, product_id, candidate.key())


def as_dict(d: RiskItemDecision) -> dict[str, Any]:
    """An answer as the read models carry it: what, why, who and when, and the version to change it at."""
    return {"id": d.id, "applies": d.applies, "note": d.note, "decided_by": d.decided_by,
            "decided_at": d.updated_at.isoformat(timespec="seconds"), "version": d.version}


# --- writing ------------------------------------------------------------------------------------------


def _find(session: Session, product_id: int, key: Key) -> RiskItemDecision | None:
    document_key, annex, item, hs_code = key
    return session.exec(select(RiskItemDecision).where(
        RiskItemDecision.product_id == product_id, RiskItemDecision.document_key == document_key,
        RiskItemDecision.annex == annex, RiskItemDecision.item == item, RiskItemDecision.hs_code == hs_code)).first()


def _listed(session: Session, key: Key) -> str | None:
    """The document's number as the lists write it when an imported list holds the item, else None."""
    document_key, annex, item, hs_code = key
    rows = session.exec(
        select(RiskList.document_code, RiskListRow.annex, RiskListRow.item)
        .join(RiskList, col(RiskList.id) == RiskListRow.list_id)
        .where(RiskList.document_key == document_key, RiskListRow.hs_code == hs_code)
    ).all()
    return next((code for code, a, i in rows if (a or "") == annex and (i or "") == item), None)


def _label(document: str, key: Key) -> str:
    _, annex, item, hs_code = key
    where = ", ".join(x for x in (f"mục {item}" if item else "", annex) if x)
    return f"{where + ' của ' if where else ''}{document} (mã HS {dotted(hs_code)})"


def _checked(session: Session, product: Product, candidate: Candidate) -> tuple[Key, str]:
    """The candidate's key and its document's number; BadInput unless a list holds it under the product's codes."""
    key = candidate.key()
    document = _listed(session, key)
    if document is None:
        raise BadInput(f"không có danh mục nào đã nhập chứa {_label(clean(candidate.document), key)}")
    row_code = key[3]
    if not any(row_code.startswith(c) or c.startswith(row_code) for c in hscodes.product_codes(session, pk(product))):
        raise BadInput(f"{_label(document, key)} không nêu mã HS nào đã duyệt của sản phẩm {product.name}")
    return key, document


def _note(note: str | None) -> str | None:
    text = clean(note) or None
    if text and len(text) > NOTE_MAX:
        raise BadInput(f"ghi chú dài quá {NOTE_MAX} ký tự")
    return text


def _event(session: Session, decision_id: int) -> AuditEvent:
    """The event kb.versioning has just written for the answer (changes to one answer are serialised by its
    version, so the newest event of that answer is this one)."""
    event = session.exec(select(AuditEvent).where(AuditEvent.entity == ENTITY, AuditEvent.entity_id == decision_id)
                         .order_by(col(AuditEvent.id).desc())).first()
    if event is None:
        raise RuntimeError("kb.versioning wrote no audit event")
    return event


def decide(session: Session, product: Product, candidate: Candidate, applies: bool, note: str | None, actor: str,
           expected_version: int | None = None) -> AuditEvent | None:
    """Record that ``candidate`` applies (or not) to ``product``; the audit event, or None when the same
    answer is already on record. ``expected_version``: None to answer an item nobody has answered (a
    :class:`StaleEdit` if someone has meanwhile), else the version of the answer being changed."""
    key, document = _checked(session, product, candidate)
    text = _note(note)
    verdict = "áp dụng" if applies else "không áp dụng"
    summary = f"Xác nhận {_label(document, key)} {verdict} cho sản phẩm {product.name}"
    action = "approve" if applies else "reject"
    existing = _find(session, pk(product), key)
    if existing is not None:
        if expected_version is None:
            raise StaleEdit(ENTITY, audit.snapshot(existing), {"applies": applies, "note": text})
        changes = {"applies": applies, "note": text, "decided_by": actor}
        if not update_versioned(session, existing, changes, expected_version, actor=actor, entity=ENTITY,
                                summary=summary, action=action):
            return None
        return _event(session, pk(existing))
    if expected_version is not None:
        raise Conflict(f"{_label(document, key)}: câu trả lời đã bị người khác bỏ; hãy tải lại trang")
    document_key, annex, item, hs_code = key
    decision = RiskItemDecision(product_id=pk(product), document_key=document_key, annex=annex, item=item,
                                hs_code=hs_code, applies=applies, note=text, decided_by=actor)
    try:
        with session.begin_nested():  # two curators answering the same item at once: one wins, one is told
            session.add(decision)
    except IntegrityError:
        raise Conflict(f"{_label(document, key)}: người khác vừa trả lời mục này; hãy tải lại trang") from None
    event = audit.record(session, actor=actor, action=action, entity=ENTITY, entity_id=decision.id,
                         after=audit.snapshot(decision), summary=summary)
    session.flush()  # the event's id names the change on the page the curator returns to
    return event


def clear(session: Session, product: Product, candidate: Candidate, actor: str,
          expected_version: int | None = None) -> AuditEvent:
    """Withdraw the answer for ``candidate``: the item is again matched by its HS code only (or ambiguous).
    ``expected_version`` None withdraws whatever is on record (API clients that read nothing first)."""
    key = candidate.key()
    label = _label(_listed(session, key) or clean(candidate.document), key)
    existing = _find(session, pk(product), key)
    if existing is None:
        if expected_version is not None:
            raise Conflict(f"{label}: câu trả lời đã bị người khác bỏ")
        raise NotFound(f"sản phẩm {product.name} chưa có câu trả lời cho {label}")
    decision_id = pk(existing)
    delete_versioned(session, existing, expected_version, actor=actor, entity=ENTITY,
                     summary=f"Bỏ xác nhận {label} của sản phẩm {product.name}")
    return _event(session, decision_id)
