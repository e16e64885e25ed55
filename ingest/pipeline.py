"""Ingest a batch of PDFs: read and extract in worker processes, store in the parent, one file at a time.

Why this shape:

- Each file is read in its own short-lived process (forked where the platform allows): a parser that
  spins is killed at the per-file time limit, a PDF bomb that eats memory hits the worker's address-space
  limit, a crash in pdfium takes only that worker down — and memory stays flat in the number of files.
- Workers return plain dicts; only the parent writes the database, one transaction per file, so killing
  the batch loses nothing already reported and never leaves half a record. The next run skips every
  file already stored (by SHA-256, checked before any parsing).
"""

from __future__ import annotations

import hashlib
import multiprocessing as mp
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from multiprocessing.connection import wait as wait_ready
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, delete, select

from ingest import ocr as ocr_mod
from ingest.catalogue import looks_like_catalogue, parse_catalogue
from ingest.extract import extract_fields
from ingest.lab import looks_like_lab_declaration, parse_lab
from ingest.reader import read_pdf
from ingest.tables import criteria_pages, extract_criteria
from kb import audit, codes
from kb import standards as kb_standards
from kb.errors import IngestError, KBError
from kb.models import (
    AuditEvent,
    Criterion,
    Document,
    DocumentPage,
    IngestFile,
    IngestRun,
    IngestStatus,
    RelationType,
    Standard,
    StandardRelation,
    StandardStatus,
    utcnow,
)
from kb.text import clean, sentence_case

#: More pages than this is a page-tree bomb, not a standard.
MAX_PAGES = 5000
#: Text kept per page; a decompression bomb's page text is cut here.
MAX_PAGE_CHARS = 200_000
#: Address space a worker may add to what it inherits (pdfium allocations of a stream bomb fail here).
WORKER_MEMORY_MB = 2048
#: A compressed stream this big is test-inflated before pdfium sees it ...
BOMB_STREAM_MIN_BYTES = 512 * 1024
#: ... and the file is refused when that much of it inflates past this size.
BOMB_INFLATED_MB = 256
#: OCR gets this many times the per-file limit.
OCR_TIME_FACTOR = 10

OUTPUT_FIELDS = (
    "file", "status", "kind", "code", "doc_type", "number", "part", "year", "issuer_suffix", "title_vi",
    "title_en", "edition", "replaces", "converted_from", "equivalence", "normative_references", "sections",
    "pages", "error",
)
_LIST_FIELDS = ("replaces", "converted_from", "normative_references", "sections")
_STANDARD_KINDS = ("standard", "regulation")


