"""Are the review's confidence levels right? Each extracted field's confidence against the labels.

    .venv/bin/python bench/confidence.py [CORPUS_FOLDER] [--misses N]

A curator's review sorts fields by ``kb.standards.confidence_level``: from ``CONFIDENCE_LEVELS[0]`` "sure"
(chắc chắn), from ``[1]`` "fair" (khá chắc), below "check" (cần kiểm tra). This reads every labelled PDF
of ``../shared/corpus`` and the generated documents of ``tests/support/unseen_docs.py`` with the ingest's
own reader and extractor (``ingest.pdf.read_pdf``, ``ingest.extract.fields.extract_fields``), scores each
field the label carries the way the accuracy tests do (``tests/support/accuracy.py``), and counts, per
level, the fields extracted there and the share that were right. Parts, apart: the corpus labels and the
generated tuning documents (the rules were developed on both), the generated ``HELD_BACK`` documents (held
back, though a second round of tuning saw their misses) and ``HELD_BACK_FRESH`` (written blind, never
tuned on). Fields the extraction left empty carry no confidence and are counted apart ("no value"):
the review shows them as nothing to confirm. Scans (no text layer) are skipped.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ingest.extract.fields import extract_fields  # noqa: E402
from ingest.pdf import read_pdf  # noqa: E402
from kb.records import ExtractedStandard  # noqa: E402
from kb.standards import CONFIDENCE_LEVELS, confidence_level  # noqa: E402
from tests.ingest.test_ingest_accuracy import ROW_DOCUMENT_FIELDS  # noqa: E402
from tests.support.accuracy import score_fields  # noqa: E402
from tests.support.unseen_docs import HELD_BACK, HELD_BACK_FRESH, TUNING, build  # noqa: E402

LEVELS = ("sure", "fair", "check", "no value")


class Counts:
    """Per level: fields, right ones, and the wrong ones named."""

    def __init__(self) -> None:
        self.n: dict[str, int] = defaultdict(int)
        self.ok: dict[str, int] = defaultdict(int)
        self.misses: dict[str, list[str]] = defaultdict(list)
        #: confidence value → [fields, right]: where inside a level the errors sit.
        self.by_value: dict[float, list[int]] = defaultdict(lambda: [0, 0])

    def add(self, name: str, extracted: ExtractedStandard, scored: dict) -> None:
        for field, (ok, expected, got) in scored.items():
            prov = extracted.provenance.get(field)
            level = confidence_level(prov.confidence) if prov is not None else "no value"
            self.n[level] += 1
            self.ok[level] += ok
            if prov is not None and prov.confidence is not None:
                self.by_value[prov.confidence][0] += 1
                self.by_value[prov.confidence][1] += ok
            if not ok:
                conf = f"{prov.confidence:.2f} {prov.method}" if prov is not None else "-"
                self.misses[level].append(f"{name} {field} [{conf}]: expected {expected!r} got {got!r}")

    def row(self, level: str) -> str:
        n, ok = self.n[level], self.ok[level]
        share = f"{ok / n:7.1%}" if n else "      -"
        return f"{n:5d} {ok:5d} {share}"


def corpus_part(corpus: Path) -> Counts:
    counts = Counts()
    for label_path in sorted((corpus / "labels").rglob("*.json")):
        label = json.loads(label_path.read_text(encoding="utf-8"))
        rel = label_path.relative_to(corpus / "labels").with_suffix(".pdf")
        pdf = corpus / "pdf" / rel
        if not pdf.exists() or label.get("text_layer") is False:
            continue
        extracted = extract_fields(read_pdf(pdf).pages)
        rows_only = label.get("kind") in ("lab_scope", "catalogue")
        counts.add(str(rel), extracted, score_fields(label, extracted, ROW_DOCUMENT_FIELDS) if rows_only
                   else score_fields(label, extracted))
    return counts


def generated_part(docs: list[dict], tmp: Path) -> Counts:
    counts = Counts()
    for doc in docs:
        extracted = extract_fields(read_pdf(build(tmp / f"{doc['name']}.pdf", doc)).pages)
        counts.add(doc["name"], extracted, score_fields(doc["label"], extracted))
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", default=str(REPO.parent / "shared" / "corpus"))
    parser.add_argument("--misses", type=int, default=10, help="wrong fields listed per level and part")
    args = parser.parse_args(argv)
    corpus = Path(args.corpus)
    if not (corpus / "labels").is_dir():
        print(f"bench/confidence.py: không thấy nhãn của bộ tài liệu ở {corpus / 'labels'}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="kb-bench-conf-") as tmp:
        parts = {
            "corpus labels (tuned)": corpus_part(corpus),
            f"generated TUNING ({len(TUNING)}, tuned)": generated_part(TUNING, Path(tmp)),
            f"generated HELD_BACK ({len(HELD_BACK)})": generated_part(HELD_BACK, Path(tmp)),
            f"generated HELD_BACK_FRESH ({len(HELD_BACK_FRESH)}, blind)": generated_part(HELD_BACK_FRESH, Path(tmp)),
        }
    sure, fair = CONFIDENCE_LEVELS
    print(f"levels: sure ≥ {sure}, fair ≥ {fair}, check below; columns: fields, right, share right")
    print(f"{'part':<40}" + "".join(f"{lvl:>20}" for lvl in LEVELS))
    for name, counts in parts.items():
        print(f"{name:<40}" + "".join(f"{counts.row(lvl):>20}" for lvl in LEVELS))
    tuned, held = list(parts.values())[:2], list(parts.values())[2:]
    print("\nby confidence value (tuned parts | held-back parts): fields, right")
    values = sorted({v for c in parts.values() for v in c.by_value}, reverse=True)
    for v in values:
        t = [sum(c.by_value[v][i] for c in tuned if v in c.by_value) for i in (0, 1)]
        h = [sum(c.by_value[v][i] for c in held if v in c.by_value) for i in (0, 1)]
        print(f"  {v:4.2f} {confidence_level(v):<6} {t[0]:5d} {t[1]:5d} | {h[0]:5d} {h[1]:5d}")
    for name, counts in parts.items():
        wrong = [m for lvl in LEVELS for m in counts.misses[lvl][:args.misses]]
        if wrong:
            print(f"\nwrong fields, {name}:\n  " + "\n  ".join(wrong))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
