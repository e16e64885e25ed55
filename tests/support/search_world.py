"""Factories and a small world of standards, products and labs for the search and matching tests.

Titles are those printed on the standards (corpus labels and the official catalogue); products are real
OCOP products of Bắc Giang / Bắc Ninh (../shared/corpus/raw); labs and their scopes are samples.
The ``noise`` records are generated look-alikes so that ranking is tested against near misses.
"""

from __future__ import annotations

import random
from typing import Any

from sqlmodel import select

from kb import standards as kb_standards
from kb.models import (
    CategoryRule,
    GroupKind,
    Lab,
    LabScope,
    Mapping,
    MappingSource,
    MappingStatus,
    Product,
    ProductGroup,
    Standard,
    StandardCreate,
)


def make_standard(session, code: str, title_vi: str, *, title_en: str | None = None, status: str = "in_force",
                  **fields: Any) -> Standard:
    std, _ = kb_standards.upsert_standard(
        session, StandardCreate.model_validate({"code": code, "title_vi": title_vi, "title_en": title_en, "status": status,
                                                **fields}),
        actor="test", source="import",
    )
    return std


def make_product(session, name: str, **fields: Any) -> Product:
    p = Product(name=name, **fields)
    session.add(p)
    session.flush()
    return p


def make_lab(session, name: str, accreditation: str, scope: list[tuple[str, str, list[str]]] = (), **fields: Any) -> Lab:
    lab = Lab(name=name, accreditation=accreditation, **fields)
    session.add(lab)
    session.flush()
    for i, (material, test, methods) in enumerate(scope):
        session.add(LabScope(lab_id=lab.id, position=i, material=material, test=test, method=", ".join(methods),
                             method_codes=list(methods)))
    session.flush()
    return lab


def relate(session, from_code: str, relation: str, to_code: str, qualifier: str | None = None) -> None:
    kb_standards.add_relation(session, from_code, relation, to_code, qualifier=qualifier, source="import")


# --- the world ---------------------------------------------------------------------------------------

CONCRETE = [
    ("TCVN 3106:2022", "Hỗn hợp bê tông - Phương pháp xác định độ sụt", "Fresh concrete - Test method for slump"),
    ("TCVN 3109:2022", "Hỗn hợp bê tông - Phương pháp xác định độ tách vữa và độ tách nước",
     "Fresh concrete - Test method for mortar segregation and bleeding"),
    ("TCVN 3111:2022", "Hỗn hợp bê tông - Phương pháp áp suất xác định hàm lượng bọt khí",
     "Fresh concrete - Test method for air content by the pressure method"),
    ("TCVN 3112:2022", "Bê tông - Phương pháp xác định khối lượng riêng và độ rỗng",
     "Hardened concrete - Test method for absolute density and porosity"),
    ("TCVN 3113:2022", "Bê tông - Phương pháp xác định độ hút nước", "Hardened concrete - Test method for water absorption"),
    ("TCVN 3114:2022", "Bê tông - Phương pháp xác định độ mài mòn", "Hardened concrete - Test method for abrasion"),
    ("TCVN 3115:2022", "Bê tông - Phương pháp xác định khối lượng thể tích", "Hardened concrete - Test method for density"),
    ("TCVN 3116:2022", "Bê tông - Phương pháp xác định độ chống thấm nước - Phương pháp vết thấm",
     "Hardened concrete - Test method for water tightness - Watermark method"),
    ("TCVN 3117:2022", "Bê tông - Phương pháp xác định độ co", "Hardened concrete - Test method for shrinkage"),
    ("TCVN 3118:2022", "Bê tông - Phương pháp xác định cường độ chịu nén",
     "Hardened concrete - Test method for compressive strength"),
    ("TCVN 3119:2022", "Bê tông - Phương pháp xác định cường độ chịu kéo khi uốn",
     "Hardened concrete - Test method for flexural tensile strength"),
    ("TCVN 3120:2022", "Bê tông - Phương pháp xác định cường độ chịu kéo khi bửa",
     "Hardened concrete - Test method for splitting tensile strength"),
]