def empty_result(path: Path | str, status: str, error: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {f: None for f in OUTPUT_FIELDS}
    out.update(file=str(path), status=status, error=error, pages=0,
               equivalence={"relation": None, "codes": []}, **{f: [] for f in _LIST_FIELDS})
    return out


# --- Finding the files ----------------------------------------------------------------------------


def expand_paths(paths: Iterable[Path | str]) -> list[tuple[Path, str | None]]:
    """Files to ingest, folders walked recursively for ``*.pdf`` in any letter case.

    Returns ``(path, problem)``; a path that does not exist comes back with its problem instead of
    stopping the batch.
    """
    out: list[tuple[Path, str | None]] = []
    seen: set[Path] = set()
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found = []
            for root, dirs, files in os.walk(p):  # symlinked folders are not followed (no loops)
                dirs.sort()
                found.extend(Path(root) / f for f in files if f.lower().endswith(".pdf"))
            items = [(f, None) for f in sorted(found)]
        elif p.exists():
            items = [(p, None)]
        else:
            items = [(p, "không tìm thấy tệp hoặc thư mục")]
        for f, problem in items:
            key = f.resolve() if problem is None else f
            if key not in seen:
                seen.add(key)
                out.append((f, problem))
    return out


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# --- Worker side: read, extract, tables (plain data only) -----------------------------------------


def _find_codes(text: str) -> list[str]:
    return [d.format() for d in codes.find_all(text or "")]


def _page_count(path: Path) -> int | None:
    """Pages as the page tree claims, without loading any page (None when pdfium cannot open it)."""
    import pypdfium2 as pdfium

    try:
        doc = pdfium.PdfDocument(str(path))
    except Exception:  # noqa: BLE001 - read_pdf gives the precise reason
        return None
    try:
        return len(doc)
    finally:
        doc.close()


_STREAM = re.compile(rb"stream\r?\n")


def check_streams(path: Path) -> None:
    """Refuse a decompression bomb before pdfium inflates it.

    Deflate cannot shrink data more than ~1000:1, so only streams of at least ``BOMB_STREAM_MIN_BYTES``
    can inflate to hundreds of megabytes; their first chunk is inflated with an output cap.
    """
    data = path.read_bytes()
    cap = BOMB_INFLATED_MB * 1024 * 1024
    pos = 0
    while True:
        m = _STREAM.search(data, pos)
        if m is None:
            return
        end = data.find(b"endstream", m.end())
        if end < 0:
            return
        pos = end + 9
        if end - m.end() < BOMB_STREAM_MIN_BYTES or b"FlateDecode" not in data[max(0, m.start() - 512):m.start()]:
            continue
        inflater = zlib.decompressobj()
        try:
            out = inflater.decompress(data[m.end():min(end, m.end() + BOMB_STREAM_MIN_BYTES)], cap)
        except zlib.error:
            continue  # broken stream: pdfium reports what it can
        if len(out) >= cap:
            raise IngestError(f"PDF bomb: một luồng dữ liệu giải nén vượt {BOMB_INFLATED_MB} MB, bỏ qua")


def process_file(path: Path, *, ocr: bool = False, timeout: float = 120,
                 notify: Callable[[tuple], None] | None = None) -> dict[str, Any]:
    """Everything that can be known from the file alone. Raises ``IngestError`` for unreadable files."""
    path = Path(path)
    check_streams(path)
    claimed = _page_count(path)
    if claimed is not None and claimed > MAX_PAGES:
        raise IngestError(f"quá nhiều trang ({claimed} > {MAX_PAGES}): nghi là PDF bomb, bỏ qua")
    pdf = read_pdf(path, max_pages=MAX_PAGES)
    pages = [p[:MAX_PAGE_CHARS] for p in pdf.pages]
    out: dict[str, Any] = {"page_count": pdf.page_count, "legacy_font": pdf.legacy_font, "ocr": False}
    source = path
    tmpdir = None
    try:
        if pdf.needs_ocr:
            if not ocr:
                return {**out, "status": "needs_ocr", "message": ocr_mod.needs_ocr_message()}
            reason = ocr_mod.missing()
            if reason:
                return {**out, "status": "needs_ocr", "message": reason}
            if notify:
                notify(("extend", timeout * OCR_TIME_FACTOR))
            tmpdir = tempfile.mkdtemp(prefix="kb-ocr-")
            source = ocr_mod.run_ocr(path, Path(tmpdir) / "ocr.pdf", timeout=timeout * OCR_TIME_FACTOR)
            again = read_pdf(source, max_pages=MAX_PAGES)
            if again.needs_ocr:
                return {**out, "status": "needs_ocr", "message": "OCR không cho ra chữ đọc được"}
            pages = [p[:MAX_PAGE_CHARS] for p in again.pages]
            out["ocr"] = True
        fields = extract_fields(pages)
        kind = fields.get("kind") or "other"
        # A document with a designation of its own is a standard, whatever lists it contains.
        designated = kind in _STANDARD_KINDS and bool(fields.get("code"))
        if kind == "lab_scope" or (not designated and looks_like_lab_declaration(pages)):
            kind = "lab_scope"
            out["lab"] = parse_lab(source, pages, find_codes=_find_codes)
        elif kind == "catalogue" or (not designated and looks_like_catalogue(pages)):
            kind = "catalogue"
            out["catalogue"] = parse_catalogue(source, pages)
        elif kind in _STANDARD_KINDS:
            out["criteria"] = extract_criteria(source, criteria_pages(pages), find_codes=_find_codes)
        return {**out, "status": "ingested", "kind": kind, "fields": fields, "pages": pages}
    finally:
        if tmpdir:
            shutil.rmtree(tmpdir, ignore_errors=True)


def _one_line(exc: BaseException) -> str:
    text = exc.message if isinstance(exc, KBError) else f"{type(exc).__name__}: {exc}"
    return " ".join(str(text).split())[:300] or type(exc).__name__


def _limit_memory() -> None:
    try:
        import resource

        with open("/proc/self/statm") as fh:
            current = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        limit = current + WORKER_MEMORY_MB * 1024 * 1024
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, OSError, ValueError):
        pass  # not Linux: the time limit still applies


