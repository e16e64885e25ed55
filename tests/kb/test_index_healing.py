"""A damaged search index heals itself: a segment with overwritten bytes, a deleted index directory, an index
path replaced by a file, a generation stamped for another schema. Each time every search still answers
correctly (from the database, marked ``degraded``) and the index is rebuilt in the background, on SQLite and
PostgreSQL."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from kb import search
from kb.search import _index
from kb.search._fallback import search_db
from tests.support.index_damage import DAMAGES
from tests.support.search_world import make_lab, make_product, make_standard

#: Seconds the goal allows between the damage and correct answers from a rebuilt index.
GOAL_SECONDS = 10.0


@pytest.fixture
def kb(any_kbase, monkeypatch):
    # Every search looks at the disk (a server does so every 2 s): the damage is noticed on the next search.
    monkeypatch.setattr(_index, "STALE_CHECK_EVERY", 0.0)
    with any_kbase.session() as s:
        make_standard(s, "TCVN 3118:2022", "Bê tông - Phương pháp xác định cường độ chịu nén")
        make_standard(s, "TCVN 3118:1993", "Bê tông nặng - Phương pháp xác định cường độ nén", status="replaced")
        make_standard(s, "TCVN 2682:2020", "Xi măng poóc lăng - Yêu cầu kỹ thuật")
        make_standard(s, "TCVN 5107:2018", "Nước mắm", title_en="Fish sauce")
        make_product(s, "Bánh phu thê Đình Bảng", district="Từ Sơn")
        make_product(s, "Gốm Phù Lãng", aliases=["gốm sành nâu"])
        make_product(s, "Nước mắm cá cơm")
        make_product(s, "ĐẬU PHỤ MƠ", description="Đậu làm thủ công, không chất bảo quản")
        make_lab(s, "Phòng thí nghiệm vật liệu xây dựng LAS-XD 1234", "LAS-XD 1234",
                 scope=[("Bê tông", "Cường độ chịu nén", ["TCVN 3118:2022"])])
    return any_kbase


def _answers(kbase) -> dict[str, search.SearchResults]:
    return {q: search.search(kbase, q) for q in ("tcvn 3118", "banh phu the", "nước mắm", "gom sanh", "las-xd 1234")}


def _assert_correct(answers: dict[str, search.SearchResults]) -> None:
    """What a visitor must get whichever path answers."""
    tcvn = answers["tcvn 3118"]
    codes = [h.code for h in tcvn.hits if h.kind == "standard"]
    assert codes[:2] == ["TCVN 3118:2022", "TCVN 3118:1993"], codes  # the edition in force first
    assert "TCVN 2682:2020" not in codes
    assert [h.title for h in answers["banh phu the"].hits] == ["Bánh phu thê Đình Bảng"]
    mam = {(h.kind, h.title) for h in answers["nước mắm"].hits}
    assert {("standard", "Nước mắm"), ("product", "Nước mắm cá cơm")} <= mam
    assert [h.title for h in answers["gom sanh"].hits] == ["Gốm Phù Lãng"]  # an alias, typed without accents
    assert answers["las-xd 1234"].hits[0].kind == "lab"


@pytest.mark.parametrize("damage", list(DAMAGES))
def test_a_damaged_index_answers_from_the_database_and_is_rebuilt(kb, damage):
    root = Path(kb.settings.index_dir)
    healthy = _answers(kb)
    _assert_correct(healthy)
    assert not any(r.degraded for r in healthy.values())
    before = (root / "CURRENT").read_text("utf-8")
    # The healthy searches each looked for changes in the background: done before the damage, which would
    # otherwise race with a catch-up writing its lock file into the directory being removed.
    assert _index.settle(kb, GOAL_SECONDS)

    DAMAGES[damage](root)
    started = time.monotonic()
    first = search.search(kb, "tcvn 3118")  # the search that finds the damage: no exception, a right answer
    assert first.degraded
    assert [h.code for h in first.hits][:2] == ["TCVN 3118:2022", "TCVN 3118:1993"]
    rebuild = search.rebuilding(kb)
    if rebuild is not None:  # a small index may already be back
        rebuild.join(timeout=GOAL_SECONDS)
        assert not rebuild.is_alive(), "the rebuild did not finish in time"
    healed = _answers(kb)
    elapsed = time.monotonic() - started
    _assert_correct(healed)
    assert not any(r.degraded for r in healed.values()), "the index answers again after the rebuild"
    assert (root / "CURRENT").read_text("utf-8") != before
    assert elapsed < GOAL_SECONDS
    if damage == "index path replaced by a file":
        kept = list(root.parent.glob(f"{root.name}.not-a-directory-*"))
        assert [p.read_text("utf-8") for p in kept] == ["not an index"]  # moved aside, not deleted


def test_the_slow_path_alone_answers_kinds_filters_and_odd_input(kb):
    """What searches get while the rebuild runs, asked directly (however fast the rebuild is)."""
    degraded = {q: search_db(kb, q, kind=None, limit=10, filters=None)
                for q in ("tcvn 3118", "banh phu the", "nước mắm", "gom sanh", "las-xd 1234")}
    assert all(r.degraded for r in degraded.values())
    _assert_correct(degraded)
    only_products = search_db(kb, "nuoc mam", kind="product", limit=10, filters=None)
    assert [(h.kind, h.title) for h in only_products.hits] == [("product", "Nước mắm cá cơm")]
    in_force = search_db(kb, "be tong", kind=None, limit=10, filters={"status": "in_force"})
    assert [h.code for h in in_force.hits] == ["TCVN 3118:2022"]
    assert in_force.facets["kind"] == {"standard": 1}
    assert search_db(kb, "Bê Tông", kind=None, limit=1, filters=None).total == 3  # 2 standards and the lab
    # capitals and accents the database narrows by pattern, the folded words decide: all spellings, no others
    for q in ("dau phu", "ĐẬU PHỤ", "đậu phụ mơ", "Dau Phu Mo", "thu cong bao quan"):
        assert [h.title for h in search_db(kb, q, kind=None, limit=10, filters=None).hits] == ["ĐẬU PHỤ MƠ"], q
    assert search_db(kb, "dau phu ma", kind=None, limit=10, filters=None).total == 0  # "mơ" is not "ma"
    for odd in ("", " ", "\x00", "((", "title:x", "*", "tcvn", "ab" * 200, "ㄱ", "\u0301"):
        res = search_db(kb, odd, kind=None, limit=10, filters=None)
        assert res.degraded and isinstance(res.hits, list)
