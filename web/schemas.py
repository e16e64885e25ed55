"""Response models of the JSON API: they document the contract in /openapi.json.

Each model names the fields clients may rely on and allows extra ones, so the read models in
``kb.read`` can grow without the API silently dropping data.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class SearchHit(_Open):
    kind: Literal["standard", "product", "lab", "group"]
    id: int
    code: str | None = None
    accreditation: str | None = None
    title: str | None = None
    status: str | None = None
    url: str
    score: float
    #: Near matches only: why the record is not an answer.
    why: str | None = None


class GroupRoute(_Open):
    """A product group offered when there is no answer, with the general route for its products."""

    name: str
    url: str
    route: str | None = None


class AgencyContact(_Open):
    """An agency's contact as curated in the database; a field nobody has verified is null."""

    name: str
    unit: str | None = None
    address: str | None = None
    phone: str | None = None
    email: str | None = None
    website: str | None = None
    verified_at: str | None = None


class SearchResponse(_Open):
    query: str
    hits: list[SearchHit]
    total: int = 0
    near: list[SearchHit] = []
    near_total: int = 0
    did_you_mean: str | None = None
    groups: list[GroupRoute] = []
    groups_fit: bool = False
    contact: AgencyContact | None = None
    #: True while the search index is rebuilt: the answer came from the database (slower, simpler ranking).
    degraded: bool = False

    model_config = ConfigDict(extra="allow", json_schema_extra={"example": {
        "query": "banh phu the",
        "hits": [{"kind": "product", "id": 3, "code": None, "accreditation": None, "title": "Bánh phu thê Đình Bảng",
                  "status": None, "url": "/products/3", "score": 12.5, "why": None}],
        "total": 1, "near": [], "near_total": 0,
        "did_you_mean": None, "groups": [], "groups_fit": False, "contact": None, "degraded": False,
    }})


class Validity(_Open):
    state: Literal["valid", "expiring", "lapsed", "unknown"]
    label: str
    days_left: int | None = None


class LabBrief(_Open):
    id: int
    name: str
    accreditation: str
    valid_until: str | None = None
    validity: Validity | None = None
    url: str


class CodeRef(_Open):
    code: str
    in_kb: bool
    url: str | None = None
    status: str | None = None


class Relation(_Open):
    relation: str
    code: str
    qualifier: str | None = None
    in_kb: bool
    canonical: str | None = None
    url: str | None = None


class Relations(_Open):
    outgoing: list[Relation]
    incoming: list[Relation]


class CriterionOut(_Open):
    name: str
    requirement: str | None = None
    unit: str | None = None
    method: str | None = None
    method_code: str | None = None


class StandardProduct(_Open):
    id: int
    name: str
    mapping_type: str
    url: str


class StandardDetail(_Open):
    id: int
    code: str
    title: str | None = None
    status: str
    mandatory: bool
    url: str
    provenance: dict
    relations: Relations
    replaced_by: list[CodeRef]
    products: list[StandardProduct]
    labs: list[LabBrief]
    criteria: list[CriterionOut]
    #: The legal documents the issuing instrument names that the knowledge base holds, with their status today.
    issuing_instrument_documents: list[LegalRef] = []


class GroupRef(_Open):
    slug: str
    name: str
    url: str


class ProductStandard(_Open):
    code: str
    title: str | None = None
    mapping_type: str
    mandatory: bool
    status: str
    url: str
    labs: list[LabBrief]
    #: The group whose mapping the product inherits ("áp dụng cho cả nhóm …"); null for its own.
    inherited_from: GroupRef | None = None

    model_config = ConfigDict(extra="allow", json_schema_extra={"example": {
        "code": "QCVN 8-1:2011/BYT", "title": "Quy chuẩn kỹ thuật quốc gia đối với giới hạn ô nhiễm độc tố vi nấm "
        "trong thực phẩm", "mapping_type": "mandatory", "mandatory": True, "status": "in_force",
        "url": "/standards/QCVN%208-1:2011/BYT",
        "labs": [{"id": 1, "name": "Phòng thí nghiệm mẫu", "accreditation": "VILAS 1074", "valid_until": "2027-05-01",
                  "url": "/labs/1"}],
    }})


class MandatoryRegulation(_Open):
    code: str
    title: str | None = None
    url: str
    mapping_type: str
    inherited_from: GroupRef | None = None


class MandatorySection(_Open):
    """The "Quy chuẩn bắt buộc" section of a product or group page (``kb.read.mandatory``); the review
    fields are set in the ``none`` state only."""

    state: Literal["regulations", "none", "unreviewed"]
    label: str
    regulations: list[MandatoryRegulation]
    reviewed_at: str | None = None
    reviewed_by: str | None = None
    note: str | None = None

    model_config = ConfigDict(extra="allow", json_schema_extra={"example": {
        "state": "none", "label": "Không có quy chuẩn bắt buộc (đã rà soát ngày 05/12/2026, bởi curator1).",
        "regulations": [], "reviewed_at": "2026-12-05", "reviewed_by": "curator1", "note": None,
    }})


