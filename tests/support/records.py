"""Factories for web and API tests: each builds one record through the kb services, with overrides.

``build_world(kbase)`` makes a small, complete chain (product → regulation and standard → criteria →
method standards → labs) that the page tests assert against.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from selectolax.lexbor import LexborHTMLParser as HTMLParser
from sqlmodel import Session

from kb import labs as kb_labs
from kb import mappings as kb_mappings
from kb import products as kb_products
from kb import standards as kb_standards
from kb.models import Criterion, Lab, Mapping, Product, RelationType, Standard, StandardCreate

ACTOR = "test"


def make_standard(session: Session, code: str = "TCVN 3118:2022", **overrides: Any) -> Standard:
    fields = {"title_vi": f"Tiêu chuẩn {code}", "status": "in_force", **overrides}
    provenance = fields.pop("provenance", None)
    std, _ = kb_standards.upsert_standard(session, StandardCreate.model_validate({"code": code, **fields}), actor=ACTOR,
                                          source="import", provenance=provenance)
    session.flush()
    return std


def make_relation(session: Session, from_code: str, relation: RelationType | str, to_code: str, **kw: Any) -> None:
    kb_standards.add_relation(session, from_code, relation, to_code, source="import", actor=ACTOR, **kw)


def make_product(session: Session, name: str = "Bánh phu thê Đình Bảng", **overrides: Any) -> Product:
    data = {"name": name, "kind": "ocop", "ocop_stars": 4, "ocop_group": "Thực phẩm", "district": "Từ Sơn",
            "producer": "Cơ sở mẫu", **overrides}
    product, _ = kb_products.upsert_product(session, kb_products.parse_product(data), ACTOR)
    session.flush()
    return product


def make_lab(session: Session, accreditation: str = "VILAS 1074", **overrides: Any) -> Lab:
    data = {"accreditation": accreditation, "name": f"Phòng thí nghiệm {accreditation}", "district": "Bắc Ninh",
            "phone": "0222 3800 000", "email": "ptn@example.vn",
            "valid_until": (date.today() + timedelta(days=400)).isoformat(), **overrides}
    lab, _ = kb_labs.upsert_lab(session, kb_labs.parse_lab(data), ACTOR)
    session.flush()
    return lab


def make_scope(session: Session, lab: Lab, test: str = "Cường độ nén", method: str | None = "TCVN 3118:2022",
               **overrides: Any):
    row = {"test": test, "method": method, "material": "Bê tông", "range": None, "accredited": True, **overrides}
    return kb_labs.add_scope_row(session, lab, kb_labs.parse_scope_row(row), ACTOR)


def make_mapping(session: Session, product: Product, standard: Standard, type: str = "mandatory",
                 status: str = "approved", **overrides: Any) -> Mapping:
    kw = {"rationale": None, "legal_basis": None, **overrides}
    m, _ = kb_mappings.upsert_mapping(session, product, standard, type, kw["rationale"], kw["legal_basis"],
                                      status, "curator", ACTOR)
    session.flush()
    return m


def make_criterion(session: Session, standard: Standard, name: str = "Aflatoxin B1",
                   method_code: str | None = None, **overrides: Any) -> Criterion:
    c = Criterion(standard_id=standard.id, name=name, method_code=method_code, method=method_code, **overrides)
    session.add(c)
    session.flush()
    return c


@dataclass
class World:
    product_id: int
    unmapped_product_id: int
    regulation: str
    voluntary: str
    method: str
    old_method: str
    suggested: str
    lab_id: int
    lapsed_lab_id: int
    expiring_lab_id: int


def build_world(kbase) -> World:
    today = date.today()
    with kbase.session() as s:
        reg = make_standard(s, "QCVN 8-1:2011/BYT",
                            title_vi="Quy chuẩn kỹ thuật quốc gia đối với giới hạn ô nhiễm độc tố vi nấm trong thực phẩm",
                            provenance={"title_vi": {"page": 1, "method": "cover"}})
        vol = make_standard(s, "TCVN 7087:2013", title_vi="Ghi nhãn thực phẩm bao gói sẵn")
        method = make_standard(s, "TCVN 7596:2007", title_vi="Xác định aflatoxin bằng sắc ký lỏng")
        old = make_standard(s, "TCVN 7596:2001", title_vi="Phiên bản cũ")
        make_relation(s, "TCVN 7596:2007", "replaces", "TCVN 7596:2001")
        make_relation(s, "QCVN 8-1:2011/BYT", "cites", "TCVN 7596:2007", qualifier="dated")
        make_relation(s, "QCVN 8-1:2011/BYT", "cites", "ISO 16050", qualifier="undated")
        make_relation(s, "TCVN 7087:2013", "equivalent", "CODEX STAN 1-1985", qualifier="MOD")
        sugg = make_standard(s, "TCVN 5603:2008", title_vi="Quy phạm thực hành về những nguyên tắc chung đối với vệ sinh thực phẩm")
        make_criterion(s, reg, "Aflatoxin B1", method_code="TCVN 7596:2007", requirement="≤ 2", unit="µg/kg")
        make_criterion(s, reg, "Ochratoxin A", method_code="ISO 15141:2018", requirement="≤ 3", unit="µg/kg")

        product = make_product(s)
        unmapped = make_product(s, "Gạo nếp cái hoa vàng", kind="ocop", ocop_stars=3, district="Gia Bình")
        make_mapping(s, product, reg, "mandatory", rationale="Bánh là thực phẩm có nguồn gốc ngũ cốc",
                     legal_basis="Thông tư 02/2011/TT-BYT")
        make_mapping(s, product, vol, "labelling")
        make_mapping(s, product, old, "test_method")
        make_mapping(s, product, sugg, "hygiene", status="suggested")

        lab = make_lab(s, "VILAS 1074", name="Trung tâm Kỹ thuật Tiêu chuẩn Đo lường Chất lượng mẫu")
        make_scope(s, lab, "Aflatoxin B1, B2, G1, G2", "TCVN 7596:2007", material="Thực phẩm, ngũ cốc")
        make_scope(s, lab, "Aflatoxin tổng", "TCVN 7596:2001", material="Thức ăn chăn nuôi")
        lapsed = make_lab(s, "VILAS 0999", name="Phòng thử nghiệm hết hạn",
                          valid_until=(today - timedelta(days=3)).isoformat())
        make_scope(s, lapsed, "Aflatoxin", "TCVN 7596:2007", material="Thực phẩm")
        expiring = make_lab(s, "LAS-XD 164", name="Phòng thí nghiệm sắp hết hạn",
                            valid_until=(today + timedelta(days=30)).isoformat())
        make_scope(s, expiring, "Ghi nhãn", "TCVN 7087:2013", material="Bao bì")
        return World(product.id, unmapped.id, reg.code, vol.code, method.code, old.code, sugg.code,
                      lab.id, lapsed.id, expiring.id)


# --- fixtures shared by the web/API test modules (import them there) ------------------------------


def html(response) -> HTMLParser:
    assert response.headers["content-type"].startswith("text/html"), response.headers["content-type"]
    return HTMLParser(response.text)


def text(node) -> str:
    """A node's text with its whitespace collapsed, as a reader sees it."""
    return " ".join(node.text().split())


def texts(tree: HTMLParser, selector: str) -> list[str]:
    return [n.text(strip=True) for n in tree.css(selector)]
