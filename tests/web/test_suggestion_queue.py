"""The suggestion queue page end to end through its HTML forms (parsed, not grepped): filters, groups, the
confirmation page, the no-JavaScript bulk flow and the notices that name what changed."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from selectolax.lexbor import LexborHTMLParser
from sqlmodel import select

from kb.models import AuditEvent, Mapping, MappingSource, MappingStatus
from tests.support.accounts import client_for, make_app, seed
from tests.support.queue import CODE, SERIES, build_queue
from tests.support.records import make_standard

QUEUE = "/curate/suggestions"


def html(r) -> LexborHTMLParser:
    assert r.headers["content-type"].startswith("text/html"), r.headers["content-type"]
    return LexborHTMLParser(r.text)


def cards(page: LexborHTMLParser) -> list[int]:
    return [int(a.attributes["data-id"]) for a in page.css("article.suggestion")]


def notice(page: LexborHTMLParser) -> str | None:
    node = page.css_first("[role=status]")
    return node.text().strip() if node else None


def form_fields(form) -> list[tuple[str, str]]:
    return [(i.attributes["name"], i.attributes.get("value") or "") for i in form.css("input[name]")
            if i.attributes.get("type") != "checkbox"]


@pytest.fixture
def world(kbase):
    first = seed(kbase).mapping  # Bánh phu thê Đình Bảng → TCVN 3118:1993, suggested, score 0.8
    w = build_queue(kbase)
    w.seed = first
    return w


@pytest.fixture
def curator(kbase, world):
    return client_for(make_app(kbase), "curator")


def test_filters_narrow_the_cards_and_keep_their_values(curator, world):
    page = html(curator.get(QUEUE))
    assert len(cards(page)) == 18  # the seed's suggestion, the fifteen, the regulation, the unscored one
    page = html(curator.get(QUEUE, params={"standard": "tcvn 4884 1"}))
    assert cards(page) == world.ids
    assert page.css_first("#queue-total").text() == "15"
    assert page.css_first("#f-standard").attributes["value"] == "tcvn 4884 1"
    assert cards(html(curator.get(QUEUE, params={"product": "banh phu the", "type": "mandatory"}))) == [world.banh]
    # the group holds the bánh (the seed's suggestion of it too) and, through its subgroup, the first product
    assert cards(html(curator.get(QUEUE, params={"group": world.group}))) == [world.ids[0], world.banh, world.seed,
                                                                               world.unscored]
    assert cards(html(curator.get(QUEUE, params={"source": "import"}))) == [world.unscored]
    assert cards(html(curator.get(QUEUE, params={"min_score": "0.92", "standard": SERIES}))) == world.ids[:2]
    # the reasons are on the card, not behind "Sửa chi tiết"
    card = html(curator.get(QUEUE)).css_first(f"#mapping-{world.ids[0]}")
    assert [li.text() for li in card.css(".why li")] == ["phạm vi của tiêu chuẩn nêu sản phẩm", "nhóm Sản phẩm thử"]
    assert card.css_first("button.btn-approve").text().strip().endswith("Duyệt")
    assert card.css_first("button.btn-reject").text().strip().endswith("Từ chối")


def test_a_bad_filter_comes_back_with_a_vietnamese_message(curator):
    r = curator.get(QUEUE, params={"min_score": "cao", "standard": SERIES})
    assert r.status_code == 400
    page = html(r)
    assert "điểm tối thiểu" in page.css_first("[role=alert]").text()
    assert page.css_first("#f-score").attributes["value"] == "cao" and cards(page) == []


def test_grouping_by_standard_counts_the_group_and_offers_it_whole(curator, world):
    page = html(curator.get(QUEUE, params={"by": "standard"}))
    first = page.css_first("section.queue-group")
    assert first.attributes["data-count"] == "15"
    assert first.css_first("h2 .code").text() == CODE and "15 đề xuất" in first.css_first(".group-count").text()
    assert cards(first) == world.ids
    by_product = html(curator.get(QUEUE, params={"by": "product", "product": "banh phu the"}))
    [group] = by_product.css("section.queue-group")
    assert group.attributes["data-count"] == "3" and "Bánh phu thê Đình Bảng" in group.css_first("h2").text()
    # the group's button goes to the confirmation, narrowed to the group, keeping the other filters
    form = first.css_first("form.group-form")
    assert form.attributes["method"] == "get"
    fields = dict(form_fields(form))
    assert fields["standard"] == CODE and fields["scope"] == "all"
    r = curator.get(form.attributes["action"], params={**fields, "status": "approved"})
    confirm = html(r)
    assert confirm.css_first("h1").text() == "Duyệt 15 ánh xạ?"
    assert [int(tr.attributes["data-id"]) for tr in confirm.css("#confirm-list tbody tr")] == world.ids


def test_no_javascript_flow_select_confirm_apply_and_the_notice_names_the_count(kbase, curator, world):
    queue = html(curator.get(QUEUE, params={"standard": SERIES}))
    bulk = queue.css_first("form#bulk")
    boxes = [i for i in queue.css('input[name="ids"]') if i.attributes.get("form") == "bulk"]
    assert len(boxes) == 15
    # the browser sends the checked boxes and the button pressed with the bulk form
    params = [*form_fields(bulk), *[("ids", b.attributes["value"]) for b in boxes], ("status", "approved")]
    confirm = html(curator.get(bulk.attributes["action"], params=params))
    assert confirm.css_first("h1").text() == "Duyệt 15 ánh xạ?"
    assert "Duyệt 15 ánh xạ" in confirm.css_first("#confirm-form button").text()
    with kbase.session() as s:  # nothing changed yet
        assert {s.get(Mapping, i).status for i in world.ids} == {MappingStatus.suggested}
    form = confirm.css_first("#confirm-form")
    assert form.attributes["method"] == "post"
    r = curator.post(form.attributes["action"], data=_multi(form_fields(form)), follow_redirects=False)
    assert r.status_code == 303
    landed = urlsplit(r.headers["location"])
    assert landed.path == QUEUE and parse_qs(landed.query)["standard"] == [SERIES]  # back to the same view
    after = html(curator.get(r.headers["location"]))
    assert notice(after) == "Đã duyệt 15 ánh xạ của TCVN 4884-1:2015."
    assert cards(after) == []
    with kbase.session() as s:
        assert {s.get(Mapping, i).status for i in world.ids} == {MappingStatus.approved}
        events = s.exec(select(AuditEvent).where(AuditEvent.entity == "mapping", AuditEvent.action == "approved")).all()
        assert sorted(e.entity_id for e in events) == sorted(world.ids)


def _multi(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for k, v in pairs:
        out.setdefault(k, []).append(v)
    return out


def test_a_stale_card_is_named_in_the_notice_and_left_alone(kbase, curator, world):
    confirm = html(curator.get(f"{QUEUE}/confirm", params=[("status", "approved"), ("ids", world.ids[0]),
                                                           ("ids", world.ids[1])]))
    form = confirm.css_first("#confirm-form")
    other = client_for(curator.app, "admin")
    other.post(f"/curate/mappings/{world.ids[1]}/decide", data={"status": "rejected", "note": "sai", "version": "1"})
    r = curator.post(form.attributes["action"], data=_multi(form_fields(form)))
    text = notice(html(r))
    assert text.startswith("Đã duyệt ánh xạ Sản phẩm thử 01 → TCVN 4884-1:2015.")
    assert "Giữ nguyên 1 ánh xạ" in text and "Sản phẩm thử 02 → TCVN 4884-1:2015 (bị từ chối, admin)" in text
    with kbase.session() as s:
        assert s.get(Mapping, world.ids[1]).status == MappingStatus.rejected


def test_one_card_decision_names_the_mapping(curator, world):
    r = curator.post(f"/curate/mappings/{world.banh}/decide",
                     data={"status": "approved", "version": "1", "back_to": f"{QUEUE}?type=mandatory"})
    assert notice(html(r)) == "Đã duyệt ánh xạ Bánh phu thê Đình Bảng → QCVN 8-2:2011/BYT."
    # another curator following the same link is not told it was theirs
    link = r.url
    assert notice(html(client_for(curator.app, "admin").get(str(link)))) == "Đã duyệt ánh xạ."


def test_rejecting_asks_for_one_reason_for_all(kbase, curator, world):
    confirm = html(curator.get(f"{QUEUE}/confirm", params={"status": "rejected", "scope": "all", "standard": SERIES}))
    assert confirm.css_first("h1").text() == "Từ chối 15 ánh xạ?"
    note = confirm.css_first("#confirm-note")
    assert "required" in note.attributes
    form = confirm.css_first("#confirm-form")
    r = curator.post(form.attributes["action"], data=_multi(form_fields(form)))
    assert r.status_code == 400 and "lý do" in html(r).css_first("[role=alert]").text()
    fields = [(k, "trùng với tiêu chuẩn khác" if k == "note" else v) for k, v in form_fields(form)]
    r = curator.post(form.attributes["action"], data=_multi(fields))
    assert notice(html(r)) == "Đã từ chối 15 ánh xạ của TCVN 4884-1:2015."
    with kbase.session() as s:
        assert {s.get(Mapping, i).decision_note for i in world.ids} == {"trùng với tiêu chuẩn khác"}


def test_confirmation_refuses_what_it_cannot_confirm(curator, world):
    nothing = curator.get(f"{QUEUE}/confirm", params={"status": "approved"})
    assert nothing.status_code == 400 and "Chưa chọn" in html(nothing).css_first("[role=alert]").text()
    bad = curator.get(f"{QUEUE}/confirm", params={"status": "maybe", "ids": world.ids[0]})
    assert bad.status_code == 400 and html(bad).css_first("#confirm-form") is None
    assert curator.get(f"{QUEUE}/confirm", params={"status": "approved", "scope": "all",
                                                   "min_score": "x"}).status_code == 400
    forged = curator.post(f"{QUEUE}/bulk", data={"status": "approved", "items": ["1:x"]})
    assert forged.status_code == 400


def test_thousands_of_suggestions_come_in_pages_and_select_all_is_capped(kbase, curator, world):
    with kbase.session() as s:  # 600 more suggestions of the seed's product, stored directly: only the queue is tested
        product_id = s.get(Mapping, world.banh).product_id
        for i in range(600):
            std = make_standard(s, f"TCVN {20000 + i}:2020")
            s.add(Mapping(product_id=product_id, standard_id=std.id, type="voluntary", source=MappingSource.auto,
                          status=MappingStatus.suggested, score=0.1, reasons=["thử"]))
    page = html(curator.get(QUEUE))
    assert len(cards(page)) == 50 and page.css_first("#queue-total").text() == "618"
    assert "Trang 1/13" in page.css_first("nav.pager").text()
    last = html(curator.get(page.css_first("nav.pager a[rel=next]").attributes["href"].replace("page=2", "page=13")))
    assert len(cards(last)) == 18
    confirm = html(curator.get(f"{QUEUE}/confirm", params={"status": "approved", "scope": "all"}))
    assert confirm.css_first("h1").text() == "Duyệt 500 ánh xạ?"
    assert "618" in confirm.css_first(".warn-note").text()


def test_only_curators_see_or_change_the_queue(kbase, world):
    app = make_app(kbase)
    lab, anon = client_for(app, "lab_a"), client_for(app, None)
    for url in (QUEUE, f"{QUEUE}/confirm?status=approved&ids={world.ids[0]}"):
        assert lab.get(url).status_code == 403
        assert anon.get(url, follow_redirects=False).status_code == 303  # to the login form
    assert lab.post(f"{QUEUE}/bulk", data={"status": "approved", "items": [f"{world.ids[0]}:1"]}).status_code == 403
    curator = client_for(app, "curator")
    cross = curator.post(f"{QUEUE}/bulk", data={"status": "approved", "items": [f"{world.ids[0]}:1"]},
                         headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"})
    assert cross.status_code == 403
    with kbase.session() as s:
        assert s.get(Mapping, world.ids[0]).status == MappingStatus.suggested