OTHERS = [
    # code, title_vi, title_en, extra fields
    ("TCVN 5408:2007", "Lớp phủ kẽm nhúng nóng trên bề mặt sản phẩm gang và thép - Yêu cầu kỹ thuật và phương pháp thử",
     "Hot dip galvanized coatings on fabricated iron and steel articles - Specifications and test methods", {}),
    ("TCVN 5979:2021", "Đất, chất thải sinh học đã xử lý và bùn - Xác định pH",
     "Soil, treated biowaste and sludge - Determination of pH", {}),
    ("TCVN 14134-5:2024", "Đất dùng trong xây dựng đường bộ - Phương pháp thử - Phần 5: Xác định đương lượng cát",
     "Soils for highway construction - Test methods - Part 5: Determination of the sand equivalent", {}),
    ("TCVN 3736:1982", "Xi măng - Phương pháp nhanh xác định giới hạn bền khi nén",
     "Cement - Quick method of testing in compression strength", {"status": "unknown"}),
    ("TCVN 2682:2020", "Xi măng poóc lăng - Yêu cầu kỹ thuật", "Portland cements - Specifications", {}),
    ("TCVN 2682:2009", "Xi măng poóc lăng - Yêu cầu kỹ thuật", "Portland cements - Specifications", {"status": "replaced"}),
    ("TCVN 6260:2020", "Xi măng poóc lăng hỗn hợp - Yêu cầu kỹ thuật", "Portland blended cements - Specifications", {}),
    ("TCVN 1651-1:2018", "Thép cốt bê tông - Phần 1: Thép thanh tròn trơn",
     "Steel for the reinforcement of concrete - Part 1: Plain bars", {}),
    ("TCVN 1651-2:2018", "Thép cốt bê tông - Phần 2: Thép thanh vằn",
     "Steel for the reinforcement of concrete - Part 2: Ribbed bars", {}),
    ("TCVN 1450:2009", "Gạch rỗng đất sét nung", "Hollow clay bricks", {}),
    ("TCVN 1451:1998", "Gạch đặc đất sét nung", "Solid clay bricks", {}),
    ("TCVN 9395:2012", "Cọc khoan nhồi - Thi công và nghiệm thu", "Bored pile - Construction, check and acceptance", {}),
    ("QCVN 32:2026/BXD", "Quy chuẩn kỹ thuật quốc gia về đường sắt đô thị - Loại hình metro",
     "National technical regulation on urban railways - Metro type", {"status": "draft"}),
    ("QCVN 8-1:2011/BYT", "Quy chuẩn kỹ thuật quốc gia đối với giới hạn ô nhiễm độc tố vi nấm trong thực phẩm",
     "National technical regulation on the limits of mycotoxins contamination in food", {}),
    ("QCVN 8-2:2011/BYT", "Quy chuẩn kỹ thuật quốc gia đối với giới hạn ô nhiễm kim loại nặng trong thực phẩm",
     "National technical regulation on the limits of heavy metals contamination in food", {}),
    ("QCVN 8-3:2012/BYT", "Quy chuẩn kỹ thuật quốc gia đối với ô nhiễm vi sinh vật trong thực phẩm",
     "National technical regulation on microbiological contaminants in food", {}),
    ("QCVN 6-1:2010/BYT", "Quy chuẩn kỹ thuật quốc gia đối với nước khoáng thiên nhiên và nước uống đóng chai",
     "National technical regulation for bottled/packaged natural mineral waters and drinking waters", {}),
    ("QCVN 6-3:2010/BYT", "Quy chuẩn kỹ thuật quốc gia đối với các sản phẩm đồ uống có cồn",
     "National technical regulation for alcoholic beverages", {}),
    ("QCVN 12-1:2011/BYT", "Quy chuẩn kỹ thuật quốc gia về an toàn vệ sinh đối với bao bì, dụng cụ bằng nhựa tổng hợp "
     "tiếp xúc trực tiếp với thực phẩm", "National technical regulation on safety and hygiene for synthetic resin "
     "implement, container and packaging in direct contact with foods", {}),
    ("TCVN 7087:2013", "Ghi nhãn thực phẩm bao gói sẵn", "Labelling of prepackaged foods", {}),
    ("TCVN 5107:2018", "Nước mắm", "Fish sauce", {}),
    ("TCVN 7879:2008", "Mì ăn liền", "Instant noodles", {}),
    ("TCVN 11888:2017", "Gạo trắng", "White rice", {}),
    ("TCVN 4193:2014", "Cà phê nhân", "Green coffee", {}),
    ("TCVN 7975:2008", "Chè thảo mộc túi lọc", "Herbal tea in bags", {}),
    ("TCVN 12605:2019", "Mật ong", "Honey", {}),
    ("TCVN 7968:2008", "Rau mầm ăn được", "Edible sprouts", {"is_sample": True}),
    ("TCVN 8852:2011", "Vải quả tươi", "Fresh litchi", {}),
    ("TCVN ISO 9001:2015", "Hệ thống quản lý chất lượng - Các yêu cầu", "Quality management systems - Requirements", {}),
    ("TCVN ISO/IEC 17025:2017", "Yêu cầu chung về năng lực của phòng thử nghiệm và hiệu chuẩn",
     "General requirements for the competence of testing and calibration laboratories", {}),
    ("TCVN 4884-1:2015", "Vi sinh vật trong chuỗi thực phẩm - Phương pháp định lượng vi sinh vật - Phần 1: Đếm khuẩn "
     "lạc ở 30 độ C bằng kỹ thuật đổ đĩa", "Microbiology of the food chain - Horizontal method for the enumeration "
     "of microorganisms - Part 1: Colony count at 30 degrees C by the pour plate technique", {}),
    ("TCVN 6848:2007", "Vi sinh vật trong thực phẩm và thức ăn chăn nuôi - Phương pháp định lượng coliform - "
     "Kỹ thuật đếm khuẩn lạc", "Microbiology of food and animal feeding stuffs - Horizontal method for the "
     "enumeration of coliforms - Colony-count technique", {}),
    ("TCVN 8129:2019", "Vi sinh vật trong chuỗi thực phẩm - Kỹ thuật lấy mẫu bề mặt",
     "Microbiology of the food chain - Horizontal methods for surface sampling", {}),
]

