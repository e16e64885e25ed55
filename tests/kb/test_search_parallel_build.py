"""A full build in several processes (what `kb ingest` does when there is no index yet) finds what a
one-process build finds, and never keeps a partial index."""

from __future__ import annotations

import os

import pytest

from kb import search
from kb.config import Settings
from kb.core import KnowledgeBase
from kb.search import _index
from tests.support.search_world import build_world

QUERIES = ["TCVN 3118", "tcvn 3118:1993", "qcvn 8 1 2011", "ghi nhan thuc pham", "bê tông", "gom phu lang",
           "VILAS 1074", "water", "xi măng", "nước mắm"]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    kb = KnowledgeBase(Settings(data_dir=tmp_path_factory.mktemp("parallel") / "var", secret_key="t"))
    kb.init()
    build_world(kb, noise_records=60)
    yield kb
    kb.dispose()


def _answers(kb):
    out = {}
    for q in QUERIES:
        res = search.search(kb, q, limit=20)
        out[q] = [(h.kind, h.id, round(h.score, 6)) for h in res.hits]
    return out


def test_two_process_build_answers_like_a_one_process_build(world, monkeypatch):
    monkeypatch.setattr(search, "RESULT_MEMO", 0)
    one = _index.build(world, procs=1)
    expected = _answers(world)
    two = _index.build(world, procs=2)
    assert {k: two[k] for k in ("standard", "product", "lab")} == {k: one[k] for k in ("standard", "product", "lab")}
    assert any(expected.values())
    assert _answers(world) == expected


def test_a_parallel_build_whose_process_dies_falls_back_to_one_process(world, monkeypatch):
    monkeypatch.setattr(search, "RESULT_MEMO", 0)
    expected = (_index.build(world, procs=1), _answers(world))[1]
    monkeypatch.setattr(_index, "_fill_in_child", lambda *args: os._exit(3))  # the forked process dies at once
    stats = _index.build(world, procs=2)
    assert stats["standard"] > 60
    assert _answers(world) == expected


def test_a_build_process_that_fails_says_why_and_the_build_falls_back(world, monkeypatch, caplog):
    monkeypatch.setattr(search, "RESULT_MEMO", 0)
    expected = (_index.build(world, procs=1), _answers(world))[1]

    def broken(*args, **kwargs):
        raise OSError("No space left on device")

    real_fill = _index._fill
    monkeypatch.setattr(_index, "_fill", lambda kb, ix, share, limit: broken() if share is not None and os.getpid() != parent
                        else real_fill(kb, ix, share, limit))
    parent = os.getpid()
    _index.build(world, procs=2)
    assert "OSError: No space left on device" in caplog.text
    assert _answers(world) == expected


def test_a_parallel_build_writes_a_segment_per_process(world):
    from whoosh import index as windex

    stats = _index.build(world, procs=2)
    ix = windex.open_dir(str(world.settings.index_dir / stats["generation"]))
    try:
        assert len(ix._segments()) == 2
        assert ix.doc_count_all() >= stats["standard"] + stats["product"] + stats["lab"]
    finally:
        ix.close()


def test_shares_are_contiguous_and_weigh_alike_when_a_few_standards_carry_long_texts(tmp_path):
    from sqlmodel import select

    from kb.models import Document, DocumentPage, Product, Standard

    kb = KnowledgeBase(Settings(data_dir=tmp_path / "var", secret_key="t"))
    kb.init()
    try:
        with kb.session() as s:
            stds = [Standard(code=f"TCVN {9000 + i}:2020", code_key=f"tcvn {9000 + i}:2020", series_key=f"tcvn {9000 + i}",
                             doc_type="TCVN", number=str(9000 + i), year=2020, title_vi=f"Tiêu chuẩn {i}")
                    for i in range(40)]
            s.add_all(stds + [Product(name=f"Mỳ gạo số {i}") for i in range(9)])
            s.flush()
            for i in range(4):  # the first four were ingested: long texts, as a first `kb ingest` leaves them
                doc = Document(sha256=f"{i:064d}", file_name=f"{i}.pdf", kind="standard", pages=3)
                s.add(doc)
                s.flush()
                stds[i].document_id = doc.id
                s.add_all(DocumentPage(document_id=doc.id, page_no=n, text="bê tông " * 2000) for n in range(3))
            s.commit()
            weight = {st.id: _index.STANDARD_WEIGHT for st in s.exec(select(Standard))}
            for st in s.exec(select(Standard).where(Standard.document_id.is_not(None))):  # type: ignore[union-attr]
                weight[st.id] += sum(len(p.text) for p in s.exec(
                    select(DocumentPage).where(DocumentPage.document_id == st.document_id)))
            shares = _index._shares(s, 2)
            products = sorted(s.exec(select(Product.id)))
        for kind, every in (("standard", sorted(weight)), ("product", products)):
            parts = [share[kind] for share in shares]
            assert parts[0] + parts[1] == every  # each once, in order: two runs of neighbours
        halves = [sum(weight[i] for i in share["standard"]) for share in shares]
        assert abs(halves[0] - halves[1]) <= max(weight.values())  # by count, one half would hold every long text
        assert abs(len(shares[0]["product"]) - len(shares[1]["product"])) <= 1
    finally:
        kb.dispose()


def test_a_parallel_build_holds_in_memory_only_a_share_of_the_memory_available(monkeypatch):
    from kb.search import _index

    monkeypatch.setattr(_index, "PARALLEL_MEMORY_SHARE", 1e-6)  # a machine with next to nothing free
    assert _index._parallel_limit_mb(2) == _index.BUILD_LIMIT_MB // 2  # spills as it always did
    monkeypatch.setattr(_index, "PARALLEL_MEMORY_SHARE", 1e6)
    assert _index._parallel_limit_mb(2) == _index.PARALLEL_LIMIT_MB  # never more than the cap
    monkeypatch.setattr(_index, "PARALLEL_MEMORY_SHARE", 0.25)
    with open("/proc/meminfo", encoding="ascii") as fh:
        available_mb = next(int(x.split()[1]) for x in fh if x.startswith("MemAvailable:")) / 1024
    assert _index._parallel_limit_mb(2) <= max(_index.BUILD_LIMIT_MB // 2, available_mb * 0.25 / 2) + 1
