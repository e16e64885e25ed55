"""Legal documents: the list by kind, one document's page with what cites it, a legal basis as linked parts
(with a replaced or expired document flagged), the curators' list of documents to edit, and their list of
citations to re-point."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from kb import legal
from kb.errors import NotFound
from kb.models import (
    GroupMapping,
    LegalDocument,
    LegalKind,
    LegalRelation,
    LegalStatus,
    Mapping,
    MappingStatus,
    Product,
    ProductGroup,
    Standard,
    pk,
)
from kb.read.groups import group_ref
from kb.read.legal_basis import BasisLinker, iso, legal_ref, successor_ref
from kb.read.refs import standard_ref
from kb.text import clean, fold
from kb.urls import legal_url, product_url

RELATION_LABELS_VI = legal.RELATION_LABELS_VI


def legal_list(session: Session, on: date | None = None) -> dict[str, Any]:
    """Every document, by kind (laws first), with its status on ``on`` (default today)."""
    on = on or date.today()
    docs = legal.list_documents(session)
    succ = legal.successors(session, [d.code_key for d in docs])
    kinds = []
    for kind, label in legal.KIND_LABELS_VI.items():
        items = [legal_ref(d, on, succ.get(d.code_key, [])) for d in docs if d.kind.value == kind]
        if items:
            kinds.append({"kind": kind, "label": label, "documents": items})
    return {"on": on.isoformat(), "count": len(docs), "kinds": kinds}


def legal_detail(session: Session, code: str, on: date | None = None) -> dict[str, Any]:
    """One document: its dates, status on ``on``, what it replaces or amends and what replaces it, and
    what in the knowledge base cites it."""
    on = on or date.today()
    doc = legal.get_document(session, code)
    if doc is None:
        raise NotFound(f"Không có văn bản {code!r} trong cơ sở dữ liệu")
    succ = legal.successors(session, [doc.code_key]).get(doc.code_key, [])
    outgoing = session.exec(select(LegalRelation).where(LegalRelation.from_key == doc.code_key)
                            .order_by(col(LegalRelation.relation), col(LegalRelation.to_key))).all()
    known = {d.code_key: d for d in session.exec(
        select(LegalDocument).where(col(LegalDocument.code_key).in_([r.to_key for r in outgoing]))).all()}
    return {
        **legal_ref(doc, on, succ),
        "on": on.isoformat(),
        "issued": iso(doc.issued),
        "effective_from": iso(doc.effective_from),
        "effective_until": iso(doc.effective_until),
        "recorded_status": doc.status.value,
        "source_url": doc.source_url,
        "note": doc.note,
        "relations": [{"relation": r.relation, "relation_label": RELATION_LABELS_VI.get(r.relation, r.relation),
                       "code": known[r.to_key].code if r.to_key in known else r.to_code,
                       "url": legal_url(r.to_code) if r.to_key in known else None,
                       "on": iso(r.effective_from or doc.effective_from), "basis": r.basis}
                      for r in outgoing],
        "successors": [{**successor_ref(s), "relation_label": RELATION_LABELS_VI[s.relation], "basis": s.basis}
                       for s in succ],
        "cited_by": cited_by(session, doc.code_key),
        "version": doc.version,
    }


def curation_list(session: Session, *, kind: str | None = None, status: str | None = None, q: str | None = None,
                  on: date | None = None) -> dict[str, Any]:
    """For curators: every document as a row (number, kind, title, issuer, dates, status on ``on`` and the
    recorded one, version), filtered by kind, by status on that date, and by text (any spelling of a
    number, or words of the number, title, issuer or note, accents optional)."""
    on = on or date.today()
    # an empty filter is no filter; anything else not in the list is a 400 that names the choices
    kind = legal.parse_enum(LegalKind, kind, "kind").value if kind else None
    status = legal.parse_enum(LegalStatus, status, "status").value if status else None
    q = clean(q)[:200]
    codes = {c.key for c in legal.find_codes(q)}
    words = fold(q).split()
    docs = legal.list_documents(session)
    succ = legal.successors(session, [d.code_key for d in docs])
    rows = []
    for d in docs:
        ref = legal_ref(d, on, succ.get(d.code_key, []))
        if (kind and d.kind.value != kind) or (status and ref["status"] != status):
            continue
        hay = fold(" ".join(x for x in (d.code, d.title, d.issuer, d.note) if x))
        if q and d.code_key not in codes and not all(w in hay for w in words):
            continue
        rows.append({**ref, "recorded_status": d.status.value, "issued": iso(d.issued),
                     "effective_from": iso(d.effective_from), "effective_until": iso(d.effective_until),
                     "version": d.version, "updated_at": d.updated_at})
    return {"on": on.isoformat(), "total": len(docs), "documents": rows,
            "filters": {"kind": kind or "", "status": status or "", "q": q}}


def _citing(session: Session, model: Any, key: str) -> list[Any]:
    """Rows of ``model`` whose legal basis names the document ``key`` (a LIKE on its number narrows the
    scan; the number's grammar decides)."""
    number = key.split("/")[0]
    rows = session.exec(select(model).where(col(model.legal_basis).like(f"%{number}%"))).all()
    return [r for r in rows if any(c.key == key for c in legal.find_codes(r.legal_basis))]


def cited_by(session: Session, key: str, *, public: bool = True) -> dict[str, Any]:
    """Mappings (product + standard) and group mappings whose legal basis names the document, and standards
    whose issuing instrument is it. ``public``: approved mappings only."""
    maps = [m for m in _citing(session, Mapping, key)
            if m.status == MappingStatus.approved or (not public and m.status != MappingStatus.rejected)]
    gmaps = _citing(session, GroupMapping, key)
    std_ids = {m.standard_id for m in maps} | {g.standard_id for g in gmaps}
    stds = {pk(s): s for s in session.exec(select(Standard).where(col(Standard.id).in_(std_ids))).all()}
    prods = {pk(p): p for p in session.exec(
        select(Product).where(col(Product.id).in_({m.product_id for m in maps}))).all()}
    grps = {pk(g): g for g in session.exec(
        select(ProductGroup).where(col(ProductGroup.id).in_({g.group_id for g in gmaps}))).all()}
    number = key.split("/")[0]
    issued = [s for s in session.exec(select(Standard).where(col(Standard.issuing_instrument).like(f"%{number}%"))
                                      .order_by(col(Standard.code))).all()
              if any(c.key == key for c in legal.find_codes(s.issuing_instrument))]
    return {
        "mappings": sorted(({"mapping_id": m.id, "product": {"id": m.product_id, "name": prods[m.product_id].name,
                                                              "url": product_url(m.product_id)},
                             "standard": standard_ref(stds[m.standard_id]), "status": m.status.value,
                             "legal_basis": m.legal_basis} for m in maps),
                           key=lambda x: (x["product"]["name"], x["standard"]["code"])),
        "group_mappings": sorted(({"group_mapping_id": g.id, "group": group_ref(grps[g.group_id]),
                                   "standard": standard_ref(stds[g.standard_id]), "legal_basis": g.legal_basis}
                                  for g in gmaps), key=lambda x: (x["group"]["name"], x["standard"]["code"])),
        "standards": [standard_ref(s) for s in issued],
    }


def legal_impact(session: Session, on: date | None = None) -> dict[str, Any]:
    """For curators: live mappings and group mappings whose legal basis cites a document replaced or
    expired on ``on``, with what replaces it, to re-point."""
    linker = BasisLinker(session, on)
    maps = session.exec(select(Mapping, Product, Standard)
                        .join(Product, col(Product.id) == Mapping.product_id)
                        .join(Standard, col(Standard.id) == Mapping.standard_id)
                        .where(col(Mapping.legal_basis).is_not(None), Mapping.status != MappingStatus.rejected)
                        .order_by(col(Product.name), col(Standard.code))).all()
    gmaps = session.exec(select(GroupMapping, ProductGroup, Standard)
                         .join(ProductGroup, col(ProductGroup.id) == GroupMapping.group_id)
                         .join(Standard, col(Standard.id) == GroupMapping.standard_id)
                         .where(col(GroupMapping.legal_basis).is_not(None))
                         .order_by(col(ProductGroup.name), col(Standard.code))).all()
    by_doc: dict[str, dict[str, Any]] = {}
    for m, p, s in maps:
        for d in linker.stale(m.legal_basis):
            entry = by_doc.setdefault(d["code"], {**d, "mappings": [], "group_mappings": []})
            entry["mappings"].append({"mapping_id": m.id, "product": p.name, "standard": s.code,
                                      "legal_basis": m.legal_basis})
    for gm, g, s in gmaps:
        for d in linker.stale(gm.legal_basis):
            entry = by_doc.setdefault(d["code"], {**d, "mappings": [], "group_mappings": []})
            entry["group_mappings"].append({"group_mapping_id": gm.id, "group": group_ref(g), "standard": s.code,
                                            "legal_basis": gm.legal_basis})
    return {"on": linker.on.isoformat(), "documents": [by_doc[k] for k in sorted(by_doc)]}
