"""Ingested documents: the one place an ingest result becomes stored rows.

``store_ingested`` writes the document, its pages, and the standard (with relations and criteria), lab
(with scope rows) or catalogue standards it holds, through the entity services and ``kb.versioning``,
with their audit events: one transaction per file. The run bookkeeping (``IngestRun``/``IngestFile``),
the content-addressed file copy, the "already stored" answer for a re-run, and the search update after
a batch live here too, so ``ingest/`` only reads files and returns records.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
from collections.abc import Iterator
from dataclasses import asdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert
from sqlmodel import Session, col, delete, select

from kb import audit, codes, labs, metrics, proposals, standards
from kb.config import Settings
from kb.errors import Conflict, NotFound
from kb.models import (
    Document,
    DocumentPage,
    IngestFile,
    IngestRun,
    IngestStatus,
    Lab,
    Product,
    ProposalStatus,
    ProposedChange,
    RelationType,
    Standard,
    StandardCreate,
    pk,
    utcnow,
)
from kb.records import STANDARD_KINDS, Equivalence, ExtractedStandard, IngestResult, Provenance
from kb.text import is_digits

if TYPE_CHECKING:
    from kb.core import KnowledgeBase

log = logging.getLogger(__name__)

Changed = dict[str, set[int]]


# --- Runs and their files ---------------------------------------------------------------------------


#: While it works a run refreshes ``heartbeat_at`` at least this often (the pool wakes for it between files).
HEARTBEAT_SECONDS = 10
#: A run silent for this long is taken as dead even where its process cannot be checked: another host,
#: a pid since reused, or a run from before the process was recorded. Generous, because the search
#: update after the last file does not beat.
STALE_AFTER = timedelta(minutes=15)

#: Runs this process has started and not closed. A restarted server can get its old pid back (pid 1 in a
#: container): a run recorded with our pid that we are not working on was left by an earlier process.
_OWN_RUNS: set[tuple[str, int]] = set()


def _own(kbase: KnowledgeBase, run_id: int) -> tuple[str, int]:
    return kbase.engine.url.render_as_string(hide_password=True), run_id


def _host() -> str:
    return socket.gethostname()[:255]


def _plan(files: list[tuple[str, str]]) -> list[dict[str, str]]:
    """``path`` as the run reads it (matches ``IngestFile.path``); ``abs``: where a re-run finds it, whatever
    the folder ``kb ingest`` was started from; ``name``: what the page calls it."""
    return [{"path": p, "abs": os.path.abspath(p), "name": n} for p, n in files]


def start_run(kbase: KnowledgeBase, actor: str, files: list[tuple[str, str]] | None = None, *,
              ocr: bool = False, rerun_of: int | None = None) -> int:
    """Open a run owned by this process; ``files`` are ``(path, name shown)`` in the order they will be read."""
    with kbase.session() as session:
        run = IngestRun(actor=actor, ocr=ocr, rerun_of=rerun_of, pid=os.getpid(), host=_host(),
                        heartbeat_at=utcnow(), reading=[],
                        planned=_plan(files) if files is not None else None)
        session.add(run)
        session.flush()
        assert run.id is not None
        _OWN_RUNS.add(_own(kbase, run.id))
        return run.id


def plan_run(kbase: KnowledgeBase, run_id: int, files: list[tuple[str, str]]) -> None:
    """Record the files of a run opened without them (the pipeline expands folders after opening)."""
    with kbase.session() as session:
        run = session.get(IngestRun, run_id)
        if run is not None and run.planned is None:
            run.planned = _plan(files)
            session.add(run)


def beat(kbase: KnowledgeBase, run_id: int, reading: list[str] | None = None) -> None:
    """Still alive; ``reading``: the paths in a worker now. Bookkeeping only: a failure is logged."""
    try:
        with kbase.session() as session:
            run = session.get(IngestRun, run_id)
            if run is None:
                return
            run.heartbeat_at = utcnow()
            run.pid, run.host = os.getpid(), _host()  # a re-run may be picked up by another process
            if reading is not None:
                run.reading = list(reading)
            session.add(run)
        _OWN_RUNS.add(_own(kbase, run_id))
    except Exception:  # noqa: BLE001
        log.exception("heartbeat of ingest run %s not recorded", run_id)


def finish_run(kbase: KnowledgeBase, run_id: int, counts: dict[str, int], *, interrupted: bool = False) -> None:
    """Close the run with its counts (``interrupted``: cut short, e.g. Ctrl-C or an error between files).

    A failure here must not mask the batch's real outcome. The run stays this process's own until it is
    closed: a page that checks for dead runs meanwhile would otherwise mark it interrupted.
    """
    try:
        with kbase.session() as session:
            run = session.get(IngestRun, run_id)
            if run is not None:
                kind = run.kind
                now = utcnow()
                if interrupted:
                    run.interrupted_at = now
                else:
                    run.finished_at, run.interrupted_at = now, None  # it did finish after all
                run.heartbeat_at, run.reading = now, []
                run.counts = dict(counts)
                session.add(run)
        if run is not None:
            metrics.run_finished(kind, counts)  # /metrics: files ingested, rows imported by this server
    except Exception:  # noqa: BLE001 - bookkeeping only; the results are already reported
        log.exception("ingest run %s not closed", run_id)
    finally:
        _OWN_RUNS.discard(_own(kbase, run_id))


def _process_gone(pid: int) -> bool:
    """True when no process ``pid`` runs on this host (a zombie counts as gone: it does no more work)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OSError):
        return False  # someone else's process: it exists
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def run_is_stale(run: IngestRun, now: datetime, *, ours: bool) -> bool:
    """An open run nobody works on any more: its process is gone (same host), or it fell silent.
    ``ours``: this process is working on it."""
    if run.finished_at is not None or run.interrupted_at is not None or ours:
        return False
    if run.pid is not None and run.host == _host() and (run.pid == os.getpid() or _process_gone(run.pid)):
        return True
    last = run.heartbeat_at or run.started_at
    return now - last > STALE_AFTER


