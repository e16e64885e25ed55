"""Domain model: SQLModel tables (edition level) and the payloads the write services take.

``XCreate`` is a whole record as an import, a document or a form states it (an upsert writes only the
fields set); ``XUpdate`` is an edit, every field optional, applied with ``model_dump(exclude_unset=True)``.
The services' ``parse_*`` functions build them from raw rows and forms.

The schema changes only through Alembic migrations in ``kb/migrations``; ``kb init`` applies them.
JSON columns hold small structured values (aliases, provenance, reasons) that are never queried by SQL.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import Any, Protocol, TypeVar

from pydantic import ValidationError
from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint, false
from sqlalchemy import Enum as SAEnum
from sqlalchemy import true as sa_true
from sqlmodel import Field, SQLModel

from kb.errors import BadInput


def utcnow() -> datetime:
    return datetime.now(UTC)


class _Stored(Protocol):
    id: int | None


def pk(row: _Stored) -> int:
    """The id of a row read from the database (models type it ``int | None`` for rows not yet saved)."""
    if row.id is None:
        raise ValueError(f"{type(row).__name__} has no id: it was never saved")
    return row.id


P = TypeVar("P", bound=SQLModel)


def payload(model: type[P], values: dict[str, Any]) -> P:
    """``values`` as a typed payload; a value the model refuses is bad input that names its field."""
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(x) for x in err["loc"]) or model.__name__
        limit = (err.get("ctx") or {}).get("max_length")
        reason = f"dài quá {limit} ký tự" if err["type"] == "string_too_long" else "giá trị không hợp lệ"
        raise BadInput(f"{field}: {reason}") from None


def enum_column(enum_cls: type[enum.Enum], **kwargs: Any) -> Column:
    """Store an enum by its value as a checked VARCHAR: portable, and new values need no type migration."""
    return Column(
        SAEnum(
            enum_cls,
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
            validate_strings=True,
        ),
        nullable=False,
        **kwargs,
    )


class StandardStatus(str, enum.Enum):
    in_force = "in_force"
    replaced = "replaced"
    withdrawn = "withdrawn"
    draft = "draft"
    unknown = "unknown"


STATUS_LABELS_VI = {
    "in_force": "Còn hiệu lực",
    "replaced": "Đã bị thay thế",
    "withdrawn": "Đã hủy bỏ",
    "draft": "Dự thảo",
    "unknown": "Chưa rõ",
}


class RelationType(str, enum.Enum):
    replaces = "replaces"
    amends = "amends"
    converted_from = "converted_from"
    equivalent = "equivalent"  # qualifier: IDT / MOD / NEQ / reference
    cites = "cites"  # qualifier: dated / undated


class ProductKind(str, enum.Enum):
    key = "key"
    ocop = "ocop"
    other = "other"


class MappingType(str, enum.Enum):
    mandatory = "mandatory"
    voluntary = "voluntary"
    test_method = "test_method"
    labelling = "labelling"
    packaging = "packaging"
    hygiene = "hygiene"
    other = "other"


MAPPING_TYPE_LABELS_VI = {
    "mandatory": "Quy chuẩn bắt buộc",
    "voluntary": "Tiêu chuẩn tự nguyện",
    "test_method": "Phương pháp thử",
    "labelling": "Ghi nhãn",
    "packaging": "Bao gói",
    "hygiene": "Vệ sinh, an toàn",
    "other": "Khác",
}


class MappingStatus(str, enum.Enum):
    suggested = "suggested"
    approved = "approved"
    rejected = "rejected"


class MappingSource(str, enum.Enum):
    auto = "auto"
    curator = "curator"
    import_ = "import"


class Role(str, enum.Enum):
    admin = "admin"
    curator = "curator"
    lab = "lab"


class IngestStatus(str, enum.Enum):
    ingested = "ingested"
    unchanged = "unchanged"
    needs_ocr = "needs_ocr"
    failed = "failed"


class Versioned(SQLModel):
    """Columns every editable record carries: optimistic-lock version and timestamps."""

    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow, index=True)


# --- Documents (ingested files) -------------------------------------------------------------------


class Document(SQLModel, table=True):
    """An ingested source file, with or without a designation of its own."""

    id: int | None = Field(default=None, primary_key=True)
    sha256: str = Field(index=True, unique=True, max_length=64)
    file_name: str
    stored_path: str | None = None  # relative to the data dir
    kind: str = "other"  # standard | regulation | lab_scope | catalogue | other
    title: str | None = None
    pages: int = 0
    text_layer: bool = True
    legacy_font: str | None = None  # tcvn3 / vni when transcoded
    may_show: bool = False  # the source PDF may be offered for download
    created_at: datetime = Field(default_factory=utcnow)


class DocumentPage(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("document_id", "page_no"),)

    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="document.id", index=True)
    page_no: int
    text: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))


# --- Standards ------------------------------------------------------------------------------------


class StandardBase(SQLModel):
    code: str = Field(index=True, unique=True, max_length=120)
    doc_type: str = Field(default="other", max_length=20)
    number: str | None = None
    part: str | None = None
    year: int | None = None
    issuer_suffix: str | None = None
    title_vi: str | None = Field(default=None, sa_column=Column(Text))
    title_en: str | None = Field(default=None, sa_column=Column(Text))
    edition: str | None = None
    status: StandardStatus = Field(default=StandardStatus.unknown, sa_column=enum_column(StandardStatus, index=True))
    mandatory: bool = False
    drafted_by: str | None = Field(default=None, sa_column=Column(Text))
    proposed_by: str | None = Field(default=None, sa_column=Column(Text))
    appraised_by: str | None = Field(default=None, sa_column=Column(Text))
    published_by: str | None = Field(default=None, sa_column=Column(Text))
    issuing_instrument: str | None = None
    effective_date: date | None = None
    ics: str | None = None
    scope: str | None = Field(default=None, sa_column=Column(Text))
    is_sample: bool = False


class Standard(StandardBase, Versioned, table=True):
    id: int | None = Field(default=None, primary_key=True)
    #: Folded compact key of the code (``tcvn3118:2022``): every spelling finds the record.
    code_key: str = Field(index=True, unique=True, max_length=120)
    #: Same without the year: all editions of one standard share it.
    series_key: str = Field(index=True, max_length=120)
    document_id: int | None = Field(default=None, foreign_key="document.id")
    #: field name -> {"page": int|None, "method": str, "verified": bool, "by": str|None}
    provenance: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    #: Extracted extras kept for display: sections, annexes, equivalence text ...
    extra: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class StandardUpdate(SQLModel):
    """The fields of a standard that ingest, imports and the curator's review may set: everything but the
    designation (and what derives from it) and bookkeeping. The fields set are applied."""

    title_vi: str | None = None
    title_en: str | None = None
    edition: str | None = None
    status: StandardStatus | None = None
    mandatory: bool | None = None
    drafted_by: str | None = None
    proposed_by: str | None = None
    appraised_by: str | None = None
    published_by: str | None = None
    issuing_instrument: str | None = None
    effective_date: date | None = None
    ics: str | None = None
    scope: str | None = None
    is_sample: bool | None = None


class StandardCreate(StandardUpdate):
    """A standard as a document, a catalogue or an import row states it: its designation and the fields read.
    Like every upsert (``kb.standards.upsert_standard``) it leaves the fields not set, or empty, as stored."""

    code: str


class StandardRelation(SQLModel, table=True):
    """A typed edge between designations; either end may be missing from the knowledge base."""

    __table_args__ = (UniqueConstraint("from_key", "relation", "to_key"),)

    id: int | None = Field(default=None, primary_key=True)
    from_code: str = Field(max_length=120)
    from_key: str = Field(index=True, max_length=120)
    relation: RelationType = Field(sa_column=enum_column(RelationType))
    to_code: str = Field(max_length=120)
    to_key: str = Field(index=True, max_length=120)
    qualifier: str | None = None  # IDT/MOD/NEQ/reference, dated/undated
    position: int = 0
    source: str = "ingest"  # ingest | import | curator


class Criterion(SQLModel, table=True):
    """One row of a product standard's criteria table (Chỉ tiêu | Mức | Phương pháp thử)."""

    id: int | None = Field(default=None, primary_key=True)
    standard_id: int = Field(foreign_key="standard.id", index=True)
    position: int = 0
    name: str = Field(sa_column=Column(Text, nullable=False))
    requirement: str | None = Field(default=None, sa_column=Column(Text))
    unit: str | None = None
    method: str | None = Field(default=None, sa_column=Column(Text))
    method_code: str | None = Field(default=None, max_length=120, index=True)
    page: int | None = None


