"""Hits are answers, near matches are not: the split, its reasons, product groups as a kind, "did you mean"
only from titles, and the surfaces (page, JSON, CLI) that keep the two apart."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select
from typer.testing import CliRunner

from kb import contacts, search
from kb.config import Settings
from kb.core import KnowledgeBase
from kb.models import ProductGroup
from tests.support.search_world import add_groups, build_world, make_product
from web.app import create_app


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    kb = KnowledgeBase(Settings(data_dir=tmp_path_factory.mktemp("hits") / "var", secret_key="t"))
    kb.init()
    build_world(kb, noise_records=50)
    with kb.session() as s:
        make_product(s, "Bánh dày Gia Bình", category="Thực phẩm", description="Thành phần bao gồm gạo nếp và đỗ xanh")
    search.reindex(kb)
    yield kb
    kb.dispose()


def test_all_words_in_one_title_is_a_hit(world):
    res = search.search(world, "cuong do chiu nen be tong")
    assert res.hits[0].code == "TCVN 3118:2022" and res.total >= 1
    assert all(h.why is None for h in res.hits)


def test_function_words_are_not_needed_for_a_hit(world):
    # "cho" is in no title: the meaningful words are
    assert [h.code for h in search.search(world, "thép thanh vằn cho bê tông").hits][:1] == ["TCVN 1651-2:2018"]


def test_some_of_the_words_make_only_a_near_match_with_its_reason(world):
    res = search.search(world, "tranh Đông Hồ")
    assert res.hits == [] and res.total == 0
    res = search.search(world, "nước mắm Phú Quốc")
    assert res.hits == [] and res.near and res.near_total >= len(res.near)
    assert res.near[0].why == "chỉ khớp một phần: thiếu «phú quốc»"
    assert {h.title for h in res.near} >= {"Nước mắm"}


def test_a_word_only_in_the_description_is_near_not_an_answer(world):
    # the example: "gom" (gốm) matched "bao gồm" in a description
    res = search.search(world, "gom")
    assert res.hits == []
    near = [h for h in res.near if h.title == "Bánh dày Gia Bình"]
    assert near and near[0].why == "từ này chỉ có trong nội dung, không có trong tên"


def test_a_phrase_in_the_secondary_text_is_a_hit(world):
    # "gạo nếp cái hoa vàng" is in the wine's description, word for word
    titles = [h.title for h in search.search(world, "chưng cất từ gạo nếp").hits]
    assert "Rượu Nếp cái hoa vàng" in titles
    # the same words out of order are only near
    res = search.search(world, "nếp gạo chưng cất")
    assert "Rượu Nếp cái hoa vàng" not in [h.title for h in res.hits]


def test_facets_and_total_count_hits_only(world):
    res = search.search(world, "nước mắm Phú Quốc")
    assert res.total == 0 and all(not v for v in res.facets.values())


def test_two_typos_in_two_words_are_not_an_answer(world):
    # "tuong ban": both unknown here; their neighbours ("tông", "bắc") sit in "Bê tông thương phẩm Bắc Ninh"
    assert search.search(world, "tuong ban").hits == []
    assert search.search(world, "xyzqwe abc").hits == []
    # one typo among several right words still is
    assert search.search(world, "cuong do chiu nne").hits[0].code == "TCVN 3118:2022"


def test_did_you_mean_only_from_titles_and_only_with_hits(world):
    res = search.search(world, "cuong do chiu nne")
    assert res.did_you_mean == "cuong do chiu nen"
    assert search.search(world, res.did_you_mean).hits
    for q in ("do go my nghe", "tương Bần", "tuong ban", "xyzqwe abc"):
        dym = search.search(world, q).did_you_mean
        assert dym is None or search.search(world, dym).hits, (q, dym)
    assert search.search(world, "do go my nghe").did_you_mean != "do go my nghi"
    assert search.search(world, "tương Bần").did_you_mean != "tông bần"


def test_groups_are_a_kind_and_the_index_notices_their_changes(world):
    _groups_once(world)  # the stamp covers product groups: ensure_index picked them up
    res = search.search(world, "gốm sành nâu")
    assert [(h.kind, h.url) for h in res.hits][:1] == [("group", "/groups/gom-phu-lang")]
    assert search.search(world, "tranh Đông Hồ", kind="group").hits[0].title == "Tranh dân gian Đông Hồ"
    with world.session() as s:
        g = ProductGroup(slug="do-go", name="Đồ gỗ mỹ nghệ", is_sample=True)
        s.add(g)
        s.flush()
        gid = g.id
    search.ensure_index(world)
    assert search.search(world, "do go my nghe", kind="group").hits[0].id == gid
    with world.session() as s:
        g = s.get(ProductGroup, gid)
        g.aliases = ["đồ gỗ Đồng Kỵ"]
        g.updated_at = datetime.now(UTC)
        s.add(g)
    search.ensure_index(world)
    assert search.search(world, "do go dong ky", kind="group").hits[0].id == gid
    with world.session() as s:
        s.delete(s.get(ProductGroup, gid))
    search.ensure_index(world)
    assert search.search(world, "do go dong ky", kind="group").hits == []
    assert search.search(world, "mỳ gạo", kind="product").total >= 1  # other kinds untouched


@pytest.fixture
def client(world):
    with TestClient(create_app(kbase=world)) as c:
        yield c


def _groups_once(kb) -> None:
    with kb.session() as s:
        if s.exec(select(ProductGroup)).first() is None:
            add_groups(kb)
        if contacts.get_agency(s, contacts.DOST) is None:
            contacts.upsert_agency(s, contacts.DOST, {"name": "Sở Khoa học và Công nghệ (mẫu)"}, actor="test")
    search.ensure_index(kb)


def test_search_page_keeps_near_matches_apart(client, world):
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(client.get("/search", params={"q": "nước mắm Phú Quốc"}).text)
    assert tree.css_first("section.no-answer") is not None
    assert "chưa có câu trả lời cho «nước mắm Phú Quốc»" in tree.css_first("section.no-answer").text()
    near = tree.css_first("section.near-results")
    assert near.css_first("h2").text().startswith("Kết quả gần đúng")
    assert near.css_first("p.why").text() == "chỉ khớp một phần: thiếu «phú quốc»"
    tree = LexborHTMLParser(client.get("/search", params={"q": "nước mắm"}).text)
    assert tree.css_first("section.no-answer") is None and tree.css("section.result-group li.hit")


def test_a_query_naming_a_group_opens_it(client, world):
    _groups_once(world)
    r = client.get("/search", params={"q": "tranh dong ho"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/groups/tranh-dong-ho"
    r = client.get("/search", params={"q": "  GỐM SÀNH NÂU "}, follow_redirects=False)  # an alias
    assert r.status_code == 303 and r.headers["location"] == "/groups/gom-phu-lang"


def test_no_answer_offers_groups_route_and_the_agency(client, world):
    from selectolax.lexbor import LexborHTMLParser

    _groups_once(world)
    data = client.get("/api/search", params={"q": "bánh cốm"}).json()
    assert data["hits"] == [] and data["groups_fit"] is True
    assert data["groups"][0]["name"] == "Bánh, kẹo" and data["groups"][0]["url"] == "/groups/banh-keo"
    # a subgroup without a route of its own shows its parent's
    assert data["groups"][0]["route"].startswith("Tự công bố sản phẩm")
    assert data["contact"]["name"] == "Sở Khoa học và Công nghệ (mẫu)" and data["contact"]["phone"] is None
    page = LexborHTMLParser(client.get("/search", params={"q": "bánh cốm"}).text)
    contact = page.css_first("section.way-forward-contact").text()
    assert "Sở Khoa học và Công nghệ (mẫu)" in contact
    assert "Chưa có đơn vị tiếp nhận, địa chỉ, số điện thoại, thư điện tử, trang web đã xác minh." in contact
    # words that fit no group: the top-level groups to choose from
    data = client.get("/api/search", params={"q": "xyzqwe"}).json()
    assert data["groups_fit"] is False and {g["name"] for g in data["groups"]} >= {"Thực phẩm", "Gốm Phù Lãng"}
    assert "Bánh, kẹo" not in {g["name"] for g in data["groups"]}
    page = LexborHTMLParser(client.get("/search", params={"q": "xyzqwe"}).text)
    assert page.css_first("section.way-forward-groups h3").text() == "Chọn nhóm gần nhất"
    # with answers, no way forward is attached
    data = client.get("/api/search", params={"q": "nước mắm"}).json()
    assert data["hits"] and data["groups"] == [] and data["contact"] is None


def test_cli_prints_hits_then_near_and_json_carries_both(world, monkeypatch):
    from web.cli import app

    monkeypatch.setenv("KB_DATA_DIR", str(world.settings.data_dir))
    monkeypatch.setenv("KB_SECRET_KEY", "t")
    runner = CliRunner()
    out = runner.invoke(app, ["search", "nước mắm Phú Quốc"])
    assert out.exit_code == 0, out.output
    assert "chưa có câu trả lời cho «nước mắm Phú Quốc»" in out.output and "Kết quả gần đúng" in out.output
    data = json.loads(runner.invoke(app, ["search", "nước mắm Phú Quốc", "--json"]).output)
    assert data["hits"] == [] and data["near"] and data["near"][0]["why"] and data["near_total"] >= 1
    bad = runner.invoke(app, ["search", "x", "--kind", "nope"])
    assert bad.exit_code != 0 and "Traceback" not in bad.output


def test_a_group_met_on_a_secondary_word_is_no_way_forward(client, world):
    _groups_once(world)
    # "nồi gốm": a pot of pottery; the pottery group's keyword "gốm" would place such a product in it
    data = client.get("/api/search", params={"q": "nồi gốm"}).json()
    assert data["hits"] == [] and data["groups_fit"] is True
    assert [g["name"] for g in data["groups"]] == ["Gốm Phù Lãng"]
    # "khung tranh": a frame, not a folk painting: the group shares only a secondary word, so the visitor is
    # offered the top-level groups to choose from instead of a wrong one
    assert "Tranh dân gian Đông Hồ" in {h.title for h in search.search(world, "khung tranh", kind="group").near}
    data = client.get("/api/search", params={"q": "khung tranh"}).json()
    assert data["hits"] == [] and data["groups_fit"] is False
    assert "Tranh dân gian Đông Hồ" in {g["name"] for g in data["groups"]}  # among the choices, not as a fit