def mark_interrupted(kbase: KnowledgeBase, run_id: int | None = None) -> list[int]:
    """Mark open runs whose process died as interrupted (all of them, or just ``run_id``); their ids."""
    marked = []
    with kbase.session() as session:
        query = select(IngestRun).where(col(IngestRun.finished_at).is_(None), col(IngestRun.interrupted_at).is_(None))
        if run_id is not None:
            query = query.where(IngestRun.id == run_id)
        now = utcnow()
        for run in session.exec(query).all():
            if run.id is not None and run_is_stale(run, now, ours=_own(kbase, run.id) in _OWN_RUNS):
                run.interrupted_at, run.reading = now, []
                session.add(run)
                marked.append(run.id)
    if marked:
        log.warning("ingest runs %s were cut short; marked interrupted", marked)
    return marked


def run_files(session: Session, run: IngestRun) -> tuple[list[IngestFile], list[dict[str, str]]]:
    """A run's outcomes so far and the planned files that have none yet (``{"path", "name"}``)."""
    done = list(session.exec(select(IngestFile).where(IngestFile.run_id == run.id).order_by(col(IngestFile.id))))
    seen = {f.path for f in done}
    return done, [p for p in (run.planned or []) if p["path"] not in seen]


def reruns_of(session: Session, run_id: int) -> list[int]:
    return [r for r in session.exec(select(IngestRun.id).where(IngestRun.rerun_of == run_id)
                                    .order_by(col(IngestRun.id))) if r is not None]


def start_rerun(kbase: KnowledgeBase, run_id: int, actor: str) -> tuple[int, list[str], bool]:
    """Open a run for the files an interrupted run did not finish, audited on the interrupted run.

    Returns ``(new run id, paths to read, ocr)``. A run still working, finished, already re-run or with
    nothing left is refused (Conflict), so two curators cannot start the same re-run twice.
    """
    mark_interrupted(kbase, run_id)
    with kbase.session() as session:
        run = session.exec(select(IngestRun).where(IngestRun.id == run_id).with_for_update()).first()
        if run is None:
            raise NotFound(f"Không có lượt nạp #{run_id}")
        if run.interrupted_at is None:
            raise Conflict(f"Lượt nạp #{run_id} không bị gián đoạn nên không cần chạy lại.")
        again = reruns_of(session, run_id)
        if again:
            raise Conflict(f"Lượt nạp #{run_id} đã được chạy lại ở lượt #{again[0]}.")
        _, left = run_files(session, run)
        if not left:
            raise Conflict(f"Lượt nạp #{run_id} không còn tệp nào chưa xong.")
        new = IngestRun(actor=actor, ocr=run.ocr, rerun_of=run_id, pid=os.getpid(), host=_host(),
                        heartbeat_at=utcnow(), reading=[],
                        planned=_plan([(p.get("abs") or p["path"], p["name"]) for p in left]))
        session.add(new)
        session.flush()
        assert new.id is not None
        names = [p["name"] for p in left]
        audit.record(session, actor=actor, action="rerun", entity="ingest_run", entity_id=run_id,
                     after={"run": new.id, "files": names},
                     summary=f"Chạy lại lượt nạp #{run_id} ở lượt #{new.id}: {len(left)} tệp chưa xong")
        _OWN_RUNS.add(_own(kbase, new.id))
        return new.id, [p["path"] for p in new.planned or []], run.ocr


