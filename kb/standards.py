"""Standards and the relations between designations: lookup by any spelling, storage with provenance.

A field whose provenance says ``verified`` was corrected or confirmed by a curator (:func:`review_standard`):
later ingests and imports never overwrite it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, col, delete, or_, select

from kb import audit, bulk, codes
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
    pk,
    utcnow,
)
from kb.records import CriterionRow
from kb.text import clean, is_digits, nfc
from kb.versioning import bump_version, update_versioned

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
        "year": int(d.year) if d.year and is_digits(d.year) else None,
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
    values, given = _import_values(data, d)

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
    if extra:  # an extra a curator corrected or confirmed (a relation field) is locked like a column
        changes["extra"] = {**(std.extra or {}), **{k: v for k, v in extra.items() if k not in locked}}
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
    """Record an edge (idempotent). ``replaces`` also marks the older edition replaced when present. None when
    no edge is recorded: a code is unreadable, or a curator verified the list of that relation on the review
    form (``source="review"`` is that form): ingests and imports leave it as it is."""
    relation = RelationType(relation)
    a, b = codes.parse(from_code), codes.parse(to_code)
    if a is None or b is None or a.key == b.key:
        return None
    field = next((f for f, r in RELATION_FIELDS.items() if r == relation), None)
    if field is not None and source != "review":
        owner = session.exec(select(Standard).where(Standard.code_key == a.key)).first()
        if owner is not None and (owner.provenance or {}).get(field, {}).get("verified"):
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


#: An edge an import row names: (relation, the other standard, qualifier).
Edge = tuple[RelationType, codes.Designation, str | None]


def _import_values(data: StandardCreate, d: codes.Designation) -> tuple[dict[str, Any], dict[str, Any]]:
    """What an upsert writes: the fields given (texts cleaned, empty ones left out, the mandatory default of
    the designation's type) and the fields as given (``status`` absent there: an edition already replaced
    is marked so)."""
    given = data.model_dump(exclude_unset=True, exclude={"code"})
    # Texts are cleaned; ``type(v) is str`` leaves the status alone (a str enum).
    values: dict[str, Any] = {k: clean(v) if type(v) is str else v for k, v in given.items() if v not in (None, "")}
    values.setdefault("mandatory", d.doc_type in MANDATORY_TYPES)
    return values, given


def import_standards(session: Session, items: Sequence[tuple[StandardCreate, Sequence[Edge]]], actor: str
                     ) -> list[tuple[int, str] | BadInput]:
    """:func:`upsert_standard` and :func:`import_relation` for a batch of an import's rows, with the same
    outcomes and audit events, read and written with a few statements for the batch: new standards and new
    edges in executemany INSERTs, stored ones compared as plain rows (a standard the row changes goes
    through :func:`upsert_standard`). Returns, per item, ``(id, outcome)`` or the BadInput that refused it.
    An item naming a standard an earlier item named is done row by row after the others."""
    out: list[tuple[int, str] | BadInput | None] = [None] * len(items)
    firsts: list[tuple[int, codes.Designation, dict[str, Any], dict[str, Any]]] = []
    again: list[int] = []
    seen: set[str] = set()
    for i, (data, _) in enumerate(items):
        try:
            d = designation(data.code)
        except BadInput as exc:
            out[i] = exc
            continue
        if d.key in seen:
            again.append(i)
            continue
        seen.add(d.key)
        firsts.append((i, d, *_import_values(data, d)))
    table = Standard.__table__  # type: ignore[attr-defined]
    stored: dict[str, Any] = {}
    keys = [d.key for _, d, _, _ in firsts]
    for j in range(0, len(keys), bulk.CHUNK):
        stored.update((r.code_key, r) for r in session.execute(select(table).where(table.c.code_key.in_(keys[j:j + bulk.CHUNK]))))
    replaced = replaced_among(session, [k for k in keys if k not in stored])
    now = utcnow()
    base = bulk.defaults(Standard, now)
    new: list[tuple[int, dict[str, Any]]] = []
    owners: dict[str, tuple[int, str, dict[str, Any]]] = {}  # key -> (id, code, provenance) for the edges
    for i, d, values, given in firsts:
        row = stored.get(d.key)
        if row is None:
            record = {**base, **identity_fields(d), **values, "document_id": None, "provenance": {}, "extra": {}}
            if d.key in replaced and "status" not in given:
                record["status"] = StandardStatus.replaced
            new.append((i, record))
            continue
        locked = {f for f, p in (row.provenance or {}).items() if p.get("verified")}
        if all(getattr(row, k) == v for k, v in values.items() if k not in locked):
            out[i] = (row.id, "unchanged")
            owners[d.key] = (row.id, row.code, row.provenance or {})
            continue
        try:
            std, outcome = upsert_standard(session, items[i][0], actor=actor, source="import")
        except BadInput as exc:
            out[i] = exc
            continue
        out[i] = (pk(std), outcome)
        owners[d.key] = (pk(std), std.code, std.provenance or {})
    if new:
        bulk.insert_rows(session, Standard, [r for _, r in new])
        ids = bulk.ids_by(session, Standard, "code_key", [r["code_key"] for _, r in new])
        audit.record_many(session, [
            {"actor": actor, "action": "import", "entity": "standard", "entity_id": ids[r["code_key"]],
             "after": {k: audit.jsonable(v) for k, v in {**r, "id": ids[r["code_key"]]}.items()},
             "summary": f"Tạo {r['code']}"} for _, r in new], at=now)
        for i, r in new:
            out[i] = (ids[r["code_key"]], "created")
            owners[r["code_key"]] = (ids[r["code_key"]], r["code"], {})
    named = [(i, d) for i, d, _, _ in firsts if isinstance(out[i], tuple) and items[i][1]]
    for i in _import_edges(session, [(owners[d.key], d, items[i][1]) for i, d in named], actor, [i for i, _ in named]):
        done = out[i]
        if isinstance(done, tuple) and done[1] == "unchanged":
            out[i] = (done[0], "updated")
    for i in again:
        try:
            std, outcome = upsert_standard(session, items[i][0], actor=actor, source="import")
            for position, (rel, other, qualifier) in enumerate(items[i][1]):
                added = import_relation(session, std, rel, other, qualifier=qualifier, position=position, actor=actor)
                outcome = "updated" if added and outcome == "unchanged" else outcome
            out[i] = (pk(std), outcome)
        except BadInput as exc:
            out[i] = exc
    return [o if o is not None else BadInput("không ghi được dòng này") for o in out]


def _import_edges(session: Session, rows: list[tuple[tuple[int, str, dict[str, Any]], codes.Designation, Sequence[Edge]]],
                  actor: str, tags: list[int]) -> set[int]:
    """The rows' edges as :func:`import_relation` writes them, for the whole batch at once; returns the tags
    of the rows that added or changed one."""
    stored: dict[tuple[str, RelationType, str], StandardRelation | None] = {}
    keys = [d.key for _, d, _ in rows]
    for j in range(0, len(keys), bulk.CHUNK):
        stored.update(((r.from_key, r.relation, r.to_key), r) for r in session.exec(
            select(StandardRelation).where(col(StandardRelation.from_key).in_(keys[j:j + bulk.CHUNK]))))
    new: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    changed: set[int] = set()
    for tag, ((std_id, code, provenance), d, edges) in zip(tags, rows, strict=True):
        verified = {r for f, r in RELATION_FIELDS.items() if (provenance.get(f) or {}).get("verified")}
        for position, (rel, other, qualifier) in enumerate(edges):
            if other.key == d.key or rel in verified:
                continue  # add_relation records no such edge
            key = (d.key, rel, other.key)
            if key in stored:
                exists = stored[key]
                if exists is None or qualifier is None or exists.qualifier == qualifier:
                    continue  # stored as given, or named twice in this batch
                std = session.get(Standard, std_id)  # a new qualifier: the one-row path
                if std is not None and import_relation(session, std, rel, other, qualifier=qualifier,
                                                       position=position, actor=actor):
                    changed.add(tag)
                continue
            stored[key] = None
            new.append({"from_code": code, "from_key": d.key, "relation": rel, "to_code": other.format(),
                        "to_key": other.key, "qualifier": qualifier, "position": position, "source": "import"})
            events.append({"actor": actor, "action": "import", "entity": "standard", "entity_id": std_id,
                           "after": {"relation": rel.value, "to": other.format(), "qualifier": qualifier},
                           "summary": f"{code} {rel.value} {other.format()}"})
            changed.add(tag)
    if not new:
        return changed
    bulk.insert_rows(session, StandardRelation, new)
    by = {r["to_key"]: r["from_code"] for r in new if r["relation"] == RelationType.replaces}
    for old in by_keys(session, list(by)).values():
        if not (old.provenance or {}).get("status", {}).get("verified"):
            update_versioned(session, old, {"status": StandardStatus.replaced}, None, actor=actor,
                             entity="standard", summary=f"{old.code} bị thay thế bởi {by[old.code_key]}")
    audit.record_many(session, events)
    return changed


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
#: Review fields that are columns of StandardUpdate (:func:`parse_corrections`).
COLUMN_FIELDS = tuple(f for f in REVIEW_FIELDS if f in EDITABLE_FIELDS)
#: Review fields kept twice: in ``extra`` for display and as the standard's outgoing edges of one relation
#: (as ingest stores them, ``kb.documents._relations``). The form corrects them as codes separated by ";".
RELATION_FIELDS = {"replaces": RelationType.replaces, "converted_from": RelationType.converted_from,
                   "equivalence": RelationType.equivalent, "normative_references": RelationType.cites}
#: How a standard adopts the ones its equivalence names (the qualifier of its ``equivalent`` edges).
EQUIVALENCE_RELATIONS = ("IDT", "MOD", "NEQ", "reference")
#: Review fields the form may correct (the others are shown and confirmed only).
CORRECTABLE_FIELDS = tuple(f for f in REVIEW_FIELDS if f in COLUMN_FIELDS or f in RELATION_FIELDS or f == "criteria")
#: Columns of a criteria row the form edits, and the most rows one form may carry.
CRITERION_FIELDS = ("name", "requirement", "unit", "method")
MAX_CRITERIA = 500
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


def _extra_list(std: Standard, field: str) -> list[str]:
    """The codes a relation field holds in ``extra`` (the equivalence keeps them under ``codes``)."""
    value = (std.extra or {}).get(field)
    if field == "equivalence":
        value = value.get("codes") if isinstance(value, dict) else None
    return [str(v) for v in value or []]


def relation_text(std: Standard, field: str) -> str:
    """What the review form shows for a relation field: its codes separated by "; "."""
    return "; ".join(_extra_list(std, field))


def equivalence_relation(std: Standard) -> str | None:
    """IDT / MOD / NEQ / reference, as extracted or corrected."""
    value = (std.extra or {}).get("equivalence")
    return value.get("relation") if isinstance(value, dict) else None


def _shown_value(std: Standard, field: str, criteria: int) -> Any:
    """What the review form shows for a field that is not a column: a relation field as the text of its
    input, the others (confirmed only) as read."""
    if field == "code":
        return std.code
    if field == "criteria":
        return criteria
    if field in RELATION_FIELDS:
        return relation_text(std, field)
    value = (std.extra or {}).get(field)
    if field in ("sections", "annexes") and isinstance(value, list):
        return len(value)
    if isinstance(value, list):
        return ", ".join(str(v.get("id", v)) if isinstance(v, dict) else str(v) for v in value)
    return value


def criteria_of(session: Session, std: Standard) -> list[Criterion]:
    """The standard's criteria table in its order."""
    return list(session.exec(select(Criterion).where(Criterion.standard_id == std.id)
                             .order_by(col(Criterion.position), col(Criterion.id))).all())