class LegalBasisItem(_Open):
    """One document of a legal basis, once: its number when the citation has one, and the text shown."""

    code: str | None = None
    text: str


class StandardLink(_Open):
    code: str
    url: str


class NextStep(_Open):
    """One route of "Việc cần làm tiếp theo", from its curated procedure record (``recorded`` false: none yet).
    What is not known is null or empty, never guessed: then ``contact`` is the provincial DOST to ask."""

    kind: Literal["hop_quy", "hop_chuan", "tu_cong_bo", "kiem_tra_chat_luong"]
    recorded: bool
    title: str
    summary: str | None = None
    steps: list[str]
    documents: list[str]
    standards: list[StandardLink]
    #: Where to file: the agency as the database holds it (null: the receiving office is not verified).
    agency: AgencyContact | None = None
    agency_missing: list[str] = []
    #: Whom to ask when the office or its contact is not known (DOST), and which of its details are unverified.
    contact: AgencyContact | None = None
    contact_missing: list[str] = []
    fees: str | None = None
    duration: str | None = None
    #: The procedure's legal basis and the mappings' curated bases, each document once.
    legal_basis: list[LegalBasisItem]
    source: str | None = None
    reviewed_by: str | None = None
    reviewed_at: str | None = None


class HsCodeOut(_Open):
    code: str  # digits: 8, or 2/4/6 for every line under them
    dotted: str  # 8516.60.10
    description: str | None = None  # the nomenclature's words, when it is imported


class RiskDecisionOut(_Open):
    """A curator's answer on whether a risk-list item applies to the product, and the version to change it at."""

    id: int
    applies: bool
    note: str | None = None
    decided_by: str | None = None
    decided_at: str
    version: int


class Requirement(_Open):
    """One row of a risk list in force that names the product's HS code (``confirmed``: a curator said it
    applies, false: matched by the code only; ``ambiguous``: the code sits under several items and a curator
    must say which applies, or the row is narrower than the product's code, ``narrower``; ``match`` says which
    in words; ``decision``: the curator's answer, if any; ``document_title``: what the list is about)."""

    document: str
    document_title: str | None = None
    annex: str | None = None
    item: str | None = None
    hs_code: str
    control: Literal["quality_inspection", "conformity_declaration", "food_safety_check"]
    risk: Literal["high", "medium"] | None = None
    description: str | None = None
    source_page: int | None = None
    confirmed: bool
    ambiguous: bool = False
    narrower: bool = False
    match: str | None = None
    decision: RiskDecisionOut | None = None


class Regulatory(_Open):
    on: str
    risk: Literal["high", "medium", "low", "unknown"]
    requirements: list[Requirement]
    #: Items a curator said do not apply to the product: not in ``requirements`` nor in ``risk``.
    excluded: list[Requirement] = []


class RiskItemAnswer(_Open):
    """The answer on record for one risk-list item of a product after a change (``decision`` null: none)."""

    product_id: int
    document: str
    annex: str | None = None
    item: str | None = None
    hs_code: str
    decision: RiskDecisionOut | None = None
    #: The audit event of the change (null: the same answer was already on record).
    event_id: int | None = None
    summary: str | None = None


class ProductDetail(_Open):
    id: int
    name: str
    kind: str
    url: str
    standards: list[ProductStandard]
    mandatory: MandatorySection
    product_groups: list[GroupRef] = []
    next_steps: list[NextStep] = []
    hs_codes: list[HsCodeOut] = []
    regulatory: Regulatory


class ScopeRowOut(_Open):
    id: int
    material: str | None = None
    test: str
    range: str | None = None
    method: str | None = None
    accredited: bool
    methods: list[CodeRef]


class LabDetail(_Open):
    id: int
    name: str
    accreditation: str
    valid_until: str | None = None
    validity: Validity
    url: str
    scope: list[ScopeRowOut]


class ExportedMapping(_Open):
    product_id: int
    product: str
    standard: str
    type: str
    rationale: str | None = None
    legal_basis: str | None = None


class GroupNode(GroupRef):
    kind: str
    members: int
    children: list[GroupNode]


class GroupKindTree(_Open):
    kind: Literal["trade", "hs_chapter", "ocop"]
    label: str
    groups: list[GroupNode]


class GroupList(_Open):
    total: int
    kinds: list[GroupKindTree]


class GroupMember(_Open):
    id: int
    name: str
    url: str


class GroupStandard(_Open):
    code: str
    title: str | None = None
    status: str
    mapping_type: str
    mandatory: bool
    url: str
    inherited_from: GroupRef | None = None


