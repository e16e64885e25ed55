"""Notices of change: what followers of a product, group, standard, legal document or HS code are told.

A notice is born in the transaction of the change itself: :func:`observe` reads every audit event as it
is recorded (``kb.audit.record``) and keeps those that matter (a standard replaced, withdrawn or amended;
a new approved mapping of a product or a group; a risk list published; a legal document replaced or
ended; a lab newly accredited). Changes that come with the calendar, not with an edit (a risk list about
to come into force, a lab's accreditation lapsing within 90 days or lapsed), are found by
:func:`scan_dates`, which the delivery loop runs. Each notice has a ``dedupe_key`` naming the change, so
seeing it twice makes one notice.

A notice waits ``hold`` seconds (``KB_NOTICE_HOLD_SECONDS``) before :func:`release_due` releases it:
curators can hold, edit or cancel it meanwhile. Released, it gets its subjects (the records it concerns,
worked out then, so rows written after the audit event are counted) and appears on their feeds; the
delivery step (``kb.outbox``) then owes it to every confirmed subscription of those subjects.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import insert, or_
from sqlmodel import Session, col, select

from kb import versioning
from kb.errors import BadInput, Conflict, NotFound
from kb.hs import dotted
from kb.models import (
    MAPPING_TYPE_LABELS_VI,
    AuditEvent,
    Criterion,
    FollowKind,
    GroupMapping,
    Lab,
    LabScope,
    LegalDocument,
    Mapping,
    MappingStatus,
    Notice,
    NoticeStatus,
    NoticeSubject,
    Product,
    ProductGroup,
    ProductGroupMember,
    ProductHsCode,
    RiskList,
    RiskListRow,
    Standard,
    utcnow,
)
from kb.text import clean
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

STATUS_LABELS_VI = {"pending": "Chờ gửi", "held": "Đang giữ lại", "released": "Đã phát hành", "cancelled": "Đã hủy"}


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
    std = session.get(Standard, event.entity_id)
    if std is None:
        return []
    drafts = []
    status = _changed_to(event, "status") if event.before else None  # a new record is nobody's news
    if status in ("replaced", "withdrawn"):
        drafts.append(_standard_status(session, std, str(status)))
    after = event.after or {}
    if after.get("relation") in ("replaces", "amends") and after.get("to"):
        from kb.standards import get_standard  # kb.standards records audit events: imported when used

        old = get_standard(session, str(after["to"]))
        if old is not None:
            drafts.append(_standard_status(session, old, "replaced", by=std.code) if after["relation"] == "replaces"
                          else _standard_amended(old, std.code))
    return drafts


def _standard_status(session: Session, std: Standard, status: str, by: str | None = None) -> Draft:
    name = _named(std.code, std.title_vi)
    if status == "withdrawn":
        return Draft("standard_withdrawn", f"standard:{std.code_key}:withdrawn", f"{std.code} bị hủy bỏ",
                     f"{name} đã bị hủy bỏ, không còn hiệu lực.", standard_url(std.code),
                     {"entity": "standard", "id": std.id})
    if by is None:
        from kb.standards import replaced_by_chain

        chain = replaced_by_chain(session, std)
        by = chain[0] if chain else None
    said = f"{name} đã bị thay thế bởi {by}." if by else f"{name} đã bị thay thế."
    return Draft("standard_replaced", f"standard:{std.code_key}:replaced", f"{std.code} bị thay thế", said,
                 standard_url(std.code), {"entity": "standard", "id": std.id})


def _standard_amended(std: Standard, by: str) -> Draft:
    return Draft("standard_amended", f"standard:{std.code_key}:amended-by:{by}", f"{std.code} được sửa đổi",
                 f"{_named(std.code, std.title_vi)} được sửa đổi bởi {by}.", standard_url(std.code),
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
    from kb.legal import get_document  # kb.legal records audit events: imported when used

    for line in (event.after or {}).get("replaces") or []:
        old = get_document(session, str(line).split("@")[0].split("(")[0].strip())
        if old is not None:
            drafts.append(_legal_status(old, "replaced", by=doc.code))
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


# --- Whom a notice concerns -----------------------------------------------------------------------------

Subject = tuple[FollowKind, str]


def _products_of_groups(session: Session, group_ids: Iterable[int]) -> tuple[set[int], set[int]]:
    """The groups and their descendants, and their (not excluded) member products."""
    groups = set(group_ids)
    todo = list(groups)
    while todo:
        kids = session.exec(select(ProductGroup.id).where(col(ProductGroup.parent_id).in_(todo))).all()
        todo = [k for k in kids if k is not None and k not in groups]
        groups.update(todo)
    if not groups:
        return set(), set()
    members = session.exec(select(ProductGroupMember.product_id).where(
        col(ProductGroupMember.group_id).in_(groups), col(ProductGroupMember.excluded).is_(False))).all()
    return groups, set(members)


def _standard_subjects(session: Session, standard_ids: set[int]) -> set[Subject]:
    """The standards and what follows them: products with an approved mapping, groups mapping them (and
    their members, who inherit group mappings)."""
    if not standard_ids:
        return set()
    out: set[Subject] = {(FollowKind.standard, k) for k in session.exec(
        select(Standard.code_key).where(col(Standard.id).in_(standard_ids))).all()}
    products = set(session.exec(select(Mapping.product_id).where(
        col(Mapping.standard_id).in_(standard_ids), Mapping.status == MappingStatus.approved)).all())
    groups, members = _products_of_groups(session, session.exec(
        select(GroupMapping.group_id).where(col(GroupMapping.standard_id).in_(standard_ids))).all())
    out |= {(FollowKind.product, str(p)) for p in products | members}
    out |= {(FollowKind.group, str(g)) for g in groups}
    return out


def _hs_overlap(session: Session, codes: set[str]) -> set[int]:
    """Products with an HS code under or above one of ``codes`` (a 4-digit row covers its 8-digit lines)."""
    if not codes:
        return set()
    conds = [col(ProductHsCode.code).startswith(c) for c in codes]
    conds += [col(ProductHsCode.code) == c[:n] for c in codes for n in (4, 6) if len(c) > n]
    return set(session.exec(select(ProductHsCode.product_id).where(or_(*conds))).all())


def _lab_standard_ids(session: Session, lab_id: int) -> set[int]:
    """Standards a lab can test: cited as a method in its scope, or whose criteria use such a method."""
    series = {s for cell in session.exec(select(LabScope.method_series).where(LabScope.lab_id == lab_id)).all()
              for s in (cell or "").strip("|").split("|") if s}
    if not series:
        return set()
    from kb.codes import parse

    ids = set(session.exec(select(Standard.id).where(col(Standard.series_key).in_(series))).all())
    for sid, method_code in session.exec(select(Criterion.standard_id, Criterion.method_code)
                                         .where(col(Criterion.method_code).is_not(None))).all():
        d = parse(method_code or "")
        if d is not None and d.series_key in series:
            ids.add(sid)
    return {i for i in ids if i is not None}


def subjects(session: Session, notice: Notice) -> set[Subject]:
    """The records ``notice`` concerns, from its ``ref``, as they stand now."""
    entity, rid = notice.ref.get("entity"), notice.ref.get("id")
    if not isinstance(rid, int):
        return set()
    if entity == "standard":
        return _standard_subjects(session, {rid})
    if entity == "mapping":
        m = session.get(Mapping, rid)
        if m is None:
            return set()
        std = session.get(Standard, m.standard_id)
        return {(FollowKind.product, str(m.product_id))} | ({(FollowKind.standard, std.code_key)} if std else set())
    if entity == "group_mapping":
        gm = session.get(GroupMapping, rid)
        if gm is None:
            return set()
        groups, members = _products_of_groups(session, [gm.group_id])
        std = session.get(Standard, gm.standard_id)
        return ({(FollowKind.group, str(g)) for g in groups} | {(FollowKind.product, str(p)) for p in members}
                | ({(FollowKind.standard, std.code_key)} if std else set()))
    if entity == "risk_list":
        rl = session.get(RiskList, rid)
        if rl is None:
            return set()
        codes = set(session.exec(select(RiskListRow.hs_code).where(RiskListRow.list_id == rid)).all())
        return ({(FollowKind.hs_code, c) for c in codes} | {(FollowKind.legal_document, rl.document_key)}
                | {(FollowKind.product, str(p)) for p in _hs_overlap(session, codes)})
    if entity == "legal_document":
        doc = session.get(LegalDocument, rid)
        if doc is None:
            return set()
        from kb.read.legal import cited_by

        cites = cited_by(session, doc.code_key)
        out: set[Subject] = {(FollowKind.legal_document, doc.code_key)}
        out |= {(FollowKind.product, str(m["product"]["id"])) for m in cites["mappings"]}
        out |= {(FollowKind.group, str(g["group"]["id"])) for g in cites["group_mappings"]}
        return out | _standard_subjects(session, {s["id"] for s in cites["standards"]})
    if entity == "lab":
        return {s for s in _standard_subjects(session, _lab_standard_ids(session, rid)) if s[0] != FollowKind.standard}
    return set()


# --- Release, and the curators' hand on pending notices -------------------------------------------------


def release_due(session: Session, now: datetime, hold: timedelta) -> list[Notice]:
    """Release the pending notices whose hold is over, with their subjects; returns them."""
    due = session.exec(select(Notice).where(Notice.status == NoticeStatus.pending,
                                            col(Notice.release_at) <= now - hold)
                       .order_by(col(Notice.id)).limit(500)).all()
    for notice in due:
        _release(session, notice, now)
    return list(due)


def _release(session: Session, notice: Notice, now: datetime) -> None:
    rows = [{"notice_id": notice.id, "kind": k, "key": key} for k, key in sorted(subjects(session, notice))]
    if rows:
        session.execute(insert(NoticeSubject), rows)
    notice.status, notice.released_at = NoticeStatus.released, now
    session.add(notice)


def require(session: Session, notice_id: int) -> Notice:
    notice = session.get(Notice, notice_id)
    if notice is None:
        raise NotFound(f"Không có thông báo #{notice_id}")
    return notice


def decide(session: Session, notice_id: int, action: str, actor: str, expected_version: int | None,
           *, title: str | None = None, sentence: str | None = None, now: datetime | None = None) -> Notice:
    """A curator's hand on a notice not yet released: ``hold``, ``edit`` (title and sentence), ``release``
    (at once) or ``cancel``. Versioned and audited like every edit."""
    notice = require(session, notice_id)
    if notice.status in (NoticeStatus.released, NoticeStatus.cancelled):
        raise Conflict(f"Thông báo #{notice_id} đã {STATUS_LABELS_VI[notice.status.value].lower()}: "
                       "không sửa được nữa")
    changes: dict[str, Any] = {"decided_by": actor}
    if action == "hold":
        changes["status"] = NoticeStatus.held
    elif action == "cancel":
        changes["status"] = NoticeStatus.cancelled
    elif action == "edit":
        title, sentence = clean(title), clean(sentence)
        if not title or not sentence:
            raise BadInput("Thông báo cần có tiêu đề và nội dung")
        if len(title) > TITLE_MAX or len(sentence) > SENTENCE_MAX:
            raise BadInput(f"Tiêu đề tối đa {TITLE_MAX}, nội dung tối đa {SENTENCE_MAX} ký tự")
        changes.update(title=title, sentence=sentence)
    elif action != "release":
        raise BadInput(f"Không có thao tác {clean(action)[:20]!r} với thông báo")
    versioning.update_versioned(session, notice, changes, expected_version, actor=actor, entity="notice",
                                action=action, summary=f"{_ACTIONS_VI[action]} thông báo «{notice.title}»")
    if action == "release":
        _release(session, notice, now or utcnow())
    return notice


_ACTIONS_VI = {"hold": "Giữ lại", "edit": "Sửa", "release": "Phát hành ngay", "cancel": "Hủy"}


def unreleased(session: Session) -> list[Notice]:
    """Pending and held notices, oldest first: what curators may still stop."""
    return list(session.exec(select(Notice).where(col(Notice.status).in_([NoticeStatus.pending, NoticeStatus.held]))
                             .order_by(col(Notice.id))).all())


def released(session: Session, subject: Subject | None = None, limit: int = 50) -> list[Notice]:
    """Released notices, newest first; only those about ``subject`` when given (an HS code also matches the
    codes under and above it)."""
    q = select(Notice).where(Notice.status == NoticeStatus.released)
    if subject is not None:
        kind, key = subject
        same = col(NoticeSubject.key) == key
        if kind == FollowKind.hs_code:
            same = or_(col(NoticeSubject.key).in_(hs_family(key)), col(NoticeSubject.key).startswith(key))
        q = q.where(col(Notice.id).in_(select(NoticeSubject.notice_id).where(NoticeSubject.kind == kind, same)))
    return list(session.exec(q.order_by(col(Notice.released_at).desc(), col(Notice.id).desc()).limit(limit)).all())


def hs_family(code: str) -> list[str]:
    """An HS code and the shorter codes that cover it (``85166010`` → ``8516``, ``851660``, ``85166010``);
    the longer codes under it are matched by prefix."""
    return [code[:n] for n in (4, 6, 8) if len(code) >= n] or [code]


@dataclass(frozen=True)
class SubjectName:
    """A record a notice concerns, as a curator reads it: its kind, name and page."""

    kind: FollowKind
    name: str
    url: str


def subject_names(session: Session, subs: Iterable[Subject], limit: int = 6) -> tuple[list[SubjectName], int]:
    """The names of the first ``limit`` of ``subs`` (products, then groups, standards, legal documents, HS
    codes), and how many there are in all. One query per kind, whatever the number: cheap on a list page."""
    order = list(FollowKind)
    ranked = sorted(set(subs), key=lambda s: (order.index(s[0]), s[1].zfill(12) if s[1].isdigit() else s[1]))
    first = ranked[:limit]
    keys: dict[FollowKind, list[str]] = {}
    for kind, key in first:
        keys.setdefault(kind, []).append(key)
    named: dict[Subject, tuple[str, str]] = {}
    ids = [int(k) for k in keys.get(FollowKind.product, []) if k.isdigit()]
    for pid, name in session.exec(select(Product.id, Product.name).where(col(Product.id).in_(ids))).all() if ids else []:
        named[(FollowKind.product, str(pid))] = (name, product_url(pid or 0))
    ids = [int(k) for k in keys.get(FollowKind.group, []) if k.isdigit()]
    for gid, name, slug in session.exec(select(ProductGroup.id, ProductGroup.name, ProductGroup.slug)
                                        .where(col(ProductGroup.id).in_(ids))).all() if ids else []:
        named[(FollowKind.group, str(gid))] = (name, group_url(slug))
    if FollowKind.standard in keys:
        for code_key, code in session.exec(select(Standard.code_key, Standard.code)
                                           .where(col(Standard.code_key).in_(keys[FollowKind.standard]))).all():
            named[(FollowKind.standard, code_key)] = (code, standard_url(code))
    if FollowKind.legal_document in keys:
        for code_key, code in session.exec(select(LegalDocument.code_key, LegalDocument.code)
                                           .where(col(LegalDocument.code_key).in_(keys[FollowKind.legal_document]))).all():
            named[(FollowKind.legal_document, code_key)] = (code, legal_url(code))
    out = []
    for s in first:
        name, url = named.get(s) or ((f"mã HS {dotted(s[1])}", f"/search?q={dotted(s[1])}") if s[0] == FollowKind.hs_code
                                     else (s[1], ""))
        out.append(SubjectName(s[0], name, url))
    return out, len(ranked)