def review_rows(session: Session, std: Standard) -> list[dict[str, Any]]:
    """One row per review field the standard has (every correctable field, the extras that were read):
    value, where it was read, its confidence; unconfirmed fields first, the least sure of them first.
    ``kind`` says how the form corrects it: ``column``, ``relation``, ``criteria`` or None (confirm only)."""
    criteria = len(session.exec(select(Criterion.id).where(Criterion.standard_id == std.id)).all())
    prov = std.provenance or {}
    extra = std.extra or {}
    pending = set(unconfirmed_fields(std))
    rows = []
    for f in REVIEW_FIELDS:
        p = prov.get(f) or {}
        present = f in prov or f in CORRECTABLE_FIELDS or extra.get(f)
        if not present:
            continue
        c = p.get("confidence")
        kind = ("column" if f in COLUMN_FIELDS else "relation" if f in RELATION_FIELDS
                else "criteria" if f == "criteria" else None)
        rows.append({"field": f, "correctable": kind is not None, "kind": kind,
                     "value": getattr(std, f) if kind == "column" else _shown_value(std, f, criteria),
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


class BadCode(BadInput):
    """A code typed into a relation field that the designation grammar cannot read; ``field`` is that field
    (the form marks it)."""

    def __init__(self, field: str, code: str):
        super().__init__(f"không đọc được ký hiệu “{code[:80]}”: viết như TCVN 3118:1993 hoặc ISO 1461:2009, "
                         "các mã cách nhau bằng dấu “;”")
        self.field = field


_ADOPTION = re.compile(r"(?P<code>.+?)\s*\((?P<original>[^()]+)\)")


def _codes_in(part: str) -> list[codes.Designation] | None:
    """One typed entry as designations: one code (formally or loosely typed), codes separated by commas, or a
    code with the one it adopts in brackets (``TCVN 5878:2007 (ISO 2178:1982)``: the edge goes to the TCVN)."""
    d = codes.parse_whole(part)
    if d is not None:
        return [d]
    pieces = [clean(p) for p in part.split(",") if clean(p)]
    many = [codes.parse_whole(p) for p in pieces] if len(pieces) > 1 else []
    if many and all(many):
        return [m for m in many if m]
    m = _ADOPTION.fullmatch(part)
    if m and codes.parse_whole(m["original"]) is not None:
        return _codes_in(clean(m["code"]))
    return None


def parse_codes(field: str, text: str) -> list[codes.Designation]:
    """The codes typed into a relation field, separated by ";" or line breaks, each read through the
    designation grammar; repeats dropped. An entry that is not a designation is :class:`BadCode`."""
    out: dict[str, codes.Designation] = {}
    for raw in re.split(r"[;\n\r]+", nfc(text)):
        part = clean(raw)
        if not part:
            continue
        found = _codes_in(part)
        if found is None:
            raise BadCode(field, part)
        for d in found:
            out.setdefault(d.key, d)
    return list(out.values())


def _relation_changes(std: Standard, typed: Mapping[str, str]) -> dict[str, tuple[list[codes.Designation], str | None]]:
    """The relation fields the form changed: field → (codes, qualifier of the equivalence). A field whose
    text is as shown is left alone unread, so an extracted entry the grammar cannot read (a reference
    printed oddly) never blocks the review of the other fields."""
    out: dict[str, tuple[list[codes.Designation], str | None]] = {}
    for f in RELATION_FIELDS:
        if f not in typed:
            continue
        text = clean(typed[f])
        qualifier = None
        if f == "equivalence":
            qualifier = clean(typed.get("equivalence_relation")) or None
            if qualifier is not None and qualifier not in EQUIVALENCE_RELATIONS:
                raise BadInput(f"quan hệ tương đương {qualifier[:20]!r} không hợp lệ")
            if text == clean(relation_text(std, f)) and qualifier == equivalence_relation(std):
                continue
        elif text == clean(relation_text(std, f)):
            continue
        found = parse_codes(f, text)
        if any(d.key == std.code_key for d in found):
            raise BadInput(f"{std.code} không thể có quan hệ với chính nó")
        if f == "equivalence" and found and qualifier is None:
            raise BadInput("chọn mức tương đương (IDT, MOD, NEQ hoặc tham khảo) cho các mã tương đương")
        out[f] = (found, qualifier)
    return out


def parse_criteria(rows: Sequence[Mapping[str, Any]]) -> list[CriterionRow]:
    """The criteria table as the form sends it back: rows ticked "xóa" and blank rows dropped, each method
    cell normalised as labs' are (:func:`kb.codes.parse_method`, its first code linking the row), positions
    renumbered in order; ``page`` is kept. A row without a name is refused."""
    if len(rows) > MAX_CRITERIA:
        raise BadInput(f"bảng chỉ tiêu quá dài (tối đa {MAX_CRITERIA} dòng)")
    out: list[CriterionRow] = []
    for n, row in enumerate(rows, start=1):
        if row.get("delete"):
            continue
        values = {f: clean(row.get(f)) or None for f in CRITERION_FIELDS}
        if not any(values.values()):
            continue
        if values["name"] is None:
            raise BadInput(f"dòng chỉ tiêu thứ {n} thiếu tên chỉ tiêu")
        cell = codes.parse_method(values["method"])
        out.append(CriterionRow(position=len(out) + 1, name=values["name"], requirement=values["requirement"],
                                unit=values["unit"], method=cell.text, method_code=cell.codes[0] if cell.codes else None,
                                page=row.get("page")))
    return out


def _criteria_key(rows: Iterable[Any]) -> list[tuple]:
    return [(r.name, r.requirement, r.unit, r.method, r.method_code) for r in rows]


def _edge_codes(session: Session, std: Standard, relation: RelationType) -> list[str]:
    return list(session.exec(select(StandardRelation.to_code).where(
        StandardRelation.from_key == std.code_key, StandardRelation.relation == relation)
        .order_by(col(StandardRelation.position), col(StandardRelation.id))).all())


def _criteria_lines(rows: Iterable[Any]) -> list[str]:
    """Criteria rows as the audit log shows them: name | requirement | unit | method."""
    return [" | ".join(v or "—" for v in (r.name, r.requirement, r.unit, r.method)) for r in rows]


def _sync_edges(session: Session, std: Standard, relation: RelationType, wanted: list[codes.Designation],
                qualifier: str | None, actor: str) -> None:
    """Make ``std``'s outgoing edges of ``relation`` exactly ``wanted``, in its order: missing ones added
    (source ``review``), the others removed. References are dated or undated as their codes are."""
    current = {e.to_key: e for e in session.exec(select(StandardRelation).where(
        StandardRelation.from_key == std.code_key, StandardRelation.relation == relation))}
    for pos, d in enumerate(wanted):
        q = ("dated" if d.year else "undated") if relation == RelationType.cites else qualifier
        edge = current.pop(d.key, None)
        if edge is None:
            add_relation(session, std.code, relation, d.format(), qualifier=q, position=pos, source="review",
                         actor=actor)
        elif (edge.qualifier, edge.position) != (q, pos):
            edge.qualifier, edge.position = q, pos
            session.add(edge)
    for edge in current.values():
        session.delete(edge)
    session.flush()
    if relation == RelationType.replaces:
        for key in current:
            _unmark_replaced(session, key, std, actor)


def _unmark_replaced(session: Session, key: str, by: Standard, actor: str) -> None:
    """After a curator removed the edge "``by`` replaces ``key``": the older standard that edge alone marked
    replaced (:func:`add_relation`) is no longer said to be. Its status becomes ``unknown``, not the one it
    had before the edge (``in_force`` would claim a standard is in force on the word of nobody; the audit log
    keeps what it was, for a curator to set). It stays replaced when another stored edge replaces it or when a
    curator verified its status: then the edge was not the only reason."""
    old = session.exec(select(Standard).where(Standard.code_key == key)).first()
    if old is None or old.status != StandardStatus.replaced or _is_replaced(session, key):
        return
    if (old.provenance or {}).get("status", {}).get("verified"):
        return
    update_versioned(session, old, {"status": StandardStatus.unknown}, None, actor=actor, entity="standard",
                     summary=f"{old.code} không còn ghi là bị thay thế: {by.code} không thay thế nó nữa")


def review_standard(
    session: Session, standard_id: int, corrections: StandardUpdate, expected_version: int | None, actor: str,
    confirmed: Iterable[str] | None = None, *, relations: Mapping[str, str] | None = None,
    criteria: Sequence[Mapping[str, Any]] | None = None,
) -> Standard:
    """Approve the extracted fields of a standard, correcting some. The ``confirmed`` review fields (all of
    them when None) and every corrected field become ``verified``, with the keys that follow them
    (``FOLLOWS``): later ingests and imports leave them alone.

    ``relations`` maps relation fields (and ``equivalence_relation``) to the text typed for them: a changed
    one replaces ``extra[field]`` and makes the standard's outgoing edges of that relation exactly its codes.
    ``criteria`` is the whole criteria table as the form sends it back (:func:`parse_criteria`); when it
    differs from the stored one it replaces it. Everything is read before anything is written, and written in
    the caller's transaction under one versioned, audited update of the standard."""
    std = standard_by_id(session, standard_id)
    changes: dict[str, Any] = {
        f: v for f, v in corrections.model_dump(exclude_unset=True).items() if getattr(std, f) != v
    }
    edges = _relation_changes(std, relations or {})
    old_rows = criteria_of(session, std)
    pages = {str(c.id): c.page for c in old_rows}  # a kept row keeps the page it was read from
    new_rows = parse_criteria([{**r, "page": pages.get(str(r.get("id")))} for r in criteria]) \
        if criteria is not None else None
    if new_rows is not None and _criteria_key(new_rows) == _criteria_key(old_rows):
        new_rows = None
    prov = {k: dict(p) for k, p in (std.provenance or {}).items()}
    corrected = set(changes) | set(edges) | ({"criteria"} if new_rows is not None else set())
    chosen = corrected | (set(map(review_field, prov)) if confirmed is None else set(confirmed))
    unknown = set(confirmed or ()) - set(REVIEW_FIELDS)
    if unknown:
        raise BadInput(f"không xác nhận được trường {sorted(unknown)[0]!r}")
    for f in [k for k in prov if review_field(k) in chosen] + sorted(chosen - set(prov)):
        p = prov.setdefault(f, {"page": None, "method": "curator"})
        if f in corrected:
            p["method"] = "curator"
        p["verified"], p["by"] = True, actor
    changes["provenance"] = prov
    if edges:
        extra = dict(std.extra or {})
        for f, (found, qualifier) in edges.items():
            value: Any = [d.format() for d in found]
            if f == "equivalence":
                value = {"relation": qualifier, "codes": value} if value else None
            if value:
                extra[f] = value
            else:
                extra.pop(f, None)
        changes["extra"] = extra
    said = sorted(corrected)
    if new_rows is not None:
        said[said.index("criteria")] = f"criteria: {len(old_rows)} → {len(new_rows)} dòng"
    summary = f"Duyệt trích xuất {std.code}" + (f" (sửa {', '.join(said)})" if said else "")
    # The edges and criteria rows as they were and will be, logged with the standard's own columns. Their keys
    # are no columns of Standard, so the event is not offered for revert: a revert would restore ``extra``
    # and leave the rows as corrected.
    rows_before: dict[str, Any] = {f: _edge_codes(session, std, RELATION_FIELDS[f]) for f in edges}
    rows_after: dict[str, Any] = {f: [d.format() for d in found] for f, (found, _) in edges.items()}
    if new_rows is not None:
        rows_before["criteria"], rows_after["criteria"] = _criteria_lines(old_rows), _criteria_lines(new_rows)
    if update_versioned(session, std, changes, expected_version, actor=actor, entity="standard",
                        action="approve", summary=summary):
        if rows_before:
            session.flush()
            event = session.exec(select(AuditEvent).where(AuditEvent.entity == "standard", AuditEvent.entity_id == std.id)
                                 .order_by(col(AuditEvent.id).desc())).first()
            assert event is not None  # update_versioned just logged it
            event.before, event.after = {**(event.before or {}), **rows_before}, {**(event.after or {}), **rows_after}
            session.add(event)
    elif rows_before:
        # Rows changed while the standard's own columns did not (a second correction of the same table):
        # its version still moves, so an editor of the old version is told, and the change is logged.
        bump_version(session, std, expected_version, entity="standard")
        audit.record(session, actor=actor, action="approve", entity="standard", entity_id=std.id,
                     before=rows_before, after=rows_after, summary=summary)
    for f, (found, qualifier) in edges.items():
        _sync_edges(session, std, RELATION_FIELDS[f], found, qualifier, actor)
    if new_rows is not None:
        replace_criteria(session, std, new_rows)
    session.flush()
    return std
