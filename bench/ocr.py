"""OCR of the corpus scans end to end: seconds per page, designation, title similarity.

    .venv/bin/python bench/ocr.py [CORPUS]

CORPUS defaults to ``../shared/corpus`` next to the repository. A knowledge base is built as a curator's
would be: the corpus's text PDFs ingested (the scans stay ``needs_ocr``), whose titles and names are the
vocabulary the marks are repaired against. Then each scan is ingested whole with ``--ocr``, one file at a
time (one worker; ocrmypdf itself uses every core). Printed per scan: pages, wall seconds and seconds per page,
the designation read, and the display title with its similarity to the labelled one (rapidfuzz ratio on
NFC text, marks included; "no label" where the corpus has none). Needs ocrmypdf + tesseract-ocr-vie.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from rapidfuzz import fuzz  # noqa: E402

import ingest.pipeline as pipeline  # noqa: E402
from ingest import ocr  # noqa: E402
from kb.config import Settings  # noqa: E402
from kb.core import KnowledgeBase  # noqa: E402

SCANS = ("tcvn/TCVN 5979-2021.pdf", "tcvn/TCVN 2790-2020.pdf", "tcvn/TCVN 3736-1982.pdf")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    corpus = Path(args[0]) if args else REPO.parent / "shared" / "corpus"
    if ocr.missing():
        print(f"bench/ocr.py: skipped, {ocr.missing()}")
        return 0
    total_pages, total_seconds = 0, 0.0
    with tempfile.TemporaryDirectory(prefix="kb-bench-ocr-") as tmp:
        kbase = KnowledgeBase(Settings(data_dir=Path(tmp) / "var", database_url=None))
        kbase.init()
        stored = pipeline.ingest_paths(kbase, [corpus / "pdf"])
        print(f"knowledge base: {sum(r['status'] == 'ingested' for r in stored)} text PDFs of the corpus")
        print(f"{'scan':28} {'pages':>5} {'s':>7} {'s/page':>7}  designation       title similarity")
        for rel in SCANS:
            pdf = corpus / "pdf" / rel
            if not pdf.exists():
                print(f"{rel}: not in the corpus, skipped")
                continue
            start = time.perf_counter()
            result = pipeline.ingest_paths(kbase, [pdf], ocr=True, workers=1)[0]
            seconds = time.perf_counter() - start
            label = corpus / "labels" / Path(rel).with_suffix(".json")
            expected = json.loads(label.read_text())["title_vi_normalised"] if label.exists() else None
            nfc = [unicodedata.normalize("NFC", t or "") for t in (result["title_vi"], expected)]
            score = f"{fuzz.ratio(*nfc):5.1f} %" if expected else "no label"
            pages = result["pages"] or 0
            total_pages += pages
            total_seconds += seconds
            print(f"{Path(rel).name:28} {pages:5} {seconds:7.1f} {seconds / max(1, pages):7.2f}  "
                  f"{result['code'] or result['status']:17} {score}  {result['title_vi']!r}")
        kbase.dispose()
    if total_pages:
        print(f"all scans: {total_pages} pages, {total_seconds:.1f} s, {total_seconds / total_pages:.2f} s/page")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
