"""Field-by-field accuracy of ``extract_fields`` against the corpus labels.

Every ``labels/**.json`` is paired with ``pdf/<same relative path>.pdf``. Scored fields (when present
in the label):

- standards and regulations with a text layer: every field of ``tests.support.accuracy.SCORED_FIELDS``
  the label carries (identity, titles, edition, foreword relations, drafting chain, references, sections,
  annexes, scope, ICS);
- scans (``text_layer: false``): only ``text_layer`` (the reader must say ``needs_ocr``), because every
  other field needs OCR first;
- lab declarations and catalogues (``kind`` lab_scope / catalogue): ``kind``, ``code`` (null) and
  ``title_vi``; their rows are scored by the lab and catalogue importers' tests.

Run ``pytest -s`` to see the per-field table; the assertion is overall accuracy ≥ 0.98.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.extract.fields import extract_fields
from ingest.pdf import read_pdf
from tests.support.accuracy import Tally, score_fields

pytestmark = pytest.mark.corpus

ROW_DOCUMENT_FIELDS = ("kind", "code", "title_vi")
TARGET = 0.98


def score_document(label: dict, pdf: Path) -> dict[str, tuple[bool, object, object]]:
    """{field: (ok, expected, got)} for the fields this label is scored on."""
    text = read_pdf(pdf)
    if label.get("text_layer") is False:
        return {"text_layer": (text.needs_ocr, True, text.needs_ocr)}
    extracted = extract_fields(text.pages)
    if label.get("kind") in ("lab_scope", "catalogue"):
        return score_fields(label, extracted, ROW_DOCUMENT_FIELDS)
    return score_fields(label, extracted)


def score_corpus(corpus: Path) -> Tally:
    tally = Tally()
    for label_path in sorted((corpus / "labels").rglob("*.json")):
        label = json.loads(label_path.read_text(encoding="utf-8"))
        rel = label_path.relative_to(corpus / "labels").with_suffix(".pdf")
        pdf = corpus / "pdf" / rel
        if pdf.exists():
            tally.add(str(rel), score_document(label, pdf))
    return tally


def test_extraction_accuracy_on_labelled_corpus(corpus_dir: Path, capsys):
    tally = score_corpus(corpus_dir)
    assert tally.per_field, "no labelled PDFs found"
    # shown in the terminal even without -s: the numbers are the point of this test
    with capsys.disabled():
        print("\nPer-field extraction accuracy against corpus labels\n" + tally.table())
        if tally.misses:
            print("Misses:\n  " + "\n  ".join(tally.misses))
    assert tally.accuracy >= TARGET, f"accuracy {tally.accuracy:.1%} < {TARGET:.0%}; misses:\n" + "\n".join(tally.misses)
