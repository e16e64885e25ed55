"""Standards and the relations between designations: lookup by any spelling, storage with provenance.

A field whose provenance says ``verified`` was corrected or confirmed by a curator (:func:`review_standard`):
later ingests and imports never overwrite it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert
from sqlmodel import Session, col, delete, or_, select

from kb import audit, codes
from kb.errors import BadInput, NotFound
from kb.models import (
    AuditEvent,
    Criterion,
    Document,
    ProposalStatus,
    ProposedChange,
    RelationType,
    Standard,
    StandardCreate,
    StandardRelation,
    StandardStatus,
    StandardUpdate,
    payload,
    utcnow,
)
from kb.text import clean
from kb.versioning import update_versioned

if TYPE_CHECKING:
    from kb.records import CriterionRow

#: Regulations are mandatory; standards are voluntary unless a regulation or law cites them.
MANDATORY_TYPES = {"QCVN", "QCĐP", "QCXDVN"}

#: Fields of Standard that ingest, import and review may set (everything but identity and bookkeeping).
EDITABLE_FIELDS = tuple(StandardUpdate.model_fields)


def designation(text: str) -> codes.Designation:
    d = codes.parse(text or "")
    if d is None:
        raise BadInput(f"không nhận ra ký hiệu tiêu chuẩn: {clean(text)[:80]!r}")
    return d


def identity_fields(d: codes.Designation) -> dict[str, Any]:
    """The columns derived from the designation itself."""
    return {
        "code": d.format(),
        "code_key": d.key,
        "series_key": d.series_key,
        "doc_type": d.doc_type,
        "number": d.number,
        "part": d.part,
        "year": int(d.year) if d.year and d.year.isdigit() else None,
        "issuer_suffix": d.issuer_suffix,
    }


def editions_for(session: Session, d: codes.Designation) -> list[Standard]:
    """Editions a designation may mean: the exact edition, else its series (when dated, that year).

    A regulation typed without its issuer (``qcvn 8 1 2011``) matches the series of any issuer.
    """
    exact = session.exec(select(Standard).where(Standard.code_key == d.key)).first()
    if exact is not None:
        return [exact]
    cond = col(Standard.series_key) == d.series_key
    if d.issuer_suffix is None:
        cond = cond | col(Standard.series_key).like(f"{like_escape(d.series_key)}/%", escape="\\")
    editions = list(session.exec(select(Standard).where(cond)).all())
    if d.year is not None:
        editions = [e for e in editions if e.year == int(d.year)]
    return editions


def best_edition(editions: Iterable[Standard]) -> Standard:
    """The edition in force, else the newest."""
    return max(editions, key=lambda s: (s.status == StandardStatus.in_force, s.year or 0, s.id or 0))


def like_escape(text: str) -> str:
    """Escape LIKE wildcards; pair with a backslash escape character."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def get_standard(session: Session, text: str) -> Standard | None:
    """The standard a user means by ``text``, in any accepted spelling.

    A dated code must match its edition; an undated one gives the in-force edition, else the newest.
    """
    for d in codes.parse_query(text or ""):
        editions = editions_for(session, d)
        if editions:
            return best_edition(editions)
    return None


def require_standard(session: Session, text: str) -> Standard:
    found = get_standard(session, text)
    if found is None:
        raise NotFound(f"Không tìm thấy tiêu chuẩn {clean(text)[:80]!r}")
    return found


