"""Notices of change, as they are born: what followers of a product, group, standard, legal document or HS code
are told.

A notice is born in the transaction of the change itself: :func:`observe` reads every audit event as it
is recorded (``kb.audit.record``) and keeps those that matter (a standard replaced, withdrawn or amended;
a new approved mapping of a product or a group; a risk list published; a legal document replaced or
ended; a lab newly accredited). Changes that come with the calendar, not with an edit (a risk list about
to come into force, a lab's accreditation lapsing within 90 days or lapsed), are found by
:func:`scan_dates`, which the delivery loop runs. Each notice has a ``dedupe_key`` naming the change, so
seeing it twice makes one notice.

What happens to a notice next (hold, release, whom it concerns) is ``kb.noticeboard``. This module reads
the tables directly and imports no service: ``kb.audit`` calls it, and the services import ``kb.audit``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from kb.codes import parse as parse_code
from kb.models import (
    MAPPING_TYPE_LABELS_VI,
    AuditEvent,
    GroupMapping,
    Lab,
    LegalDocument,
    LegalRelation,
    Mapping,
    MappingStatus,
    Notice,
    Product,
    ProductGroup,
    RelationType,
    RiskList,
    Standard,
    StandardRelation,
    utcnow,
)
from kb.urls import group_url, lab_url, legal_url, product_url, standard_url

#: A lab's followers hear of its accreditation lapsing this many days ahead (the issue's 90).
LAB_LAPSE_AHEAD = timedelta(days=90)
#: A lab lapsed longer ago than this is old news: a first scan on an old database does not announce it.
LAB_LAPSED_RECENT = timedelta(days=30)
#: A risk list's followers hear this many days before it comes into force (when it was published earlier).
RISK_AHEAD = timedelta(days=30)
TITLE_MAX = 300
SENTENCE_MAX = 2000

KIND_LABELS_VI = {
    "standard_replaced": "Tiêu chuẩn bị thay thế",
    "standard_withdrawn": "Tiêu chuẩn bị hủy bỏ",
    "standard_amended": "Tiêu chuẩn được sửa đổi",
    "mapping_approved": "Yêu cầu mới cho sản phẩm",
    "group_mapping_added": "Yêu cầu mới cho nhóm sản phẩm",
    "risk_list_published": "Công bố danh mục hàng hóa phải kiểm soát",
    "risk_list_ahead": "Danh mục hàng hóa sắp có hiệu lực",
    "legal_replaced": "Văn bản pháp lý bị thay thế",
    "legal_ended": "Văn bản pháp lý hết hiệu lực",
    "lab_accredited": "Phòng thử nghiệm được công nhận",
    "lab_lapsing": "Công nhận phòng thử nghiệm sắp hết hạn",
    "lab_lapsed": "Công nhận phòng thử nghiệm đã hết hạn",
}


def _day(d: date) -> str:
    return d.strftime("%d/%m/%Y")


def _named(code: str, title: str | None) -> str:
    return f"{code} ({title})" if title else code


@dataclass(frozen=True)
class Draft:
    """A notice before it is stored."""

    kind: str
    dedupe_key: str
    title: str
    sentence: str
    link: str
    ref: dict[str, Any]


def emit(session: Session, draft: Draft, *, release_at: datetime | None = None) -> Notice | None:
    """Store ``draft`` unless a notice of the same change exists (None then)."""
    if session.exec(select(Notice.id).where(Notice.dedupe_key == draft.dedupe_key)).first() is not None:
        return None
    notice = Notice(kind=draft.kind, dedupe_key=draft.dedupe_key[:300], title=draft.title[:TITLE_MAX],
                    sentence=draft.sentence[:SENTENCE_MAX], link=draft.link[:500], ref=draft.ref,
                    release_at=release_at or utcnow())
    session.add(notice)
    return notice


# --- Changes seen in the audit log ----------------------------------------------------------------------


def observe(session: Session, event: AuditEvent) -> None:
    """Turn one audit event into the notices it implies (most imply none). Runs inside the change's own
    transaction: the notice exists exactly when the change was committed."""
    handler = _OBSERVERS.get(event.entity)
    if handler is None or event.entity_id is None:
        return
    for draft in handler(session, event):
        emit(session, draft)


def _changed_to(event: AuditEvent, field: str) -> Any:
    """The new value of ``field`` when the event changed it (creation counts only where said)."""
    after, before = event.after or {}, event.before or {}
    if field not in after or before.get(field) == after[field]:
        return None
    return after[field]


def _standard_events(session: Session, event: AuditEvent) -> list[Draft]:
    status = _changed_to(event, "status") if event.before else None  # a new record is nobody's news
    after = event.after or {}
    relation = after.get("relation")
    if status not in ("replaced", "withdrawn") and relation not in ("replaces", "amends"):
        return []  # most events of a bulk import: nothing read
    std = session.get(Standard, event.entity_id)
    if std is None:
        return []
    drafts = []
    if status in ("replaced", "withdrawn"):
        drafts.append(_standard_status(session, std, str(status)))
    d = parse_code(str(after.get("to") or ""))
    if relation in ("replaces", "amends") and d is not None:
        old = session.exec(select(Standard).where(Standard.code_key == d.key)).first()
        if old is not None:
            drafts.append(_standard_status(session, old, "replaced", by=std.code) if relation == "replaces"
                          else _standard_amended(old, std.code))
    return drafts


def _standard_status(session: Session, std: Standard, status: str, by: str | None = None) -> Draft:
    name = _named(std.code, std.title_vi)
    if status == "withdrawn":
        return Draft("standard_withdrawn", f"standard:{std.code_key}:withdrawn", f"{std.code} bị hủy bỏ",
                     f"{name} đã bị hủy bỏ, không còn hiệu lực.", standard_url(std.code),
                     {"entity": "standard", "id": std.id})
    if by is None:
        by = session.exec(select(StandardRelation.from_code).where(
            StandardRelation.to_key == std.code_key, StandardRelation.relation == RelationType.replaces)).first()
    said = f"{name} đã bị thay thế bởi {by}." if by else f"{name} đã bị thay thế."
    return Draft("standard_replaced", f"standard:{std.code_key}:replaced", f"{std.code} bị thay thế", said,
                 standard_url(std.code), {"entity": "standard", "id": std.id})


def _standard_amended(std: Standard, by: str) -> Draft:
    return Draft("standard_amended", f"standard:{std.code_key}:amended-by:{by}", f"{std.code} được sửa đổi",
                 f"{_named(std.code, std.title_vi)} có văn bản sửa đổi: {by}.", standard_url(std.code),
                 {"entity": "standard", "id": std.id})


def _mapping_events(session: Session, event: AuditEvent) -> list[Draft]:
    if _changed_to(event, "status") != MappingStatus.approved.value:
        return []
    m = session.get(Mapping, event.entity_id)
    if m is None:
        return []
    product, std = session.get(Product, m.product_id), session.get(Standard, m.standard_id)
    if product is None or std is None:
        return []
    kind = MAPPING_TYPE_LABELS_VI.get(m.type.value, m.type.value).lower()
    return [Draft("mapping_approved", f"mapping:{m.id}:approved:{utcnow().date()}",
                  f"{product.name}: thêm {std.code}",
                  f"{product.name} có thêm yêu cầu {_named(std.code, std.title_vi)} ({kind}).",
                  product_url(product.id or 0), {"entity": "mapping", "id": m.id})]


def _group_mapping_events(session: Session, event: AuditEvent) -> list[Draft]:
    if event.action != "create":
        return []
    gm = session.get(GroupMapping, event.entity_id)
    if gm is None:
        return []
    group, std = session.get(ProductGroup, gm.group_id), session.get(Standard, gm.standard_id)
    if group is None or std is None:
        return []
    kind = MAPPING_TYPE_LABELS_VI.get(gm.type.value, gm.type.value).lower()
    return [Draft("group_mapping_added", f"group_mapping:{gm.id}:created", f"Nhóm {group.name}: thêm {std.code}",
                  f"Các sản phẩm thuộc nhóm {group.name} có thêm yêu cầu {_named(std.code, std.title_vi)} ({kind}).",
                  group_url(group.slug), {"entity": "group_mapping", "id": gm.id})]


def _risk_list_events(session: Session, event: AuditEvent) -> list[Draft]:
    if event.action != "create":
        return []
    rl = session.get(RiskList, event.entity_id)
    if rl is None:
        return []
    when = "có hiệu lực từ" if rl.effective_from <= date.today() else "sẽ có hiệu lực từ"
    return [Draft("risk_list_published", f"risk_list:{rl.id}:published", f"Danh mục hàng hóa theo {rl.document_code}",
                  f"Đã công bố danh mục hàng hóa phải kiểm soát theo {rl.document_code}, {when} ngày "
                  f"{_day(rl.effective_from)} ({rl.rows} dòng mã HS).",
                  legal_url(rl.document_code), {"entity": "risk_list", "id": rl.id})]


def _legal_events(session: Session, event: AuditEvent) -> list[Draft]:
    doc = session.get(LegalDocument, event.entity_id)
    if doc is None:
        return []
    drafts = []
    status = _changed_to(event, "status") if event.before else None
    if status in ("replaced", "expired"):
        drafts.append(_legal_status(doc, str(status)))
    if (event.after or {}).get("replaces"):  # the relations are stored before their audit event
        replaced = session.exec(select(LegalDocument).join(
            LegalRelation, col(LegalRelation.to_key) == LegalDocument.code_key).where(
            LegalRelation.from_key == doc.code_key, LegalRelation.relation == "replaces")).all()
        drafts += [_legal_status(old, "replaced", by=doc.code) for old in replaced]
    return drafts


def _legal_status(doc: LegalDocument, status: str, by: str | None = None) -> Draft:
    name = _named(doc.code, doc.title)
    if status == "expired":
        return Draft("legal_ended", f"legal:{doc.code_key}:expired", f"{doc.code} hết hiệu lực",
                     f"{name} đã hết hiệu lực.", legal_url(doc.code), {"entity": "legal_document", "id": doc.id})
    said = f"{name} đã bị thay thế bởi {by}." if by else f"{name} đã bị thay thế."
    return Draft("legal_replaced", f"legal:{doc.code_key}:replaced", f"{doc.code} bị thay thế", said,
                 legal_url(doc.code), {"entity": "legal_document", "id": doc.id})


def _lab_events(session: Session, event: AuditEvent) -> list[Draft]:
    lab = session.get(Lab, event.entity_id)
    if lab is None or lab.valid_until is None or lab.valid_until < date.today():
        return []
    until = _changed_to(event, "valid_until") if event.action != "create" else (event.after or {}).get("valid_until")
    if until is None:
        return []
    return [Draft("lab_accredited", f"lab:{lab.id}:accredited:{lab.valid_until}",
                  f"{lab.name} được công nhận",
                  f"{lab.name} ({lab.accreditation}) được công nhận, hiệu lực đến ngày {_day(lab.valid_until)}.",
                  lab_url(lab.id or 0), {"entity": "lab", "id": lab.id})]


_OBSERVERS = {
    "standard": _standard_events,
    "mapping": _mapping_events,
    "group_mapping": _group_mapping_events,
    "risk_list": _risk_list_events,
    "legal_document": _legal_events,
    "lab": _lab_events,
}


# --- Changes that come with the calendar ----------------------------------------------------------------


def scan_dates(session: Session, today: date) -> int:
    """Notices for dates reached: labs lapsing within 90 days or lapsed lately, risk lists coming into
    force within 30 days (when published before that window). Returns how many were new."""
    drafts: list[Draft] = []
    soon = session.exec(select(Lab).where(col(Lab.valid_until).is_not(None),
                                          col(Lab.valid_until) >= today - LAB_LAPSED_RECENT,
                                          col(Lab.valid_until) <= today + LAB_LAPSE_AHEAD)).all()
    for lab in soon:
        assert lab.valid_until is not None
        if lab.valid_until < today:
            drafts.append(Draft("lab_lapsed", f"lab:{lab.id}:lapsed:{lab.valid_until}", f"{lab.name} hết hạn công nhận",
                                f"Công nhận {lab.accreditation} của {lab.name} đã hết hạn ngày {_day(lab.valid_until)}.",
                                lab_url(lab.id or 0), {"entity": "lab", "id": lab.id}))
        else:
            left = (lab.valid_until - today).days
            drafts.append(Draft("lab_lapsing", f"lab:{lab.id}:lapsing:{lab.valid_until}",
                                f"{lab.name} sắp hết hạn công nhận",
                                f"Công nhận {lab.accreditation} của {lab.name} hết hạn ngày {_day(lab.valid_until)} "
                                f"(còn {left} ngày).", lab_url(lab.id or 0), {"entity": "lab", "id": lab.id}))
    coming = session.exec(select(RiskList).where(col(RiskList.effective_from) > today,
                                                 col(RiskList.effective_from) <= today + RISK_AHEAD)).all()
    for rl in coming:
        if rl.created_at.date() >= rl.effective_from - RISK_AHEAD:
            continue  # published inside the window: its publication notice already gave the date
        left = (rl.effective_from - today).days
        drafts.append(Draft("risk_list_ahead", f"risk_list:{rl.id}:ahead:{rl.effective_from}",
                            f"Danh mục theo {rl.document_code} sắp có hiệu lực",
                            f"Danh mục hàng hóa phải kiểm soát theo {rl.document_code} có hiệu lực từ ngày "
                            f"{_day(rl.effective_from)} (còn {left} ngày).",
                            legal_url(rl.document_code), {"entity": "risk_list", "id": rl.id}))
    return sum(emit(session, d) is not None for d in drafts)