def record_failure(kbase: KnowledgeBase, run_id: int, path: Path, sha: str | None, message: str,
                   seconds: float = 0.0, status: IngestStatus = IngestStatus.failed) -> None:
    """A file settled without storing anything: failed, or (``status`` unchanged) a duplicate in the batch."""
    try:
        with kbase.session() as session:
            session.add(IngestFile(run_id=run_id, path=str(path), sha256=sha, status=status,
                                   message=message, seconds=seconds))
    except Exception:  # noqa: BLE001 - the failure is still reported to the caller
        log.exception("failure of %s not recorded", path)


def already_stored(kbase: KnowledgeBase, run_id: int, path: Path, sha: str, *,
                   ocr: bool) -> tuple[IngestResult | None, int | None]:
    """A file whose content is stored already: ``(result, None)`` when there is nothing to read again
    (recorded in the run), else ``(None, id of a stored document to reuse)``."""
    with kbase.session() as session:
        doc = session.exec(select(Document).where(Document.sha256 == sha)).first()
        if doc is None:
            return None, None
        if not doc.text_layer and ocr:
            return None, doc.id  # a scan stored without text, now to be OCR'd
        session.add(IngestFile(run_id=run_id, path=str(path), sha256=sha, pages=doc.pages,
                               status=IngestStatus.unchanged if doc.text_layer else IngestStatus.needs_ocr,
                               document_id=doc.id))
        return _stored_result(session, doc, path), None


def _stored_result(session: Session, doc: Document, path: Path) -> IngestResult:
    result = IngestResult(path=path, status="unchanged" if doc.text_layer else "needs_ocr", sha256=doc.sha256,
                          page_count=doc.pages, kind=doc.kind, title_vi=doc.title)
    std = session.exec(select(Standard).where(Standard.document_id == doc.id)).first()
    if std is not None:
        extra = std.extra or {}
        eq = extra.get("equivalence") or {}
        result.standard = ExtractedStandard(
            kind=doc.kind, code=std.code, doc_type=std.doc_type, number=std.number, part=std.part, year=std.year,
            issuer_suffix=std.issuer_suffix, title_vi=std.title_vi, title_en=std.title_en,
            edition=int(std.edition) if std.edition and is_digits(std.edition) else std.edition,
            replaces=list(extra.get("replaces") or []), converted_from=list(extra.get("converted_from") or []),
            normative_references=list(extra.get("normative_references") or []),
            sections=list(extra.get("sections") or []),
            equivalence=Equivalence(eq.get("relation"), list(eq.get("codes") or [])),
            drafted_by=std.drafted_by, proposed_by=std.proposed_by, appraised_by=std.appraised_by,
            published_by=std.published_by, ics=std.ics, scope_first_sentence=std.scope,
            provenance={f: Provenance(p.get("page"), p.get("method"), p.get("confidence"))
                        for f, p in (std.provenance or {}).items() if isinstance(p, dict)},
        )
        result.designated, result.title_vi = True, std.title_vi
    waiting = session.exec(select(ProposedChange).where(ProposedChange.document_id == doc.id,
                                                        ProposedChange.status == ProposalStatus.pending)).first()
    if waiting is not None:  # the file is stored; what it would change still waits for a curator
        result.error = _awaits_review(waiting)
    return result


# --- One file, one transaction ------------------------------------------------------------------------


def keep_file_copy(settings: Settings, src: Path, sha: str) -> str:
    """Keep the source under the data dir, content-addressed; returns the path relative to data_dir."""
    rel = Path("files") / sha[:2] / f"{sha}.pdf"
    target = settings.files_dir / sha[:2] / f"{sha}.pdf"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".part")
        shutil.copyfile(src, tmp)
        os.replace(tmp, target)
    try:
        return str(target.relative_to(settings.data_dir))
    except ValueError:
        return str(rel)