def _child(conn, path: str, ocr: bool, timeout: float) -> None:
    """Worker process body: one file, one message back, exit."""
    try:
        os.setpgrp()  # so the parent can kill OCR subprocesses together with this worker
    except OSError:
        pass
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    except ValueError:
        pass  # not the main thread of this interpreter
    _limit_memory()
    try:
        result = {"ok": True, **process_file(Path(path), ocr=ocr, timeout=timeout, notify=conn.send)}
    except IngestError as exc:
        result = {"ok": False, "error": _one_line(exc)}
    except MemoryError:
        result = {"ok": False, "error": f"vượt giới hạn bộ nhớ {WORKER_MEMORY_MB} MB khi đọc (nghi là PDF bomb)"}
    except Exception as exc:  # noqa: BLE001 - one bad file must not stop the batch
        result = {"ok": False, "error": f"lỗi khi đọc tệp: {_one_line(exc)}"}
    try:
        conn.send(("result", result))
    except Exception as exc:  # noqa: BLE001 - e.g. an unpicklable value: still report the file
        conn.send(("result", {"ok": False, "error": f"lỗi khi gửi kết quả: {_one_line(exc)}"}))
    conn.close()


@dataclass
class _Job:
    index: int
    path: Path
    sha256: str
    reuse_document_id: int | None = None  # a needs_ocr document now being OCR'd
    started: float = 0.0
    deadline: float = 0.0
    proc: Any = None
    conn: Any = None


def _context():
    """fork: fast, and the worker inherits the loaded modules. Python 3.12+ deprecates forking a
    threaded process (the web's upload handler runs in a thread), so there a fork server is used."""
    methods = mp.get_all_start_methods()
    threaded = threading.active_count() > 1
    if "fork" in methods and not (threaded and sys.version_info >= (3, 12)):
        return mp.get_context("fork")
    return mp.get_context("forkserver" if "forkserver" in methods else "spawn")


def _build_may_fork() -> bool:
    """A first index build may fork as the parse workers do: whoosh's parallel writer uses the default
    start method, so only when that is fork and fork is what ``_context`` would choose here (the CLI's
    progress bar and the web's upload handler run threads; that is fine before Python 3.12)."""
    default = mp.get_start_method(allow_none=True) or mp.get_all_start_methods()[0]
    return default == "fork" and _context().get_start_method() == "fork"


def _kill(job: _Job) -> None:
    proc = job.proc
    if proc is None:
        return
    try:
        if hasattr(os, "killpg"):
            os.killpg(proc.pid, signal.SIGKILL)
        else:  # pragma: no cover - Windows
            proc.kill()
    except (ProcessLookupError, PermissionError, OSError):
        proc.kill()
    proc.join(timeout=5)


