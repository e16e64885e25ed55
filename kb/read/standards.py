"""The standard page: metadata with provenance, relations, editions, products, criteria and labs; and how a
search string that is only a code finds its standard, or the editions we have of an unknown one."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from kb import codes
from kb.errors import NotFound
from kb.models import MAPPING_TYPE_LABELS_VI, STATUS_LABELS_VI, Document, Mapping, MappingStatus, Product, Standard, StandardStatus, pk
from kb.read.criteria import criteria_rows, criterion
from kb.read.labs import LabFinder
from kb.read.legal_basis import BasisLinker
from kb.read.refs import KIND_LABELS_VI, code_ref, iso, series_key, standard_ref, standards_by_key
from kb.standards import editions_for, get_standard, relations_of, replaced_by_chain
from kb.text import clean, fold
from kb.urls import product_url, standard_url

#: Labels for the metadata table of a standard page, in display order.
STANDARD_FIELDS_VI = (
    ("title_vi", "Tên tiếng Việt"),
    ("title_en", "Tên tiếng Anh"),
    ("status", "Trạng thái"),
    ("edition", "Lần ban hành"),
    ("ics", "Mã ICS"),
    ("effective_date", "Ngày hiệu lực"),
    ("issuing_instrument", "Văn bản ban hành"),
    ("drafted_by", "Cơ quan biên soạn"),
    ("proposed_by", "Cơ quan đề nghị"),
    ("appraised_by", "Cơ quan thẩm định"),
    ("published_by", "Cơ quan công bố"),
    ("scope", "Phạm vi áp dụng"),
)


def standard_detail(session: Session, code: str, today: date | None = None) -> dict[str, Any]:
    """Everything the standard page shows; raises NotFound for an unknown code (any spelling accepted)."""
    std = get_standard(session, code)
    if std is None:
        raise NotFound(f"Không tìm thấy tiêu chuẩn {clean(code)[:80]!r}")
    rels = relations_of(session, std)
    crit_rows = criteria_rows(session, [pk(std)]).get(pk(std), [])
    # relations_of already tells which ends are known; fetch their rows for status and title.
    known = standards_by_key(
        session,
        [r["canonical"] or r["code"] for r in rels["outgoing"] + rels["incoming"]]
        + replaced_by_chain(session, std)
        + [c.method_code for c in crit_rows if c.method_code],
    )

    def rel_items(items: list[dict[str, Any]], relation: str) -> list[dict[str, Any]]:
        out = []
        for r in items:
            if r["relation"] != relation:
                continue
            ref = code_ref(r["canonical"] or r["code"], known)
            if not ref["in_kb"]:
                ref["code"] = r["code"]
            ref["qualifier"] = r["qualifier"]
            out.append(ref)
        return out

    for group in ("outgoing", "incoming"):
        for r in rels[group]:
            r["url"] = standard_url(r["canonical"]) if r["in_kb"] and r["canonical"] else None

    provenance = std.provenance or {}
    fields = []
    for name, label in STANDARD_FIELDS_VI:
        value = getattr(std, name)
        if name == "status":
            value = STATUS_LABELS_VI[std.status.value]
        elif isinstance(value, date):
            value = value.isoformat()
        if value in (None, ""):
            continue
        p = provenance.get(name)
        fields.append({"name": name, "label": label, "value": value,
                       "provenance": {"page": p.get("page"), "method": p.get("method"),
                                      "verified": bool(p.get("verified"))} if p else None})

    doc = session.get(Document, std.document_id) if std.document_id else None
    editions = session.exec(
        select(Standard).where(Standard.series_key == std.series_key, Standard.id != std.id)
        .order_by(col(Standard.year).desc())
    ).all()

    products = []
    rows = session.exec(
        select(Mapping, Product).join(Product, col(Product.id) == Mapping.product_id)
        .where(Mapping.standard_id == std.id, Mapping.status == MappingStatus.approved)
        .order_by(Product.name, Mapping.type)
    ).all()
    for m, p in rows:
        products.append({
            "id": p.id, "name": p.name, "kind": p.kind.value, "kind_label": KIND_LABELS_VI[p.kind.value],
            "ocop_stars": p.ocop_stars, "district": p.district, "producer": p.producer,
            "mapping_type": m.type.value, "mapping_type_label": MAPPING_TYPE_LABELS_VI[m.type.value],
            "rationale": m.rationale, "legal_basis": m.legal_basis, "url": product_url(pk(p)),
        })

    finder = LabFinder(session, today)
    finder.load([std.series_key, *(series_key(c.method_code) for c in crit_rows)])
    # The issuing instrument ("Thông tư số 19/2019/TT-BXD") linked to the legal documents the knowledge base
    # holds, each with its status today and flagged when replaced or expired, as legal bases are.
    instrument = BasisLinker(session, today).parts(std.issuing_instrument) if std.issuing_instrument else []

    return {
        **standard_ref(std),
        "doc_type": std.doc_type,
        "number": std.number,
        "part": std.part,
        "year": std.year,
        "issuer_suffix": std.issuer_suffix,
        "title_vi": std.title_vi,
        "title_en": std.title_en,
        "kind_label": "Quy chuẩn kỹ thuật (bắt buộc áp dụng)" if std.mandatory else "Tiêu chuẩn (tự nguyện áp dụng)",
        "edition": std.edition,
        "drafted_by": std.drafted_by,
        "proposed_by": std.proposed_by,
        "appraised_by": std.appraised_by,
        "published_by": std.published_by,
        "issuing_instrument": std.issuing_instrument,
        "issuing_instrument_parts": instrument,
        "issuing_instrument_documents": [{k: v for k, v in p.items() if k != "text"} for p in instrument if "url" in p],
        "effective_date": iso(std.effective_date),
        "ics": std.ics,
        "scope": std.scope,
        "is_sample": std.is_sample,
        "fields": fields,
        "provenance": provenance,
        "document": source_document(doc, std) if doc else None,
        "replaced_by": [code_ref(c, known) for c in replaced_by_chain(session, std)],
        "replaces": rel_items(rels["outgoing"], "replaces"),
        "amends": rel_items(rels["outgoing"], "amends"),
        "amended_by": rel_items(rels["incoming"], "amends"),
        "converted_from": rel_items(rels["outgoing"], "converted_from"),
        "equivalents": rel_items(rels["outgoing"], "equivalent") + rel_items(rels["incoming"], "equivalent"),
        "references": rel_items(rels["outgoing"], "cites"),
        "cited_by": rel_items(rels["incoming"], "cites"),
        "relations": rels,
        "editions": [standard_ref(e) for e in editions],
        "products": products,
        "labs": finder.for_series(std.series_key),
        "criteria": [criterion(c, known, finder) for c in crit_rows],
    }


def source_document(doc: Document, std: Standard) -> dict[str, Any]:
    """The source file as the public sees it: its title, or "văn bản gốc", never the stored file name
    (often a content hash such as ``73a8….pdf``)."""
    title = doc.title if doc.title and fold(doc.title) != fold(std.title_vi or "") else None
    kind = f"PDF, {doc.pages} trang" if doc.pages else "PDF"
    label = f"“{title}” ({kind})" if title else f"văn bản gốc ({kind})"
    return {"id": doc.id, "label": label, "pages": doc.pages, "may_show": doc.may_show}


def resolve_code_query(session: Session, q: str) -> Standard | None:
    """The one standard a search string names, when the string is nothing but a code.

    ``tcvn3118`` or ``qcvn 8 1 2011`` open the standard; ``tcvn 3118 bê tông`` is a search. A code that
    fits several editions resolves only when exactly one of them is in force.
    """
    q = clean(q)
    if not q or not _is_code_only(q):
        return None
    for d in codes.parse_query(q):
        editions = editions_for(session, d)
        if len(editions) == 1:
            return editions[0]
        in_force = [e for e in editions if e.status == StandardStatus.in_force]
        if len(in_force) == 1:
            return in_force[0]
        if editions:
            return None  # several editions: let the results page show them
    return None


def _is_code_only(q: str) -> bool:
    if codes.parse(q) is not None:
        return True
    words = fold(q).replace(":", " ").replace("-", " ").replace("/", " ").split()
    wordy = [i for i, w in enumerate(words) if not any(ch.isdigit() for ch in w)]
    # At most one leading word without digits: the body ("qcvn 8 1 2011").
    return bool(words) and (wordy == [] or wordy == [0]) and bool(codes.parse_query(q))


def standard_suggestions(session: Session, text: str, limit: int = 8) -> list[dict[str, Any]]:
    """For a code that is not in the knowledge base: the editions of the same series we do have."""
    seen: dict[int, Standard] = {}
    for d in codes.parse_query(text or ""):
        for std in editions_for(session, d.undated()):
            seen.setdefault(pk(std), std)
    ordered = sorted(seen.values(), key=lambda s: (s.status != StandardStatus.in_force, -(s.year or 0), s.code))
    return [standard_ref(s) for s in ordered[:limit]]
