"""Relevance, measured: MRR@10 and top-1 by query class over a world of real standards and products.

The query sets are data (tests/relevance/*.csv: class, query, expected ids separated by ``|``). A hit's id
is its code for a standard, ``product:<name>`` or ``lab:<accreditation>``.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import pytest

from kb import search
from kb.config import Settings
from kb.core import KnowledgeBase
from tests.support.search_world import build_world

RELEVANCE = Path(__file__).with_name("relevance")
TARGET_MRR = 0.95


def hit_id(h) -> str:
    if h.kind == "standard":
        return h.code
    if h.kind == "lab":
        return f"lab:{h.accreditation}"
    return f"product:{h.title}"


def load_set(name: str) -> list[dict]:
    with open(RELEVANCE / name, encoding="utf-8", newline="") as fh:
        return [r for r in csv.DictReader(fh) if r["query"].strip()]


def measure(kbase, rows: list[dict]) -> tuple[dict, list[str]]:
    by_class: dict[str, list[float]] = defaultdict(list)
    misses = []
    for row in rows:
        wanted = {x.strip() for x in row["expected"].split("|")}
        got = [hit_id(h) for h in search.search(kbase, row["query"], limit=10).hits]
        rank = next((i for i, g in enumerate(got, 1) if g in wanted), None)
        by_class[row["class"]].append(1.0 / rank if rank else 0.0)
        if rank != 1:
            misses.append(f"{row['class']:>11} {row['query']!r}: want {sorted(wanted)} at {rank}, got {got[:3]}")
    return by_class, misses


def report(title: str, by_class: dict, misses: list[str]) -> float:
    all_rr = [x for v in by_class.values() for x in v]
    mrr = sum(all_rr) / len(all_rr)
    print(f"\n{title}: {len(all_rr)} queries, MRR@10 = {mrr:.3f}, top-1 = {sum(x == 1.0 for x in all_rr) / len(all_rr):.3f}")
    for cls, rr in sorted(by_class.items()):
        print(f"  {cls:<11} n={len(rr):>3}  MRR@10={sum(rr) / len(rr):.3f}  top-1={sum(x == 1.0 for x in rr) / len(rr):.3f}")
    for m in misses:
        print("  miss:", m)
    return mrr


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    kb = KnowledgeBase(Settings(data_dir=tmp_path_factory.mktemp("rel") / "var", secret_key="t"))
    kb.init()
    build_world(kb, noise_records=300)
    search.reindex(kb)
    yield kb
    kb.dispose()


def test_world_relevance(world):
    rows = load_set("world.csv")
    by_class, misses = measure(world, rows)
    mrr = report("world", by_class, misses)
    assert {"code", "replaced", "equivalent", "unaccented", "accented", "typo", "english"} <= set(by_class)
    assert mrr >= TARGET_MRR, "\n".join(misses)


@pytest.fixture(scope="module")
def corpus_world(tmp_path_factory, corpus_dir):
    """The demo data and every PDF of the shared corpus, ingested (scans stay out: they need OCR)."""
    pipeline = pytest.importorskip("ingest.pipeline")
    demo = pytest.importorskip("ingest.demo")
    kb = KnowledgeBase(Settings(data_dir=tmp_path_factory.mktemp("corpus") / "var", secret_key="t"))
    kb.init()
    demo.load_demo(kb)
    pipeline.ingest_paths(kb, sorted((corpus_dir / "pdf").rglob("*.pdf")), actor="test")
    search.reindex(kb)
    yield kb
    kb.dispose()


@pytest.mark.corpus
def test_corpus_relevance(corpus_world):
    by_class, misses = measure(corpus_world, load_set("corpus.csv"))
    mrr = report("corpus + demo", by_class, misses)
    assert {"code", "replaced", "equivalent", "unaccented", "accented", "typo", "english"} <= set(by_class)
    assert mrr >= TARGET_MRR, "\n".join(misses)