# --- Products and mappings ------------------------------------------------------------------------


class MandatoryReview(SQLModel):
    """A curator's finding that no technical regulation is mandatory for a product or a group.

    With no mandatory mapping (own or inherited), the page says "không có quy chuẩn bắt buộc (đã rà soát
    ngày …, bởi …)" when these are set, and "chưa rà soát" otherwise (``kb.read.mandatory``)."""

    mandatory_reviewed_at: date | None = None
    mandatory_reviewed_by: str | None = None
    mandatory_review_note: str | None = None  # a plain column: a Column object cannot serve two tables


class ProductBase(SQLModel):
    name: str = Field(index=True, max_length=300)
    aliases: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    category: str | None = None
    kind: ProductKind = Field(default=ProductKind.other, sa_column=enum_column(ProductKind, index=True))
    ocop_stars: int | None = Field(default=None, ge=1, le=5)
    ocop_group: str | None = None
    ocop_year: int | None = None
    producer: str | None = None
    district: str | None = None
    commune: str | None = None
    description: str | None = Field(default=None, sa_column=Column(Text))
    source_url: str | None = None
    is_sample: bool = False


class Product(ProductBase, MandatoryReview, Versioned, table=True):
    __table_args__ = (UniqueConstraint("name", "producer"),)
    id: int | None = Field(default=None, primary_key=True)


