"""Read models: the plain, JSON-ready dicts that the API returns and the HTML pages render.

One function per page, so a page and its ``/api/…`` twin show the same data by construction. Public pages
only ever see APPROVED mappings; suggestions are for curators. ``today`` is a parameter so validity flags
(lapsed, expiring within 90 days) are testable.

URLs of the public site are a shared convention (search hits carry them too): :func:`standard_url`,
:func:`product_url`, :func:`lab_url`.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any
from urllib.parse import quote

from sqlalchemy import func, text
from sqlmodel import Session, col, select

from kb import codes
from kb.errors import BadInput, NotFound
from kb.labs import cites_series, require_lab
from kb.models import (
    MAPPING_TYPE_LABELS_VI,
    STATUS_LABELS_VI,
    Criterion,
    Document,
    Lab,
    LabScope,
    Mapping,
    MappingStatus,
    MappingType,
    Product,
    ProductKind,
    RelationType,
    Standard,
    StandardRelation,
    StandardStatus,
)
from kb.products import require_product
from kb.standards import editions_for, get_standard, relations_of, replaced_by_chain
from kb.text import clean, fold

#: A lab accreditation ending within this many days is flagged as expiring.
EXPIRING_DAYS = 90
PAGE_SIZE = 50

#: Order in which a product page lists its standards: the rules first, then how to test, label, pack.
MAPPING_ORDER = ("mandatory", "hygiene", "voluntary", "test_method", "labelling", "packaging", "other")
KIND_LABELS_VI = {"key": "Sản phẩm chủ lực", "ocop": "Sản phẩm OCOP", "other": "Sản phẩm khác"}
VALIDITY_LABELS_VI = {
    "valid": "Còn hiệu lực",
    "expiring": "Sắp hết hạn",
    "lapsed": "Đã hết hạn",
    "unknown": "Chưa rõ thời hạn",
}
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
#: Conformity declarations, as curated for the province (shown on product pages; mapping legal bases are
#: added per product). Legal instruments named here are the national framework.
NEXT_STEPS = {
    "hop_quy": {
        "title": "Công bố hợp quy",
        "what": "Sản phẩm phải được đánh giá và công bố phù hợp với quy chuẩn kỹ thuật quốc gia trước khi lưu thông.",
        "legal_basis": "Luật Tiêu chuẩn và Quy chuẩn kỹ thuật; Thông tư 28/2012/TT-BKHCN, "
                       "sửa đổi bởi Thông tư 02/2017/TT-BKHCN",
        "where": "Cơ quan chuyên ngành do bộ quản lý quy chuẩn chỉ định tại tỉnh Bắc Ninh; "
                 "Sở Khoa học và Công nghệ hướng dẫn hồ sơ.",
    },
    "hop_chuan": {
        "title": "Công bố hợp chuẩn (tự nguyện)",
        "what": "Doanh nghiệp có thể công bố sản phẩm phù hợp với tiêu chuẩn để tạo uy tín với người mua.",
        "legal_basis": "Luật Tiêu chuẩn và Quy chuẩn kỹ thuật; Thông tư 28/2012/TT-BKHCN, "
                       "sửa đổi bởi Thông tư 02/2017/TT-BKHCN",
        "where": "Sở Khoa học và Công nghệ tỉnh Bắc Ninh.",
    },
    "tu_cong_bo": {
        "title": "Tự công bố sản phẩm thực phẩm",
        "what": "Trước khi lưu thông, tổ chức, cá nhân tự công bố sản phẩm dựa trên phiếu kết quả kiểm nghiệm "
                "các chỉ tiêu an toàn theo quy chuẩn, trong vòng 12 tháng, của phòng kiểm nghiệm được chỉ định "
                "hoặc được công nhận theo ISO/IEC 17025.",
        "legal_basis": "Luật An toàn thực phẩm 2010; Nghị định 15/2018/NĐ-CP",
        "where": "Đăng bản tự công bố trên phương tiện thông tin đại chúng hoặc trang thông tin của cơ sở, và nộp "
                 "một bản cho cơ quan quản lý nhà nước do UBND tỉnh Bắc Ninh chỉ định.",
    },
}
#: A mandatory mapping whose legal basis is the food safety law leads to self-declaration, not hợp quy.
_FOOD_SAFETY = re.compile(r"15/2018/NĐ-CP|an toàn thực phẩm", re.IGNORECASE)


# --- URLs and small shared pieces -----------------------------------------------------------------


def standard_url(code: str) -> str:
    # ':' and '/' stay readable; every other reserved character is escaped.
    return "/standards/" + quote(code, safe=":/")


def product_url(product_id: int) -> str:
    return f"/products/{product_id}"


def lab_url(lab_id: int) -> str:
    return f"/labs/{lab_id}"


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def validity(valid_until: date | None, today: date | None = None) -> dict[str, Any]:
    """``{"state": valid|expiring|lapsed|unknown, "label", "days_left"}`` for an accreditation end date."""
    today = today or date.today()
    if valid_until is None:
        state, days = "unknown", None
    else:
        days = (valid_until - today).days
        state = "lapsed" if days < 0 else "expiring" if days <= EXPIRING_DAYS else "valid"
    return {"state": state, "label": VALIDITY_LABELS_VI[state], "days_left": days}


def _series_key(code: str | None) -> str | None:
    d = codes.parse(code or "")
    return d.series_key if d else None


def _status(std: Standard) -> dict[str, Any]:
    return {"status": std.status.value, "status_label": STATUS_LABELS_VI[std.status.value]}


def standard_ref(std: Standard) -> dict[str, Any]:
    return {
        "id": std.id,
        "code": std.code,
        "title": std.title_vi or std.title_en,
        **_status(std),
        "mandatory": std.mandatory,
        "url": standard_url(std.code),
    }


def _code_ref(code: str, known: dict[str, Standard]) -> dict[str, Any]:
    """A designation that may or may not be in the knowledge base (linked only when it is)."""
    d = codes.parse(code)
    std = known.get(d.key) if d else None
    if std is None:
        return {"code": code, "in_kb": False, "url": None, "status": None, "status_label": None, "title": None}
    return {"code": std.code, "in_kb": True, "url": standard_url(std.code), "title": std.title_vi or std.title_en,
            **_status(std)}


def _standards_by_key(session: Session, code_list: Iterable[str]) -> dict[str, Standard]:
    keys = {d.key for d in (codes.parse(c) for c in code_list) if d}
    if not keys:
        return {}
    return {s.code_key: s for s in session.exec(select(Standard).where(col(Standard.code_key).in_(keys))).all()}


def _lab_ref(lab: Lab, today: date | None) -> dict[str, Any]:
    return {
        "id": lab.id,
        "name": lab.name,
        "organization": lab.organization,
        "accreditation": lab.accreditation,
        "valid_until": _iso(lab.valid_until),
        "validity": validity(lab.valid_until, today),
        "district": lab.district,
        "address": lab.address,
        "phone": lab.phone,
        "email": lab.email,
        "website": lab.website,
        "is_sample": lab.is_sample,
        "url": lab_url(lab.id),
    }


class _LabFinder:
    """Labs whose scope rows cite a method series, loaded once per read model (pages ask many times)."""

    def __init__(self, session: Session, today: date | None):
        self.today = today
        self.by_series: dict[str, dict[int, list[LabScope]]] = defaultdict(lambda: defaultdict(list))
        self.labs: dict[int, Lab] = {}
        self._session = session
        self._loaded: set[str] = set()

    def load(self, series_keys: Iterable[str | None]) -> None:
        wanted = {k for k in series_keys if k and k not in self._loaded}
        if not wanted:
            return
        self._loaded |= wanted
        rows = self._session.exec(
            select(LabScope).where(cites_series(wanted)).order_by(LabScope.lab_id, LabScope.position)
        ).all()
        lab_ids = {r.lab_id for r in rows} - set(self.labs)
        if lab_ids:
            for lab in self._session.exec(select(Lab).where(col(Lab.id).in_(lab_ids))).all():
                self.labs[lab.id] = lab
        for r in rows:
            for k in (r.method_series or "").strip("|").split("|"):
                if k in wanted:
                    self.by_series[k][r.lab_id].append(r)

    def for_series(self, series_key: str | None) -> list[dict[str, Any]]:
        if not series_key:
            return []
        self.load([series_key])
        out = []
        for lab_id, rows in self.by_series.get(series_key, {}).items():
            ref = _lab_ref(self.labs[lab_id], self.today)
            ref["tests"] = [_scope_brief(r) for r in rows]
            out.append(ref)
        # Labs with a valid accreditation first, then by name.
        return sorted(out, key=lambda x: (x["validity"]["state"] == "lapsed", fold(x["name"])))


def _scope_brief(r: LabScope) -> dict[str, Any]:
    return {"id": r.id, "material": r.material, "test": r.test, "range": r.range, "method": r.method,
            "accredited": r.accredited}


def _criteria_rows(session: Session, std_ids: list[int]) -> dict[int, list[Criterion]]:
    out: dict[int, list[Criterion]] = defaultdict(list)
    if std_ids:
        rows = session.exec(
            select(Criterion).where(col(Criterion.standard_id).in_(std_ids)).order_by(Criterion.position, Criterion.id)
        ).all()
        for c in rows:
            out[c.standard_id].append(c)
    return out


def _criterion(c: Criterion, known: dict[str, Standard], finder: _LabFinder | None) -> dict[str, Any]:
    method = _code_ref(c.method_code, known) if c.method_code else None
    item = {
        "id": c.id,
        "name": c.name,
        "requirement": c.requirement,
        "unit": c.unit,
        "method": c.method,
        "method_code": c.method_code,
        "method_ref": method,
        "page": c.page,
    }
    if finder is not None:
        item["labs"] = [
            {k: lab[k] for k in ("id", "name", "accreditation", "valid_until", "validity", "url")}
            for lab in finder.for_series(_series_key(c.method_code))
        ]
    return item


# --- Standard -------------------------------------------------------------------------------------


def standard_detail(session: Session, code: str, today: date | None = None) -> dict[str, Any]:
    """Everything the standard page shows; raises NotFound for an unknown code (any spelling accepted)."""
    std = get_standard(session, code)
    if std is None:
        raise NotFound(f"Không tìm thấy tiêu chuẩn {clean(code)[:80]!r}")
    rels = relations_of(session, std)
    # relations_of already tells which ends are known; fetch their rows for status and title.
    known = _standards_by_key(
        session,
        [r["canonical"] or r["code"] for r in rels["outgoing"] + rels["incoming"]]
        + replaced_by_chain(session, std)
        + [c.method_code for c in _criteria_rows(session, [std.id]).get(std.id, []) if c.method_code],
    )

    def rel_items(items: list[dict[str, Any]], relation: str) -> list[dict[str, Any]]:
        out = []
        for r in items:
            if r["relation"] != relation:
                continue
            ref = _code_ref(r["canonical"] or r["code"], known)
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
        select(Mapping, Product).join(Product, Product.id == Mapping.product_id)
        .where(Mapping.standard_id == std.id, Mapping.status == MappingStatus.approved)
        .order_by(Product.name, Mapping.type)
    ).all()
    for m, p in rows:
        products.append({
            "id": p.id, "name": p.name, "kind": p.kind.value, "kind_label": KIND_LABELS_VI[p.kind.value],
            "ocop_stars": p.ocop_stars, "district": p.district, "producer": p.producer,
            "mapping_type": m.type.value, "mapping_type_label": MAPPING_TYPE_LABELS_VI[m.type.value],
            "rationale": m.rationale, "legal_basis": m.legal_basis, "url": product_url(p.id),
        })

    finder = _LabFinder(session, today)
    criteria_rows = _criteria_rows(session, [std.id]).get(std.id, [])
    finder.load([std.series_key, *(_series_key(c.method_code) for c in criteria_rows)])

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
        "effective_date": _iso(std.effective_date),
        "ics": std.ics,
        "scope": std.scope,
        "is_sample": std.is_sample,
        "fields": fields,
        "provenance": provenance,
        "document": {"id": doc.id, "file_name": doc.file_name, "pages": doc.pages, "may_show": doc.may_show}
        if doc else None,
        "replaced_by": [_code_ref(c, known) for c in replaced_by_chain(session, std)],
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
        "criteria": [_criterion(c, known, finder) for c in criteria_rows],
    }


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


# --- Product --------------------------------------------------------------------------------------


def product_detail(session: Session, product_id: int, today: date | None = None) -> dict[str, Any]:
    """The product and its chain: approved mappings → standards → criteria → labs, plus next steps."""
    p = require_product(session, product_id)
    rows = session.exec(
        select(Mapping, Standard).join(Standard, Standard.id == Mapping.standard_id)
        .where(Mapping.product_id == p.id, Mapping.status == MappingStatus.approved)
    ).all()
    rows = sorted(rows, key=lambda ms: (MAPPING_ORDER.index(ms[0].type.value), ms[1].code))
    criteria = _criteria_rows(session, [s.id for _, s in rows])
    chains = {s.id: replaced_by_chain(session, s) for _, s in rows}
    known = _standards_by_key(
        session,
        [c for chain in chains.values() for c in chain]
        + [c.method_code for cs in criteria.values() for c in cs if c.method_code],
    )
    # The test methods a standard cites (normative references) lead to labs too: a regulation rarely
    # appears in a lab's scope itself, its methods do.
    cited: dict[str, list[StandardRelation]] = defaultdict(list)
    if rows:
        for r in session.exec(
            select(StandardRelation)
            .where(col(StandardRelation.from_key).in_([s.code_key for _, s in rows]),
                   StandardRelation.relation == RelationType.cites)
            .order_by(StandardRelation.position, StandardRelation.id)
        ).all():
            cited[r.from_key].append(r)
    known.update(_standards_by_key(session, [r.to_code for rs in cited.values() for r in rs]))
    finder = _LabFinder(session, today)
    finder.load([s.series_key for _, s in rows]
                + [_series_key(c.method_code) for cs in criteria.values() for c in cs]
                + [_series_key(r.to_code) for rs in cited.values() for r in rs])

    def method_labs(std: Standard) -> list[dict[str, Any]]:
        out = []
        for r in cited.get(std.code_key, []):
            labs = finder.for_series(_series_key(r.to_code))
            if labs:
                out.append({**_code_ref(r.to_code, known), "labs": labs})
        return out

    standards = []
    for m, s in rows:
        mandatory = m.type == MappingType.mandatory or s.mandatory
        standards.append({
            **standard_ref(s),
            "mapping_id": m.id,
            "mapping_type": m.type.value,
            "mapping_type_label": MAPPING_TYPE_LABELS_VI[m.type.value],
            "mandatory": mandatory,
            "rationale": m.rationale,
            "legal_basis": m.legal_basis,
            "replaced_by": [_code_ref(c, known) for c in chains[s.id]],
            "labs": finder.for_series(s.series_key),
            "method_labs": method_labs(s),
            "criteria": [_criterion(c, known, finder) for c in criteria.get(s.id, [])],
        })

    groups = []
    for t in MAPPING_ORDER:
        items = [x for x in standards if x["mapping_type"] == t]
        if items:
            groups.append({"type": t, "label": MAPPING_TYPE_LABELS_VI[t], "standards": items})

    return {
        "id": p.id,
        "name": p.name,
        "aliases": p.aliases or [],
        "category": p.category,
        "kind": p.kind.value,
        "kind_label": KIND_LABELS_VI[p.kind.value],
        "ocop_stars": p.ocop_stars,
        "ocop_group": p.ocop_group,
        "ocop_year": p.ocop_year,
        "producer": p.producer,
        "district": p.district,
        "commune": p.commune,
        "hs_code": p.hs_code,
        "description": p.description,
        "source_url": p.source_url,
        "is_sample": p.is_sample,
        "url": product_url(p.id),
        "standards": standards,
        "groups": groups,
        "next_steps": _next_steps(standards),
    }


def _next_steps(standards: list[dict[str, Any]]) -> list[dict[str, Any]]:
    steps = []
    mandatory = [s for s in standards if s["mandatory"] and s["mapping_type"] in ("mandatory", "hygiene")]
    food = [s for s in mandatory if _FOOD_SAFETY.search(s.get("legal_basis") or "")]
    regulated = [s for s in mandatory if s not in food]
    voluntary = [s for s in standards if not s["mandatory"] and s["mapping_type"] == "voluntary"]
    for kind, items in (("hop_quy", regulated), ("tu_cong_bo", food), ("hop_chuan", voluntary)):
        if not items:
            continue
        curated = [s["legal_basis"] for s in items if s.get("legal_basis")]
        steps.append({
            "kind": kind,
            **NEXT_STEPS[kind],
            "standards": [{"code": s["code"], "url": s["url"]} for s in items],
            "curated_legal_basis": list(dict.fromkeys(curated)),
        })
    return steps


# --- Lab ------------------------------------------------------------------------------------------


def lab_detail(session: Session, lab_id: int, today: date | None = None, q: str | None = None) -> dict[str, Any]:
    """The lab, its validity and its scope rows grouped by material; ``q`` filters rows (accents optional)."""
    lab = require_lab(session, lab_id)
    rows = session.exec(select(LabScope).where(LabScope.lab_id == lab.id).order_by(LabScope.position, LabScope.id)).all()
    total = len(rows)
    needle = fold(q)
    if needle:
        rows = [r for r in rows if needle in fold(" ".join(filter(None, (r.material, r.test, r.range, r.method))))]
    known = _standards_by_key(session, [c for r in rows for c in (r.method_codes or [])])
    chains: dict[int, list[str]] = {}
    scope = []
    for r in rows:
        methods = []
        for c in r.method_codes or []:
            ref = _code_ref(c, known)
            std = known.get(codes.parse(c).key) if codes.parse(c) else None
            superseded = std is not None and std.status in (StandardStatus.replaced, StandardStatus.withdrawn)
            if std is not None and superseded and std.id not in chains:
                chains[std.id] = replaced_by_chain(session, std)
            ref["superseded"] = superseded
            ref["replaced_by"] = chains.get(std.id, []) if std is not None else []
            methods.append(ref)
        scope.append({**_scope_brief(r), "material": r.material, "methods": methods,
                      "superseded": any(m["superseded"] for m in methods)})
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in scope:
        groups.setdefault(row["material"] or "Khác", []).append(row)
    return {
        **_lab_ref(lab, today),
        "accreditation_body": lab.accreditation_body,
        "accreditation_number": lab.accreditation_number,
        "valid_from": _iso(lab.valid_from),
        "verified_at": lab.verified_at.isoformat() if lab.verified_at else None,
        "query": clean(q) or None,
        "scope_total": total,
        "scope": scope,
        "groups": [{"material": k, "rows": v} for k, v in groups.items()],
        "superseded_count": sum(1 for r in scope if r["superseded"]),
    }


# --- Browse ---------------------------------------------------------------------------------------


def _page(page: int) -> int:
    if page < 1 or page > 100_000:
        raise BadInput("số trang không hợp lệ")
    return page


def _facet(values: Iterable[Any]) -> list[dict[str, Any]]:
    counts = Counter(v for v in values if v not in (None, ""))
    return [{"value": v, "count": n} for v, n in sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))]


def browse_products(
    session: Session, *, kind: str | None = None, group: str | None = None, stars: int | None = None,
    district: str | None = None, page: int = 1,
) -> dict[str, Any]:
    """Products filtered by kind, OCOP group, stars and district, with facet counts over the whole set."""
    page = _page(page)
    if kind and kind not in KIND_LABELS_VI:
        raise BadInput(f"loại sản phẩm {kind!r} không hợp lệ (key, ocop, other)")
    if stars is not None and not 1 <= stars <= 5:
        raise BadInput("số sao OCOP phải từ 1 đến 5")
    allp = session.exec(select(Product)).all()
    mapped = set(session.exec(
        select(Mapping.product_id).where(Mapping.status == MappingStatus.approved).distinct()
    ).all())

    def keep(p: Product, skip: str | None = None) -> bool:
        return ((skip == "kind" or not kind or p.kind.value == kind)
                and (skip == "group" or not group or clean(p.ocop_group) == clean(group))
                and (skip == "stars" or stars is None or p.ocop_stars == stars)
                and (skip == "district" or not district or clean(p.district) == clean(district)))

    items = sorted((p for p in allp if keep(p)), key=lambda p: (-(p.ocop_stars or 0), fold(p.name)))
    start = (page - 1) * PAGE_SIZE
    return {
        "filters": {"kind": kind, "group": group, "stars": stars, "district": district},
        "total": len(items),
        "page": page,
        "pages": max(1, -(-len(items) // PAGE_SIZE)),
        "items": [{
            "id": p.id, "name": p.name, "kind": p.kind.value, "kind_label": KIND_LABELS_VI[p.kind.value],
            "ocop_stars": p.ocop_stars, "ocop_group": p.ocop_group, "ocop_year": p.ocop_year,
            "producer": p.producer, "district": p.district, "has_mappings": p.id in mapped, "url": product_url(p.id),
        } for p in items[start:start + PAGE_SIZE]],
        # Each facet counts what the other filters leave, so its numbers match what a click gives.
        "facets": {
            "kind": [{**f, "label": KIND_LABELS_VI[f["value"]]}
                     for f in _facet(p.kind.value for p in allp if keep(p, "kind"))],
            "group": _facet(clean(p.ocop_group) for p in allp if keep(p, "group")),
            "stars": sorted(_facet(p.ocop_stars for p in allp if keep(p, "stars")), key=lambda f: -f["value"]),
            "district": _facet(clean(p.district) for p in allp if keep(p, "district")),
        },
    }


def browse_standards(
    session: Session, *, doc_type: str | None = None, status: str | None = None, ics: str | None = None,
    page: int = 1,
) -> dict[str, Any]:
    """Standards by type, status and ICS prefix, with facet counts."""
    page = _page(page)
    if status and status not in STATUS_LABELS_VI:
        raise BadInput(f"trạng thái {status!r} không hợp lệ ({', '.join(STATUS_LABELS_VI)})")
    rows = session.exec(select(Standard.id, Standard.code, Standard.title_vi, Standard.title_en, Standard.doc_type,
                               Standard.status, Standard.ics, Standard.mandatory, Standard.year)).all()

    def ics_top(v: str | None) -> str | None:
        return clean(v).split(".")[0] if v and clean(v) else None

    def keep(r, skip: str | None = None) -> bool:
        return ((skip == "doc_type" or not doc_type or r.doc_type == doc_type)
                and (skip == "status" or not status or r.status.value == status)
                and (skip == "ics" or not ics or (r.ics or "").startswith(clean(ics))))

    items = sorted((r for r in rows if keep(r)), key=lambda r: (r.doc_type, _natural(r.code)))
    start = (page - 1) * PAGE_SIZE
    return {
        "filters": {"doc_type": doc_type, "status": status, "ics": ics},
        "total": len(items),
        "page": page,
        "pages": max(1, -(-len(items) // PAGE_SIZE)),
        "items": [{
            "id": r.id, "code": r.code, "title": r.title_vi or r.title_en, "doc_type": r.doc_type,
            "status": r.status.value, "status_label": STATUS_LABELS_VI[r.status.value], "ics": r.ics,
            "mandatory": r.mandatory, "year": r.year, "url": standard_url(r.code),
        } for r in items[start:start + PAGE_SIZE]],
        "facets": {
            "doc_type": _facet(r.doc_type for r in rows if keep(r, "doc_type")),
            "status": [{**f, "label": STATUS_LABELS_VI[f["value"]]}
                       for f in _facet(r.status.value for r in rows if keep(r, "status"))],
            "ics": sorted(_facet(ics_top(r.ics) for r in rows if keep(r, "ics")), key=lambda f: f["value"]),
        },
    }


def _natural(code: str) -> list[Any]:
    """``TCVN 2:…`` before ``TCVN 10:…``."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", code)]


