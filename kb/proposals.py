"""Proposed changes: what an ingested document would change in a record that already holds knowledge, or
would create from an extraction read with low confidence, kept for a curator instead of written.

``kb.documents`` decides between a write and a proposal and calls :func:`propose`; the curator's queue
(:func:`pending`) lists the pending ones lowest confidence first, each shown as a diff against the record
as it is now (:func:`review_rows`); :func:`accept` applies the fields the curator chose through the entity
services, with the record's version check and audit; :func:`reject` leaves the record as it is. The
document, its pages and the proposal stay stored either way.

Audit actions reuse the labelled ones: ``ingest`` (proposed), ``approved`` / ``rejected`` (the decision),
``approve`` (the record changed by an accept).

A curator-verified field is applied only when the curator names it (the form leaves it unticked): a
default accept never overwrites what a person confirmed. Fields a curator accepts become verified by them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import func
from sqlalchemy import update as sa_update
from sqlmodel import Session, col, select

from kb import audit, codes, labs, standards
from kb.errors import BadInput, Conflict, NotFound
from kb.models import (
    Criterion,
    Document,
    Lab,
    LabCreate,
    LabUpdate,
    ProposalStatus,
    ProposedChange,
    Standard,
    StandardCreate,
    StandardUpdate,
    payload,
    utcnow,
)
from kb.records import CriterionRow, Provenance
from kb.text import clean
from kb.versioning import StaleEdit, update_versioned

#: Below this confidence (0–1) an identity or title field is too unsure to write without a person.
LOW_CONFIDENCE = 0.6
#: The fields that say which record a document is and what it is called.
IDENTITY_FIELDS = ("code", "doc_type", "number", "part", "year", "issuer_suffix", "title_vi", "title_vi_normalised")
#: The pseudo-field of a proposal's rows, per entity (a criteria table, a lab's scope).
ROWS_FIELD = {"standard": "criteria", "lab": "scope_rows"}
ROW_COLUMNS = {"standard": ("name", "requirement", "unit", "method"), "lab": ("material", "test", "range", "method")}


def min_confidence(provenance: Mapping[str, Provenance]) -> float | None:
    """The lowest graded confidence of any field; None when no field is graded."""
    graded = [p.confidence for p in provenance.values() if p.confidence is not None]
    return min(graded) if graded else None


def low_identity_confidence(provenance: Mapping[str, Provenance]) -> float | None:
    """The confidence of the least sure identity or title field when it is below ``LOW_CONFIDENCE``."""
    graded = [p.confidence for f, p in provenance.items() if f in IDENTITY_FIELDS and p.confidence is not None]
    low = min(graded, default=None)
    return low if low is not None and low < LOW_CONFIDENCE else None


def _norm(value: Any) -> Any:
    if isinstance(value, str):
        return clean(value).casefold() or None
    return audit.jsonable(value)


def field_diff(current: Mapping[str, Any] | None, proposed: Mapping[str, Any], provenance: Mapping[str, Any],
               verified: Iterable[str] = ()) -> list[dict[str, Any]]:
    """One entry per proposed field whose value differs from ``current`` (None: no record yet), with where
    it was read; ``fill`` marks a field the record has no value for, ``verified`` one a curator confirmed."""
    locked = set(verified)
    out: list[dict[str, Any]] = []
    for f, value in proposed.items():
        cur = None if current is None else audit.jsonable(current.get(f))
        if _norm(cur) == _norm(value):
            continue
        p = provenance.get(f) or {}
        out.append({"field": f, "current": cur, "proposed": audit.jsonable(value), "page": p.get("page"),
                    "method": p.get("method"), "confidence": p.get("confidence"), "verified": f in locked,
                    "fill": cur in (None, "")})
    return out


def rows_diff(entity: str, current: list[dict[str, Any]], proposed: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The rows entry of a diff when the document's rows differ from the stored ones (None when equal)."""
    cols = ROW_COLUMNS[entity]
    if [_row_text(entity, r) for r in current] == [_row_text(entity, r) for r in proposed]:
        return None
    pages = sorted({int(r["page"]) for r in proposed if r.get("page")})
    return {"field": ROWS_FIELD[entity], "current": [_row_text(entity, r) for r in current],
            "proposed": [_row_text(entity, r) for r in proposed], "page": pages[0] if pages else None,
            "method": f"bảng ({', '.join(cols)})", "confidence": None, "verified": False, "fill": not current}


def _row_text(entity: str, row: Mapping[str, Any]) -> str:
    return " | ".join(clean(str(row.get(c) or "")) for c in ROW_COLUMNS[entity])


def criteria_rows(session: Session, std: Standard) -> list[dict[str, Any]]:
    rows = session.exec(select(Criterion).where(Criterion.standard_id == std.id).order_by(col(Criterion.position)))
    return [r.model_dump(exclude={"id", "standard_id"}) for r in rows]