class ProductCreate(ProductBase):
    """A whole product as an import row or the curator's form gives it (built by ``kb.products.parse_product``).

    Only the fields set are written: an upsert never erases what is known.
    """

    #: Stated HS codes (digits, ``kb.hs.normalize_hs``): stored as approved ``ProductHsCode`` rows, the one
    #: place a product's codes live (``kb.hscodes``); codes already there are kept.
    hs_codes: list[str] | None = None


class ProductUpdate(SQLModel):
    """A curator's edit of a product: the fields set are applied (``model_dump(exclude_unset=True)``)."""

    name: str | None = Field(default=None, max_length=300)  # the column's length, as in ProductBase
    aliases: list[str] | None = None
    category: str | None = None
    kind: ProductKind | None = None
    ocop_stars: int | None = None
    ocop_group: str | None = None
    ocop_year: int | None = None
    producer: str | None = None
    district: str | None = None
    commune: str | None = None
    description: str | None = None
    source_url: str | None = None
    is_sample: bool | None = None


class MappingBase(SQLModel):
    product_id: int = Field(foreign_key="product.id", index=True)
    standard_id: int = Field(foreign_key="standard.id", index=True)
    type: MappingType = Field(default=MappingType.voluntary, sa_column=enum_column(MappingType))
    rationale: str | None = Field(default=None, sa_column=Column(Text))
    legal_basis: str | None = Field(default=None, sa_column=Column(Text))
    status: MappingStatus = Field(default=MappingStatus.suggested, sa_column=enum_column(MappingStatus, index=True))
    source: MappingSource = Field(default=MappingSource.curator, sa_column=enum_column(MappingSource))


class Mapping(MappingBase, Versioned, table=True):
    __table_args__ = (UniqueConstraint("product_id", "standard_id", "type"),)
    id: int | None = Field(default=None, primary_key=True)
    score: float | None = None
    reasons: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_by: str | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_note: str | None = None


class MappingUpdate(SQLModel):
    """A curator's edit of a mapping's wording or type (its decision goes through ``decide_mapping``)."""

    type: MappingType | None = None
    rationale: str | None = None
    legal_basis: str | None = None


class CategoryRule(SQLModel, table=True):
    """Curated rule: every product of a category should be checked against a standard."""

    __table_args__ = (UniqueConstraint("category", "standard_code", "type"),)
    id: int | None = Field(default=None, primary_key=True)
    category: str = Field(index=True)
    standard_code: str = Field(max_length=120)
    type: MappingType = Field(default=MappingType.mandatory, sa_column=enum_column(MappingType))
    rationale: str | None = None
    legal_basis: str | None = None


# --- Product groups ---------------------------------------------------------------------------------


class GroupKind(str, enum.Enum):
    trade = "trade"  # a trade or craft village: gốm Phù Lãng, đồ gỗ Đồng Kỵ
    hs_chapter = "hs_chapter"  # a chapter or heading of the HS nomenclature
    ocop = "ocop"  # a group or subgroup of the OCOP programme (Quyết định 148/QĐ-TTg)


GROUP_KIND_LABELS_VI = {"trade": "Ngành nghề", "hs_chapter": "Chương mã HS", "ocop": "Nhóm sản phẩm OCOP"}


