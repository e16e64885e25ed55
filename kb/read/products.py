"""The product page: its chain of approved mappings → standards → criteria → labs, and the next steps an
enterprise takes for the rules that apply (built by :mod:`kb.procedures` from curated procedure records)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from kb import hscodes, procedures
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
from kb.read.dated import DatedAnswers
from kb.read.groups import group_ref
from kb.read.labs import LabFinder, redate
from kb.read.legal_basis import BasisLinker
from kb.read.mandatory import mandatory_section
from kb.read.refs import KIND_LABELS_VI, code_ref, series_key, standard_ref, standards_by_key
from kb.read.regulatory import CONTROL_LABELS_VI, RISK_LABELS_VI, requirements_on
from kb.standards import replaced_by_chain
from kb.urls import legal_url, product_url

#: Order in which a product page lists its standards: the rules first, then how to test, label, pack.
MAPPING_ORDER = ("mandatory", "hygiene", "voluntary", "test_method", "labelling", "packaging", "other")


def _hs_codes(session: Session, codes: list[str]) -> list[dict[str, Any]]:
    """The product's approved HS codes (``kb.hscodes``), dotted, with the nomenclature's words where known."""
    desc = hscodes.descriptions(session, codes)
    return [{"code": c, "dotted": dotted(c), "description": desc.get(c)} for c in codes]


def _regulatory_view(answer: dict[str, Any], on: date, has_codes: bool) -> dict[str, Any]:
    """The risk lists' answer with the page's words: labels, links to the documents, and why it is unknown."""
    why_unknown = None
    if answer["risk"] == "unknown" and not has_codes:
        why_unknown = "Sản phẩm chưa có mã HS nên chưa tra được danh mục."
    elif answer["risk"] == "unknown" and not answer["requirements"]:  # no list in force that day at all
        why_unknown = ("Cơ sở dữ liệu chưa có danh mục nào có hiệu lực vào ngày này (các danh mục áp dụng khi đó, "
                       "như các danh mục cũ hơn, chưa được nhập), nên chưa tra được.")
    elif answer["risk"] == "unknown":  # only lists that grade nothing name the codes
        why_unknown = ("Chưa có danh mục phân mức rủi ro nào trong cơ sở dữ liệu có hiệu lực vào ngày này nêu mã HS "
                       "của sản phẩm (danh mục kiểm tra an toàn thực phẩm không phân mức).")
    return {
        **answer,
        "on": on.isoformat(),
        "risk_label": RISK_LABELS_VI[answer["risk"]],
        "why_unknown": why_unknown,
        "requirements": [{**r, "control_label": CONTROL_LABELS_VI.get(r["control"], r["control"]),
                          "risk_label": RISK_LABELS_VI.get(r["risk"] or "", None),
                          "hs_dotted": dotted(r["hs_code"]), "document_url": legal_url(r["document"])}
                         for r in answer["requirements"]],
    }


def product_answer(session: Session, answers: DatedAnswers, product_id: int, on: date | None = None,
                   version: Any = None) -> dict[str, Any]:
    """:func:`product_detail` through the per-period memo (:mod:`kb.read.dated`): what pages and the API serve.
    ``version``: the data fingerprint, when the caller has it (the page cache reads it for every request)."""
    day = on or date.today()
    return answers.answer(session, ("product", product_id), day,
                          lambda s, d: product_detail(s, product_id, d), _redate, version)


def stored_product_answer(answers: DatedAnswers, product_id: int, on: date | None, version: Any) -> dict[str, Any] | None:
    """:func:`product_answer` when the memo holds it for ``version`` (no database needed), else None."""
    return answers.stored(("product", product_id), on or date.today(), version, _redate)


def _redate(answer: dict[str, Any], on: date) -> dict[str, Any]:
    out = redate(answer, on)
    out["regulatory"]["on"] = on.isoformat()
    return out


def product_detail(session: Session, product_id: int, today: date | None = None) -> dict[str, Any]:
    """The product and its chain: approved mappings → standards → criteria → labs, plus what the risk lists
    in force on ``today`` (default: the real today) require of its HS codes, and the next steps."""
    p = require_product(session, product_id)
    on = today or date.today()
    codes = hscodes.product_codes(session, pk(p))
    regulatory = requirements_on(session, codes, on, text=" ".join(filter(None, [p.name, p.description])),
                                 product_id=pk(p))
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

    linker = BasisLinker(session, today)
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
            "legal_basis_parts": linker.parts(m.legal_basis),
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
        "hs_codes": _hs_codes(session, codes),
        "description": p.description,
        "source_url": p.source_url,
        "is_sample": p.is_sample,
        "url": product_url(pk(p)),
        "product_groups": [{**group_ref(g), "via": group_ref(v) if v else None} for g, v in groups_of_product(session, p)],
        "standards": standards,
        "groups": groups,
        "regulatory": _regulatory_view(regulatory, on, bool(codes)),
        # a control the lists require (hợp quy, kiểm tra chất lượng) is a route of its own; a candidate row
        # (the code meets several items, or the row is narrower than the code) only once a curator confirms it
        "next_steps": procedures.next_steps(session, standards, {r["control"] for r in regulatory["requirements"]
                                                                  if r["confirmed"] or not r["ambiguous"]}),
        "mandatory": mandatory_section(standards, p),
    }