def store_ingested(kbase: KnowledgeBase, result: IngestResult, *, run_id: int, actor: str,
                   reuse_document_id: int | None = None, seconds: float = 0.0) -> Changed:
    """Store one read file in one transaction; returns the standard and lab ids to re-index.

    ``result`` is updated to what was stored: the canonical code, or no designation when it did not
    parse, and the problem when a lab declaration names no accreditation.
    """
    assert result.sha256 is not None
    changed: Changed = {"standard": set(), "lab": set()}
    stored_path = keep_file_copy(kbase.settings, result.path, result.sha256)
    with kbase.session() as session:
        doc = session.get(Document, reuse_document_id) if reuse_document_id else None
        if doc is None:
            doc = Document(sha256=result.sha256, file_name=result.path.name)
        doc.stored_path = stored_path
        doc.pages = result.page_count
        doc.legacy_font = result.legacy_font
        doc.kind = result.kind or "other"
        doc.text_layer = result.status == "ingested"
        doc.title = result.title_vi or doc.title
        session.add(doc)
        session.flush()
        assert doc.id is not None
        standard_id = None
        if result.status == "ingested":
            _store_pages(session, doc.id, result.pages)
            kind = result.kind
            if kind in STANDARD_KINDS:
                std, proposal = _store_standard(session, result, doc.id, actor)
                if proposal is not None:
                    standard_id = proposal.entity_id
                    result.error = _awaits_review(proposal)
                if std is not None:
                    standard_id = std.id
                    changed["standard"].add(pk(std))
                canonical = std.code if std is not None else proposal.target if proposal is not None else None
                if canonical and result.standard is not None:
                    result.standard.code = canonical
                elif result.standard is not None:
                    result.standard.drop_identity()
            elif kind == "lab_scope":
                lab_id, result.error = _store_lab(session, result, doc.id, actor)
                if lab_id:
                    changed["lab"].add(lab_id)
            elif kind == "catalogue":
                changed["standard"] |= _store_catalogue(session, result, doc, actor)
            audit.record(session, actor=actor, action="ingest", entity="document", entity_id=doc.id,
                         summary=f"Nạp {result.path.name} ({doc.pages} trang, {kind})")
        session.add(IngestFile(run_id=run_id, path=str(result.path), sha256=result.sha256,
                               status=IngestStatus(result.status), message=result.error, pages=doc.pages,
                               seconds=seconds, document_id=doc.id, standard_id=standard_id))
    return changed


def _store_pages(session: Session, document_id: int, pages: list[str]) -> None:
    session.exec(delete(DocumentPage).where(col(DocumentPage.document_id) == document_id))
    rows = [{"document_id": document_id, "page_no": i, "text": t} for i, t in enumerate(pages, 1)]
    if rows:  # a bulk insert: hundreds of pages need no ORM objects
        session.execute(insert(DocumentPage), rows)


def _provenance(rec: ExtractedStandard) -> dict[str, dict[str, Any]]:
    """The stored provenance of each field (an OCR'd field's method already says ``ocr; …``)."""
    prov: dict[str, dict[str, Any]] = {name: {"page": p.page, "method": p.method, "confidence": p.confidence}
                                       for name, p in rec.provenance.items()}
    # Stored columns named differently from the extracted fields they come from.
    for column, source in (("title_vi", "title_vi_normalised"), ("scope", "scope_first_sentence")):
        if source in prov and column not in prov:
            prov[column] = prov[source]
    return prov


def _standard_values(code: str, rec: ExtractedStandard) -> StandardCreate:
    return StandardCreate(
        code=code,
        title_vi=rec.display_title(),
        title_en=rec.title_en,
        edition=str(rec.edition) if rec.edition not in (None, "") else None,
        drafted_by=rec.drafted_by,
        proposed_by=rec.proposed_by,
        appraised_by=rec.appraised_by,
        published_by=rec.published_by,
        ics=rec.ics,
        scope=rec.scope_first_sentence,
    )


def _standard_extra(rec: ExtractedStandard, ocr: bool) -> dict[str, Any]:
    """Extracted extras kept for display (only those found)."""
    values: dict[str, Any] = {
        "sections": rec.sections, "annexes": [asdict(a) for a in rec.annexes],
        "equivalence": asdict(rec.equivalence), "normative_references": rec.normative_references,
        "replaces": rec.replaces, "converted_from": rec.converted_from, "revision": rec.revision,
        "submitted_by": rec.submitted_by, "title_vi": rec.title_vi,
    }
    extra = {k: v for k, v in values.items() if v}
    if ocr:
        extra["ocr"] = True
    return extra


