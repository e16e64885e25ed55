"""The queue of ingested documents waiting for review, filtered and paged, and the bulk confirmation of the
fields extraction is sure of.

A document's pending fields and their confidence live in ``Standard.provenance`` (JSON, one entry per
extracted key). The database unpacks it (``json_each``, in SQLite and PostgreSQL alike) to find, count and
order the documents a filter keeps; Python decodes the provenance of the page shown only
(``bench/review_queue.py`` measures 5,000 ingested standards).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import select as sa_select
from sqlalchemy import text
from sqlmodel import Session, col, func, select

from kb.errors import BadInput
from kb.models import AuditEvent, Document, IngestFile, ProposalStatus, ProposedChange, Standard, StandardUpdate
from kb.standards import CONFIDENCE_LEVELS, FOLLOWS, REVIEW_FIELDS, confidence_level, review_field, review_standard
from kb.text import clean, fold, is_digits
from kb.versioning import StaleEdit

#: Levels from the least sure up: a document's ``least`` level is the first of these its pending fields reach.
LEVELS = ("check", "fair", "sure")
#: Documents one bulk confirmation may cover.
MAX_BULK = 500
#: Levels a proposal's ``min_confidence`` falls in, as SQL bounds (``None`` grades count as "check").
_BOUNDS = {"sure": (CONFIDENCE_LEVELS[0], None), "fair": (CONFIDENCE_LEVELS[1], CONFIDENCE_LEVELS[0]),
           "check": (None, CONFIDENCE_LEVELS[1])}


@dataclass(frozen=True)
class ReviewFilter:
    """Which documents (and proposals) the review queue shows; empty values mean "any"."""

    text: str = ""  # folded: a code or title fragment
    doc_type: str = ""
    source: str = ""  # folded file-name fragment, or the ingest run when ``run`` is set
    run: int | None = None
    level: str = ""  # the least confidence level among pending fields
    pending: str = ""  # a review field that must still be pending
    #: What the curator typed or chose, cleaned, to fill the form and the links again.
    given: dict[str, str] = field(default_factory=dict)


def parse_filter(*, text: str = "", doc_type: str = "", source: str = "", level: str = "",
                 pending: str = "") -> ReviewFilter:
    """The filters as a query string gives them; a value no option allows raises :class:`BadInput`."""
    given = {k: clean(v) for k, v in {"text": text, "doc_type": doc_type, "source": source, "level": level,
                                      "pending": pending}.items() if clean(v)}
    if given.get("level", "") not in ("", *LEVELS):
        raise BadInput(f"mức độ tin cậy {given['level'][:30]!r} không có; chọn trong danh sách")
    if given.get("pending", "") not in ("", *REVIEW_FIELDS):
        raise BadInput(f"trường {given['pending'][:30]!r} không có; chọn trong danh sách")
    src = given.get("source", "")
    run_text = src.lstrip("#").strip()
    run = int(run_text) if is_digits(run_text) and len(run_text) < 10 else None
    return ReviewFilter(text=fold(given.get("text")), doc_type=given.get("doc_type", ""), source=fold(src), run=run,
                        level=given.get("level", ""), pending=given.get("pending", ""), given=given)


@dataclass
class QueueRow:
    """One document of the queue: its standard, file, pending fields with the confidence of each (the least
    sure key read with the field: confirming a field confirms those keys too)."""

    id: int
    code: str
    title_vi: str | None
    doc_type: str
    version: int
    file_name: str | None
    confidence: dict[str, float | None]  # pending review field -> its least confidence (None: ungraded)

    @property
    def pending(self) -> list[str]:
        return list(self.confidence)

    def level(self, f: str) -> str:
        return confidence_level(self.confidence[f])

    @property
    def least(self) -> str:
        return min((self.level(f) for f in self.confidence), key=LEVELS.index, default="sure")

    @property
    def sure(self) -> list[str]:
        """The pending fields a bulk confirmation would confirm."""
        return [f for f in self.confidence if self.level(f) == "sure"]


def pending_confidence(provenance: dict[str, Any] | None) -> dict[str, float | None]:
    """Pending review fields in reading order, each with the least confidence among its unverified keys."""
    least: dict[str, float | None] = {}
    for key, p in (provenance or {}).items():
        if p.get("verified"):
            continue
        f = review_field(key)
        c = p.get("confidence")
        if f not in least:
            least[f] = c
        else:
            prior = least[f]
            least[f] = None if c is None or prior is None else min(c, prior)
    return {f: least[f] for f in REVIEW_FIELDS if f in least}


def _rows(session: Session, ids: Iterable[int]) -> list[QueueRow]:
    """The queue rows of these standards in the order given, provenance read for them only."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return []
    # sqlalchemy's select: sqlmodel's typed overloads stop at four columns
    q = (sa_select(col(Standard.id), col(Standard.code), col(Standard.title_vi), col(Standard.doc_type),
                   col(Standard.version), col(Standard.provenance), col(Document.file_name))
         .join(Document, col(Document.id) == col(Standard.document_id)).where(col(Standard.id).in_(wanted)))
    found = {sid: QueueRow(sid, code, title, doc_type, version, file_name, pending_confidence(prov))
             for sid, code, title, doc_type, version, prov, file_name in session.execute(q).all()}
    return [found[i] for i in wanted if i in found and found[i].confidence]


