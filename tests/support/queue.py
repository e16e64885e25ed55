"""The suggestion queue's world: one standard suggested for fifteen products (the case the issue saw), a
regulation suggested for a known product, an unscored import suggestion, and a group with a subgroup.

Standards and products here are test records (titles ``Tiêu chuẩn …``, products ``Sản phẩm thử …``), not facts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import select

from kb import groups, mappings
from kb.models import Mapping, MappingSource, MappingStatus, Product, Standard
from tests.support.records import make_product, make_standard

SERIES = "TCVN 4884-1"
CODE = "TCVN 4884-1:2015"
QCVN = "QCVN 8-2:2011/BYT"
OTHER = "TCVN 3118:2022"


@dataclass
class QueueWorld:
    ids: list[int] = field(default_factory=list)  # the fifteen suggestions of CODE, best score first
    products: list[int] = field(default_factory=list)
    banh: int = 0  # Bánh phu thê Đình Bảng → QCVN, mandatory, score 0.9
    unscored: int = 0  # an import suggestion without a score (Bánh phu thê → TCVN 3118:2022)
    group: str = "banh-keo-thu"
    subgroup: str = "banh-truyen-thong-thu"


def standard(session, code: str) -> Standard:
    found = session.exec(select(Standard).where(Standard.code == code)).first()
    return found or make_standard(session, code)


def suggest(session, product: Product, std: Standard, type: str = "test_method", score: float | None = 0.6,
            source: MappingSource = MappingSource.auto, reasons: tuple[str, ...] = ("tên sản phẩm khớp phạm vi",)
            ) -> Mapping:
    m, _ = mappings.upsert_mapping(session, product, std, type, None, None, MappingStatus.suggested, source, "test",
                                   score=score, reasons=reasons)
    session.flush()
    return m


def build_queue(kbase, n: int = 15, prefix: str = "Sản phẩm thử") -> QueueWorld:
    """``n`` fresh products, each suggested CODE; called again with another prefix it adds ``n`` more."""
    w = QueueWorld()
    with kbase.session() as s:
        code, qcvn, other = standard(s, CODE), standard(s, QCVN), standard(s, OTHER)
        for i in range(n):
            p = make_product(s, f"{prefix} {i + 1:02d}", producer=f"Cơ sở thử {prefix}")
            m = suggest(s, p, code, score=round(0.95 - i * 0.02, 2),
                        reasons=("phạm vi của tiêu chuẩn nêu sản phẩm", f"nhóm {prefix}"))
            w.products.append(p.id)
            w.ids.append(m.id)
        if groups.get_group(s, w.group) is None:  # the first call: the regulation, the unscored one, the groups
            banh = s.exec(select(Product).where(Product.name == "Bánh phu thê Đình Bảng")).first() \
                or make_product(s, "Bánh phu thê Đình Bảng")
            w.banh = suggest(s, banh, qcvn, "mandatory", 0.9, reasons=("quy chuẩn nêu nhóm bánh",)).id
            w.unscored = suggest(s, banh, other, "voluntary", None, MappingSource.import_, ()).id
            parent, _ = groups.upsert_group(s, groups.parse_group({"slug": w.group, "name": "Bánh kẹo (thử)"}), "test")
            child, _ = groups.upsert_group(s, groups.parse_group({"slug": w.subgroup, "name": "Bánh truyền thống (thử)",
                                                                  "parent": w.group}), "test")
            groups.add_member(s, parent, banh, "test")
            groups.add_member(s, child, s.get(Product, w.products[0]), "test")
    return w