def _run_pool(jobs: Iterable[_Job], workers: int, timeout: float, ocr: bool,
              handle: Callable[[_Job, dict[str, Any]], None]) -> None:
    """Run jobs in at most ``workers`` processes; ``handle`` gets each result in the parent, in finish order.

    ``jobs`` is consumed lazily, so the first file is being read while the next ones are still hashed.
    """
    ctx = _context()
    source = iter(jobs)
    running: dict[Any, _Job] = {}

    def refill() -> None:
        while len(running) < workers:
            job = next(source, None)
            if job is None:
                return
            reader, writer = ctx.Pipe(duplex=False)
            job.proc = ctx.Process(target=_child, args=(writer, str(job.path), ocr, timeout), daemon=True)
            job.started = time.monotonic()
            job.deadline = job.started + timeout
            job.proc.start()
            writer.close()
            job.conn = reader
            running[reader] = job

    try:
        while True:
            refill()
            if not running:
                return
            soonest = min(j.deadline for j in running.values())
            ready = wait_ready(list(running), timeout=max(0.0, soonest - time.monotonic()))
            finished: list[tuple[_Job, dict[str, Any]]] = []
            for conn in ready:
                job = running[conn]
                try:
                    kind, payload = conn.recv()
                except (EOFError, OSError, ValueError, TypeError):
                    kind, payload = "result", None
                if kind == "extend":
                    job.deadline = time.monotonic() + float(payload)
                    continue
                del running[conn]
                conn.close()
                job.proc.join(timeout=5)
                if payload is None:
                    payload = {"ok": False, "error": f"tiến trình đọc tệp dừng đột ngột (mã thoát {job.proc.exitcode}); "
                                                     "tệp có thể hỏng hoặc là PDF bomb"}
                elif job.proc.is_alive():
                    _kill(job)
                finished.append((job, payload))
            now = time.monotonic()
            for conn, job in list(running.items()):
                if now >= job.deadline:
                    del running[conn]
                    _kill(job)
                    conn.close()
                    finished.append((job, {"ok": False, "error": f"quá thời gian xử lý cho một tệp ({timeout:g} s): bỏ qua"}))
            refill()  # keep the workers busy while this process stores what came back
            for job, payload in finished:
                handle(job, payload)
    finally:
        for job in running.values():
            _kill(job)
            job.conn.close()


# --- Parent side: storage ---------------------------------------------------------------------------


def _store_file_copy(settings, src: Path, sha: str) -> str:
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


def _output(job: _Job, data: dict[str, Any]) -> dict[str, Any]:
    out = empty_result(job.path, data["status"], data.get("message") if data["status"] == "needs_ocr" else None)
    out["pages"] = data.get("page_count", 0)
    fields = data.get("fields") or {}
    kind = data.get("kind")
    out["kind"] = kind
    if kind in _STANDARD_KINDS and fields.get("code"):
        for f in ("code", "doc_type", "number", "part", "year", "issuer_suffix", "title_en", "edition"):
            out[f] = fields.get(f)
        for f in _LIST_FIELDS:
            out[f] = list(fields.get(f) or [])
        eq = fields.get("equivalence") or {}
        out["equivalence"] = {"relation": eq.get("relation"), "codes": list(eq.get("codes") or [])}
    elif kind not in ("lab_scope", "catalogue"):
        out["sections"] = list(fields.get("sections") or [])
    if kind == "catalogue":
        out["sections"] = list((data.get("catalogue") or {}).get("sections") or [])
    out["title_vi"] = _display_title(fields) or (data.get("catalogue") or {}).get("title")
    return out


def _display_title(fields: dict[str, Any]) -> str | None:
    """Sentence case as printed on the first body page, else the printed title in sentence case."""
    if fields.get("title_vi_normalised"):
        return clean(fields["title_vi_normalised"])
    t = fields.get("title_vi")
    if not t:
        return None
    return sentence_case(t) if t.isupper() else clean(t)


def _provenance(fields: dict[str, Any]) -> dict[str, dict[str, Any]]:
    prov = fields.get("provenance") or {}
    out = {}
    for name, p in prov.items():
        if isinstance(p, dict):
            out[name] = {"page": p.get("page"), "method": p.get("method")}
    return out


def _standard_values(fields: dict[str, Any]) -> dict[str, Any]:
    values = {
        "title_vi": _display_title(fields),
        "title_en": fields.get("title_en"),
        "edition": str(fields["edition"]) if fields.get("edition") not in (None, "") else None,
        "drafted_by": fields.get("drafted_by"),
        "proposed_by": fields.get("proposed_by"),
        "appraised_by": fields.get("appraised_by"),
        "published_by": fields.get("published_by"),
        "ics": fields.get("ics") if isinstance(fields.get("ics"), str) else None,
        "scope": fields.get("scope_first_sentence") or fields.get("scope"),
    }
    if isinstance(fields.get("ics"), list):
        values["ics"] = ", ".join(str(x) for x in fields["ics"]) or None
    return values