def scope_rows(session: Session, lab: Lab) -> list[dict[str, Any]]:
    return [r.model_dump(include=set(labs.SCOPE_FIELDS)) for r in labs.scope_rows(session, lab)]


# --- Create and list ----------------------------------------------------------------------------------


def propose(session: Session, *, document_id: int | None, entity: str, entity_id: int | None, target: str,
            values: dict[str, Any], rows: list[dict[str, Any]] | None, diff: list[dict[str, Any]],
            confidence: float | None, reason: str, actor: str) -> ProposedChange:
    """Store a pending proposal, with its audit event."""
    p = ProposedChange(document_id=document_id, entity=entity, entity_id=entity_id, target=target,
                       values=audit.jsonable(values), rows=audit.jsonable(rows), diff=audit.jsonable(diff),
                       min_confidence=confidence, reason=reason)
    session.add(p)
    session.flush()
    audit.record(session, actor=actor, action="ingest", entity="proposal", entity_id=p.id,
                 after={"entity": entity, "entity_id": entity_id, "target": target,
                        "fields": [d["field"] for d in diff]},
                 summary=f"Đề xuất thay đổi {target}: {reason}")
    return p


def pending(session: Session, limit: int = 200) -> list[ProposedChange]:
    """Pending proposals, the least sure first (ungraded ones after the graded), then oldest first."""
    q = (select(ProposedChange).where(ProposedChange.status == ProposalStatus.pending)
         .order_by(col(ProposedChange.min_confidence).is_(None), col(ProposedChange.min_confidence),
                   col(ProposedChange.id))
         .limit(limit))
    return list(session.exec(q).all())


def count_pending(session: Session) -> int:
    q = select(func.count()).select_from(ProposedChange).where(ProposedChange.status == ProposalStatus.pending)
    return session.exec(q).one()


def require(session: Session, proposal_id: int) -> ProposedChange:
    p = session.get(ProposedChange, proposal_id)
    if p is None:
        raise NotFound(f"Không có đề xuất thay đổi #{proposal_id}")
    return p


def _record(session: Session, p: ProposedChange) -> Standard | Lab | None:
    """The record the proposal would change as it is now; None when it would create one."""
    if p.entity_id is not None:
        found = session.get(Standard, p.entity_id) if p.entity == "standard" else session.get(Lab, p.entity_id)
        if found is None:
            raise Conflict(f"bản ghi {p.target} của đề xuất #{p.id} không còn nữa")
        return found
    if p.entity == "standard":  # exactly this designation (an undated one must not find another edition)
        d = codes.parse(p.target)
        return standards.by_keys(session, [d.key]).get(d.key) if d is not None else None
    return labs.find_lab(session, p.target)


def review_rows(session: Session, p: ProposedChange) -> tuple[Standard | Lab | None, Document | None,
                                                              list[dict[str, Any]]]:
    """The record, the source document and the diff against the record as it is now."""
    rec = _record(session, p)
    values = p.values or {}
    verified: set[str] = set()
    current: dict[str, Any] | None = None
    stored_rows: list[dict[str, Any]] = []
    if isinstance(rec, Standard):
        current = rec.model_dump()
        verified = {f for f, q in (rec.provenance or {}).items() if q.get("verified")}
        stored_rows = criteria_rows(session, rec)
    elif isinstance(rec, Lab):
        current = rec.model_dump()
        verified = set(values.get("fields", {})) if rec.verified_at else set()
        stored_rows = scope_rows(session, rec)
    diff = field_diff(current, values.get("fields", {}), values.get("provenance", {}), verified)
    if p.rows is not None:
        rows = rows_diff(p.entity, stored_rows, p.rows)
        if rows is not None:
            diff.append(rows)
    doc = session.get(Document, p.document_id) if p.document_id else None
    return rec, doc, diff


# --- Decide -------------------------------------------------------------------------------------------


