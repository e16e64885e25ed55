"""Search behaviour: designations, accents, typos, English, status, facets, snippets, index upkeep, fuzzing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from whoosh import index as windex

from kb import search
from kb.config import Settings
from kb.core import KnowledgeBase
from kb.errors import Conflict
from kb.models import Document, DocumentPage, Product, utcnow
from kb.search import _bits, _index
from tests.support.search_world import build_world, make_lab, make_product, make_standard, relate


def codes_of(res) -> list[str]:
    return [h.code for h in res.hits if h.kind == "standard"]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    kb = KnowledgeBase(Settings(data_dir=tmp_path_factory.mktemp("search") / "var", secret_key="t"))
    kb.init()
    build_world(kb, noise_records=60)
    search.reindex(kb)
    yield kb
    kb.dispose()


# --- designations -----------------------------------------------------------------------------------


@pytest.mark.parametrize("q", ["tcvn3118", "TCVN 3118", "3118-2022", "TCVN 3118 : 2022", "tcvn 3118:2022",
                               "TCVN 3118–2022", "  tcvn   3118  "])
def test_any_spelling_of_a_code_puts_that_standard_first(world, q):
    assert codes_of(search.search(world, q))[0] == "TCVN 3118:2022"


def test_regulation_typed_without_issuer_or_punctuation(world):
    assert codes_of(search.search(world, "qcvn 8 1 2011"))[0] == "QCVN 8-1:2011/BYT"
    assert codes_of(search.search(world, "QCVN 8-2"))[0] == "QCVN 8-2:2011/BYT"


def test_replaced_code_leads_to_the_replacing_standard_with_the_relation(world):
    hit = search.search(world, "TCVN 3118:1993").hits[0]
    assert hit.code == "TCVN 3118:2022"
    assert hit.relation_note == "TCVN 3118:1993 đã được thay thế bởi TCVN 3118:2022"
    converted = search.search(world, "TCXDVN 326:2004").hits[0]
    assert converted.code == "TCVN 9395:2012" and "TCXDVN 326:2004" in converted.relation_note


def test_replaced_edition_in_the_knowledge_base_comes_right_after_its_replacement(world):
    assert codes_of(search.search(world, "TCVN 2682:2009"))[:2] == ["TCVN 2682:2020", "TCVN 2682:2009"]
    # undated: the edition in force first
    assert codes_of(search.search(world, "tcvn 2682"))[:2] == ["TCVN 2682:2020", "TCVN 2682:2009"]


def test_international_code_leads_to_the_adopting_tcvn(world):
    for q in ("ISO 1461", "iso 1461:1999", "ISO1461"):
        hit = search.search(world, q).hits[0]
        assert hit.code == "TCVN 5408:2007", q
        assert "ISO 1461:1999" in hit.relation_note and "IDT" in hit.relation_note
    assert codes_of(search.search(world, "ISO 9001:2015"))[0] == "TCVN ISO 9001:2015"


def test_labs_by_accreditation_and_by_method_standard(world):
    for q in ("VILAS 1074", "vilas1074", "vilas-1074"):
        hit = search.search(world, q).hits[0]
        assert (hit.kind, hit.accreditation, hit.url) == ("lab", "VILAS 1074", f"/labs/{hit.id}")
    res = search.search(world, "TCVN 3118:2022")
    kinds = [h.kind for h in res.hits]
    assert kinds[0] == "standard" and "lab" in kinds  # the lab whose scope cites the method


# --- words -----------------------------------------------------------------------------------------


def test_accented_word_ranks_its_exact_spelling_first_and_folded_finds_both(world):
    fish = search.search(world, "mắm", kind="product")
    assert "mắm" in fish.hits[0].title.lower()
    sprout = search.search(world, "mầm", kind="product")
    assert "mầm" in sprout.hits[0].title.lower()
    both = {h.title for h in search.search(world, "mam", kind="product", limit=20).hits}
    assert "Rau mầm cải Yên Phong" in both and "Nước mắm cá cơm Kinh Bắc" in both


def test_unaccented_multi_syllable_query_prefers_the_phrase(world):
    assert codes_of(search.search(world, "do sut"))[0] == "TCVN 3106:2022"
    assert codes_of(search.search(world, "ma kem nhung nong"))[0] == "TCVN 5408:2007"


def test_one_letter_and_english_function_words_are_kept(tmp_path):
    kb = KnowledgeBase(Settings(data_dir=tmp_path / "v", secret_key="t"))
    kb.init()
    with kb.session() as s:
        make_standard(s, "TCVN 8972:2011", "Thực phẩm - Xác định vitamin A", title_en="Foodstuffs - Determination of vitamin A")
        make_standard(s, "TCVN 8973:2011", "Thực phẩm - Xác định vitamin E", title_en="Foodstuffs - Determination of vitamin E")
        make_standard(s, "TCVN 8974:2011", "An toàn thông tin - Yêu cầu", title_en="Information security - Requirements")
    assert codes_of(search.search(kb, "vitamin a"))[0] == "TCVN 8972:2011"
    assert codes_of(search.search(kb, "an toan"))[0] == "TCVN 8974:2011"
    assert codes_of(search.search(kb, "determination of vitamin e"))[0] == "TCVN 8973:2011"
    kb.dispose()


def test_typos_are_tolerated_and_a_correction_is_offered(world):
    res = search.search(world, "cuong do chiu nne")
    assert codes_of(res)[0] == "TCVN 3118:2022"
    assert res.did_you_mean == "cuong do chiu nen"  # in the style typed: no accents
    assert search.search(world, "bê tôngg").did_you_mean == "bê tông"
    # of two neighbours (nang, ngan), the one found beside the other words in a title wins
    assert search.search(world, "kim loai nagn").did_you_mean == "kim loai nang"
    assert search.search(world, "bê tông").did_you_mean is None
    assert codes_of(search.search(world, "xi mnag pooc lang"))[0] == "TCVN 2682:2020"


def test_english_titles_are_searchable_with_inflections(world):
    assert codes_of(search.search(world, "compressive strength"))[0] == "TCVN 3118:2022"
    assert codes_of(search.search(world, "hot-dip galvanizing"))[0] == "TCVN 5408:2007"


def test_in_force_ranks_above_replaced_for_a_word_query(world):
    ranked = codes_of(search.search(world, "xi mang pooc lang yeu cau ky thuat"))
    assert ranked.index("TCVN 2682:2020") < ranked.index("TCVN 2682:2009")


# --- results shape, facets, snippets ------------------------------------------------------------------


def test_result_json_shape_and_urls(world):
    res = search.search(world, "TCVN 3118:2022", limit=3)
    data = json.loads(json.dumps(res.to_json()))
    assert set(data) == {"query", "hits", "total", "near", "near_total", "did_you_mean", "facets", "degraded"}
    assert data["degraded"] is False  # the index answered
    hit = data["hits"][0]
    assert {"kind", "id", "code", "accreditation", "title", "status", "url", "score", "snippet", "why"} <= set(hit)
    assert hit["url"] == "/standards/TCVN%203118:2022" and hit["status"] == "in_force"
    page = search.search(world, "be tong", limit=3).to_json()
    assert len(page["hits"]) == 3 and page["total"] > 3
    scores = [h["score"] for h in page["hits"]]
    assert scores == sorted(scores, reverse=True)


def test_facets_count_every_match_and_filters_narrow(world):
    res = search.search(world, "be tong", limit=2)
    assert res.total > 2
    assert sum(res.facets["kind"].values()) == res.total
    assert res.facets["doc_type"]["TCVN"] >= 12 and res.facets["year"]["2022"] >= 12
    assert "91.100.30" in res.facets["ics"]
    only = search.search(world, "be tong", filters={"year": 2022, "status": "in_force"}, limit=50)
    assert only.hits and all(h.code.endswith(":2022") for h in only.hits)
    regs = search.search(world, "thuc pham", filters={"mandatory": True}, limit=50)
    assert regs.hits and all(h.code.startswith("QCVN") for h in regs.hits)
    prods = search.search(world, "thit", kind="product", filters={"district": "Tiên Du"})
    assert prods.hits and all(h.kind == "product" for h in prods.hits)
    assert search.search(world, "be tong", kind="nonsense").hits == []


def test_term_masks_kept_stay_within_their_byte_budget_and_answers_do_not_change(world, monkeypatch):
    questions = ["nuoc mam", "xi măng", "cement", "banh phu the", "gạch đất sét", "VILAS 1074", "thép"]
    search.RESULT_MEMO, memo_size = 0, search.RESULT_MEMO
    try:
        roomy = [search.search(world, q) for q in questions]
        monkeypatch.setattr(_bits, "_TERM_BYTES", 64)  # a mask or two: most are dropped and read again
        with _index.searching(world) as (_, cache):
            cache["bits"].clear()
            cache["bits_bytes"][0] = 0
        tight = [search.search(world, q) for q in questions]
    finally:
        search.RESULT_MEMO = memo_size
    assert tight == roomy
    with _index.searching(world) as (_, cache):
        kept = cache["bits"]
        assert cache["bits_bytes"][0] == sum((m.bit_length() + 7) >> 3 for m in kept.values())
        assert cache["bits_bytes"][0] <= 64 or len(kept) == 1


def test_snippets_mark_matches_and_escape_html(kbase):
    with kbase.session() as s:
        make_product(s, "Bánh <b>đậu</b> xanh", description='Bánh đậu xanh & "đường" <script>alert(1)</script>')
    hit = search.search(kbase, "dau xanh").hits[0]
    assert "<script>" not in hit.snippet and "&lt;script&gt;" in hit.snippet
    assert "<mark>đậu</mark> <mark>xanh</mark>" in hit.snippet


def test_full_text_of_ingested_pages_is_searchable_with_the_page_in_the_snippet(kbase):
    with kbase.session() as s:
        doc = Document(sha256="a" * 64, file_name="x.pdf", pages=2)
        s.add(doc)
        s.flush()
        s.add(DocumentPage(document_id=doc.id, page_no=1, text="Lời nói đầu. TCVN 9999:2020 do Ban kỹ thuật biên soạn."))
        s.add(DocumentPage(document_id=doc.id, page_no=2, text="Mẫu thử được ngâm trong nước vôi bão hòa 28 ngày."))
        std = make_standard(s, "TCVN 9999:2020", "Vữa xây dựng - Phương pháp thử")
        std.document_id = doc.id
        s.add(std)
    hit = search.search(kbase, "nuoc voi bao hoa").hits[0]
    assert hit.code == "TCVN 9999:2020"
    assert hit.snippet.startswith("tr. 2:") and "<mark>vôi</mark>" in hit.snippet


# --- index upkeep ------------------------------------------------------------------------------------


def test_update_indexes_changes_and_removes_deleted_rows(kbase):
    search.ensure_index(kbase)
    with kbase.session() as s:
        p = make_product(s, "Tương Bần", description="tương đậu tương")
    search.update(kbase, products=[p.id])
    assert [h.id for h in search.search(kbase, "tuong ban").hits] == [p.id]
    with kbase.session() as s:
        row = s.get(Product, p.id)
        row.name, row.updated_at = "Tương Cự Đà", utcnow()
        s.add(row)
    search.update(kbase, products=[p.id])
    assert [h.title for h in search.search(kbase, "tuong").hits] == ["Tương Cự Đà"]
    assert search.search(kbase, "cu da").hits[0].id == p.id
    with kbase.session() as s:
        s.delete(s.get(Product, p.id))
    search.update(kbase, products=[p.id])
    assert search.search(kbase, "cu da").total == 0


def test_updating_a_standard_refreshes_the_other_end_of_its_relations(kbase):
    with kbase.session() as s:
        old = make_standard(s, "TCVN 7087:2008", "Ghi nhãn thực phẩm bao gói sẵn")
    search.ensure_index(kbase)
    with kbase.session() as s:
        new = make_standard(s, "TCVN 7087:2013", "Ghi nhãn thực phẩm bao gói sẵn")
        relate(s, "TCVN 7087:2013", "replaces", "TCVN 7087:2008")
    search.update(kbase, standards=[new.id])
    hits = search.search(kbase, "ghi nhan thuc pham").hits
    assert [h.code for h in hits] == ["TCVN 7087:2013", "TCVN 7087:2008"]
    assert hits[1].status == "replaced" and hits[1].relation_note == "TCVN 7087:2008 đã được thay thế bởi TCVN 7087:2013"
    assert old.id == hits[1].id


def test_reindex_builds_a_fresh_generation_and_swaps_it_in(kbase):
    with kbase.session() as s:
        make_product(s, "Gốm Phù Lãng")
    first = search.reindex(kbase)
    assert first["product"] == 1 and first["seconds"] >= 0
    before = search.search(kbase, "gom phu lang")
    second = search.reindex(kbase)
    root = Path(kbase.settings.index_dir)
    assert (root / "CURRENT").read_text() == second["generation"] != first["generation"]
    assert search.search(kbase, "gom phu lang").hits[0].id == before.hits[0].id
    assert len(list(root.glob("gen-*"))) <= 2  # older generations are pruned
    assert not list(root.glob("*.tmp"))


def test_search_now_answers_from_the_index_or_says_it_would_wait(kbase):
    """An event loop's search: the index's answer at once, or None where search() would wait for a searcher,
    build a first index or ask the database."""
    with kbase.session() as s:
        p = make_product(s, "Gốm Phù Lãng")
    assert search.search_now(kbase, "gom phu lang") is None  # a first start builds here: a thread's job
    assert search.search(kbase, "gom phu lang").hits[0].id == p.id  # ...which builds it
    now = search.search_now(kbase, "gom phu lang")
    assert now is not None and now == search.search(kbase, "gom phu lang") and not now.degraded
    lent = [_index.searcher_for(kbase) for _ in range(_index.SEARCHERS)]
    try:
        assert search.search_now(kbase, "phu lang") is None  # every searcher lent out
    finally:
        for searcher, _ in lent:
            _index.give_back(kbase, searcher)
    assert search.search_now(kbase, "phu lang").hits[0].id == p.id
    with kbase.session() as s:
        q = make_product(s, "Gốm Thổ Hà")
    search.update(kbase, products=[q.id])  # a new commit: its tables are built by a thread's search first
    assert search.search_now(kbase, "gom tho ha") is None
    assert search.search(kbase, "gom tho ha").hits[0].id == q.id
    assert search.search_now(kbase, "gom tho ha").hits[0].id == q.id
    (Path(kbase.settings.index_dir) / "CURRENT").unlink()  # damaged: rebuilt in the background
    assert search.search_now(kbase, "gom phu") is None
    thread = search.rebuilding(kbase)
    if thread is not None:
        thread.join()


def test_ensure_index_builds_when_missing_and_when_the_schema_changed(kbase):
    root = Path(kbase.settings.index_dir)
    assert not (root / "CURRENT").exists()
    search.ensure_index(kbase)
    gen = (root / "CURRENT").read_text()
    search.ensure_index(kbase)  # up to date: nothing rebuilt
    assert (root / "CURRENT").read_text() == gen
    stamp = root / gen / "stamp.json"
    data = json.loads(stamp.read_text())
    data["schema"] = -1
    stamp.write_text(json.dumps(data))
    search.ensure_index(kbase)
    assert (root / "CURRENT").read_text() != gen


def test_ensure_index_catches_up_with_changes_made_behind_its_back(kbase):
    search.ensure_index(kbase)
    gen = (Path(kbase.settings.index_dir) / "CURRENT").read_text()
    with kbase.session() as s:  # no update() call: e.g. another tool wrote the database
        p = make_product(s, "Bánh phu thê Đình Bảng")
        make_standard(s, "TCVN 5408:2007", "Lớp phủ kẽm nhúng nóng")
    search.ensure_index(kbase)
    assert search.search(kbase, "banh phu the").hits[0].id == p.id
    assert codes_of(search.search(kbase, "kem nhung nong")) == ["TCVN 5408:2007"]
    with kbase.session() as s:
        s.delete(s.get(Product, p.id))
    search.ensure_index(kbase)
    assert search.search(kbase, "banh phu the").total == 0
    assert (Path(kbase.settings.index_dir) / "CURRENT").read_text() == gen  # caught up, not rebuilt


def test_a_held_writer_lock_is_waited_for_boundedly_and_caught_up_later(kbase, monkeypatch):
    search.ensure_index(kbase)
    monkeypatch.setattr(_index, "LOCK_TIMEOUT", 0.2)
    gen = _index.current_generation(Path(kbase.settings.index_dir))
    ix = windex.open_dir(str(gen))
    held = ix.writer()  # another process's writer
    try:
        with kbase.session() as s:
            p = make_product(s, "Tranh Đông Hồ")
        with pytest.raises(Conflict):
            _index.apply_changes(kbase, {"product": {p.id}})
        search.update(kbase, products=[p.id])  # callers are not failed by a busy index
    finally:
        held.cancel()
        ix.close()
    search.ensure_index(kbase)
    assert search.search(kbase, "tranh dong ho").hits[0].id == p.id


def test_a_second_knowledge_base_object_sees_the_first_ones_updates(settings, kbase):
    other = KnowledgeBase(settings)  # e.g. the web server beside a CLI ingest
    search.ensure_index(kbase)
    assert search.search(other, "dong ky").total == 0
    with kbase.session() as s:
        p = make_product(s, "Đồ gỗ Đồng Kỵ")
    search.update(kbase, products=[p.id])
    assert search.search(other, "dong ky").hits[0].id == p.id
    other.dispose()


# --- any input ----------------------------------------------------------------------------------------

NASTY = ["", " ", "\x00", "\x1b[31m", '"', "'", "(", ")", "((a)", "title:x", "code:*", "AND", "OR NOT", "*", "?",
         "a" * 10_000, "bê tông " * 2000, "😀🔥", "TCVN", "TCVN :", "::", "--", "/", "\\", "%", "<script>",
         "\u202e", "\ufeff", "TCVN 3118:99999999999999", "9" * 400, "ISO", "ISO/IEC", "\t\n\r", "đ", "Đ", "ʼ"]


@pytest.mark.parametrize("q", NASTY)
def test_nasty_inputs_return_results_or_nothing(world, q):
    res = search.search(world, q)
    assert isinstance(res.total, int) and isinstance(res.hits, list)
    json.dumps(res.to_json())


@hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    q=st.text(max_size=200),
    kind=st.sampled_from([None, "", "standard", "product", "lab", "x"]),
    limit=st.one_of(st.integers(-5, 500), st.none(), st.text(max_size=3)),
    filters=st.one_of(st.none(), st.dictionaries(st.sampled_from(["status", "year", "doc_type", "mandatory", "x"]),
                                                 st.one_of(st.text(max_size=5), st.integers(), st.booleans()),
                                                 max_size=2)),
)
def test_fuzz_search_never_raises(world, q, kind, limit, filters):
    res = search.search(world, q, kind=kind, limit=limit, filters=filters)
    assert len(res.hits) <= 100
    json.dumps(res.to_json())


def test_index_upkeep_on_sqlite_and_postgresql(any_kbase):
    with any_kbase.session() as s:
        make_standard(s, "TCVN 3118:2022", "Bê tông - Phương pháp xác định cường độ chịu nén")
        make_standard(s, "TCVN 3118:1993", "Bê tông nặng - Phương pháp xác định cường độ nén")
        relate(s, "TCVN 3118:2022", "replaces", "TCVN 3118:1993")
        make_lab(s, "Phòng thí nghiệm vật liệu", "LAS-XD 164", [("Bê tông", "Cường độ chịu nén", ["TCVN 3118:2022"])])
    search.ensure_index(any_kbase)
    hit = search.search(any_kbase, "tcvn 3118 1993").hits[0]
    assert hit.code == "TCVN 3118:2022" and "thay thế" in hit.relation_note
    with any_kbase.session() as s:  # behind the index's back
        p = make_product(s, "Bê tông thương phẩm")
    search.ensure_index(any_kbase)
    assert [h.id for h in search.search(any_kbase, "thuong pham").hits] == [p.id]


def test_threads_search_while_the_index_is_updated_and_rebuilt(kbase):
    import threading

    with kbase.session() as s:
        for i in range(30):
            make_product(s, f"Sản phẩm thử {i}", description="bánh đậu xanh")
    search.ensure_index(kbase)
    errors: list[BaseException] = []
    stop = threading.Event()

    def reader():
        try:
            while not stop.is_set():
                res = search.search(kbase, "banh dau xanh", limit=5)
                assert res.total >= 30
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        for i in range(5):
            with kbase.session() as s:
                p = make_product(s, f"Bánh mới {i}", description="bánh đậu xanh")
            search.update(kbase, products=[p.id])
        search.reindex(kbase)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors, errors[0]
    assert search.search(kbase, "banh moi").total == 5


def test_an_empty_knowledge_base_searches_to_nothing(kbase):
    res = search.search(kbase, "bê tông")
    assert (res.hits, res.total, res.did_you_mean) == ([], 0, None)


WRITER = """
import sys
from pathlib import Path
from kb import search
from kb.config import Settings
from kb.core import KnowledgeBase
from tests.support.search_world import make_product
kb = KnowledgeBase(Settings(data_dir=Path(sys.argv[1]), secret_key="t"))
for i in range(20):
    with kb.session() as s:
        p = make_product(s, f"Bánh chưng {i}", description="bánh chưng")
    search.update(kb, products=[p.id])
    if i == 10:
        search.reindex(kb)
"""


def test_another_process_writes_while_this_one_searches(kbase):
    import subprocess
    import sys

    search.ensure_index(kbase)
    repo = Path(__file__).resolve().parents[2]
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(kbase.settings.data_dir)], cwd=repo,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    while writer.poll() is None:  # search all along; any error fails the test
        search.search(kbase, "banh chung")
    out = writer.communicate()[0]
    assert writer.returncode == 0, out
    search.ensure_index(kbase)
    assert search.search(kbase, "banh chung", limit=50).total == 20