def _store_standard(session: Session, data: dict[str, Any], doc: Document, actor: str) -> Standard | None:
    fields = data.get("fields") or {}
    code = fields.get("code")
    if not code or codes.parse(code) is None:
        return None
    prov = _provenance(fields)
    # Stored columns named differently from the extracted fields they come from.
    for column, source in (("title_vi", "title_vi_normalised"), ("scope", "scope_first_sentence")):
        if source in prov and column not in prov:
            prov[column] = prov[source]
    if data.get("ocr"):
        prov = {k: {**v, "method": f"OCR; {v.get('method')}"} for k, v in prov.items()}
    extra = {k: fields.get(k) for k in ("sections", "annexes", "equivalence", "normative_references",
                                        "replaces", "converted_from", "revision", "submitted_by",
                                        "title_vi", "other_codes_cited") if fields.get(k)}
    if data.get("ocr"):
        extra["ocr"] = True
    std, _ = kb_standards.upsert_standard(
        session, code, _standard_values(fields), actor=actor, source="ingest",
        provenance=prov, document_id=doc.id, extra=extra,
    )
    # Relations as printed in the foreword and the references clause.
    for pos, old in enumerate(fields.get("replaces") or []):
        kb_standards.add_relation(session, std.code, RelationType.replaces, old, position=pos, actor=actor)
    for pos, old in enumerate(fields.get("converted_from") or []):
        kb_standards.add_relation(session, std.code, RelationType.converted_from, old, position=pos, actor=actor)
    eq = fields.get("equivalence") or {}
    for pos, other in enumerate(eq.get("codes") or []):
        kb_standards.add_relation(session, std.code, RelationType.equivalent, other,
                                  qualifier=eq.get("relation"), position=pos, actor=actor)
    for pos, ref in enumerate(fields.get("normative_references") or []):
        d = codes.parse(ref) if isinstance(ref, str) else None
        if d is not None:
            kb_standards.add_relation(session, std.code, RelationType.cites, ref,
                                      qualifier="dated" if d.year else "undated", position=pos, actor=actor)
    criteria = data.get("criteria")
    if criteria is not None:
        session.exec(delete(Criterion).where(Criterion.standard_id == std.id))
        for row in criteria:
            session.add(Criterion(standard_id=std.id, position=row["position"], name=row["name"],
                                  requirement=row.get("requirement"), unit=row.get("unit"),
                                  method=row.get("method"), method_code=row.get("method_code"), page=row.get("page")))
    return std


def _store_lab(session: Session, data: dict[str, Any], actor: str) -> tuple[int | None, str | None]:
    """The lab and its scope; returns (lab id, problem) — no accreditation printed means no lab record."""
    from kb import labs as kb_labs

    parsed = data.get("lab") or {}
    header = parsed.get("lab") or {}
    if not header.get("accreditation"):
        return None, "không thấy số hiệu công nhận (VILAS / LAS-XD) trong tài liệu: chỉ lưu tài liệu"
    lab, _ = kb_labs.upsert_lab(session, {k: v for k, v in header.items()
                                          if k in kb_labs.LAB_FIELDS or k == "accreditation"}, actor)
    rows = [{"material": r.get("material"), "test": r["test"], "range": r.get("range"), "method": r.get("method")}
            for r in parsed.get("scope") or [] if r.get("test")]
    kb_labs.replace_scope(session, lab, rows, actor)
    return lab.id, None