def browse_overview(session: Session) -> dict[str, Any]:
    products = browse_products(session)
    standards = browse_standards(session)
    key_products = browse_products(session, kind="key")
    return {
        "products": {"total": products["total"], "facets": products["facets"]},
        "key_products": key_products["items"],
        "standards": {"total": standards["total"], "facets": standards["facets"]},
    }


# --- Coverage -------------------------------------------------------------------------------------


def coverage(session: Session, today: date | None = None) -> dict[str, Any]:
    """Gaps in the knowledge base: what an enterprise would look for and not find."""
    today = today or date.today()
    products = session.exec(select(Product)).all()
    approved = session.exec(
        select(Mapping, Standard).join(Standard, Standard.id == Mapping.standard_id)
        .where(Mapping.status == MappingStatus.approved)
    ).all()
    mapped_ids = {m.product_id for m, _ in approved}
    by_id = {p.id: p for p in products}

    without = [{"id": p.id, "name": p.name, "kind": p.kind.value, "kind_label": KIND_LABELS_VI[p.kind.value],
                "district": p.district, "url": product_url(p.id)}
               for p in sorted(products, key=lambda p: fold(p.name)) if p.id not in mapped_ids]

    # Every series some lab scope row cites as a method.
    tested: set[str] = set()
    for ms in session.exec(select(LabScope.method_series).where(LabScope.method_series != "")).all():
        tested.update(k for k in ms.strip("|").split("|") if k)

    crit_rows = session.exec(
        select(Criterion, Standard).join(Standard, Standard.id == Criterion.standard_id)
        .order_by(Standard.code, Criterion.position)
    ).all()
    untestable, no_method = [], 0
    for c, s in crit_rows:
        key = _series_key(c.method_code)
        if key is None:
            no_method += 1
        elif key not in tested:
            untestable.append({"standard": s.code, "standard_url": standard_url(s.code), "criterion": c.name,
                               "method": c.method, "method_code": c.method_code})

    labs = session.exec(select(Lab).order_by(Lab.name)).all()
    lab_states = {lab.id: validity(lab.valid_until, today) for lab in labs}
    lapsed = [_lab_ref(lab, today) for lab in labs if lab_states[lab.id]["state"] == "lapsed"]
    expiring = [_lab_ref(lab, today) for lab in labs if lab_states[lab.id]["state"] == "expiring"]

    on_replaced = []
    for m, s in approved:
        if s.status in (StandardStatus.replaced, StandardStatus.withdrawn):
            p = by_id.get(m.product_id)
            on_replaced.append({
                "mapping_id": m.id, "product": p.name if p else None, "product_url": product_url(m.product_id),
                "standard": s.code, "standard_url": standard_url(s.code), **_status(s),
                "mapping_type_label": MAPPING_TYPE_LABELS_VI[m.type.value],
                "replaced_by": replaced_by_chain(session, s),
            })

    status_counts = dict(session.exec(select(Standard.status, func.count()).group_by(Standard.status)).all())
    kinds = Counter(p.kind.value for p in products)
    kinds_mapped = Counter(p.kind.value for p in products if p.id in mapped_ids)
    validity_counts = Counter(s["state"] for s in lab_states.values())

    return {
        "today": today.isoformat(),
        "counts": {
            "products": len(products),
            "products_mapped": len(mapped_ids & set(by_id)),
            "standards": sum(status_counts.values()),
            "labs": len(labs),
            "criteria": len(crit_rows),
            "criteria_without_method": no_method,
            "approved_mappings": len(approved),
        },
        "products_without_mappings": without,
        "criteria_untestable": untestable,
        "labs_lapsed": lapsed,
        "labs_expiring": expiring,
        "mappings_on_replaced": on_replaced,
        "charts": {
            "products": [
                {"label": f"{KIND_LABELS_VI[k.value]} – có ánh xạ", "value": kinds_mapped.get(k.value, 0),
                 "total": kinds.get(k.value, 0)}
                for k in ProductKind if kinds.get(k.value)
            ],
            "standards_by_status": [
                {"label": STATUS_LABELS_VI[s.value], "value": status_counts.get(s, 0)}
                for s in StandardStatus if status_counts.get(s, 0)
            ],
            "labs_by_validity": [
                {"label": VALIDITY_LABELS_VI[k], "value": validity_counts.get(k, 0), "state": k}
                for k in ("valid", "expiring", "lapsed", "unknown") if validity_counts.get(k, 0)
            ],
        },
    }


