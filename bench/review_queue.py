"""The document review queue with thousands of ingested standards: median time to serve /curate/review.

    .venv/bin/python bench/review_queue.py [--documents 5000] [--runs 15] [--postgres postgresql+psycopg://…/test]

A fresh knowledge base (SQLite in a temporary dir; PostgreSQL in a fresh schema when ``--postgres`` is given)
gets ``--documents`` test standards as ingest leaves them (a document each, 20 provenance keys with random
confidences, a tenth fully reviewed), then a signed-in curator asks each view ``--runs`` times in process
(FastAPI's test client: routing, queries and the template, no network). Prints the median and the max.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from suggestion_queue import PASSWORD, run  # noqa: E402

from kb import codes, standards, users  # noqa: E402
from kb.core import KnowledgeBase  # noqa: E402
from kb.models import Document, IngestFile, IngestRun, IngestStatus, Role, Standard  # noqa: E402

VIEWS = {
    "queue, page 1": "/curate/review",
    "queue, page 40": "/curate/review?page=40",
    "text typed (folded)": "/curate/review?text=mat+ong+12",
    "type + least level": "/curate/review?doc_type=QCVN&level=sure",
    "one ingest run": "/curate/review?source=%232",
    "title pending": "/curate/review?pending=title_vi",
    "confirm 500 (select all)": "/curate/review/bulk?scope=all&level=sure",
}
KEYS = ("code", "doc_type", "number", "year", "title_vi", "title_vi_normalised", "title_en", "edition", "drafted_by",
        "proposed_by", "appraised_by", "published_by", "ics", "scope", "scope_first_sentence", "replaces",
        "equivalence", "normative_references", "sections", "annexes")


def fill(kbase: KnowledgeBase, n: int) -> None:
    rnd = random.Random(13)
    with kbase.session() as s:
        runs = [IngestRun(actor="bench") for _ in range(10)]
        docs = [Document(sha256=f"{i:064x}", file_name=f"tai-lieu-{i:05d}.pdf", kind="standard", pages=20)
                for i in range(n)]
        s.add_all(runs + docs)
        s.flush()
        stds = []
        for i, doc in enumerate(docs):
            code = f"{'QCVN' if i % 5 == 0 else 'TCVN'} {40000 + i}:2020" + ("/BYT" if i % 5 == 0 else "")
            done = i % 10 == 9
            prov = {k: {"page": rnd.randint(1, 5), "method": "title", "verified": done,
                        "confidence": round(rnd.uniform(0.6 if i % 3 else 0.86, 1.0), 2)} for k in KEYS}
            stds.append(Standard(**standards.identity_fields(codes.parse(code)), title_vi=f"Mật ong thử {i}",
                                 document_id=doc.id, provenance=prov))
        s.add_all(stds)
        s.flush()
        s.add_all(IngestFile(run_id=runs[i % 10].id, path=f"/in/{d.file_name}", status=IngestStatus.ingested,
                             document_id=d.id, standard_id=st.id) for i, (d, st) in enumerate(zip(docs, stds, strict=True)))
        users.add_user(s, "curator", PASSWORD, Role.curator)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--documents", type=int, default=5000)
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--postgres", default=None)
    args = ap.parse_args()
    run(fill, args.documents, args.runs, args.postgres, "ingested standards", VIEWS)


if __name__ == "__main__":
    main()
