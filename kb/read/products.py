"""The product page: its chain of approved mappings → standards → criteria → labs, and the next steps an
enterprise takes (conformity declarations) for the rules that apply."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from kb import hscodes
from kb.groups import groups_of_product, inherited_mappings
from kb.hs import dotted
from kb.models import (
    MAPPING_TYPE_LABELS_VI,
    GroupMapping,
    Mapping,
    MappingStatus,
    MappingType,
    ProductGroup,
    RelationType,
    Standard,
    StandardRelation,
    pk,
)
from kb.products import require_product
from kb.read.criteria import criteria_rows, criterion
from kb.read.groups import group_ref
from kb.read.labs import LabFinder
from kb.read.mandatory import mandatory_section, mandatory_standards
from kb.read.refs import KIND_LABELS_VI, code_ref, series_key, standard_ref, standards_by_key
from kb.standards import replaced_by_chain
from kb.urls import product_url

#: Order in which a product page lists its standards: the rules first, then how to test, label, pack.
MAPPING_ORDER = ("mandatory", "hygiene", "voluntary", "test_method", "labelling", "packaging", "other")
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


def _hs_codes(session: Session, product_id: int) -> list[dict[str, Any]]:
    """The product's approved HS codes (``kb.hscodes``), dotted, with the nomenclature's words where known."""
    codes = hscodes.product_codes(session, product_id)
    desc = hscodes.descriptions(session, codes)
    return [{"code": c, "dotted": dotted(c), "description": desc.get(c)} for c in codes]


def product_detail(session: Session, product_id: int, today: date | None = None) -> dict[str, Any]:
    """The product and its chain: approved mappings → standards → criteria → labs, plus next steps."""
    p = require_product(session, product_id)
    rows: list[tuple[Mapping | GroupMapping, Standard]] = list(session.exec(
        select(Mapping, Standard).join(Standard, col(Standard.id) == Mapping.standard_id)
        .where(Mapping.product_id == p.id, Mapping.status == MappingStatus.approved)
    ).all())
    # Its groups' mappings join its own, each standard once (own first): "áp dụng cho cả nhóm …".
    via: dict[int, ProductGroup] = {}
    for gm, gs, group in inherited_mappings(session, p):
        if pk(gs) not in via and all(pk(gs) != pk(s) for _, s in rows):
            rows.append((gm, gs))
            via[pk(gs)] = group
    rows = sorted(rows, key=lambda ms: (MAPPING_ORDER.index(ms[0].type.value), ms[1].code))
    criteria = criteria_rows(session, [pk(s) for _, s in rows])
    chains = {pk(s): replaced_by_chain(session, s) for _, s in rows}
    known = standards_by_key(
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
            .order_by(col(StandardRelation.position), col(StandardRelation.id))
        ).all():
            cited[r.from_key].append(r)
    known.update(standards_by_key(session, [r.to_code for rs in cited.values() for r in rs]))
    finder = LabFinder(session, today)
    finder.load([s.series_key for _, s in rows]
                + [series_key(c.method_code) for cs in criteria.values() for c in cs]
                + [series_key(r.to_code) for rs in cited.values() for r in rs])

    def method_labs(std: Standard) -> list[dict[str, Any]]:
        out = []
        for r in cited.get(std.code_key, []):
            labs = finder.for_series(series_key(r.to_code))
            if labs:
                out.append({**code_ref(r.to_code, known), "labs": labs})
        return out

    standards = []
    for m, s in rows:
        mandatory = m.type == MappingType.mandatory or s.mandatory
        standards.append({
            **standard_ref(s),
            "mapping_id": None if pk(s) in via else m.id,
            "inherited_from": group_ref(via[pk(s)]) if pk(s) in via else None,
            "mapping_type": m.type.value,
            "mapping_type_label": MAPPING_TYPE_LABELS_VI[m.type.value],
            "mandatory": mandatory,
            "rationale": m.rationale,
            "legal_basis": m.legal_basis,
            "replaced_by": [code_ref(c, known) for c in chains[pk(s)]],
            "labs": finder.for_series(s.series_key),
            "method_labs": method_labs(s),
            "criteria": [criterion(c, known, finder) for c in criteria.get(pk(s), [])],
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
        "hs_codes": _hs_codes(session, pk(p)),
        "description": p.description,
        "source_url": p.source_url,
        "is_sample": p.is_sample,
        "url": product_url(pk(p)),
        "product_groups": [{**group_ref(g), "via": group_ref(v) if v else None} for g, v in groups_of_product(session, p)],
        "standards": standards,
        "groups": groups,
        "next_steps": _next_steps(standards),
        "mandatory": mandatory_section(standards, p),
    }


def _next_steps(standards: list[dict[str, Any]]) -> list[dict[str, Any]]:
    steps = []
    mandatory = mandatory_standards(standards)
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