class ProductGroupBase(SQLModel):
    slug: str = Field(index=True, unique=True, max_length=80)  # the group's address: /groups/{slug}
    name: str = Field(max_length=200)
    kind: GroupKind = Field(default=GroupKind.trade, sa_column=enum_column(GroupKind))
    parent_id: int | None = Field(default=None, foreign_key="productgroup.id", index=True)
    aliases: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    #: Words that place a product in the group when its name, aliases or category contain them (folded).
    keywords: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    #: HS codes (2, 4, 6 or 8 digits) whose products belong to the group.
    hs_codes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    description: str | None = Field(default=None, sa_column=Column(Text))
    #: The general route for this kind of product, in plain Vietnamese (what to declare, to whom).
    route: str | None = Field(default=None, sa_column=Column(Text))
    #: Where the group's facts come from: addresses or documents, one per line.
    sources: str | None = Field(default=None, sa_column=Column(Text))
    is_sample: bool = False


class ProductGroup(ProductGroupBase, MandatoryReview, Versioned, table=True):
    id: int | None = Field(default=None, primary_key=True)


class ProductGroupMember(SQLModel, table=True):
    """A product in a group: placed by a curator, or automatically (keywords, HS code, OCOP group).

    ``excluded`` records a curator's removal of an automatic member, so the next automatic pass keeps
    it out."""

    __table_args__ = (UniqueConstraint("group_id", "product_id"),)
    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="productgroup.id", index=True)
    product_id: int = Field(foreign_key="product.id", index=True)
    source: str = Field(default="curator", max_length=20)  # curator | auto
    excluded: bool = False
    created_at: datetime = Field(default_factory=utcnow)


class GroupMapping(Versioned, table=True):
    """A standard that applies to every member of a group (shown as "áp dụng cho cả nhóm …"); curated,
    so approved by nature."""

    __table_args__ = (UniqueConstraint("group_id", "standard_id", "type"),)
    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="productgroup.id", index=True)
    standard_id: int = Field(foreign_key="standard.id", index=True)
    type: MappingType = Field(default=MappingType.voluntary, sa_column=enum_column(MappingType))
    rationale: str | None = Field(default=None, sa_column=Column(Text))
    legal_basis: str | None = Field(default=None, sa_column=Column(Text))
    created_by: str | None = None


# --- Agencies and contacts ---------------------------------------------------------------------------


class AgencyBase(SQLModel):
    name: str = Field(max_length=300)
    unit: str | None = None  # the office that answers (phòng, chi cục)
    address: str | None = Field(default=None, sa_column=Column(Text))
    phone: str | None = None
    email: str | None = None
    website: str | None = None
    #: Where these details were read, and when a curator last checked them.
    source: str | None = Field(default=None, sa_column=Column(Text))
    verified_at: date | None = None


