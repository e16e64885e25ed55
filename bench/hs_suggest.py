"""HS code suggestions: right heading first / among the five, on the tuning and the held-back labels, and time.

    .venv/bin/python bench/hs_suggest.py [--scorers]

Imports ``../shared/regulatory/hs/HS_PBI_VN.xlsx`` into a fresh knowledge base (SQLite), reads it once as
``kb.hscodes.Nomenclature`` and ranks the hand-labelled products of ``tests/kb/relevance/hs_labels.csv``
(the tuning set: the rules were developed on it) and ``hs_labels_heldback.csv`` (held back: never tuned on),
each against the headings a curator would accept. Prints top-1 / top-5 per set, the time to read the
nomenclature and the median time to rank one product. ``--scorers`` also measures the rapidfuzz scorers
(blended with the word share, and alone over each line's whole text) on the tuning set only.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rapidfuzz import fuzz  # noqa: E402

from ingest.importers import import_file  # noqa: E402
from kb import hscodes  # noqa: E402
from kb.config import Settings  # noqa: E402
from kb.core import KnowledgeBase  # noqa: E402

NOMENCLATURE = ROOT.parent / "shared" / "regulatory" / "hs" / "HS_PBI_VN.xlsx"
LABELS = ROOT / "tests" / "kb" / "relevance"
SETS = [("tuning (tuned on)", "hs_labels.csv"), ("held back (never tuned on)", "hs_labels_heldback.csv")]


def labels(name: str) -> list[dict[str, str]]:
    with open(LABELS / name, encoding="utf-8") as f:
        return list(csv.DictReader(line for line in f if not line.startswith("#")))


def measure(nom: hscodes.Nomenclature, rows: list[dict[str, str]], **kw) -> tuple[int, int, list[float]]:
    """(right heading first, right heading among five, seconds per product)."""
    top1 = top5 = 0
    times: list[float] = []
    for r in rows:
        heads = set(r["headings"].split(";"))
        names = hscodes.product_text(r["name"], [a for a in r["aliases"].split(";") if a])
        start = time.perf_counter()
        got = [x["code"][:4] for x in hscodes.rank(nom, names, **kw)]
        times.append(time.perf_counter() - start)
        top1 += bool(got and got[0] in heads)
        top5 += bool(heads & set(got[:5]))
    return top1, top5, times


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scorers", action="store_true", help="also compare rapidfuzz scorers on the tuning set")
    args = ap.parse_args()
    if not NOMENCLATURE.is_file():
        print(f"hs_suggest: skipped, no nomenclature at {NOMENCLATURE}")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        kbase = KnowledgeBase(Settings(data_dir=Path(tmp), database_url=None, secret_key="bench"))
        kbase.init()
        import_file(kbase, "hs-nomenclature", NOMENCLATURE)
        start = time.perf_counter()
        with kbase.session() as s:
            nom = hscodes.Nomenclature(s)
        built = time.perf_counter() - start
        kbase.dispose()
    print(f"HS suggestions: nomenclature of {len(nom)} lines read in {built:.2f} s")
    all_times: list[float] = []
    for title, name in SETS:
        rows = labels(name)
        top1, top5, times = measure(nom, rows)
        all_times += times
        print(f"  {title:28} {len(rows):3} products  top-1 {top1:3} / {len(rows)}  top-5 {top5:3} / {len(rows)}")
    print(f"  median per product {statistics.median(all_times) * 1000:.1f} ms, "
          f"max {max(all_times) * 1000:.1f} ms")
    if args.scorers:
        rows = labels(SETS[0][1])
        print("  scorers on the tuning set (top-1 / top-5):")
        variants: list[tuple[str, dict]] = [(f"word share + {f.__name__}", {"scorer": f}) for f in
                                            (fuzz.ratio, fuzz.token_set_ratio, fuzz.partial_ratio, fuzz.WRatio,
                                             fuzz.token_sort_ratio)]
        variants += [("word share alone", {"scorer": None})]
        variants += [(f"{f.__name__} alone, whole line", {"scorer": f, "whole": True, "min_score": 0})
                     for f in (fuzz.token_set_ratio, fuzz.partial_ratio, fuzz.WRatio)]
        for title, kw in variants:
            top1, top5, _ = measure(nom, rows, **kw)
            print(f"    {title:36} {top1:3} / {top5:3}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
