"""The notice board: notices after their birth (``kb.notices``). A notice waits ``KB_NOTICE_HOLD_SECONDS``
before :func:`release_due` releases it; curators can hold, edit, release or cancel it meanwhile
(:func:`decide`). Released, it gets its subjects (the records it concerns, worked out then, so rows
written after its audit event are counted) and appears on their feeds (:func:`released`); the delivery
step (``kb.outbox``) then owes it to every confirmed subscription of those subjects.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, or_
from sqlmodel import Session, col, select

from kb import versioning
from kb.codes import parse as parse_code
from kb.errors import BadInput, Conflict, NotFound
from kb.hs import dotted
from kb.models import (
    Criterion,
    FollowKind,
    GroupMapping,
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
from kb.notices import SENTENCE_MAX, TITLE_MAX
from kb.text import clean, is_digits
from kb.urls import group_url, legal_url, product_url, standard_url

STATUS_LABELS_VI = {"pending": "Chờ gửi", "held": "Đang giữ lại", "released": "Đã phát hành", "cancelled": "Đã hủy"}

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
    ids = set(session.exec(select(Standard.id).where(col(Standard.series_key).in_(series))).all())
    for sid, method_code in session.exec(select(Criterion.standard_id, Criterion.method_code)
                                         .where(col(Criterion.method_code).is_not(None))).all():
        d = parse_code(method_code or "")
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
    elif action == "release":
        # The status is part of the versioned change: the release is audited and checked against the
        # version shown, also when the same curator held the notice before.
        changes.update(status=NoticeStatus.released, released_at=now or utcnow())
    else:
        raise BadInput(f"Không có thao tác {clean(action)[:20]!r} với thông báo")
    versioning.update_versioned(session, notice, changes, expected_version, actor=actor, entity="notice",
                                action=action, summary=f"{_ACTIONS_VI[action]} thông báo «{notice.title}»")
    if action == "release":
        _release(session, notice, notice.released_at or utcnow())
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
    ids = [int(k) for k in keys.get(FollowKind.product, []) if is_digits(k)]
    for pid, name in session.exec(select(Product.id, Product.name).where(col(Product.id).in_(ids))).all() if ids else []:
        named[(FollowKind.product, str(pid))] = (name, product_url(pid or 0))
    ids = [int(k) for k in keys.get(FollowKind.group, []) if is_digits(k)]
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