def _unverified(session: Session) -> tuple[str, str, str]:
    """SQL fragments over each provenance entry ``e`` of ``s.provenance``: the join, "not verified" and the
    entry's confidence (NULL when ungraded), in the session's dialect."""
    if session.get_bind().dialect.name == "postgresql":
        # json (text) re-parsed per operator; one cast to jsonb per row measured ~20% faster
        return ("CROSS JOIN jsonb_each(s.provenance::jsonb) AS e",
                "NOT coalesce((e.value->>'verified')::boolean, false)", "(e.value->>'confidence')::float")
    return ("CROSS JOIN json_each(s.provenance) AS e",
            "NOT coalesce(json_extract(e.value, '$.verified'), 0)", "json_extract(e.value, '$.confidence')")


def _keys_of(review: str) -> list[str]:
    """The provenance keys confirmed with a review field (itself and the keys that follow it)."""
    return [review, *(k for k, f in FOLLOWS.items() if f == review)]


def _pending_summary(session: Session, pending: str = "") -> list[tuple]:
    """Every ingested standard with a pending key, newest first: ``(id, code, title_vi, doc_type,
    document_id, file_name, least confidence (-1: ungraded), whether ``pending``'s keys are among them)``.
    The database unpacks the provenance; one scan serves the filters and both counts."""
    join, unverified, confidence = _unverified(session)
    keys = _keys_of(pending) if pending else []
    wanted = (f"SUM(CASE WHEN e.key IN ({', '.join(f':k{i}' for i in range(len(keys)))}) THEN 1 ELSE 0 END)"
              if keys else "0")
    sql = (f"SELECT s.id, s.code, s.title_vi, s.doc_type, s.document_id, d.file_name, "
           f"MIN(COALESCE({confidence}, -1)), {wanted} "
           f"FROM standard s JOIN document d ON d.id = s.document_id {join} WHERE {unverified} "
           f"GROUP BY s.id, s.code, s.title_vi, s.doc_type, s.document_id, d.file_name, s.updated_at "
           f"ORDER BY s.updated_at DESC, s.id DESC")
    return list(session.execute(text(sql), {f"k{i}": k for i, k in enumerate(keys)}).all())


def _keeps(f: ReviewFilter, in_run: set[int | None] | None, row: tuple) -> bool:
    _, code, title, doc_type, document_id, file_name, least, wanted = row
    return (not f.doc_type or doc_type == f.doc_type) \
        and (in_run is None or document_id in in_run) \
        and (not f.level or confidence_level(None if least < 0 else least) == f.level) \
        and (not f.pending or wanted > 0) \
        and (not f.text or _text_matches(f.text, code, title)) \
        and (in_run is not None or not f.source or f.source in fold(file_name))