class Agency(AgencyBase, Versioned, table=True):
    """An agency the site points people to (DOST first), as curated data: ``key`` is how pages ask for it."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(index=True, unique=True, max_length=40)


# --- The law as dated data: legal documents, risk lists, HS codes, procedures ------------------------


class LegalKind(str, enum.Enum):
    law = "law"  # Luật
    decree = "decree"  # Nghị định
    circular = "circular"  # Thông tư (and joint circulars)
    decision = "decision"  # Quyết định
    other = "other"


class LegalStatus(str, enum.Enum):
    in_force = "in_force"
    not_yet = "not_yet"  # issued, not yet in force
    amended = "amended"  # in force, partly amended by a later document
    replaced = "replaced"
    expired = "expired"
    unknown = "unknown"


class LegalDocumentBase(SQLModel):
    code: str = Field(max_length=80)  # as the document writes it: 36/2026/TT-BKHCN
    kind: LegalKind = Field(default=LegalKind.other, sa_column=enum_column(LegalKind))
    title: str | None = Field(default=None, sa_column=Column(Text))
    issuer: str | None = None
    issued: date | None = None
    effective_from: date | None = None
    effective_until: date | None = None
    status: LegalStatus = Field(default=LegalStatus.unknown, sa_column=enum_column(LegalStatus, index=True))
    source_url: str | None = None
    note: str | None = Field(default=None, sa_column=Column(Text))


class LegalDocument(LegalDocumentBase, Versioned, table=True):
    id: int | None = Field(default=None, primary_key=True)
    #: The number folded for lookups (case, đ/Đ, spaces and dashes ignored): any spelling finds it.
    code_key: str = Field(index=True, unique=True, max_length=80)


class LegalRelation(SQLModel, table=True):
    """``from`` replaces, amends or guides ``to``, from a date, as the article ``basis`` says."""

    __table_args__ = (UniqueConstraint("from_key", "relation", "to_key"),)
    id: int | None = Field(default=None, primary_key=True)
    from_key: str = Field(index=True, max_length=80)
    relation: str = Field(max_length=20)  # replaces | amends | guides
    to_code: str = Field(max_length=80)
    to_key: str = Field(index=True, max_length=80)
    effective_from: date | None = None
    basis: str | None = Field(default=None, sa_column=Column(Text))
    source: str = Field(default="import", max_length=20)


class RiskList(Versioned, table=True):
    """One imported list of products under control (a ministry's annexes), in force for a period."""

    __table_args__ = (UniqueConstraint("document_key", "effective_from"),)
    id: int | None = Field(default=None, primary_key=True)
    document_code: str = Field(max_length=80)
    document_key: str = Field(index=True, max_length=80)
    issuer: str | None = Field(default=None, max_length=40)  # the ministry: a new list of one ends its previous one
    effective_from: date
    effective_until: date | None = None
    source_file: str | None = None
    sha256: str | None = Field(default=None, max_length=64)
    rows: int = 0


class RiskListRow(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    list_id: int = Field(foreign_key="risklist.id", index=True)
    line: int  # the line of the source file, for curators
    hs_code: str = Field(index=True, max_length=8)  # digits; 4 or 6 cover every 8-digit line under them
    description: str | None = Field(default=None, sa_column=Column(Text))
    item: str | None = Field(default=None, max_length=40)  # the annex's item number (not unique)
    annex: str | None = Field(default=None, max_length=40)
    control: str = Field(max_length=30)  # quality_inspection | conformity_declaration | food_safety_check
    risk: str | None = Field(default=None, max_length=10)  # high | medium | None where the list grades none
    conditions: str | None = Field(default=None, sa_column=Column(Text))
    reference: str | None = Field(default=None, sa_column=Column(Text))
    page: int | None = None


class HsLine(SQLModel, table=True):
    """A line of the Vietnamese HS nomenclature (for suggesting a product's codes and naming them)."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(index=True, unique=True, max_length=8)
    level: int | None = None
    description_vi: str | None = Field(default=None, sa_column=Column(Text))
    description_en: str | None = Field(default=None, sa_column=Column(Text))
    #: Controls on the line before 01/07/2026, as the nomenclature lists them ("label (legal basis)").
    controls_before_2026: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class ProductHsCode(SQLModel, table=True):
    """An HS code of a product: stated (import, curator) or suggested from the nomenclature for a curator."""

    __table_args__ = (UniqueConstraint("product_id", "code"),)
    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="product.id", index=True)
    code: str = Field(index=True, max_length=8)  # digits, 8 as a rule; shorter covers every line under it
    status: MappingStatus = Field(default=MappingStatus.approved, sa_column=enum_column(MappingStatus, index=True))
    source: str = Field(default="curator", max_length=20)  # curator | import | auto
    score: float | None = None
    reasons: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    decided_by: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    #: Moves on every change (approve, reject): the page cache and the search index fingerprint read it.
    updated_at: datetime = Field(default_factory=utcnow, index=True)


class RiskItemDecision(Versioned, table=True):
    """A curator's answer for one product: does this item of a risk list apply to it?

    Needed when one of the product's HS codes meets several items of the lists (the code alone does not say
    which applies). Keyed by the item as the document numbers it (document, annex, item, the row's HS code),
    not by the imported row, so the answer survives a re-import of the same document; ``''`` stands for an
    annex or item the list leaves blank (NULLs would not make the key unique).
    """

    __table_args__ = (UniqueConstraint("product_id", "document_key", "annex", "item", "hs_code"),)
    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="product.id", index=True)
    document_key: str = Field(max_length=80)
    annex: str = Field(default="", max_length=40)
    item: str = Field(default="", max_length=40)
    hs_code: str = Field(max_length=8)  # the row's code, as the list writes it (digits)
    applies: bool
    note: str | None = Field(default=None, sa_column=Column(Text))
    decided_by: str | None = None


class Procedure(Versioned, table=True):
    """What to do for one route (hợp quy, hợp chuẩn, tự công bố, kiểm tra chất lượng…), as curated data:
    steps, documents to prepare, where to file (an agency), fees and time where known, the legal basis as
    legal-document codes, and who reviewed it when. The next-step card and the checklist are built from it."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(index=True, unique=True, max_length=40)  # hop_quy | hop_chuan | tu_cong_bo | ...
    title: str = Field(max_length=300)
    summary: str | None = Field(default=None, sa_column=Column(Text))
    steps: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    documents: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    agency_key: str | None = Field(default=None, max_length=40)
    fees: str | None = Field(default=None, sa_column=Column(Text))
    duration: str | None = None
    legal_basis: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    source: str | None = Field(default=None, sa_column=Column(Text))
    reviewed_by: str | None = None
    reviewed_at: date | None = None


# --- Labs -----------------------------------------------------------------------------------------


class LabBase(SQLModel):
    name: str = Field(max_length=300)
    organization: str | None = None
    accreditation_body: str | None = None  # VILAS, LAS-XD, ...
    accreditation_number: str | None = None
    valid_from: date | None = None
    valid_until: date | None = None
    address: str | None = None
    district: str | None = None
    phone: str | None = None
    email: str | None = None
    website: str | None = None
    is_sample: bool = False


class Lab(LabBase, Versioned, table=True):
    id: int | None = Field(default=None, primary_key=True)
    #: "VILAS 1074", "LAS-XD 164": body and number as one display string, unique.
    accreditation: str = Field(index=True, unique=True, max_length=60)
    verified_at: datetime | None = None
    verified_by: str | None = None
    #: False while the validity dates are the lab's own claim (set from its workspace), until a curator
    #: confirms them (``kb.labs.verify_lab``): public pages then say "chưa xác minh".
    validity_verified: bool = Field(default=True, sa_column_kwargs={"server_default": sa_true()})


class LabUpdate(SQLModel):
    """Changes to a lab: the fields set are applied (``model_dump(exclude_unset=True)``)."""

    name: str | None = Field(default=None, max_length=300)  # the column's length, as in LabBase
    organization: str | None = None
    valid_from: date | None = None
    valid_until: date | None = None
    address: str | None = None
    district: str | None = None
    phone: str | None = None
    email: str | None = None
    website: str | None = None
    is_sample: bool | None = None


class LabCreate(LabUpdate):
    """A lab as an import row or a document states it (built by ``kb.labs.parse_lab``), identified by its
    accreditation. Like every upsert it leaves the fields not set as stored, so ``name`` is required only
    of a new lab (``kb.labs.upsert_lab`` says so)."""

    accreditation: str


class LabScopeBase(SQLModel):
    material: str | None = Field(default=None, sa_column=Column(Text))
    test: str = Field(sa_column=Column(Text, nullable=False))
    range: str | None = None
    method: str | None = Field(default=None, sa_column=Column(Text))
    accredited: bool = True


class LabScope(LabScopeBase, Versioned, table=True):
    id: int | None = Field(default=None, primary_key=True)
    lab_id: int = Field(foreign_key="lab.id", index=True)
    position: int = 0
    #: Canonical codes of the method standards found in ``method`` (a row may cite several).
    method_codes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    #: Their series keys, ``|``-joined with leading/trailing bars, so SQL ``LIKE '%|tcvn3118|%'`` finds rows.
    method_series: str = Field(default="", index=True, max_length=2000)


class LabScopeCreate(LabScopeBase):
    """A whole scope row as an import, a form or the API gives it (built by ``kb.labs.parse_scope_row``)."""


# --- Users, audit, ingest runs --------------------------------------------------------------------


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(index=True, unique=True, max_length=80)
    password_hash: str
    role: Role = Field(sa_column=enum_column(Role))
    lab_id: int | None = Field(default=None, foreign_key="lab.id")
    disabled: bool = False
    #: Bumped on password or role change; sessions carrying an older value are void.
    session_version: int = 1
    created_at: datetime = Field(default_factory=utcnow)
    #: Set by an admin's reset to a temporary password: the web lets the account do nothing but choose its
    #: own (``/account/password``) until then. Cleared by any other password change.
    must_change_password: bool = Field(default=False, sa_column_kwargs={"server_default": false()})


class LoginFailure(SQLModel, table=True):
    """A failed login or password check, under one of its limiter keys (``ip:…``, ``user:…``): the login
    limiter's windows (``web.ratelimit``) live here so that every worker and server counts the same failures.
    Rows older than the longest window are deleted as new ones come."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, index=True)
    at: float = Field(index=True)  # seconds since the epoch: comparable between servers, unlike a monotonic clock


class LoginKnownAddress(SQLModel, table=True):
    """An address an account signed in from: exempt from the account's delay (the owner keeps getting in)."""

    user_key: str = Field(primary_key=True, max_length=200)
    ip_key: str = Field(primary_key=True, max_length=200)
    at: float = Field(index=True)


class AuditEvent(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor: str = "system"
    action: str  # create / update / delete / ingest / import / approve / reject / revert
    entity: str = Field(index=True)  # standard / product / mapping / lab / lab_scope / user ...
    entity_id: int | None = Field(default=None, index=True)
    summary: str | None = None
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))


class IngestRun(SQLModel, table=True):
    """One batch of PDFs read by ``ingest.pipeline`` (``kb ingest`` or a curator's upload).

    ``planned`` lists the files to read (``{"path", "name"}``, name as the person gave it) and ``reading``
    the paths in a worker now; what each file gave lands in ``IngestFile``. ``pid``/``host`` name the
    process running the batch and ``heartbeat_at`` is refreshed while it works, so a run whose process
    died (``kill -9``, a crash, a reboot) can be told from one still working and marked ``interrupted_at``.
    """

    id: int | None = Field(default=None, primary_key=True)
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    actor: str = "cli"
    counts: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    planned: list[dict[str, Any]] | None = Field(default=None, sa_column=Column(JSON))
    reading: list[str] | None = Field(default=None, sa_column=Column(JSON))
    ocr: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    pid: int | None = None
    host: str | None = Field(default=None, max_length=255)
    heartbeat_at: datetime | None = None
    interrupted_at: datetime | None = None
    rerun_of: int | None = Field(default=None, foreign_key="ingestrun.id", index=True)
    #: None: a batch of PDFs. Otherwise a spreadsheet import run as a background job (``ingest.jobs``): the
    #: importer's kind (``lab-scope``, ``products``…), with ``counts`` its progress and outcome.
    kind: str | None = Field(default=None, max_length=20)
    #: The lab whose scope a lab account's upload replaces: that lab's accounts see the job, no other lab's.
    lab_id: int | None = Field(default=None, foreign_key="lab.id", index=True)
    #: Asked to stop (the job stops at its next batch; what it committed stays).
    cancel_requested_at: datetime | None = None


class ProposalStatus(str, enum.Enum):
    pending = "pending"
    accepted = "accepted"
    rejected = "rejected"


class ProposedChange(SQLModel, table=True):
    """What an ingested document would change in a record, waiting for a curator (``kb.proposals``).

    ``values`` holds the record's proposed fields (and, for a standard, provenance, extras and relations),
    ``rows`` its criteria or scope rows when the document has them, ``diff`` the fields that differed from
    the record when proposed. ``entity_id`` is None when the proposal would create the record.
    """

    id: int | None = Field(default=None, primary_key=True)
    document_id: int | None = Field(default=None, foreign_key="document.id", index=True)
    entity: str = Field(max_length=20)  # standard | lab
    entity_id: int | None = Field(default=None, index=True)
    target: str = Field(max_length=120)  # the code or accreditation the document names
    values: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    rows: list[dict[str, Any]] | None = Field(default=None, sa_column=Column(JSON))
    diff: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    min_confidence: float | None = None
    reason: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    status: ProposalStatus = Field(default=ProposalStatus.pending,
                                   sa_column=enum_column(ProposalStatus, index=True))
    decided_by: str | None = None
    decided_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class IngestFile(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="ingestrun.id", index=True)
    path: str = Field(sa_column=Column(Text, nullable=False))
    sha256: str | None = Field(default=None, index=True, max_length=64)
    status: IngestStatus = Field(sa_column=enum_column(IngestStatus))
    message: str | None = Field(default=None, sa_column=Column(Text))
    pages: int = 0
    seconds: float = 0.0
    document_id: int | None = Field(default=None, foreign_key="document.id")
    standard_id: int | None = Field(default=None, foreign_key="standard.id")
    at: datetime = Field(default_factory=utcnow)


# --- Following: subscriptions, notices of change, the mail outbox ----------------------------------


class FollowKind(str, enum.Enum):
    """What a subscription follows; its key is the product's or group's id, a standard's or legal
    document's folded code key, or an HS code's digits."""

    product = "product"
    group = "group"
    standard = "standard"
    legal_document = "legal_document"
    hs_code = "hs_code"


class SubscriptionStatus(str, enum.Enum):
    pending = "pending"  # waiting for the address to confirm (double opt-in): nothing else is sent
    confirmed = "confirmed"
    unsubscribed = "unsubscribed"
    bounced = "bounced"  # the mail server refused the address for good


class Digest(str, enum.Enum):
    immediate = "immediate"
    daily = "daily"
    weekly = "weekly"


class Subscription(SQLModel, table=True):
    """One address following one record. The address is never shown back to anyone but its owner's mail."""

    __table_args__ = (UniqueConstraint("email", "target_kind", "target_key"),)
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(index=True, max_length=320)
    target_kind: FollowKind = Field(sa_column=enum_column(FollowKind))
    target_key: str = Field(max_length=120)
    #: The followed record's name when subscribed, for mails sent after it is renamed or removed.
    target_label: str = Field(default="", max_length=300)
    status: SubscriptionStatus = Field(default=SubscriptionStatus.pending,
                                       sa_column=enum_column(SubscriptionStatus, index=True))
    digest: Digest = Field(default=Digest.immediate, sa_column=enum_column(Digest))
    #: Part of what the confirm and unsubscribe links sign: a new one voids every link sent before.
    nonce: str = Field(max_length=40)
    created_at: datetime = Field(default_factory=utcnow)
    confirmed_at: datetime | None = None
    ended_at: datetime | None = None
    #: When the last digest went (or the subscription was confirmed): the next one is due a period later.
    last_digest_at: datetime | None = None


class NoticeStatus(str, enum.Enum):
    pending = "pending"  # waits ``release_at``: curators may hold or edit it meanwhile
    held = "held"  # a curator stopped it; released or cancelled by hand
    released = "released"  # on the feeds, and fanned out to subscribers
    cancelled = "cancelled"


class Notice(Versioned, table=True):
    """One change that matters to followers, in a plain-Vietnamese sentence (``kb.notices``)."""

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40)
    #: What the change is, so that observing it twice (a re-run, a date scan each day) makes one notice.
    dedupe_key: str = Field(unique=True, max_length=300)
    title: str = Field(max_length=300)
    sentence: str = Field(sa_column=Column(Text, nullable=False))
    link: str = Field(max_length=500)  # a site path; absolute URLs are built from KB_PUBLIC_URL
    #: The record the change happened to (``{"entity": "standard", "id": 5}``): whom it concerns is worked
    #: out from it when the notice is released, so that rows written after the change are counted.
    ref: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    release_at: datetime = Field(default_factory=utcnow)
    status: NoticeStatus = Field(default=NoticeStatus.pending, sa_column=enum_column(NoticeStatus, index=True))
    released_at: datetime | None = Field(default=None, index=True)
    fanned_out_at: datetime | None = None
    decided_by: str | None = Field(default=None, max_length=80)  # the curator who held, edited or released it


