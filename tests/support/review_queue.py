"""The document review queue's world: standards as ingest leaves them (a stored document, an ingest run,
provenance with a confidence per key), without reading PDFs, so the queue's filters and bulk confirmation
can be tested on exact confidences. Codes and titles are test records, not facts.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from kb import standards
from kb.models import Document, IngestFile, IngestRun, IngestStatus, StandardCreate

#: code -> (file, run index, title, {key: confidence or None, or "verified"}) for :func:`build_review_queue`.
DOCS: dict[str, tuple[str, int, str, dict[str, Any]]] = {
    # code sure (its follower too), title only fairly sure (its follower 0.80), scope to check
    "TCVN 5001:2020": ("mat-ong.pdf", 0, "Mật ong – Yêu cầu kỹ thuật",
                       {"code": 0.95, "doc_type": 1.0, "title_vi": 0.9, "title_vi_normalised": 0.8, "scope": 0.5}),
    # every pending field sure
    "QCVN 2:2021/BYT": ("dau-tuong.pdf", 0, "Đậu tương – Quy chuẩn kỹ thuật",
                        {"code": 0.95, "title_vi": 0.9, "edition": 0.88}),
    # nothing sure: the title is confirmed, the scope fair, the edition ungraded
    "TCCS 3:2024/ABC": ("banh-dau-xanh.pdf", 1, "Bánh đậu xanh",
                        {"title_vi": "verified", "scope": 0.7, "edition": None}),
}


@dataclass
class ReviewWorld:
    ids: dict[str, int] = field(default_factory=dict)  # code -> standard id
    runs: list[int] = field(default_factory=list)
    imported: int = 0  # a standard from a catalogue import: never in the queue
    reviewed: int = 0  # an ingested standard with every field confirmed: not in the queue


def ingested(session, code: str, file_name: str, run_id: int | None, title: str, keys: dict[str, Any]) -> int:
    """A standard as ingest leaves it: its document, its line in ingest run ``run_id``, its provenance."""
    doc = Document(sha256=hashlib.sha256(f"{code} {file_name}".encode()).hexdigest(), file_name=file_name, kind="standard", pages=3)
    session.add(doc)
    session.flush()
    prov = {k: {"page": 1, "method": "title", **({"confidence": c} if c not in (None, "verified") else {})}
            for k, c in keys.items()}
    std, _ = standards.upsert_standard(session, StandardCreate(code=code, title_vi=title), actor="test", source="ingest",
                                       provenance=prov, document_id=doc.id)
    verified = {k for k, c in keys.items() if c == "verified"}
    if verified:
        std.provenance = {k: {**p, "verified": k in verified, "by": "test" if k in verified else None}
                          for k, p in std.provenance.items()}
    if run_id is not None:
        session.add(IngestFile(run_id=run_id, path=f"/tmp/{file_name}", status=IngestStatus.ingested, pages=3,
                               document_id=doc.id, standard_id=std.id))
    session.flush()
    return std.id


def build_review_queue(kbase) -> ReviewWorld:
    w = ReviewWorld()
    with kbase.session() as s:
        runs = [IngestRun(actor="test"), IngestRun(actor="test")]
        s.add_all(runs)
        s.flush()
        w.runs = [r.id for r in runs]
        for code, (file_name, run, title, keys) in DOCS.items():
            w.ids[code] = ingested(s, code, file_name, w.runs[run], title, keys)
        w.reviewed = ingested(s, "TCVN 5002:2020", "da-duyet.pdf", w.runs[0], "Đã duyệt hết",
                              {"code": "verified", "title_vi": "verified"})
        std, _ = standards.upsert_standard(s, StandardCreate(code="TCVN 5003:2020", title_vi="Nhập từ danh mục"),
                                           actor="test", source="import", provenance={"title_vi": {"confidence": 0.9}})
        w.imported = std.id
    return w


def fresh_documents(kbase, tag: str, first: int, n: int = 3) -> list[int]:
    """``n`` ingested standards of one test (titles ``Lô {tag} NN``, codes from ``TCVN {first}:2020``), each with
    two sure fields (code, edition) and one to check (scope): written while a server runs (nothing is cached)."""
    with kbase.session() as s:
        run = IngestRun(actor="test")
        s.add(run)
        s.flush()
        return [ingested(s, f"TCVN {first + i}:2020", f"lo-{first + i}.pdf", run.id, f"Lô {tag} {i + 1:02d}",
                         {"code": 0.97, "edition": 0.9, "scope": 0.4}) for i in range(n)]