def upsert_standard(
    session: Session,
    data: StandardCreate,
    *,
    actor: str,
    source: str,
    provenance: dict[str, dict[str, Any]] | None = None,
    document_id: int | None = None,
    extra: dict[str, Any] | None = None,
) -> tuple[Standard, str]:
    """Create or update the standard ``data.code``; returns it and ``created`` / ``updated`` / ``unchanged``.

    Only the fields set are written and empty values never erase what is known; curator-verified fields are
    never overwritten. ``provenance`` (field → where it was read) and ``extra`` stay plain dicts: they are
    merged key by key into the JSON columns of the same shape.
    """
    d = designation(data.code)
    ident = identity_fields(d)
    std = session.exec(select(Standard).where(Standard.code_key == d.key)).first()
    given = data.model_dump(exclude_unset=True, exclude={"code"})
    # Texts are cleaned; ``type(v) is str`` leaves the status alone (a str enum).
    values: dict[str, Any] = {k: clean(v) if type(v) is str else v for k, v in given.items() if v not in (None, "")}
    values.setdefault("mandatory", d.doc_type in MANDATORY_TYPES)

    if std is None:
        std = Standard(**ident, **values, document_id=document_id,
                       provenance=_merged_provenance({}, provenance), extra=dict(extra or {}))
        if _is_replaced(session, d.key) and "status" not in given:
            std.status = StandardStatus.replaced
        session.add(std)
        session.flush()
        audit.record(session, actor=actor, action=source, entity="standard", entity_id=std.id,
                     after=audit.snapshot(std), summary=f"Tạo {std.code}")
        return std, "created"

    locked = {f for f, p in (std.provenance or {}).items() if p.get("verified")}
    changes = {k: v for k, v in values.items() if k not in locked}
    changes["provenance"] = _merged_provenance(std.provenance, provenance)
    if document_id is not None:
        changes["document_id"] = document_id
    if extra:
        changes["extra"] = {**(std.extra or {}), **extra}
    changed = update_versioned(session, std, changes, None, actor=actor, entity="standard", action=source,
                               summary=f"Cập nhật {std.code}")
    return std, "updated" if changed else "unchanged"


def _merged_provenance(current: dict | None, extracted: dict | None) -> dict:
    """Where each field was found, over what was known; a field a curator verified keeps its own."""
    merged = dict(current or {})
    for field, p in (extracted or {}).items():
        if not merged.get(field, {}).get("verified"):
            merged[field] = {"page": p.get("page"), "method": p.get("method"), "verified": False}
            if p.get("confidence") is not None:  # graded by extraction (0–1); ungraded fields carry none
                merged[field]["confidence"] = p["confidence"]
    return merged


def _is_replaced(session: Session, key: str) -> bool:
    rel = session.exec(
        select(StandardRelation).where(
            StandardRelation.to_key == key, StandardRelation.relation == RelationType.replaces
        )
    ).first()
    return rel is not None


def by_keys(session: Session, keys: Iterable[str]) -> dict[str, Standard]:
    """The stored standards among ``code_key`` values, by key (looked up 500 at a time)."""
    keys = list(keys)
    found: dict[str, Standard] = {}
    for i in range(0, len(keys), 500):
        chunk = keys[i:i + 500]
        found.update((s.code_key, s) for s in session.exec(select(Standard).where(col(Standard.code_key).in_(chunk))))
    return found


def replaced_among(session: Session, keys: Iterable[str]) -> set[str]:
    """The keys some stored relation says were replaced."""
    keys = list(keys)
    out: set[str] = set()
    for i in range(0, len(keys), 500):
        chunk = keys[i:i + 500]
        out.update(session.exec(select(StandardRelation.to_key).where(
            col(StandardRelation.to_key).in_(chunk), StandardRelation.relation == RelationType.replaces)))
    return out


def create_catalogued(session: Session, items: list[tuple[codes.Designation, str | None, dict[str, Any]]], *,
                      replaced: set[str], actor: str) -> list[int]:
    """New standards known only from a catalogue row ``(designation, title, catalogue info)``, with their
    audit events; returns their ids. ``replaced``: keys a stored relation marks as replaced.

    One multi-row INSERT ... RETURNING (and one for the audit events): a catalogue lists hundreds of
    codes, and hundreds of ORM objects would cost more than parsing it.
    """
    if not items:
        return []
    now = utcnow()
    rows = [{
        **identity_fields(d), "title_vi": clean(title or "") or None,
        "mandatory": d.doc_type in MANDATORY_TYPES,
        "status": StandardStatus.replaced if d.key in replaced else StandardStatus.unknown,
        "provenance": {"title_vi": {"page": info.get("page"), "method": "catalogue", "verified": False}},
        "extra": {"catalogue": info}, "is_sample": False, "version": 1, "created_at": now, "updated_at": now,
    } for d, title, info in items]
    created = session.execute(insert(Standard).returning(col(Standard.id), sort_by_parameter_order=True), rows)
    ids = [row[0] for row in created]
    session.execute(insert(AuditEvent), [
        {"at": now, "actor": actor, "action": "ingest", "entity": "standard", "entity_id": pk,
         "summary": f"Tạo {row['code']} từ danh mục",
         "after": {"code": row["code"], "title_vi": row["title_vi"], "status": row["status"].value,
                   "catalogue": row["extra"]["catalogue"]}}
        for pk, row in zip(ids, rows, strict=False)
    ])
    return ids


