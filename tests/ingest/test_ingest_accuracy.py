"""Field-by-field accuracy of ``extract_fields`` against the corpus labels.

Every ``labels/**.json`` is paired with ``pdf/<same relative path>.pdf``. Scored fields (when present
in the label):

- standards and regulations with a text layer: ``SCORED_FIELDS`` below;
- scans (``text_layer: false``): only ``text_layer`` (the reader must say ``needs_ocr``), because every
  other field needs OCR first;
- lab declarations and catalogues (``kind`` lab_scope / catalogue): ``kind``, ``code`` (null) and
  ``title_vi``; their rows are scored by the lab and catalogue importers' tests.

Comparison: strings after ``kb.text.clean`` (NFC, single spaces), lists element by element in order,
``equivalence`` as relation + code list, ``year``/``edition`` as integers. Run ``pytest -s`` to see the
per-field table; the assertion is overall accuracy ≥ 0.98.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict
from pathlib import Path

import pytest

from ingest.extract.fields import extract_fields
from ingest.pdf import read_pdf
from kb.text import clean

pytestmark = pytest.mark.corpus

SCORED_FIELDS = (
    "kind", "code", "doc_type", "number", "part", "year", "issuer_suffix", "title_vi", "title_en",
    "edition", "replaces", "converted_from", "equivalence", "drafted_by", "proposed_by", "appraised_by",
    "published_by", "normative_references", "sections",
)
ROW_DOCUMENT_FIELDS = ("kind", "code", "title_vi")
TARGET = 0.98


def _norm(value):
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, list):
        return [_norm(v) for v in value]
    if isinstance(value, dict):
        return {"relation": value.get("relation"), "codes": _norm(value.get("codes") or [])}
    return value


def score_document(label: dict, pdf: Path) -> dict[str, tuple[bool, object, object]]:
    """{field: (ok, expected, got)} for the fields this label is scored on."""
    text = read_pdf(pdf)
    if label.get("text_layer") is False:
        return {"text_layer": (text.needs_ocr, True, text.needs_ocr)}
    got = asdict(extract_fields(text.pages))
    fields = ROW_DOCUMENT_FIELDS if label.get("kind") in ("lab_scope", "catalogue") else SCORED_FIELDS
    out = {}
    for field in fields:
        if field not in label:
            continue
        expected, actual = _norm(label[field]), _norm(got.get(field))
        out[field] = (expected == actual, expected, actual)
    return out


def score_corpus(corpus: Path) -> tuple[dict[str, list[int]], list[str]]:
    per_field: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    misses: list[str] = []
    for label_path in sorted((corpus / "labels").rglob("*.json")):
        label = json.loads(label_path.read_text(encoding="utf-8"))
        rel = label_path.relative_to(corpus / "labels").with_suffix(".pdf")
        pdf = corpus / "pdf" / rel
        if not pdf.exists():
            continue
        for field, (ok, expected, actual) in score_document(label, pdf).items():
            per_field[field][0] += ok
            per_field[field][1] += 1
            if not ok:
                misses.append(f"{rel} {field}: expected {expected!r} got {actual!r}")
    return per_field, misses


def format_table(per_field: dict[str, list[int]]) -> str:
    rows = [f"{'field':<22}{'correct':>8}{'total':>7}{'accuracy':>10}"]
    for field in sorted(per_field, key=lambda f: (SCORED_FIELDS + ("text_layer",)).index(f)):
        ok, n = per_field[field]
        rows.append(f"{field:<22}{ok:>8}{n:>7}{ok / n:>10.1%}")
    ok = sum(v[0] for v in per_field.values())
    n = sum(v[1] for v in per_field.values())
    rows.append(f"{'ALL':<22}{ok:>8}{n:>7}{ok / n:>10.1%}")
    return "\n".join(rows)


def test_extraction_accuracy_on_labelled_corpus(corpus_dir: Path, capsys):
    per_field, misses = score_corpus(corpus_dir)
    assert per_field, "no labelled PDFs found"
    # shown in the terminal even without -s: the numbers are the point of this test
    with capsys.disabled():
        print("\nPer-field extraction accuracy against corpus labels\n" + format_table(per_field))
        if misses:
            print("Misses:\n  " + "\n  ".join(misses))
    ok = sum(v[0] for v in per_field.values())
    n = sum(v[1] for v in per_field.values())
    assert ok / n >= TARGET, f"accuracy {ok / n:.1%} < {TARGET:.0%}; misses:\n" + "\n".join(misses)
