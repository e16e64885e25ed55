"""The first burst of concurrent searches on a missing index builds it once, and every search answers."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from kb import search
from tests.support.search_world import make_product, make_standard


def test_concurrent_first_searches_build_one_generation(kbase):
    with kbase.session() as s:
        for n in range(30):
            make_standard(s, f"TCVN {9000 + n}:2020", f"Bê tông mẫu số {n}")
    start = threading.Barrier(12)

    def one(_):
        start.wait()  # all threads ask at once, as a server's first requests do
        return search.search(kbase, "bê tông", limit=5)

    with ThreadPoolExecutor(12) as pool:
        results = list(pool.map(one, range(12)))
    assert all(r.hits and r.hits[0].kind == "standard" for r in results)
    generations = [p for p in kbase.settings.index_dir.glob("gen-*") if p.is_dir()]
    assert len(generations) == 1, generations


def test_reindex_while_searching_keeps_answering(kbase):
    with kbase.session() as s:
        make_standard(s, "TCVN 3118:2022", "Bê tông - Phương pháp xác định cường độ chịu nén")
    search.reindex(kbase)
    stop = threading.Event()
    failures: list[BaseException] = []

    def searcher():
        while not stop.is_set():
            try:
                assert search.search(kbase, "tcvn3118").hits[0].code == "TCVN 3118:2022"
            except BaseException as exc:  # noqa: BLE001 - collected and asserted below
                failures.append(exc)
                return

    threads = [threading.Thread(target=searcher) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        for _ in range(3):
            search.reindex(kbase)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not failures, failures[0]


def test_facets_stay_on_their_documents_across_segments(kbase):
    """Each incremental update adds a segment; a facet value must stay on the document that has it."""
    with kbase.session() as s:
        make_standard(s, "TCVN 3118:2022", "Bê tông - Phương pháp xác định cường độ chịu nén")
    search.reindex(kbase)
    with kbase.session() as s:
        std = make_standard(s, "TCVN 3106:2022", "Hỗn hợp bê tông - Phương pháp xác định độ sụt")
    search.update(kbase, standards=[std.id])
    with kbase.session() as s:
        p = make_product(s, "Bê tông thương phẩm Quế Võ", district="Quế Võ", category="Vật liệu xây dựng")
    search.update(kbase, products=[p.id])

    in_que_vo = search.search(kbase, "bê tông", filters={"district": "Quế Võ"})
    assert [(h.kind, h.title) for h in in_que_vo.hits] == [("product", "Bê tông thương phẩm Quế Võ")]
    assert search.search(kbase, "bê tông").facets["district"] == {"Quế Võ": 1}