def replace_criteria(session: Session, std: Standard, rows: Iterable[CriterionRow]) -> None:
    """Make the standard's criteria table exactly ``rows`` (as read from its document)."""
    assert std.id is not None
    session.exec(delete(Criterion).where(col(Criterion.standard_id) == std.id))
    for row in rows:
        session.add(Criterion(standard_id=std.id, position=row.position, name=row.name, requirement=row.requirement,
                              unit=row.unit, method=row.method, method_code=row.method_code, page=row.page))


def add_relation(
    session: Session,
    from_code: str,
    relation: RelationType | str,
    to_code: str,
    *,
    qualifier: str | None = None,
    position: int = 0,
    source: str = "ingest",
    actor: str = "system",
) -> StandardRelation | None:
    """Record an edge (idempotent). ``replaces`` also marks the older edition replaced when present."""
    relation = RelationType(relation)
    a, b = codes.parse(from_code), codes.parse(to_code)
    if a is None or b is None or a.key == b.key:
        return None
    existing = session.exec(
        select(StandardRelation).where(
            StandardRelation.from_key == a.key, StandardRelation.relation == relation, StandardRelation.to_key == b.key
        )
    ).first()
    if existing is None:
        existing = StandardRelation(
            from_code=a.format(), from_key=a.key, relation=relation, to_code=b.format(), to_key=b.key,
            qualifier=qualifier, position=position, source=source,
        )
        session.add(existing)
    elif qualifier and existing.qualifier != qualifier:
        existing.qualifier = qualifier
        session.add(existing)
    if relation == RelationType.replaces:
        old = session.exec(select(Standard).where(Standard.code_key == b.key)).first()
        if old is not None and not old.provenance.get("status", {}).get("verified"):
            update_versioned(session, old, {"status": StandardStatus.replaced}, None, actor=actor,
                             entity="standard", summary=f"{old.code} bị thay thế bởi {a.format()}")
    session.flush()
    return existing


def import_relation(session: Session, std: Standard, relation: RelationType, other: codes.Designation, *,
                    qualifier: str | None, position: int, actor: str) -> bool:
    """An edge named by an import row, with its audit event; False when it is already stored as given."""
    exists = session.exec(
        select(StandardRelation).where(
            StandardRelation.from_key == std.code_key, StandardRelation.relation == relation,
            StandardRelation.to_key == other.key,
        )
    ).first()
    if exists is not None and (qualifier is None or exists.qualifier == qualifier):
        return False
    edge = add_relation(session, std.code, relation, other.format(), qualifier=qualifier,
                        position=position, source="import", actor=actor)
    if edge is None:
        return False
    audit.record(session, actor=actor, action="import", entity="standard", entity_id=std.id,
                 after={"relation": relation.value, "to": other.format(), "qualifier": qualifier},
                 summary=f"{std.code} {relation.value} {other.format()}")
    return True


def relations_of(session: Session, std: Standard) -> dict[str, list[dict[str, Any]]]:
    """Outgoing and incoming edges, each with whether the other end is in the knowledge base."""
    rows = session.exec(
        select(StandardRelation)
        .where(or_(StandardRelation.from_key == std.code_key, StandardRelation.to_key == std.code_key))
        .order_by(col(StandardRelation.relation), col(StandardRelation.position), col(StandardRelation.id))
    ).all()
    other_keys = {r.to_key if r.from_key == std.code_key else r.from_key for r in rows}
    known = _known_codes(session, other_keys)
    out: list[dict[str, Any]] = []
    inc: list[dict[str, Any]] = []
    for r in rows:
        outgoing = r.from_key == std.code_key
        other_key = r.to_key if outgoing else r.from_key
        item = {
            "relation": r.relation.value,
            "code": r.to_code if outgoing else r.from_code,
            "qualifier": r.qualifier,
            "in_kb": other_key in known,
            "canonical": known.get(other_key),
        }
        (out if outgoing else inc).append(item)
    return {"outgoing": out, "incoming": inc}


def _known_codes(session: Session, keys: Iterable[str]) -> dict[str, str]:
    keys = list(keys)
    if not keys:
        return {}
    rows = session.exec(select(Standard.code_key, Standard.code).where(col(Standard.code_key).in_(keys))).all()
    return {k: c for k, c in rows}