def _store_catalogue(session: Session, data: dict[str, Any], doc: Document, actor: str) -> set[int]:
    """A standard record per listed designation; fields known from a real document are not overwritten.

    A catalogue lists hundreds of codes, so new records are inserted in one flush (with their audit
    events) instead of one ``upsert_standard`` round trip each; known codes still go through it.
    """
    cat = data.get("catalogue") or {}
    title = cat.get("title") or doc.title
    wanted: dict[str, tuple[codes.Designation, dict[str, Any], dict[str, Any]]] = {}
    for e in cat.get("entries") or []:
        for c in e.get("codes") or []:
            d = codes.parse(c["code"])
            if d is None or d.key in wanted:
                continue
            extra = {"catalogue": {"document_id": doc.id, "title": title, "section": e.get("section"),
                                   "section_title": e.get("section_title"), "stt": e.get("stt"),
                                   "code_as_printed": e.get("code_raw"), "page": e.get("page")}}
            wanted[d.key] = (d, {"title_vi": c["title"], "page": e.get("page")}, extra)
    keys = list(wanted)
    existing: dict[str, Standard] = {}
    replaced: set[str] = set()
    for i in range(0, len(keys), 500):
        chunk = keys[i:i + 500]
        existing.update((s.code_key, s) for s in session.exec(select(Standard).where(Standard.code_key.in_(chunk))))
        replaced.update(session.exec(select(StandardRelation.to_key).where(
            StandardRelation.to_key.in_(chunk), StandardRelation.relation == RelationType.replaces)))
    ids: set[int] = set()
    now = utcnow()
    new_rows: list[dict[str, Any]] = []
    for key, (d, info, extra) in wanted.items():
        std = existing.get(key)
        if std is not None:
            values = {} if std.title_vi else {"title_vi": info["title_vi"]}
            prov = {"title_vi": {"page": info["page"], "method": "catalogue"}} if values else None
            std, _ = kb_standards.upsert_standard(session, d.format(), values, actor=actor, source="ingest",
                                                  provenance=prov, extra=extra)
            ids.add(std.id)
            continue
        new_rows.append({
            **kb_standards.identity_fields(d), "title_vi": clean(info["title_vi"]) or None,
            "mandatory": d.doc_type in kb_standards.MANDATORY_TYPES,
            "status": StandardStatus.replaced if key in replaced else StandardStatus.unknown,
            "provenance": {"title_vi": {"page": info["page"], "method": "catalogue", "verified": False}},
            "extra": extra, "is_sample": False, "version": 1, "created_at": now, "updated_at": now,
        })
    if new_rows:
        # One multi-row INSERT ... RETURNING: hundreds of ORM objects would cost more than the parsing.
        created = session.execute(insert(Standard).returning(Standard.id, sort_by_parameter_order=True), new_rows)
        new_ids = [row[0] for row in created]
        ids.update(new_ids)
        session.execute(insert(AuditEvent), [
            {"at": now, "actor": actor, "action": "ingest", "entity": "standard", "entity_id": pk,
             "summary": f"Tạo {row['code']} từ danh mục",
             "after": {"code": row["code"], "title_vi": row["title_vi"], "status": row["status"].value,
                       "catalogue": row["extra"]["catalogue"]}}
            for pk, row in zip(new_ids, new_rows, strict=False)
        ])
    for e in cat.get("entries") or []:
        primary, eqs = e.get("codes") or [], e.get("equivalents") or []
        if primary and eqs:
            pairs = zip(primary, eqs, strict=False) if len(primary) == len(eqs) else ((p, q) for p in primary[:1] for q in eqs)
            for p, q in pairs:
                kb_standards.add_relation(session, p["code"], RelationType.equivalent, q, actor=actor)
    return ids