def filtered_ids(session: Session, f: ReviewFilter) -> tuple[list[int], int]:
    """Ids of the documents the filter keeps (newest first) and the number waiting in all."""
    rows = _pending_summary(session, f.pending)
    in_run = None if f.run is None else set(session.exec(
        select(IngestFile.document_id).where(IngestFile.run_id == f.run)).all())
    return [r[0] for r in rows if _keeps(f, in_run, r)], len(rows)


def count_pending(session: Session) -> int:
    """Documents waiting for review (the curator dashboard's count)."""
    return len(_pending_summary(session))


def matched_ids(session: Session, f: ReviewFilter) -> list[int]:
    """Ids of the documents the filter keeps, newest first."""
    return filtered_ids(session, f)[0]


def _text_matches(needle: str, code: str, title: str | None) -> bool:
    folded = fold(code)
    return needle in folded or needle.replace(" ", "") in folded.replace(" ", "") or needle in fold(title)


def queue_page(session: Session, f: ReviewFilter, *, limit: int = 50,
               offset: int = 0) -> tuple[list[QueueRow], int, int]:
    """One page of the filtered queue, the number of documents the filter keeps and the number waiting in all."""
    ids, total = filtered_ids(session, f)
    return _rows(session, ids[offset:offset + limit]), len(ids), total


def rows_by_ids(session: Session, ids: Iterable[int]) -> list[QueueRow]:
    """The queue rows of these standards, in the order given (unknown or fully reviewed ones left out)."""
    return _rows(session, list(dict.fromkeys(ids))[:MAX_BULK * 2])


def codes_of(session: Session, ids: Iterable[int]) -> list[str]:
    """The codes of these standards, in the order given (a notice naming them, reviewed or not)."""
    wanted = list(dict.fromkeys(ids))
    found = dict(session.exec(select(Standard.id, Standard.code).where(col(Standard.id).in_(wanted))).all())
    return [found[i] for i in wanted if i in found]


def doc_types(session: Session) -> list[str]:
    """The document types among ingested standards (the type filter's options)."""
    q = select(Standard.doc_type).where(col(Standard.document_id).is_not(None)).distinct()
    return sorted(session.exec(q).all())


# --- Pending proposals, filtered the same way ----------------------------------------------------------


def proposals_page(session: Session, f: ReviewFilter, *, limit: int = 50) -> tuple[list[ProposedChange], int, int]:
    """Pending proposals passing the text and confidence filters (least sure first), how many pass and how
    many are pending in all."""
    base = select(ProposedChange.id, ProposedChange.target).where(ProposedChange.status == ProposalStatus.pending)
    total = session.exec(select(func.count()).select_from(base.subquery())).one()
    q = base
    if f.level:
        low, high = _BOUNDS[f.level]
        if low is not None:
            q = q.where(col(ProposedChange.min_confidence) >= low)
        if high is not None:
            q = q.where((col(ProposedChange.min_confidence) < high) | col(ProposedChange.min_confidence).is_(None))
    q = q.order_by(col(ProposedChange.min_confidence).is_(None), col(ProposedChange.min_confidence),
                   col(ProposedChange.id))
    ids = [pid for pid, target in session.exec(q).all()
           if not f.text or f.text.replace(" ", "") in fold(target).replace(" ", "")]
    chosen = ids[:limit]
    found = {p.id: p for p in session.exec(select(ProposedChange).where(col(ProposedChange.id).in_(chosen))).all()}
    return [found[i] for i in chosen], len(ids), total


# --- Bulk confirmation of the sure fields ---------------------------------------------------------------