def replaced_by_chain(session: Session, std: Standard, limit: int = 10) -> list[str]:
    """Codes of the editions that replaced ``std``, newest last (cycle-safe)."""
    chain: list[str] = []
    seen = {std.code_key}
    key = std.code_key
    for _ in range(limit):
        rel = session.exec(
            select(StandardRelation).where(
                StandardRelation.to_key == key, StandardRelation.relation == RelationType.replaces
            )
        ).first()
        if rel is None or rel.from_key in seen:
            break
        chain.append(rel.from_code)
        seen.add(rel.from_key)
        key = rel.from_key
    return chain


# --- Curation: lookups for forms, and the review of ingested standards -----------------------------


def standard_by_id(session: Session, standard_id: int) -> Standard:
    std = session.get(Standard, standard_id)
    if std is None:
        raise NotFound(f"Không tìm thấy tiêu chuẩn #{standard_id}")
    return std


def standard_named(session: Session, code: str) -> Standard:
    """The standard a form names; an unknown or unparseable code is bad input (the form is re-shown)."""
    std = get_standard(session, code or "")
    if std is None:
        designation(code)  # an unparseable code says so
        raise BadInput(f"tiêu chuẩn {clean(code)[:80]!r} chưa có trong cơ sở dữ liệu")
    return std


#: The fields a curator confirms when reviewing an ingested standard, in reading order: the columns of
#: StandardUpdate a review may correct, and the extracted extras kept on the standard (shown, confirmed).
REVIEW_FIELDS = ("code", "title_vi", "title_en", "edition", "revision", "status", "effective_date",
                 "issuing_instrument", "drafted_by", "submitted_by", "proposed_by", "appraised_by", "published_by",
                 "ics", "scope", "replaces", "converted_from", "equivalence", "normative_references", "sections",
                 "annexes", "criteria")
#: Review fields the form may correct (the others are shown and confirmed only).
CORRECTABLE_FIELDS = tuple(f for f in REVIEW_FIELDS if f in EDITABLE_FIELDS)
#: Provenance keys that are not fields of their own: read with, and confirmed with, another field.
FOLLOWS = {"doc_type": "code", "number": "code", "part": "code", "year": "code", "issuer_suffix": "code",
           "kind": "code", "title_vi_normalised": "title_vi", "scope_first_sentence": "scope"}
#: Confidence from this value up is "sure", from the second "fairly sure"; below, a person must check.
CONFIDENCE_LEVELS = (0.85, 0.65)


def review_field(key: str) -> str:
    """The review field a provenance key belongs to."""
    return FOLLOWS.get(key, key)


def unconfirmed_fields(std: Standard) -> list[str]:
    """The review fields of ``std`` whose extraction no curator has confirmed, in reading order."""
    pending = {review_field(k) for k, p in (std.provenance or {}).items() if not p.get("verified")}
    return [f for f in REVIEW_FIELDS if f in pending]


def confidence_level(confidence: float | None) -> str:
    """``sure`` / ``fair`` / ``check`` (no grade counts as check: nobody measured it)."""
    if confidence is None:
        return "check"
    return "sure" if confidence >= CONFIDENCE_LEVELS[0] else "fair" if confidence >= CONFIDENCE_LEVELS[1] else "check"


def _shown_value(std: Standard, field: str, criteria: int) -> Any:
    """What the review form shows for a field that is confirmed only (not corrected there)."""
    if field == "code":
        return std.code
    if field == "criteria":
        return criteria
    value = (std.extra or {}).get(field)
    if field == "equivalence" and isinstance(value, dict):  # the relation is a code (IDT, MOD ...) shown by name
        return {"relation": value.get("relation"), "codes": ", ".join(value.get("codes") or [])}
    if field in ("sections", "annexes") and isinstance(value, list):
        return len(value)
    if isinstance(value, list):
        return ", ".join(str(v.get("id", v)) if isinstance(v, dict) else str(v) for v in value)
    return value