def _store(kbase, job: _Job, data: dict[str, Any], run_id: int, actor: str) -> tuple[dict[str, Any], dict]:
    """One file, one transaction. Returns the output dict and the ids to re-index."""
    settings = kbase.settings
    out = _output(job, data)
    changed: dict[str, set[int]] = {"standard": set(), "lab": set()}
    stored_path = _store_file_copy(settings, job.path, job.sha256)
    seconds = round(time.monotonic() - job.started, 3) if job.started else 0.0
    with kbase.session() as session:
        doc = session.get(Document, job.reuse_document_id) if job.reuse_document_id else None
        if doc is None:
            doc = Document(sha256=job.sha256, file_name=job.path.name)
        doc.stored_path = stored_path
        doc.pages = data.get("page_count", 0)
        doc.legacy_font = data.get("legacy_font")
        doc.kind = out["kind"] or "other"
        doc.text_layer = data["status"] == "ingested"
        doc.title = out["title_vi"] or doc.title
        session.add(doc)
        session.flush()
        standard_id = None
        message = out["error"]
        if data["status"] == "ingested":
            session.exec(delete(DocumentPage).where(DocumentPage.document_id == doc.id))
            page_rows = [{"document_id": doc.id, "page_no": i, "text": t} for i, t in enumerate(data.get("pages") or [], 1)]
            if page_rows:  # a bulk insert: hundreds of pages need no ORM objects
                session.execute(insert(DocumentPage), page_rows)
            kind = out["kind"]
            if kind in _STANDARD_KINDS:
                std = _store_standard(session, data, doc, actor)
                if std is not None:
                    standard_id = std.id
                    changed["standard"].add(std.id)
                    out["code"] = std.code  # canonical spelling
                else:
                    out.update(code=None, doc_type=None, number=None, part=None, year=None, issuer_suffix=None)
            elif kind == "lab_scope":
                lab_id, problem = _store_lab(session, data, actor)
                if lab_id:
                    changed["lab"].add(lab_id)
                message = out["error"] = problem
            elif kind == "catalogue":
                changed["standard"] |= _store_catalogue(session, data, doc, actor)
            audit.record(session, actor=actor, action="ingest", entity="document", entity_id=doc.id,
                         summary=f"Nạp {job.path.name} ({doc.pages} trang, {kind})")
        session.add(IngestFile(run_id=run_id, path=str(job.path), sha256=job.sha256, status=IngestStatus(data["status"]),
                               message=message, pages=doc.pages, seconds=seconds, document_id=doc.id,
                               standard_id=standard_id))
    return out, changed


def _record_failure(kbase, run_id: int, job_path: Path, sha: str | None, message: str, seconds: float = 0.0) -> None:
    try:
        with kbase.session() as session:
            session.add(IngestFile(run_id=run_id, path=str(job_path), sha256=sha, status=IngestStatus.failed,
                                   message=message, seconds=seconds))
    except Exception:  # noqa: BLE001 - the failure is still reported to the caller
        pass


def _unchanged(kbase, doc: Document, path: Path) -> dict[str, Any]:
    out = empty_result(path, "unchanged" if doc.text_layer else "needs_ocr")
    if not doc.text_layer:
        out["error"] = ocr_mod.needs_ocr_message()
    out.update(kind=doc.kind, pages=doc.pages, title_vi=doc.title)
    with kbase.session() as session:
        std = session.exec(select(Standard).where(Standard.document_id == doc.id)).first()
        if std is not None:
            out.update(code=std.code, doc_type=std.doc_type, number=std.number, part=std.part, year=std.year,
                       issuer_suffix=std.issuer_suffix, title_vi=std.title_vi, title_en=std.title_en,
                       edition=std.edition)
            extra = std.extra or {}
            for f in _LIST_FIELDS:
                out[f] = list(extra.get(f) or [])
            eq = extra.get("equivalence") or {}
            out["equivalence"] = {"relation": eq.get("relation"), "codes": list(eq.get("codes") or [])}
    return out


def _update_search(kbase, changed: dict[str, set[int]], procs: int = 1) -> None:
    """Tell the search index what the batch changed, once (the index also resyncs by itself).
    ``procs``: processes a full build (no index yet) may fork; the parse workers are done by then."""
    if not any(changed.values()):
        return
    try:
        from kb import search
    except ImportError:
        return
    hook = getattr(search, "update", None)
    if hook is None:
        return
    try:
        hook(kbase, standards=sorted(changed.get("standard", ())), labs=sorted(changed.get("lab", ())), procs=procs)
    except Exception:  # noqa: BLE001 - the index is a cache; `kb reindex` / ensure_index() catch up
        pass