RELATIONS = [
    *[(c, "replaces", c.replace(":2022", ":1993"), None) for c, _, _ in CONCRETE],
    ("TCVN 3118:2022", "equivalent", "GOST 10180-2012", "reference"),
    ("TCVN 3106:2022", "equivalent", "GOST 10181-2014", "reference"),
    ("TCVN 5408:2007", "equivalent", "ISO 1461:1999", "IDT"),
    ("TCVN 5979:2021", "replaces", "TCVN 5979:2007", None),
    ("TCVN 5979:2021", "equivalent", "ISO 10390:2021", "IDT"),
    ("TCVN 14134-5:2024", "equivalent", "AASHTO T 176", "reference"),
    ("TCVN 2682:2020", "replaces", "TCVN 2682:2009", None),
    ("TCVN 6260:2020", "replaces", "TCVN 6260:2009", None),
    ("TCVN 9395:2012", "converted_from", "TCXDVN 326:2004", None),
    ("TCVN 7087:2013", "equivalent", "CODEX STAN 1-1985", "MOD"),
    ("TCVN 5107:2018", "replaces", "TCVN 5107:2003", None),
    ("TCVN 4884-1:2015", "equivalent", "ISO 4833-1:2013", "IDT"),
    ("TCVN 6848:2007", "equivalent", "ISO 4832:2006", "IDT"),
    ("TCVN 8129:2019", "equivalent", "ISO 18593:2018", "IDT"),
    ("TCVN ISO/IEC 17025:2017", "replaces", "TCVN ISO/IEC 17025:2007", None),
]