class NoticeSubject(SQLModel, table=True):
    """A record a notice concerns: its followers get it, and it is on that record's feed."""

    __table_args__ = (UniqueConstraint("notice_id", "kind", "key"), Index("ix_noticesubject_kind_key", "kind", "key"))
    id: int | None = Field(default=None, primary_key=True)
    notice_id: int = Field(foreign_key="notice.id", index=True)
    kind: FollowKind = Field(sa_column=enum_column(FollowKind))
    key: str = Field(max_length=120)


class Delivery(SQLModel, table=True):
    """A notice owed to a subscription; ``mailed`` once a mail carries it (at once, or in a digest)."""

    __table_args__ = (UniqueConstraint("subscription_id", "notice_id"),)
    id: int | None = Field(default=None, primary_key=True)
    subscription_id: int = Field(foreign_key="subscription.id", index=True)
    notice_id: int = Field(foreign_key="notice.id", index=True)
    mailed: bool = Field(default=False, index=True)
    created_at: datetime = Field(default_factory=utcnow)


class MailKind(str, enum.Enum):
    confirm = "confirm"
    notice = "notice"
    digest = "digest"


class MailStatus(str, enum.Enum):
    pending = "pending"  # due at ``due_at``
    sending = "sending"  # claimed by ``claimed_by`` until ``lease_until``
    sent = "sent"
    failed = "failed"  # refused for good, or out of retries: ``last_error`` says why
    cancelled = "cancelled"  # its subscription ended before it went


class OutboxMail(SQLModel, table=True):
    """A mail to send. Its body is rendered when it is sent, from the notices it carries; its Message-ID
    is fixed when it is queued, so a mail sent again after a crash is the same message to the reader."""

    id: int | None = Field(default=None, primary_key=True)
    subscription_id: int = Field(foreign_key="subscription.id", index=True)
    kind: MailKind = Field(sa_column=enum_column(MailKind))
    notice_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    message_id: str = Field(unique=True, max_length=200)
    status: MailStatus = Field(default=MailStatus.pending, sa_column=enum_column(MailStatus, index=True))
    attempts: int = 0
    due_at: datetime = Field(default_factory=utcnow, index=True)
    claimed_by: str | None = Field(default=None, max_length=120)
    lease_until: datetime | None = None
    subject: str | None = Field(default=None, max_length=300)
    sent_at: datetime | None = None
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(default_factory=utcnow)