def _decide(session: Session, p: ProposedChange, status: ProposalStatus, actor: str) -> None:
    """Mark the proposal decided, once: a second decision (another tab, another curator) is a conflict."""
    result = session.exec(
        sa_update(ProposedChange)
        .where(col(ProposedChange.id) == p.id, col(ProposedChange.status) == ProposalStatus.pending)
        .values(status=status, decided_by=actor, decided_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise Conflict(f"đề xuất #{p.id} đã được xử lý")
    session.refresh(p)


def _check_pending(p: ProposedChange) -> None:
    if p.status != ProposalStatus.pending:
        raise Conflict(f"đề xuất #{p.id} đã được xử lý ({p.status.value})")


def reject(session: Session, proposal_id: int, actor: str) -> ProposedChange:
    """Leave the record as it is; the proposal stays, rejected, with who decided."""
    p = require(session, proposal_id)
    _check_pending(p)
    _decide(session, p, ProposalStatus.rejected, actor)
    audit.record(session, actor=actor, action="rejected", entity="proposal", entity_id=p.id,
                 before={"status": "pending"}, after={"status": "rejected"},
                 summary=f"Từ chối đề xuất #{p.id} cho {p.target}")
    return p


def accept(session: Session, proposal_id: int, fields: Iterable[str] | None, expected_version: int | None,
           actor: str) -> ProposedChange:
    """Apply the proposal's chosen ``fields`` (None: every differing field not verified, and the rows) to
    the record, if it is still at ``expected_version`` (0: no record yet); a stale version is a 409."""
    p = require(session, proposal_id)
    _check_pending(p)
    rec, _, diff = review_rows(session, p)
    offered = {d["field"] for d in diff}
    if fields is None:
        chosen = {d["field"] for d in diff if not d["verified"]}
    else:
        chosen = set(fields)
        unknown = chosen - offered
        if unknown:
            raise BadInput(f"trường không có trong đề xuất: {', '.join(sorted(unknown))[:200]}")
        if offered and not chosen:
            raise BadInput("chọn ít nhất một thay đổi để nhận, hoặc từ chối đề xuất")
    if rec is None and expected_version not in (None, 0):
        raise Conflict(f"{p.target} chưa có trong cơ sở dữ liệu: tải lại trang đề xuất")
    if rec is not None and expected_version is not None and expected_version != rec.version:
        raise StaleEdit(p.entity, audit.snapshot(rec))
    if p.entity == "lab":
        entity_id = _accept_lab(session, p, rec if isinstance(rec, Lab) else None, chosen, actor)
    else:
        entity_id = _accept_standard(session, p, rec if isinstance(rec, Standard) else None, chosen, actor)
    _decide(session, p, ProposalStatus.accepted, actor)
    if p.entity_id is None:
        p.entity_id = entity_id
        session.add(p)
    audit.record(session, actor=actor, action="approved", entity="proposal", entity_id=p.id,
                 before={"status": "pending"}, after={"status": "accepted", "fields": sorted(chosen)},
                 summary=f"Nhận đề xuất #{p.id} cho {p.target}")
    session.flush()
    return p


def _accept_standard(session: Session, p: ProposedChange, std: Standard | None, chosen: set[str],
                     actor: str) -> int | None:
    values = p.values or {}
    given = {f: v for f, v in (values.get("fields") or {}).items() if f in chosen}
    fields = payload(StandardUpdate, given).model_dump(exclude_unset=True)
    prov_in = values.get("provenance") or {}
    verified = {f: {"page": (prov_in.get(f) or {}).get("page"), "method": (prov_in.get(f) or {}).get("method"),
                    "verified": True, "by": actor} for f in fields}
    extra = values.get("extra") or {}
    if std is None:
        std, _ = standards.upsert_standard(session, payload(StandardCreate, {"code": p.target, **fields}), actor=actor,
                                           source="approve", provenance=verified, document_id=p.document_id,
                                           extra=extra)
        std.provenance = {**std.provenance, **verified}  # upsert stores extracted provenance unverified
        session.add(std)
    else:
        changes: dict[str, Any] = {**fields, "provenance": {**(std.provenance or {}), **verified},
                                   "extra": {**(std.extra or {}), **extra}}
        if p.document_id is not None:
            changes["document_id"] = p.document_id
        update_versioned(session, std, changes, None, actor=actor, entity="standard", action="approve",
                         summary=f"Nhận đề xuất #{p.id}: {std.code}"
                                 + (f" ({', '.join(sorted(fields))})" if fields else ""))
    for relation, code, qualifier, position in values.get("relations") or []:
        standards.add_relation(session, std.code, relation, code, qualifier=qualifier, position=position,
                               actor=actor)
    if ROWS_FIELD["standard"] in chosen and p.rows is not None:
        before = len(criteria_rows(session, std))
        standards.replace_criteria(session, std, [CriterionRow(**r) for r in p.rows])
        audit.record(session, actor=actor, action="approve", entity="standard", entity_id=std.id,
                     before={"criteria": before}, after={"criteria": len(p.rows)},
                     summary=f"Nhận đề xuất #{p.id}: bảng chỉ tiêu {std.code} ({len(p.rows)} dòng)")
    return std.id


def _accept_lab(session: Session, p: ProposedChange, lab: Lab | None, chosen: set[str], actor: str) -> int | None:
    given = {f: v for f, v in ((p.values or {}).get("fields") or {}).items() if f in chosen}
    if lab is None:
        lab, _ = labs.upsert_lab(session, payload(LabCreate, {"accreditation": p.target, **given}), actor)
    else:
        labs.update_lab_profile(session, lab, payload(LabUpdate, given), None, actor)
    if ROWS_FIELD["lab"] in chosen and p.rows is not None:
        labs.replace_scope(session, lab, [labs.parse_scope_row(r) for r in p.rows], actor)
    return lab.id