PRODUCTS = [
    # name, category, district, description, aliases
    ("Mỳ gạo Chũ Xuân Trường", "Thực phẩm", "Lục Ngạn", "Mỳ gạo làm từ gạo Bao thai, phơi khô, đóng gói", ["mì Chũ"]),
    ("Mỳ ngũ sắc", "Thực phẩm", "Lục Ngạn", "Mỳ gạo nhuộm màu tự nhiên từ rau củ, đóng gói", []),
    ("Giò lụa heo thảo dược Bình Minh", "Thực phẩm", "Hiệp Hòa", "Giò lụa từ thịt lợn nuôi thảo dược", []),
    ("Nem nướng Liên Chung", "Thực phẩm", "Tân Yên", "Nem nướng thịt lợn", []),
    ("Rượu Nếp cái hoa vàng", "Đồ uống", "Việt Yên", "Rượu trắng chưng cất từ gạo nếp cái hoa vàng", []),
    ("Mật ong hoa vải Hằng Hiếu", "Thực phẩm", "Lục Ngạn", "Mật ong nguyên chất từ hoa vải thiều", []),
    ("Vải thiều Lục Ngạn", "Trái cây", "Lục Ngạn", "Quả vải thiều tươi", ["vải thiều"]),
    ("Trà hoa cúc chi", "Đồ uống", "Lục Ngạn", "Trà hoa cúc sấy khô, đóng túi", []),
    ("Thịt sào mắm ruốc PTK", "Thực phẩm", "Tiên Du", "Thịt lợn sào với mắm ruốc, đóng hũ", []),
    ("Mắm tép chưng thịt PTK", "Thực phẩm", "Tiên Du", "Mắm tép chưng thịt, đóng hũ thủy tinh", []),
    ("Nước mắm cá cơm Kinh Bắc", "Thực phẩm", "Gia Bình", "Nước mắm truyền thống ủ chượp từ cá cơm", [],),
    ("Rau mầm cải Yên Phong", "Rau", "Yên Phong", "Rau mầm cải trồng thủy canh", []),
    ("Gạo nếp cái hoa vàng Thái Sơn", "Thực phẩm", "Hiệp Hòa", "Gạo nếp đặc sản, đóng túi", []),
    ("Bông tắm xơ mướp", "Hàng tiêu dùng", "Thuận Thành", "Bông tắm làm từ xơ mướp tự nhiên", []),
    ("Nhang ngải cứu Cát Lát", "Hàng tiêu dùng", "Lương Tài", "Nhang làm từ ngải cứu", []),
    ("Thép xây dựng Đa Hội", "Vật liệu xây dựng", "Từ Sơn", "Thép thanh vằn cán từ phôi thép tái chế, làng nghề Đa Hội",
     ["sắt thép Đa Hội"]),
    ("Gạch đất nung Quế Võ", "Vật liệu xây dựng", "Quế Võ", "Gạch đặc đất sét nung bằng lò tuynel", []),
    ("Bê tông thương phẩm Bắc Ninh", "Vật liệu xây dựng", "Tiên Du", "Bê tông trộn sẵn mác 250-400", []),
]

LABS = [
    ("Phòng thí nghiệm VLXD và kiểm định chất lượng công trình xây dựng", "LAS-XD 164", "Quảng Trị",
     [("Bê tông", "Xác định cường độ chịu nén", ["TCVN 3118:2022"]),
      ("Hỗn hợp bê tông", "Xác định độ sụt", ["TCVN 3106:2022"]),
      ("Xi măng", "Xác định khối lượng riêng, độ mịn", ["TCVN 13605:2023", "ASTM C188"]),
      ("Thép", "Thử kéo", ["TCVN 197-1:2014"])]),
    ("Công ty TNHH Phân tích kiểm nghiệm Việt Tín", "VILAS 1074", "TP. Hồ Chí Minh",
     [("Thực phẩm", "Xác định hàm lượng đồng (Cu) bằng quang phổ hấp thu nguyên tử ngọn lửa", []),
      ("Thực phẩm", "Định lượng coliform", ["TCVN 6848:2007"])]),
    ("Phòng Phân tích – Kiểm nghiệm", "VILAS 997", "Hà Nội",
     [("Mẫu bề mặt tiếp xúc", "Lấy mẫu bề mặt tiếp xúc bằng kỹ thuật phết bề mặt", ["TCVN 8129:2019"])]),
    ("Phòng thử nghiệm IQC", "VILAS 798", "Hà Nội",
     [("Khăn giấy, giấy vệ sinh", "Xác định độ bền kéo", ["TCVN 8309-4:2010"])]),
]

CATEGORY_RULES = [
    ("Thực phẩm", "QCVN 8-1:2011/BYT", "mandatory"),
    ("Thực phẩm", "QCVN 8-2:2011/BYT", "mandatory"),
    ("Thực phẩm", "TCVN 7087:2013", "labelling"),
    ("Đồ uống", "TCVN 7087:2013", "labelling"),
]