def ingest_paths(kbase, paths: list[Path], *, ocr: bool = False, actor: str = "cli",
                 progress: Callable[[dict], None] | None = None, workers: int | None = None) -> list[dict]:
    """Ingest files and folders; one result dict per PDF (see ``OUTPUT_FIELDS``), in input order."""
    settings = kbase.settings
    files = expand_paths(paths)
    results: list[dict[str, Any] | None] = [None] * len(files)
    counts = {s.value: 0 for s in IngestStatus}
    counts["pages"] = 0

    with kbase.session() as session:
        run = IngestRun(actor=actor)
        session.add(run)
        session.flush()
        run_id = run.id

    def finish(index: int, out: dict[str, Any]) -> None:
        results[index] = out
        counts[out["status"]] = counts.get(out["status"], 0) + 1
        counts["pages"] += out.get("pages") or 0
        if progress:
            progress(out)

    batch_changes: dict[str, set[int]] = {}
    by_sha: dict[str, int] = {}
    max_bytes = settings.max_file_mb * 1024 * 1024

    def jobs() -> Iterable[_Job]:
        """Files that need reading; the others (missing, too big, unchanged) are settled on the way.

        Biggest first, so the batch does not end waiting on one large file while the other workers idle.
        """
        for index in sorted(range(len(files)), key=lambda i: -_size(files[i][0])):
            path, problem = files[index]
            if problem:
                _record_failure(kbase, run_id, path, None, problem)
                finish(index, empty_result(path, "failed", problem))
                continue
            try:
                size = path.stat().st_size
                if size > max_bytes:
                    raise IngestError(f"tệp quá lớn ({size / 1048576:.1f} MB > {settings.max_file_mb} MB)")
                sha = sha256_of(path)
            except IngestError as exc:
                _record_failure(kbase, run_id, path, None, exc.message)
                finish(index, empty_result(path, "failed", exc.message))
                continue
            except OSError as exc:
                msg = f"không đọc được tệp: {exc.strerror or exc}"
                _record_failure(kbase, run_id, path, None, msg)
                finish(index, empty_result(path, "failed", msg))
                continue
            if sha in by_sha:  # the same content twice in one batch
                finish(index, empty_result(path, "unchanged"))
                continue
            by_sha[sha] = index
            with kbase.session() as session:
                doc = session.exec(select(Document).where(Document.sha256 == sha)).first()
                skip = doc is not None and (doc.text_layer or not ocr)
                if skip:
                    session.add(IngestFile(run_id=run_id, path=str(path), sha256=sha, pages=doc.pages,
                                           status=IngestStatus.unchanged if doc.text_layer else IngestStatus.needs_ocr,
                                           document_id=doc.id))
            if skip:
                finish(index, _unchanged(kbase, doc, path))
                continue
            yield _Job(index=index, path=path, sha256=sha, reuse_document_id=doc.id if doc is not None else None)

    n = workers or settings.ingest_workers or os.cpu_count() or 1
    interrupted = False
    try:
        def handle(job: _Job, payload: dict[str, Any]) -> None:
            seconds = round(time.monotonic() - job.started, 3)
            if not payload.get("ok"):
                msg = payload.get("error") or "lỗi không rõ"
                _record_failure(kbase, run_id, job.path, job.sha256, msg, seconds)
                finish(job.index, empty_result(job.path, "failed", msg))
                return
            try:
                out, changed = _store(kbase, job, payload, run_id, actor)
            except Exception as exc:  # noqa: BLE001 - rolled back; the batch goes on
                msg = f"lỗi khi lưu: {_one_line(exc)}"
                _record_failure(kbase, run_id, job.path, job.sha256, msg, seconds)
                finish(job.index, empty_result(job.path, "failed", msg))
                return
            for k, v in changed.items():
                batch_changes.setdefault(k, set()).update(v)
            finish(job.index, out)

        _run_pool(jobs(), max(1, n), float(settings.ingest_timeout), ocr, handle)
    except BaseException as exc:
        interrupted = not isinstance(exc, Exception)  # Ctrl-C: stop now, the index catches up later
        raise
    finally:
        if not interrupted:
            # One index update per batch: a whoosh commit per file would cost more than the parsing.
            _update_search(kbase, batch_changes, procs=max(1, n) if _build_may_fork() else 1)
        try:
            with kbase.session() as session:
                run = session.get(IngestRun, run_id)
                if run is not None:
                    run.finished_at = utcnow()
                    run.counts = dict(counts)
                    session.add(run)
        except Exception:  # noqa: BLE001 - bookkeeping must not mask the real outcome
            pass
    return [r for r in results if r is not None]