def _relations(rec: ExtractedStandard) -> list[tuple[RelationType, str, str | None, int]]:
    """The edges the foreword and the references clause print: (relation, other code, qualifier, position)."""
    out: list[tuple[RelationType, str, str | None, int]] = []
    out += [(RelationType.replaces, old, None, pos) for pos, old in enumerate(rec.replaces)]
    out += [(RelationType.converted_from, old, None, pos) for pos, old in enumerate(rec.converted_from)]
    out += [(RelationType.equivalent, other, rec.equivalence.relation, pos)
            for pos, other in enumerate(rec.equivalence.codes)]
    for pos, ref in enumerate(rec.normative_references):
        d = codes.parse(ref)
        if d is not None:
            out.append((RelationType.cites, ref, "dated" if d.year else "undated", pos))
    return out


def _review_reasons(diff: list[dict[str, Any]], rows_entry: dict[str, Any] | None, rows_reason: str, *,
                    rows_locked: bool = False) -> list[str]:
    """Why a document's values must wait for a curator: fields it would change (not only fill) or a verified
    one, and stored rows it would replace. The rows entry joins the diff."""
    reasons: list[str] = []
    changed = [d["field"] for d in diff if not d["fill"] or d["verified"]]
    if changed:
        reasons.append("sửa trường đã có: " + ", ".join(changed))
    if rows_entry is not None:
        diff.append(rows_entry)
        if not rows_entry["fill"] or rows_locked:
            reasons.append(rows_reason)
    return reasons


def _awaits_review(proposal: ProposedChange) -> str:
    return f"đề xuất thay đổi #{proposal.id} chờ biên tập viên duyệt: {proposal.reason}"


def _store_standard(session: Session, result: IngestResult, document_id: int,
                    actor: str) -> tuple[Standard | None, ProposedChange | None]:
    """The standard a document designates, written when that changes nothing known; a proposed change when
    it would change another source's fields, a verified field or existing criteria rows, or when its
    identity or title was read with low confidence (``kb.proposals``)."""
    rec = result.standard
    d = codes.parse(rec.code) if rec is not None and rec.code else None
    if rec is None or d is None:
        return None, None
    values = _standard_values(rec.code or "", rec)
    prov = _provenance(rec)
    extra = _standard_extra(rec, result.ocr)
    relations = _relations(rec)
    rows = [asdict(r) for r in result.criteria] if result.criteria is not None else None
    fields = {k: v for k, v in values.model_dump(exclude={"code"}).items() if v not in (None, "")}

    existing = session.exec(select(Standard).where(Standard.code_key == d.key)).first()
    verified = [f for f, p in (existing.provenance or {}).items() if p.get("verified")] if existing else []
    diff = proposals.field_diff(existing.model_dump() if existing else None, fields, prov, verified)
    rows_entry = None
    if rows is not None:
        stored_rows = proposals.criteria_rows(session, existing) if existing else []
        rows_entry = proposals.rows_diff("standard", stored_rows, rows)
    reasons = _review_reasons(diff, rows_entry, "thay bảng chỉ tiêu đã có")
    low = proposals.low_identity_confidence(rec.provenance)
    if low is not None:
        reasons.append(f"độ tin cậy thấp ({low:.2f})")
    if reasons:
        proposal = proposals.propose(
            session, document_id=document_id, entity="standard", entity_id=existing.id if existing else None,
            target=d.format(), values={"fields": fields, "provenance": prov, "extra": extra, "relations": relations},
            rows=rows, diff=diff, confidence=proposals.min_confidence(rec.provenance), reason="; ".join(reasons),
            actor=actor)
        return None, proposal

    std, _ = standards.upsert_standard(session, values, actor=actor, source="ingest", provenance=prov,
                                       document_id=document_id, extra=extra)
    for relation, other, qualifier, pos in relations:
        standards.add_relation(session, std.code, relation, other, qualifier=qualifier, position=pos, actor=actor)
    if result.criteria is not None:
        standards.replace_criteria(session, std, result.criteria)
    return std, None