_NOISE_SUBJECTS = ["Bê tông", "Vữa xây dựng", "Cốt liệu cho bê tông", "Đất xây dựng", "Thực phẩm", "Nước",
                   "Sản phẩm thủy sản", "Gạo", "Chè", "Thép", "Gạch", "Gỗ", "Sơn", "Phân bón", "Thức ăn chăn nuôi"]
_NOISE_PROPS = ["độ ẩm", "hàm lượng tro", "cường độ", "độ bền uốn", "hàm lượng chì", "độ pH", "khối lượng riêng",
                "độ hút nước", "hàm lượng nitơ", "tạp chất", "kích thước hạt", "độ mài mòn", "nhiệt độ hóa mềm"]


def noise(n: int, seed: int = 7) -> list[tuple[str, str, str]]:
    """Generated look-alike standards: same words, other codes (a few replaced editions among them)."""
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        subj, prop = rnd.choice(_NOISE_SUBJECTS), rnd.choice(_NOISE_PROPS)
        code = f"TCVN {20000 + i}:{rnd.choice([2005, 2010, 2015, 2019, 2023])}"
        status = rnd.choice(["in_force"] * 4 + ["replaced", "unknown"])
        out.append((code, f"{subj} - Phương pháp xác định {prop}", status))
    return out


def build_world(kbase, *, noise_records: int = 200) -> None:
    with kbase.session() as s:
        for code, vi, en in CONCRETE:
            make_standard(s, code, vi, title_en=en, ics="91.100.30")
        for code, vi, en, extra in OTHERS:
            make_standard(s, code, vi, title_en=en, **extra)
        for code, title, status in noise(noise_records):
            make_standard(s, code, title, status=status)
        for a, rel, b, q in RELATIONS:
            relate(s, a, rel, b, q)
        for name, cat, district, desc, aliases in PRODUCTS:
            make_product(s, name, category=cat, district=district, description=desc, aliases=aliases, kind="ocop")
        for name, acc, district, scope in LABS:
            make_lab(s, name, acc, scope, district=district)
        for cat, code, typ in CATEGORY_RULES:
            s.add(CategoryRule(category=cat, standard_code=code, type=typ))


#: Sample product groups (is_sample): slug, name, kind, parent slug, aliases, keywords, description, route.
GROUPS = [
    ("thuc-pham", "Thực phẩm", "ocop", None, [], ["thực phẩm"], "Nhóm thực phẩm của chương trình OCOP",
     "Tự công bố sản phẩm theo Nghị định 15/2018/NĐ-CP; đáp ứng các quy chuẩn an toàn thực phẩm của Bộ Y tế."),
    ("gom-phu-lang", "Gốm Phù Lãng", "trade", None, ["gốm sành nâu"], ["gốm", "chum", "vại"],
     "Gốm sành nâu làng Phù Lãng, Quế Võ", None),
    ("tranh-dong-ho", "Tranh dân gian Đông Hồ", "trade", None, ["tranh Đông Hồ"], ["tranh khắc gỗ"],
     "Tranh in khắc gỗ trên giấy dó, làng Đông Hồ, Thuận Thành", None),
    ("banh-keo", "Bánh, kẹo", "ocop", "thuc-pham", [], ["bánh", "kẹo"], "Bánh và kẹo truyền thống", None),
]


def add_groups(kbase) -> dict[str, int]:
    """The sample groups above (parents first); returns slug -> id."""
    ids: dict[str, int] = {}
    with kbase.session() as s:
        for slug, name, kind, parent, aliases, keywords, description, route in GROUPS:
            g = ProductGroup(slug=slug, name=name, kind=GroupKind(kind), parent_id=ids.get(parent) if parent else None,
                             aliases=aliases, keywords=keywords, description=description, route=route, is_sample=True)
            s.add(g)
            s.flush()
            ids[slug] = g.id
    return ids


def approve(kbase, product_name: str, code: str, type: str = "voluntary") -> None:
    """A curator's approved mapping, written directly (the curation service is another module)."""
    with kbase.session() as s:
        p = s.exec(select(Product).where(Product.name == product_name)).one()
        std = kb_standards.require_standard(s, code)
        s.add(Mapping(product_id=p.id, standard_id=std.id, type=type, status=MappingStatus.approved,
                      source=MappingSource.curator))