# --- Open data ------------------------------------------------------------------------------------

EXPORT_COLUMNS = ("product_id", "product", "producer", "district", "standard", "standard_title", "standard_status",
                  "type", "rationale", "legal_basis", "decided_at")


def approved_mappings(session: Session) -> list[dict[str, Any]]:
    """Every approved mapping as a flat row (CSV and JSON export)."""
    rows = session.exec(
        select(Mapping, Product, Standard)
        .join(Product, Product.id == Mapping.product_id)
        .join(Standard, Standard.id == Mapping.standard_id)
        .where(Mapping.status == MappingStatus.approved)
        .order_by(Product.name, Product.id, Mapping.type, Standard.code)
    ).all()
    return [{
        "product_id": p.id, "product": p.name, "producer": p.producer, "district": p.district,
        "standard": s.code, "standard_title": s.title_vi or s.title_en, "standard_status": s.status.value,
        "type": m.type.value, "rationale": m.rationale, "legal_basis": m.legal_basis,
        "decided_at": m.decided_at.isoformat() if m.decided_at else None,
    } for m, p, s in rows]


# --- Data version ---------------------------------------------------------------------------------

_VERSION_SQL = text(
    "SELECT "
    + ", ".join(
        f"(SELECT COUNT(*) FROM {t}), (SELECT MAX({c}) FROM {t})"
        for t, c in (("standard", "updated_at"), ("standardrelation", "id"), ("criterion", "id"),
                     ("product", "updated_at"), ("mapping", "updated_at"), ("lab", "updated_at"),
                     ("labscope", "updated_at"), ("document", "id"))
    )
)


def data_version(session: Session) -> tuple:
    """A cheap fingerprint of everything the public pages show: it changes whenever a row is added,
    removed or updated (counts catch deletions, newest timestamps and ids catch the rest)."""
    return tuple(session.connection().execute(_VERSION_SQL).one())


def standard_suggestions(session: Session, text: str, limit: int = 8) -> list[dict[str, Any]]:
    """For a code that is not in the knowledge base: the editions of the same series we do have."""
    seen: dict[int, Standard] = {}
    for d in codes.parse_query(text or ""):
        for std in editions_for(session, d.undated()):
            seen.setdefault(std.id, std)
    ordered = sorted(seen.values(), key=lambda s: (s.status != StandardStatus.in_force, -(s.year or 0), s.code))
    return [standard_ref(s) for s in ordered[:limit]]