def review_rows(session: Session, std: Standard) -> list[dict[str, Any]]:
    """One row per review field the standard has (every correctable column, the extras that were read):
    value, where it was read, its confidence; unconfirmed fields first, the least sure of them first."""
    criteria = len(session.exec(select(Criterion.id).where(Criterion.standard_id == std.id)).all())
    prov = std.provenance or {}
    extra = std.extra or {}
    pending = set(unconfirmed_fields(std))
    rows = []
    for f in REVIEW_FIELDS:
        p = prov.get(f) or {}
        present = f in prov or f in CORRECTABLE_FIELDS or (f == "criteria" and criteria) or extra.get(f)
        if not present:
            continue
        c = p.get("confidence")
        rows.append({"field": f, "correctable": f in CORRECTABLE_FIELDS,
                     "value": getattr(std, f) if f in CORRECTABLE_FIELDS else _shown_value(std, f, criteria),
                     "page": p.get("page"), "method": p.get("method"), "confidence": c,
                     "level": confidence_level(c), "in_provenance": f in prov,
                     # a key read with it and re-read by a later ingest (title_vi_normalised) reopens it
                     "verified": f in prov and f not in pending, "by": p.get("by")})
    unsure = sorted((r for r in rows if r["in_provenance"] and not r["verified"]),
                    key=lambda r: r["confidence"] if r["confidence"] is not None else -1)
    return unsure + [r for r in rows if r not in unsure]


def pending_proposals(session: Session, std: Standard) -> list[ProposedChange]:
    """The proposed changes ingested documents would make to ``std``, waiting for a curator, oldest first."""
    return list(session.exec(
        select(ProposedChange).where(ProposedChange.entity == "standard", ProposedChange.entity_id == std.id,
                                     ProposedChange.status == ProposalStatus.pending)
        .order_by(col(ProposedChange.created_at), col(ProposedChange.id))
    ).all())


def review_item(session: Session, standard_id: int) -> tuple[Standard, Document | None]:
    """A standard under review and the document it was extracted from."""
    std = standard_by_id(session, standard_id)
    return std, session.get(Document, std.document_id) if std.document_id else None


def _coerce_standard_value(field: str, value: Any) -> Any:
    if value in (None, ""):
        return None
    if field == "status":
        try:
            return StandardStatus(value)
        except ValueError:
            raise BadInput(f"trạng thái {value!r} không hợp lệ") from None
    if field == "mandatory":
        return value in (True, "1", "true", "on", "yes")
    if field == "effective_date":
        try:
            return value if isinstance(value, date) else date.fromisoformat(str(value))
        except ValueError:
            raise BadInput(f"ngày hiệu lực {value!r} không hợp lệ (YYYY-MM-DD)") from None
    return clean(str(value)) or None


def parse_corrections(data: dict[str, Any]) -> StandardUpdate:
    """The curator's review form: an empty status keeps the stored one, another empty field clears it."""
    values: dict[str, Any] = {}
    for f, v in data.items():
        if f not in EDITABLE_FIELDS:
            raise BadInput(f"trường {f!r} không sửa được ở đây")
        v = _coerce_standard_value(f, v)
        if f == "status" and v is None:
            continue
        values[f] = v
    return payload(StandardUpdate, values)


def review_standard(
    session: Session, standard_id: int, corrections: StandardUpdate, expected_version: int | None, actor: str,
    confirmed: Iterable[str] | None = None,
) -> Standard:
    """Approve the extracted fields of a standard, correcting some. The ``confirmed`` review fields (all of
    them when None) and every corrected field become ``verified``, with the keys that follow them
    (``FOLLOWS``): later ingests and imports leave them alone."""
    std = standard_by_id(session, standard_id)
    changes: dict[str, Any] = {
        f: v for f, v in corrections.model_dump(exclude_unset=True).items() if getattr(std, f) != v
    }
    prov = {k: dict(p) for k, p in (std.provenance or {}).items()}
    chosen = set(changes) | (set(map(review_field, prov)) if confirmed is None else set(confirmed))
    unknown = set(confirmed or ()) - set(REVIEW_FIELDS)
    if unknown:
        raise BadInput(f"không xác nhận được trường {sorted(unknown)[0]!r}")
    for f in [k for k in prov if review_field(k) in chosen] + sorted(chosen - set(prov)):
        p = prov.setdefault(f, {"page": None, "method": "curator"})
        if f in changes:
            p["method"] = "curator"
        p["verified"], p["by"] = True, actor
    changes["provenance"] = prov
    update_versioned(session, std, changes, expected_version, actor=actor, entity="standard", action="approve",
                     summary=f"Duyệt trích xuất {std.code}" + (f" (sửa {', '.join(sorted(set(changes) - {'provenance'}))})"
                                                            if len(changes) > 1 else ""))
    return std