class GroupDetail(GroupRef):
    kind: Literal["trade", "hs_chapter", "ocop"]
    kind_label: str
    description: str | None = None
    route: str | None = None
    sources: list[str]
    parent: GroupRef | None = None
    children: list[GroupRef]
    members: list[GroupMember]
    mappings: list[GroupStandard]
    mandatory: MandatorySection

    model_config = ConfigDict(extra="allow", json_schema_extra={"example": {
        "slug": "ruou-lang-van", "name": "Rượu làng Vân", "url": "/groups/ruou-lang-van", "kind": "trade",
        "kind_label": "Ngành nghề", "description": "Rượu nấu từ gạo nếp ở làng Vân …", "route": "Rượu là thực phẩm: …",
        "sources": ["https://baodanang.vn/channel/6059/201612/van-huong-my-tuu-2530848"], "parent": None,
        "children": [], "members": [],
        "mappings": [{"code": "QCVN 6-3:2010/BYT", "title": "Quy chuẩn kỹ thuật quốc gia đối với các sản phẩm đồ uống có "
                      "cồn", "status": "in_force", "mapping_type": "mandatory", "mandatory": True,
                      "url": "/standards/QCVN%206-3:2010/BYT", "inherited_from": None}],
    }})


class LegalSuccessor(_Open):
    """A later document that replaces or amends this one, from a date (null: the date is not known)."""

    code: str
    url: str
    relation: Literal["replaces", "amends"]
    on: str | None = None


class LegalRef(_Open):
    """A legal document and its status on the date asked (``stale``: replaced or expired then)."""

    code: str
    kind: Literal["law", "decree", "circular", "decision", "other"]
    kind_label: str
    title: str | None = None
    issuer: str | None = None
    url: str
    status: Literal["in_force", "not_yet", "amended", "replaced", "expired", "unknown"]
    status_label: str
    stale: bool
    replaced_by: list[LegalSuccessor]
    expired_from: str | None = None


class LegalKindList(_Open):
    kind: str
    label: str
    documents: list[LegalRef]


class LegalList(_Open):
    on: str
    count: int
    kinds: list[LegalKindList]


class LegalRelationOut(_Open):
    relation: Literal["replaces", "amends", "guides"]
    relation_label: str
    code: str
    url: str | None = None
    on: str | None = None
    basis: str | None = None


class LegalCitedBy(_Open):
    """What in the knowledge base names the document: approved mappings (product + standard), group
    mappings, and standards it issued."""

    mappings: list[dict]
    group_mappings: list[dict]
    standards: list[dict]


class LegalDetail(LegalRef):
    on: str
    issued: str | None = None
    effective_from: str | None = None
    effective_until: str | None = None
    source_url: str | None = None
    note: str | None = None
    relations: list[LegalRelationOut]
    successors: list[LegalSuccessor]
    cited_by: LegalCitedBy

    model_config = ConfigDict(extra="allow", json_schema_extra={"example": {
        "code": "29/2025/TT-BKHCN", "kind": "circular", "kind_label": "Thông tư", "title": None, "issuer": None,
        "url": "/legal/29/2025/TT-BKHCN", "status": "replaced", "status_label": "Đã được thay thế", "stale": True,
        "replaced_by": [{"code": "36/2026/TT-BKHCN", "url": "/legal/36/2026/TT-BKHCN", "relation": "replaces",
                         "on": "2026-07-01"}],
        "on": "2026-12-06", "relations": [], "successors": [], "cited_by": {"mappings": [], "group_mappings": [],
                                                                            "standards": []},
    }})


# --- Curation: the mapping list and bulk decisions (web/routes/curate/api.py) -------------------------


class ApiError(_Open):
    """Every 4xx answer: one message in Vietnamese."""

    detail: str


class MappingOut(_Open):
    """A product ↔ standard mapping with its product's name and its standard's designation."""

    id: int
    product_id: int
    product: str
    standard_id: int
    standard: str
    type: str
    status: Literal["suggested", "approved", "rejected"]
    source: str
    score: float | None = None
    #: Why it was suggested (the matcher's or a rule's words).
    reasons: list[str] = []
    #: Send it back to decide: a decision on an older version is a conflict.
    version: int


class MappingList(_Open):
    total: int
    page: int
    per_page: int
    pages: int
    items: list[MappingOut]


class BulkItemResult(_Open):
    """One id of a bulk decision: ``ok`` (applied, with its audit event), ``conflict`` (a stale version, or
    decided before: left as it is) or ``not_found``."""

    id: int
    result: Literal["ok", "conflict", "not_found"]
    status: str | None = None
    version: int | None = None
    event_id: int | None = None
    detail: str | None = None


class BulkDecision(_Open):
    status: Literal["approved", "rejected"]
    counts: dict[str, int]
    results: list[BulkItemResult]
