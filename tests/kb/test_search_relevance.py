"""Relevance, measured: MRR@10 and top-1 by query class over a world of real standards and products, on
``hits`` alone (near matches are not answers); and negatives: real products and places the fixtures do not
hold, which must get no hit at all.

The query sets are data (tests/relevance/*.csv: class, query, expected ids separated by ``|``). A hit's id
is its code for a standard, ``product:<name>`` or ``lab:<accreditation>``. ``negatives.csv`` and
``negatives_heldback.csv`` (column ``world``: world, corpus or both) list the negatives; the held-back file
was written before the hit rules were tuned and is never tuned on: its result is reported apart.
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
#: In every class, on hits alone.
TARGET_MRR = 0.97
NEGATIVES = ("negatives.csv", "negatives_heldback.csv")


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


def negatives(kbase, world: str, name: str) -> tuple[int, list[str]]:
    """How many of a file's negatives apply to this world, and those that got hits. A product group that
    fits ("tranh Đông Hồ" once the groups are loaded) is the way forward the page offers, not a wrong
    answer: only standards, products and labs count."""
    rows = [r for r in load_set(name) if r["world"] in ("both", world)]
    wrong = []
    for r in rows:
        res = search.search(kbase, r["query"], limit=10)
        if [h for h in res.hits if h.kind != "group"]:
            wrong.append(f"{r['query']!r}: {[hit_id(h) for h in res.hits[:3]]}")
    print(f"\n{world} {name}: {len(rows)} queries, {len(wrong)} with hits")
    for w in wrong:
        print("  wrong:", w)
    return len(rows), wrong


def check_classes(by_class: dict, misses: list[str], skip: set[str] = frozenset()) -> None:
    assert {"code", "replaced", "equivalent", "unaccented", "accented", "typo", "english"} <= set(by_class)
    low = {c: sum(rr) / len(rr) for c, rr in by_class.items() if c not in skip and sum(rr) / len(rr) < TARGET_MRR}
    assert not low, f"{low}\n" + "\n".join(misses)


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
    report("world", by_class, misses)
    check_classes(by_class, misses)


@pytest.mark.parametrize("name", NEGATIVES)
def test_world_negatives_get_no_hits(world, name):
    n, wrong = negatives(world, "world", name)
    assert n >= (30 if name == "negatives.csv" else 12)
    assert not wrong, "\n".join(wrong)


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
    report("corpus + demo", by_class, misses)
    # "replaced" misses TCXDVN 326:2004 → TCVN 9395:2012 here: the corpus's own copy of TCVN 9395 (Public016,
    # which says "chuyển đổi từ TCXDVN 326:2004") waits in the review queue behind the catalogue's record, so
    # the relation is not in the database; a data gap, not a ranking one (the world test covers the rule).
    check_classes(by_class, misses, skip={"replaced"})
    assert sum(by_class["replaced"]) / len(by_class["replaced"]) >= 0.8


@pytest.mark.corpus
@pytest.mark.parametrize("name", NEGATIVES)
def test_corpus_negatives_get_no_hits(corpus_world, name):
    n, wrong = negatives(corpus_world, "corpus", name)
    assert n >= (30 if name == "negatives.csv" else 12)
    assert not wrong, "\n".join(wrong)


@pytest.fixture(scope="module")
def demo_world(tmp_path_factory):
    """The demo data alone, where the issue saw "gom" match "bao gồm" and body words proposed as corrections."""
    demo = pytest.importorskip("ingest.demo")
    kb = KnowledgeBase(Settings(data_dir=tmp_path_factory.mktemp("demo") / "var", secret_key="t"))
    kb.init()
    demo.load_demo(kb)
    search.reindex(kb)
    yield kb
    kb.dispose()


def test_issue_examples_on_the_demo_data(demo_world):
    assert search.search(demo_world, "do go my nghe").did_you_mean != "do go my nghi"
    assert search.search(demo_world, "tương Bần").did_you_mean != "tông bần"
    # "gom" is gốm (pottery): its product groups are the answers, never a text that says "bao gồm"
    res = search.search(demo_world, "gom")
    assert res.hits and all(h.kind == "group" and "gốm" in h.title.lower() for h in res.hits), res.hits
    assert all("gồm" not in f"{h.title} {h.snippet}".lower() for h in res.hits + res.near)
    assert search.search(demo_world, "xyzqwe abc").hits == []
    for q in ("do go my nghe", "tương Bần", "gom", "xyzqwe abc", "tranh Đông Hồ"):
        dym = search.search(demo_world, q).did_you_mean
        assert dym is None or search.search(demo_world, dym).hits, (q, dym)