@dataclass(frozen=True)
class BulkOutcome:
    """What happened to one document: ``ok`` (its sure fields confirmed), ``nothing`` (none was sure),
    ``conflict`` (edited since the confirmation page was shown: left as it is) or ``not_found``."""

    id: int
    result: Literal["ok", "nothing", "conflict", "not_found"]
    code: str = ""
    fields: tuple[str, ...] = ()
    event_id: int | None = None
    detail: str | None = None


def confirm_sure(session: Session, versions: dict[int, int], actor: str) -> list[BulkOutcome]:
    """Confirm, for each standard id (at the version the curator saw), its pending fields whose confidence is
    "sure", through :func:`kb.standards.review_standard`: one audit event per standard, each in its own
    savepoint, so a stale one is reported and left whole while the others apply."""
    if not versions:
        raise BadInput("chưa chọn tài liệu nào")
    if len(versions) > MAX_BULK:
        raise BadInput(f"mỗi lần xác nhận tối đa {MAX_BULK} tài liệu; hãy lọc hẹp hơn")
    out: list[BulkOutcome] = []
    for sid, seen in versions.items():
        std = session.get(Standard, sid)
        if std is None:
            out.append(BulkOutcome(sid, "not_found", detail=f"không có tài liệu #{sid}"))
            continue
        code = std.code
        try:
            with session.begin_nested():
                if std.version != seen:
                    raise StaleEdit("standard", {"version": std.version}, {"version": seen})
                sure = QueueRow(sid, code, None, std.doc_type, std.version, None,
                                pending_confidence(std.provenance)).sure
                if not sure:
                    out.append(BulkOutcome(sid, "nothing", code))
                    continue
                review_standard(session, sid, StandardUpdate(), seen, actor, sure)
                session.flush()
                event = session.exec(select(func.max(AuditEvent.id)).where(
                    AuditEvent.entity == "standard", AuditEvent.entity_id == sid)).one()
                out.append(BulkOutcome(sid, "ok", code, tuple(sure), event))
        except StaleEdit as exc:
            out.append(BulkOutcome(sid, "conflict", code, detail=exc.message))
    return out


def confirmed_in(session: Session, first: int, last: int, actor: str) -> list[tuple[str, list[str]]]:
    """What ``actor``'s confirmations logged as audit events ``first``..``last`` verified: each standard's code
    and the review fields that became verified (read back from the events, for the notice that follows)."""
    if last < first or last - first > 4 * MAX_BULK:
        return []
    events = session.exec(select(AuditEvent).where(
        col(AuditEvent.id) >= first, col(AuditEvent.id) <= last, AuditEvent.actor == actor,
        AuditEvent.entity == "standard", AuditEvent.action == "approve").order_by(col(AuditEvent.id))).all()
    ids = [e.entity_id for e in events if e.entity_id is not None]
    codes = dict(session.exec(select(Standard.id, Standard.code).where(col(Standard.id).in_(ids))).all())
    out = []
    for e in events:
        before = (e.before or {}).get("provenance") or {}
        after = (e.after or {}).get("provenance") or {}
        newly = {review_field(k) for k, p in after.items()
                 if isinstance(p, dict) and p.get("verified") and not (before.get(k) or {}).get("verified")}
        if e.entity_id in codes and newly:
            out.append((codes[e.entity_id], [f for f in REVIEW_FIELDS if f in newly]))
    return out


def describe_confirmed(done: list[tuple[str, list[str]]], shown: int = 5) -> str | None:
    """``Đã xác nhận 37 trường chắc chắn của 12 tài liệu: TCVN 1:2020, … và 7 tài liệu khác.``"""
    if not done:
        return None
    n_fields = sum(len(fs) for _, fs in done)
    named = ", ".join(code for code, _ in done[:shown])
    more = f" và {len(done) - shown} tài liệu khác" if len(done) > shown else ""
    return f"Đã xác nhận {n_fields} trường chắc chắn của {len(done)} tài liệu: {named}{more}."