def _store_lab(session: Session, result: IngestResult, document_id: int,
               actor: str) -> tuple[int | None, str | None]:
    """The lab and its scope; returns (lab id, note). No accreditation printed means no lab record; a known
    lab whose fields or scope rows the document would change gets a proposed change instead."""
    parsed = result.lab
    if parsed is None or not parsed.lab.accreditation:
        return None, "không thấy số hiệu công nhận (VILAS / LAS-XD) trong tài liệu: chỉ lưu tài liệu"
    data = labs.parse_lab(parsed.lab.values())
    rows = [labs.parse_scope_row({"material": r.material, "test": r.test, "range": r.range, "method": r.method})
            for r in parsed.scope if r.test]
    lab = labs.find_lab(session, data.accreditation)
    if lab is not None:
        fields = {k: v for k, v in data.model_dump(exclude_unset=True, exclude={"accreditation"}).items()
                  if v is not None}
        row_values = [r.model_dump() for r in rows]
        diff = proposals.field_diff(lab.model_dump(), fields, {}, verified=fields if lab.verified_at else ())
        rows_entry = proposals.rows_diff("lab", proposals.scope_rows(session, lab), row_values)
        reasons = _review_reasons(diff, rows_entry, "thay phạm vi đã có", rows_locked=lab.verified_at is not None)
        if reasons:
            proposal = proposals.propose(
                session, document_id=document_id, entity="lab", entity_id=lab.id, target=lab.accreditation,
                values={"fields": fields}, rows=row_values, diff=diff, confidence=None,
                reason="; ".join(reasons), actor=actor)
            return None, _awaits_review(proposal)
    lab, _ = labs.upsert_lab(session, data, actor)
    labs.replace_scope(session, lab, rows, actor)
    return lab.id, None


def _store_catalogue(session: Session, result: IngestResult, doc: Document, actor: str) -> set[int]:
    """A standard record per listed designation; fields known from a real document are not overwritten.

    Known codes go through ``upsert_standard``; new ones are created together (``create_catalogued``).
    """
    cat = result.catalogue
    if cat is None:
        return set()
    title = cat.title or doc.title
    wanted: dict[str, tuple[codes.Designation, str, dict[str, Any]]] = {}
    for e in cat.entries:
        for c in e.codes:
            d = codes.parse(c.code)
            if d is None or d.key in wanted:
                continue
            info = {"document_id": doc.id, "title": title, "section": e.section, "section_title": e.section_title,
                    "stt": e.stt, "code_as_printed": e.code_raw, "page": e.page}
            wanted[d.key] = (d, c.title, info)
    existing = standards.by_keys(session, wanted)
    replaced = standards.replaced_among(session, wanted)
    ids: set[int] = set()
    new: list[tuple[codes.Designation, str | None, dict[str, Any]]] = []
    for key, (d, entry_title, info) in wanted.items():
        std = existing.get(key)
        if std is None:
            new.append((d, entry_title, info))
            continue
        titled = not std.title_vi
        values = StandardCreate(code=d.format(), title_vi=entry_title) if titled else StandardCreate(code=d.format())
        prov = {"title_vi": {"page": info["page"], "method": "catalogue"}} if titled else None
        std, _ = standards.upsert_standard(session, values, actor=actor, source="ingest",
                                           provenance=prov, extra={"catalogue": info})
        ids.add(pk(std))
    ids.update(standards.create_catalogued(session, new, replaced=replaced, actor=actor))
    for e in cat.entries:
        primary, eqs = e.codes, e.equivalents
        if primary and eqs:
            pairs = zip(primary, eqs, strict=False) if len(primary) == len(eqs) else ((p, q) for p in primary[:1] for q in eqs)
            for p, q in pairs:
                standards.add_relation(session, p.code, RelationType.equivalent, q, actor=actor)
    return ids


def known_texts(kbase: KnowledgeBase) -> Iterator[str]:
    """The knowledge base's own wording (titles, scopes and publishers of standards, product and lab names):
    what OCR'd text is repaired against."""
    with kbase.session() as session:
        for column in (Standard.title_vi, Standard.scope, Standard.drafted_by, Standard.published_by,
                       Product.name, Product.category, Lab.name, Lab.organization):
            yield from (text for text in session.exec(select(column)) if text)


# --- After a batch --------------------------------------------------------------------------------------


def update_search(kbase: KnowledgeBase, changed: Changed, procs: int = 1) -> None:
    """Tell the search index what changed, once per batch. The index is a cache that catches up by itself
    (``kb reindex``, ``ensure_index``), so a failure here is logged, not raised. ``procs``: processes a
    full build (no index yet) may fork."""
    if not any(changed.values()):
        return
    try:
        from kb import search

        search.update(kbase, standards=sorted(changed.get("standard", ())), products=sorted(changed.get("product", ())),
                      labs=sorted(changed.get("lab", ())), procs=procs)
    except Exception:  # noqa: BLE001 - `kb reindex` / ensure_index() catch up
        log.exception("search index not updated; it catches up on the next search")
